#pragma once
// One experiment of a sweep as a unit of work: run, export, commit its folder,
// and give back everything the sweep prints or gathers as text, so a unit's
// result crosses threads and MPI ranks the same way.

#include "cli/experiment.hpp"
#include "cli/report.hpp"
#include "io/atomic_file.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

struct UnitReport {
  enum class State { done, skipped, failed };
  State state = State::done;
  std::string log;                        // the progress lines of its runs
  std::string table;                      // the table printed after the sweep
  std::string runs_rows;                  // its lines of summary_runs.csv
  std::vector<MetricCells> runs_metrics;  // and their final metrics, line by line
  std::string comparisons_rows;           // its lines of summary_comparisons.csv
  long not_completed = 0;                 // runs that stopped before t_end
  std::string step_budget;                // lines naming runs out of their step budget
  std::size_t files = 0;                  // files committed into its folder
  std::string error;                      // failed: why
  bool input_error = false;               // failed on bad input found late
  // Its runs and ensemble members integrating at once, at most (for tests of
  // the threads; not sent between MPI ranks).
  unsigned most_runs_at_once = 1;

  nlohmann::json to_json() const;
  static UnitReport from_json(const nlohmann::json& j);
};

// Runs the experiment, stages its files under `<name>/` of `out` and commits
// that folder (meta.json last). Never throws: a failure is reported with the
// experiment's name, its staged files discarded, its summary rows "failed".
// `progress` (may be null) shows the experiment's runs while they integrate;
// with a `budget` (may be null) its runs and ensemble members also use the
// budget's free threads (run_experiment).
UnitReport run_unit(const PreparedExperiment& prepared, OutputDirectory& out,
                    ProgressLine* progress = nullptr, ThreadBudget* budget = nullptr);

// The report of an experiment that failed: named on stderr by the sweep,
// status "failed" in summary_runs.csv.
UnitReport failed_unit(const ExperimentSpec& spec, const std::string& error, bool input_error);

// For --resume: the report of an experiment whose folder under `target` is
// complete from an earlier run of the same experiment (meta.json present, its
// status complete, its resolved spec and version equal to this one's, every
// file it lists present); nothing otherwise.
std::optional<UnitReport> completed_unit(const std::filesystem::path& target,
                                         const PreparedExperiment& prepared);

}  // namespace gradflow
