#pragma once
// What a person reads after a run: a short table per experiment, and the
// summary CSVs across experiments.

#include "cli/experiment.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace gradflow {

void print_experiment_table(std::ostream& os, const PreparedExperiment& p,
                            const ExperimentOutcome& outcome);

// summary_runs.csv: one row per run of every experiment; summary_comparisons.csv:
// one row per comparison. Names are plain strings (pandas.read_csv or
// numpy.genfromtxt(..., names=True, dtype=None, encoding=None) read them).
std::string runs_summary_csv(const std::vector<PreparedExperiment>& prepared,
                             const std::vector<ExperimentOutcome>& outcomes);
std::string comparisons_summary_csv(const std::vector<PreparedExperiment>& prepared,
                                    const std::vector<ExperimentOutcome>& outcomes);

}  // namespace gradflow
