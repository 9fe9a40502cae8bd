#include "cli/sweep_unit.hpp"

#include "cli/report.hpp"
#include "io/errors.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <new>
#include <sstream>

#ifndef GRADFLOW_VERSION
#define GRADFLOW_VERSION "unknown"
#endif

namespace gradflow {

using nlohmann::json;

namespace {

std::string state_name(UnitReport::State s) {
  switch (s) {
    case UnitReport::State::done:
      return "done";
    case UnitReport::State::skipped:
      return "skipped";
    case UnitReport::State::failed:
      return "failed";
  }
  return "failed";
}

std::string joined_lines(const json& lines) {
  std::string text;
  for (const json& line : lines) text += line.get<std::string>() + "\n";
  return text;
}

}  // namespace

UnitReport failed_unit(const ExperimentSpec& spec, const std::string& error, bool input_error) {
  UnitReport r;
  r.state = UnitReport::State::failed;
  r.error = fmt::format("experiment \"{}\" failed: {}", spec.name, error);
  r.input_error = input_error;
  r.table = fmt::format("\n{} — FAILED: {}\n", spec.name, error);
  r.runs_rows = failed_runs_summary_rows(spec);
  r.runs_metrics.resize(spec.runs.size());
  return r;
}

json UnitReport::to_json() const {
  return {{"state", state_name(state)},
          {"log", log},
          {"table", table},
          {"runs_rows", runs_rows},
          {"runs_metrics", runs_metrics},
          {"comparisons_rows", comparisons_rows},
          {"not_completed", not_completed},
          {"step_budget", step_budget},
          {"files", files},
          {"error", error},
          {"input_error", input_error}};
}

UnitReport UnitReport::from_json(const json& j) {
  UnitReport r;
  const std::string s = j.at("state").get<std::string>();
  r.state = s == "done" ? State::done : s == "skipped" ? State::skipped : State::failed;
  r.log = j.at("log").get<std::string>();
  r.table = j.at("table").get<std::string>();
  r.runs_rows = j.at("runs_rows").get<std::string>();
  r.runs_metrics = j.at("runs_metrics").get<std::vector<MetricCells>>();
  r.comparisons_rows = j.at("comparisons_rows").get<std::string>();
  r.not_completed = j.at("not_completed").get<long>();
  r.step_budget = j.at("step_budget").get<std::string>();
  r.files = j.at("files").get<std::size_t>();
  r.error = j.at("error").get<std::string>();
  r.input_error = j.at("input_error").get<bool>();
  return r;
}

UnitReport run_unit(const PreparedExperiment& p, OutputDirectory& out, ProgressLine* progress,
                    ThreadBudget* budget) {
  const std::string& name = p.spec.name;
  try {
    UnitReport r;
    std::ostringstream log;
    fmt::print(log, "running {} ({} run(s), t_end = {})\n", name, p.spec.runs.size(), p.spec.t_end);
    const ExperimentOutcome outcome = run_experiment(p, log, progress, budget);
    r.most_runs_at_once = outcome.most_runs_at_once;
    export_experiment(p, outcome, out, name);
    r.files = out.commit(name);
    r.log = log.str();
    std::ostringstream table;
    print_experiment_table(table, p, outcome);
    r.table = table.str();
    r.runs_rows = runs_summary_rows(p, outcome);
    r.runs_metrics = runs_final_metrics(outcome);
    r.comparisons_rows = comparisons_summary_rows(p, outcome);
    r.step_budget = step_budget_lines(p, outcome);
    for (const RunOutcome& run : outcome.runs)
      r.not_completed += run.result.stats.status != RunStatus::completed;
    return r;
  } catch (const InputError& e) {
    out.discard(name);
    return failed_unit(p.spec, e.what(), true);
  } catch (const std::bad_alloc&) {
    out.discard(name);
    return failed_unit(p.spec, "out of memory", false);
  } catch (const std::exception& e) {
    out.discard(name);
    return failed_unit(p.spec, e.what(), false);
  }
}

std::optional<UnitReport> completed_unit(const std::filesystem::path& target,
                                         const PreparedExperiment& p) {
  const std::filesystem::path folder = target / p.spec.name;
  std::ifstream in(folder / "meta.json", std::ios::binary);
  if (!in) return std::nullopt;
  const json meta = json::parse(in, nullptr, /*allow_exceptions=*/false);
  UnitReport r;
  // Anything unexpected in it (not our meta.json, another version, another
  // spec, a listed file missing) means: run the experiment again.
  try {
    if (!meta.is_object() || meta.at("status").get<std::string>() != "complete" ||
        meta.at("gradflow_version").get<std::string>() != GRADFLOW_VERSION ||
        meta.at("spec") != resolved_spec_json(p)) {
      return std::nullopt;
    }
    for (const json& file : meta.at("files")) {
      if (!std::filesystem::is_regular_file(folder / file.get<std::string>())) return std::nullopt;
      ++r.files;
    }
    r.runs_rows = joined_lines(meta.at("summary_rows").at("runs"));
    r.runs_metrics = meta.at("summary_rows").at("runs_metrics").get<std::vector<MetricCells>>();
    r.comparisons_rows = joined_lines(meta.at("summary_rows").at("comparisons"));
    for (const json& run : meta.at("runs")) {
      const std::string status = run.at("status").get<std::string>();
      r.not_completed += status != "completed" && status != "ensemble";
    }
  } catch (const json::exception&) {
    return std::nullopt;
  }
  r.state = UnitReport::State::skipped;
  r.log = fmt::format("skipping {}: its folder is complete from an earlier run (--resume)\n",
                      p.spec.name);
  r.table =
      fmt::format("\n{} — complete from an earlier run, not run again (--resume)\n", p.spec.name);
  return r;
}

}  // namespace gradflow
