#pragma once
// The memory a spec's runs will hold and the disk space their files will
// take, estimated before any work, so that a run too large for the machine is
// refused at once with the estimate and the limit instead of failing with
// bad_alloc (or being killed), or finding the disk full, after minutes of
// computing. The memory limit is the spec's max_memory_gib, by default this
// machine's physical memory; a user who knows better raises it.

#include "io/spec.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace gradflow {

struct PreparedExperiment;  // cli/experiment.hpp

// Throws InputError at `key` when `bytes`, what `what` needs, exceed the limit.
void require_memory(const ExperimentSpec& spec, const std::string& key, double bytes,
                    const std::string& what);

// What one ensemble member keeps until the files are written: its start and
// end (dim entries each) and its series (loss, gradient norm and a few more
// columns per record), counted twice (the member and the aggregate's input).
double ensemble_member_bytes(double dim, double records);

// Throws InputError when the experiment's runs together would hold more than
// the limit: each single run keeps every recorded state until its files are
// written (three copies when record.states writes them: the trajectory, the
// stacked matrix and the .npy bytes) and a row of columns per record; each
// ensemble keeps its members (ensemble_member_bytes).
void require_experiment_memory(const PreparedExperiment& p);

// The bytes of the experiment's recorded states (<run>.states.npy), and of
// those and every run's per-record columns as CSV text: its largest files.
double experiment_states_bytes(const PreparedExperiment& p);
double experiment_output_bytes(const PreparedExperiment& p);

// A warning (empty: none) when the experiment's states files (states.npy,
// thinned by record.max_records, and final_state.npy) would exceed the spec's
// warn_states_gib: the estimate and the keys that make it smaller or raise it.
std::string states_size_warning(const PreparedExperiment& p);

// Throws InputError naming `dir` when the files of `prepared` would not fit in
// the space available there (std::filesystem::space).
void require_output_space(const std::vector<PreparedExperiment>& prepared,
                          const std::filesystem::path& dir);

}  // namespace gradflow
