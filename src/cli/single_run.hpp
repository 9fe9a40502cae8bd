#pragma once
// One run of an experiment that is not an ensemble: integrated, diagnosed
// (series, sharpness, the edge of stability of GD) and described in the log.
// Called in spec order by a serial experiment and from any thread by
// cli/experiment_runs.hpp, on the field it is handed.

#include "cli/experiment.hpp"

#include <string>

namespace gradflow {

// The log line printed before run `i` when its η derives from the
// stability threshold ("" otherwise).
std::string run_preamble(const PreparedExperiment& p, std::size_t i);

// Integrates run `i` on `field` (p.targets[i].field, or the same flow of
// another instance of the model) and diagnoses it; appends its log lines to
// `log`. `progress` (may be null) shows the run while it integrates; without
// it the run's steps go to `inner` (may be null). Registered for Ctrl-C while
// it integrates (cli/interrupt_watch.hpp).
RunOutcome integrate_run(const PreparedExperiment& p, std::size_t i, const Field& field,
                         ProgressLine* progress, ProgressObserver* inner, std::string& log);

}  // namespace gradflow
