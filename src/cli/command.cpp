#include "cli/command.hpp"

#include "cli/experiment.hpp"
#include "cli/registry.hpp"
#include "cli/sweep.hpp"
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

int command_check(const std::string& spec_path, std::ostream& out) {
  const auto prepared = prepare_spec(spec_path);
  for (const auto& p : prepared) {
    fmt::print(out, "{}: experiment \"{}\": {}, dim {}, {} run(s), {} sample times up to t = {}\n",
               spec_path, p.spec.name, p.model.flows.front().field->describe(),
               p.model.flows.front().field->dim(), p.spec.runs.size(), p.times.size(),
               p.spec.t_end);
  }
  fmt::print(out, "{}: valid\n", spec_path);
  return 0;
}

int command_run(const std::string& spec_path, const std::string& out_dir, bool quiet,
                const SweepOptions& options, std::ostream& out, std::ostream& err) {
  const auto prepared = prepare_spec(spec_path);
  OutputDirectory dir(out_dir);  // fails here, before any integration, if unwritable
  std::ostringstream discard;
  std::ostream& log = quiet ? discard : out;
  const std::vector<UnitReport> reports = run_sweep(prepared, dir, options, log);
  return finish_sweep(reports, dir, out, err);
}

}  // namespace

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                SweepLauncher* launcher) {
  CLI::App app{
      "gradflow: gradient flow and gradient descent, side by side, for the models of deep-learning "
      "theory.\nEach spec (JSON) describes data, a model, an initialisation and runs; see "
      "docs/spec.md.",
      "gradflow"};
  app.set_version_flag("--version", std::string("gradflow ") + GRADFLOW_VERSION +
                                        (launcher != nullptr ? " " + launcher->describe() : ""));
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
  SweepOptions sweep;
  run->add_option("--jobs,-j", sweep.jobs,
                  "Experiments run at once, on that many threads (default: the cores available); "
                  "the files do not depend on it")
      ->check(CLI::Range(1U, 4096U));
  run->add_flag("--resume", sweep.resume,
                "Skip experiments whose folder in the output directory is complete from an "
                "earlier run of the same spec (meta.json present)");

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
    if (*run) {
      if (out_dir.empty()) {
        out_dir =
            (std::filesystem::path("runs") / std::filesystem::path(spec_path).stem()).string();
      }
      if (launcher != nullptr && launcher->distributes()) {
        return launcher->run(spec_path, out_dir, quiet, sweep, out, err);
      }
      return command_run(spec_path, out_dir, quiet, sweep, out, err);
    }
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
