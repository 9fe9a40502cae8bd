#pragma once
// The runs of one experiment, and the members of its ensemble runs, on the
// threads a ThreadBudget has free (cli/thread_budget.hpp), each result in the
// slot of its run or member, so the log, files and summaries are those of the
// serial loop in spec order, bit for bit, for any number of threads.
//
// The calling thread (the owner) runs on the experiment's own fields
// (PreparedExperiment::targets). Before it takes each run or member it starts
// a helper thread for every token it can take while more work is waiting
// than threads to do it; a helper builds its own instance of the model
// (PreparedExperiment::rebuild_model: fields keep scratch buffers, so two
// threads never share one), takes the next run or member until none is left,
// and gives its token back. Loaded data, starts and run plans are the owner's
// and only read. Runs on a central flow stay on the owner: their field keeps
// the edge events the log and meta.json read. Comparisons need every run and
// are computed afterwards, as before (cli/experiment.cpp).

#include "cli/experiment.hpp"
#include "cli/thread_budget.hpp"

#include <iosfwd>
#include <vector>

namespace gradflow {

struct ExperimentRuns {
  std::vector<RunOutcome> runs;  // spec order
  unsigned most_at_once = 1;     // runs and members integrating at once, at most
};

// Every run of `p` (p.rebuild_model must be set), their log lines to `log`
// in spec order. `progress` (may be null) counts the runs and members done.
ExperimentRuns run_experiment_runs(const PreparedExperiment& p, std::ostream& log,
                                   ProgressLine* progress, ThreadBudget& budget);

}  // namespace gradflow
