#include "cli/command.hpp"

#include "cli/experiment.hpp"
#include "cli/registry.hpp"
#include "cli/report.hpp"
#include "io/atomic_file.hpp"
#include "io/errors.hpp"
#include "io/spec.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <ostream>
#include <sstream>

#ifndef GRADFLOW_VERSION
#define GRADFLOW_VERSION "unknown"
#endif

namespace gradflow {

namespace {

constexpr int kBadInput = 2;
constexpr int kInternalError = 1;

std::vector<PreparedExperiment> prepare_all(const std::string& spec_path) {
  std::vector<PreparedExperiment> prepared;
  for (const ExperimentSpec& spec : read_spec_file(spec_path)) {
    // Everything prepared here derives from the spec, so a failure is the
    // input's: sizes beyond memory (model.hidden [4000000000]), a library's
    // refusal of a value. Name the file and the experiment, exit 2.
    try {
      prepared.push_back(prepare_experiment(spec));
    } catch (const InputError& e) {
      throw in_experiment(e, spec);  // a key of experiments[i] is named there
    } catch (const std::bad_alloc&) {
      throw_input_error(spec.file, "",
                        fmt::format("experiment \"{}\": its data or model does not fit in memory "
                                    "(a width, size, sample or "
                                    "measurement count too large?)",
                                    spec.name));
    } catch (const std::length_error& e) {
      throw_input_error(spec.file, "",
                        fmt::format("experiment \"{}\": its data or model is too large ({})",
                                    spec.name, e.what()));
    } catch (const std::invalid_argument& e) {
      throw_input_error(spec.file, "", fmt::format("experiment \"{}\": {}", spec.name, e.what()));
    }
  }
  return prepared;
}

// A run out of its step budget stopped short of t_end, and its files end
// there: said loudly at the very end, where it cannot scroll away.
void print_step_budget_warning(std::ostream& out, const std::vector<PreparedExperiment>& prepared,
                               const std::vector<ExperimentOutcome>& outcomes) {
  std::vector<std::string> lines;
  for (std::size_t e = 0; e < outcomes.size(); ++e) {
    for (const RunOutcome& r : outcomes[e].runs) {
      const RunStats& st = r.result.stats;
      if (st.status != RunStatus::step_budget) continue;
      lines.push_back(
          fmt::format("experiment \"{}\", run \"{}\" ({}): {} steps, stopped at t = "
                      "{:.6g} of t_end = {:.6g}",
                      prepared[e].spec.name, r.spec.name, to_string(r.spec.method.method), st.steps,
                      st.stop_time, prepared[e].spec.t_end));
    }
  }
  if (lines.empty()) return;
  fmt::print(out,
             "\nWARNING: {} run(s) ran out of their step budget (stop.max_steps) before t_end:\n",
             lines.size());
  for (const std::string& line : lines) fmt::print(out, "WARNING:   {}\n", line);
  fmt::print(out,
             "WARNING: their files end there. Raise \"stop.max_steps\", or for a stiff flow use "
             "\"integrator\": \"auto\" (the default) or \"bdf\".\n");
}

int command_check(const std::string& spec_path, std::ostream& out) {
  const auto prepared = prepare_all(spec_path);
  for (const auto& p : prepared) {
    fmt::print(out, "{}: experiment \"{}\": {}, dim {}, {} run(s), {} sample times up to t = {}\n",
               spec_path, p.spec.name, p.model.flows.front().field->describe(),
               p.model.flows.front().field->dim(), p.spec.runs.size(), p.times.size(),
               p.spec.t_end);
  }
  fmt::print(out, "{}: valid\n", spec_path);
  return 0;
}

int command_run(const std::string& spec_path, std::string out_dir, bool quiet, std::ostream& out) {
  const auto prepared = prepare_all(spec_path);
  if (out_dir.empty()) {
    out_dir = (std::filesystem::path("runs") / std::filesystem::path(spec_path).stem()).string();
  }
  OutputDirectory dir(out_dir);  // fails here, before any integration, if unwritable
  std::ostringstream discard;
  std::ostream& log = quiet ? discard : out;

  std::vector<ExperimentOutcome> outcomes;
  for (const PreparedExperiment& p : prepared) {
    fmt::print(log, "running {} ({} run(s), t_end = {})\n", p.spec.name, p.spec.runs.size(),
               p.spec.t_end);
    outcomes.push_back(run_experiment(p, log));
  }
  for (std::size_t e = 0; e < prepared.size(); ++e) {
    export_experiment(prepared[e], outcomes[e], dir, prepared[e].spec.name);
  }
  dir.write("summary_runs.csv", runs_summary_csv(prepared, outcomes));
  dir.write("summary_comparisons.csv", comparisons_summary_csv(prepared, outcomes));
  dir.commit();

  for (std::size_t e = 0; e < prepared.size(); ++e)
    print_experiment_table(out, prepared[e], outcomes[e]);
  long not_completed = 0;
  for (const auto& o : outcomes) {
    for (const auto& r : o.runs) not_completed += r.result.stats.status != RunStatus::completed;
  }
  fmt::print(out,
             "\nwrote {} files to {}/ (one folder per experiment with meta.json, "
             "<run>.csv and compare_*.csv; summary_runs.csv and summary_comparisons.csv on top)\n",
             dir.staged().size(),
             std::filesystem::absolute(dir.target()).lexically_normal().string());
  if (not_completed > 0) {
    fmt::print(out,
               "note: {} run(s) stopped before t_end; see the status column above and meta.json\n",
               not_completed);
  }
  print_step_budget_warning(out, prepared, outcomes);
  return 0;
}

}  // namespace

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "gradflow: gradient flow and gradient descent, side by side, for the models of deep-learning "
      "theory.\nEach spec (JSON) describes data, a model, an initialisation and runs; see "
      "docs/spec.md.",
      "gradflow"};
  app.set_version_flag("--version", std::string("gradflow ") + GRADFLOW_VERSION);
  app.require_subcommand(1);

  std::string spec_path;
  std::string out_dir;
  bool quiet = false;
  CLI::App* run = app.add_subcommand(
      "run", "Run every experiment of a spec and write its files (CSV, .npy, meta.json).");
  run->add_option("spec", spec_path,
                  "Spec file (JSON, comments allowed); e.g. data/course_linear.json")
      ->required();
  run->add_option("--out,-o", out_dir,
                  "Output directory (created if missing; files of the same name are replaced). "
                  "Default: runs/<spec name>");
  run->add_flag("--quiet,-q", quiet, "Print only the final tables");

  std::string check_path;
  CLI::App* check = app.add_subcommand(
      "check", "Validate a spec (keys, types, data files, dimensions) without running it.");
  check->add_option("spec", check_path, "Spec file to validate")->required();

  // CLI11 consumes a vector from the back; args[0] is the program name.
  std::vector<std::string> reversed;
  if (!args.empty()) reversed.assign(args.rbegin(), args.rend() - 1);
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : kBadInput;
  }

  try {
    if (*run) return command_run(spec_path, out_dir, quiet, out);
    return command_check(check_path, out);
  } catch (const InputError& e) {
    fmt::print(err, "gradflow: error: {}\n", e.what());
    return kBadInput;
  } catch (const std::exception& e) {
    fmt::print(err, "gradflow: internal error: {}\n", e.what());
    return kInternalError;
  }
}

}  // namespace gradflow
