#pragma once
// One experiment: data -> model -> runs -> diagnostics -> comparisons, and the
// files it exports (DESIGN.md §1, §6).

#include "cli/progress_line.hpp"
#include "cli/registry.hpp"
#include "cli/run_plan.hpp"
#include "core/compare.hpp"
#include "core/diagnostics.hpp"
#include "core/edge_of_stability.hpp"
#include "integrators/integrate.hpp"
#include "io/atomic_file.hpp"
#include "io/spec.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

// Everything that can be checked before any integration: data loaded, model
// built, initial state drawn, each run's flow found. Throws InputError.
struct RunTarget {
  std::string flow;           // the model flow's name
  const Field* field;         // that flow's field, or a wrapper of it (modified flow)
  const Eigen::VectorXd* x0;  // that flow's start
  RunPlan plan;               // times, stop, resolved step, ensemble members
};

struct PreparedExperiment {
  ExperimentSpec spec;
  ModelInstance model;
  std::vector<RunTarget> targets;                // what spec.runs[r] integrates
  std::vector<std::unique_ptr<Field>> wrappers;  // fields the targets own
  std::vector<double> times;
  // Non-empty when the states files would exceed warn_states_gib
  // (states_size_warning): printed before the runs and kept in meta.json.
  std::string states_warning;
  // Another instance of the model, as built for this experiment (a run on
  // another thread needs its own: fields keep scratch buffers). Empty when
  // the model was built elsewhere (Python): its runs then stay on one thread.
  std::function<ModelInstance()> rebuild_model;
};
PreparedExperiment prepare_experiment(const ExperimentSpec& spec);
// The field runs[r] integrates: `flow`'s field wrapped in the modified flow
// and the central flow the run asks for, the wrappers kept in `wrappers`. The
// one rule for every model instance (the experiment's, a helper thread's).
const Field* run_field(const ExperimentSpec& spec, std::size_t r, const Flow& flow,
                       std::vector<std::unique_ptr<Field>>& wrappers);
// The same with a model built elsewhere (a model defined in Python, or a
// registry model whose flow starts were set from arrays).
PreparedExperiment prepare_experiment(const ExperimentSpec& spec, ModelInstance model);

struct EnsembleOutcome;  // cli/ensemble.hpp

struct RunOutcome {
  RunSpec spec;
  RunResult result;  // an ensemble: totals over its members (steps, evaluations, wall time)
  Diagnostics diagnostics;
  std::shared_ptr<const EnsembleOutcome> ensemble;  // set for an ensemble run
  std::optional<EdgeOfStability> edge;              // GD runs recording sharpness
  double diagnostics_seconds = 0.0;                 // diagnose() and the edge-of-stability analysis
};

struct ComparisonOutcome {
  std::string a, b;
  Comparison comparison;
};

struct ExperimentOutcome {
  std::vector<RunOutcome> runs;
  std::vector<ComparisonOutcome> comparisons;
  unsigned most_runs_at_once = 1;  // runs and ensemble members integrating at once, at most
};

class ThreadBudget;  // cli/thread_budget.hpp

// Runs every run of the experiment; `log` gets one line per run.
// `progress` (optional) shows each run's progress while it integrates.
// With a `budget` of more than one thread and a model it can rebuild, the
// runs and ensemble members also run on the budget's free threads
// (cli/experiment_runs.hpp; `progress` then counts the runs and members
// done); the outcome and the log are the same bits either way.
ExperimentOutcome run_experiment(const PreparedExperiment& prepared, std::ostream& log,
                                 ProgressLine* progress = nullptr, ThreadBudget* budget = nullptr);

// The spec as meta.json → spec records it: every key resolved, the model's
// data, model and init sections as built.
nlohmann::json resolved_spec_json(const PreparedExperiment& prepared);

// Stages the experiment's files under `prefix/` and returns its meta.json.
// meta.json → summary_rows holds the experiment's lines of summary_runs.csv
// and summary_comparisons.csv (what a resumed run reads back).
nlohmann::json export_experiment(const PreparedExperiment& prepared,
                                 const ExperimentOutcome& outcome, OutputDirectory& out,
                                 const std::string& prefix);

}  // namespace gradflow
