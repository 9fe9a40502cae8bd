#pragma once
// A spec's experiments run as a sweep: on threads here, on MPI ranks in
// cli/mpi_sweep.hpp. Either way the files are those of a serial run: each
// experiment's seeds derive from its spec, its folder is written by itself,
// and the summary rows and the log are gathered in spec order.

#include "cli/sweep_unit.hpp"

#include "io/spec.hpp"

#include <iosfwd>
#include <vector>

namespace gradflow {

// Reads the spec file and prepares every experiment (data, model, starts,
// plans) before any work: bad input throws InputError naming the file and the
// experiment.
std::vector<PreparedExperiment> prepare_spec(const std::string& spec_path);
// One experiment of it, with the same messages (an MPI rank prepares only
// the experiments it is handed).
PreparedExperiment prepare_one(const ExperimentSpec& spec);

// How the threads were used (for tests and benchmarks).
struct SweepCounters {
  unsigned most_busy_threads = 0;  // threads computing at once, at most (≤ jobs)
  unsigned most_runs_at_once = 0;  // runs and members of one experiment integrating at once
};

struct SweepOptions {
  // Threads; 0: the cores available. One budget of this many (cli/thread_budget.hpp):
  // experiments first, then the runs and ensemble members of an experiment on
  // the threads other experiments leave free.
  unsigned jobs = 0;
  bool resume = false;  // skip experiments whose folder is complete
  // A progress line on stderr for long runs (cli/progress_line.hpp) when the
  // experiments run one at a time; on several threads the log counts the
  // experiments done instead.
  bool progress = false;
  SweepCounters* counters = nullptr;  // filled in when set
};

// Runs every experiment not skipped (with resume), committing each folder as
// it is done; prints each experiment's log lines to `log` in spec order, with
// the count of experiments done so far. The reports come back in spec order.
std::vector<UnitReport> run_sweep(const std::vector<PreparedExperiment>& prepared,
                                  OutputDirectory& out, const SweepOptions& options,
                                  std::ostream& log);

// Removes the folders of experiments an earlier run wrote (holding a
// meta.json) that this spec does not produce, so that the summaries list
// exactly the experiment folders the target holds, then writes
// summary_runs.csv and summary_comparisons.csv from the reports (spec
// order), prints the tables and what was written, names every failed
// experiment on `err`; the exit status: 0, or 2 if an experiment failed on
// bad input found late, else 1 if one failed otherwise. Runs that ran out of
// their step budget are named last, in WARNING lines. `prepared` gives the
// grid's columns.
int finish_sweep(const std::vector<PreparedExperiment>& prepared,
                 const std::vector<UnitReport>& reports, OutputDirectory& out, std::ostream& os,
                 std::ostream& err);

}  // namespace gradflow
