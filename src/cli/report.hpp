#pragma once
// What a person reads after a run: a short table per experiment, and the
// summary CSVs across experiments.

#include "cli/experiment.hpp"

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace gradflow {

// The run's cost in field evaluations: its velocity evaluations plus every
// Jacobian-vector product it took (bdf's Newton systems and Jacobians, auto's
// stiffness checks; counters named *jacobian_vector_products). A product costs
// about one evaluation (analytic: one Hessian-vector product; otherwise two
// velocity evaluations), so the total compares with an explicit run's
// field_evaluations.
long evaluations_with_products(const RunStats& stats);

void print_experiment_table(std::ostream& os, const PreparedExperiment& p,
                            const ExperimentOutcome& outcome);

// summary_runs.csv: one row per run of every experiment; summary_comparisons.csv:
// one row per comparison. Names are plain strings (pandas.read_csv or
// numpy.genfromtxt(..., names=True, dtype=None, encoding=None) read them).
// The same per experiment: the header line, and one experiment's rows (each
// ending in a newline), so rows computed apart (threads, MPI ranks, an earlier
// run's meta.json → summary_rows) join into the same files.
// With `grid` (spec.grid of any experiment of the spec), one column per grid key.
std::string runs_summary_header(const std::vector<GridValue>& grid);
std::string comparisons_summary_header();
std::string runs_summary_rows(const PreparedExperiment& p, const ExperimentOutcome& outcome);
std::string comparisons_summary_rows(const PreparedExperiment& p, const ExperimentOutcome& outcome);
// The rows of an experiment that failed: one per run of its spec, status
// "failed", numbers empty.
std::string failed_runs_summary_rows(const ExperimentSpec& spec);
// Lines naming the runs that ran out of their step budget (said at the very
// end of the output); empty if none.
std::string step_budget_lines(const PreparedExperiment& p, const ExperimentOutcome& outcome);

// A run's final metrics for summary_runs.csv: the last recorded value of
// every column of its series beyond t, step, loss and grad_norm (which have
// columns of their own), as (column name "final_<name>", cell) pairs in the
// series' order: e2e singular values, effective rank, reconstruction error,
// kernel distances, sharpness… whatever the run records. None for an
// ensemble (its members' series are in its own files) or a failed run.
using MetricCells = std::vector<std::pair<std::string, std::string>>;
std::vector<MetricCells> runs_final_metrics(const ExperimentOutcome& outcome);

// summary_runs.csv from the rows of every experiment (one line per run, in
// spec order) and each run's metric cells in the same order: the fixed and
// grid columns, then one column per metric name in the order first met (so
// the file does not depend on threads or ranks); a run without that metric
// (another depth, another model) leaves its cell empty.
std::string runs_summary_csv(const std::vector<GridValue>& grid, const std::string& rows,
                             const std::vector<MetricCells>& metrics);
std::string runs_summary_csv(const std::vector<PreparedExperiment>& prepared,
                             const std::vector<ExperimentOutcome>& outcomes);
std::string comparisons_summary_csv(const std::vector<PreparedExperiment>& prepared,
                                    const std::vector<ExperimentOutcome>& outcomes);

}  // namespace gradflow
