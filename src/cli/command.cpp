#include "cli/command.hpp"

#include "cli/experiment.hpp"
#include "cli/interrupt_watch.hpp"
#include "cli/resource_estimate.hpp"
#include "cli/registry.hpp"
#include "cli/report.hpp"
#include "cli/report_command.hpp"
#include "cli/sweep.hpp"
#include "io/atomic_file.hpp"
#include "io/output_lock.hpp"
#include "io/errors.hpp"
#include "io/spec.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
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
                const SweepOptions& options, bool report, std::ostream& out, std::ostream& err) {
  const auto prepared = prepare_spec(spec_path);
  OutputDirectory dir(out_dir);         // fails here, before any integration, if unwritable
  const OutputLock lock(dir.target());  // and here if another run writes there
  require_output_space(prepared, dir.target());     // and here if the files cannot fit
  const InterruptWatch interrupts(dir, spec_path);  // before the sweep's threads start
  std::ostringstream discard;
  std::ostream& log = quiet ? discard : out;
  const std::vector<UnitReport> reports = run_sweep(prepared, dir, options, log);
  const int status = finish_sweep(prepared, reports, dir, out, err);
  // The folders are complete (committed) before Python reads them.
  if (report && status == 0) return write_html_report(dir.target().string(), quiet, out, err);
  return status;
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
  bool report = false;
  run->add_flag("--report", report,
                "Also write OUT/report.html and OUT/figures/ (as gradflow report; needs Python 3 "
                "with matplotlib)");

  std::string report_dir;
  bool report_quiet = false;
  CLI::App* report_cmd = app.add_subcommand(
      "report",
      "Write DIR/report.html and DIR/figures/*.png, *.svg for a folder gradflow run wrote "
      "(runs /usr/bin/python3 -m gradflow.report; GRADFLOW_PYTHON names another Python).");
  report_cmd->add_option("dir", report_dir, "Output folder of gradflow run")->required();
  report_cmd->add_flag("--quiet,-q", report_quiet, "Print nothing on success");

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
      sweep.progress = !quiet;
      if (launcher != nullptr && launcher->distributes()) {
        const int status = launcher->run(spec_path, out_dir, quiet, sweep, out, err);
        if (report && status == 0 && launcher->is_root())
          return write_html_report(out_dir, quiet, out, err);
        return status;
      }
      return command_run(spec_path, out_dir, quiet, sweep, report, out, err);
    }
    if (*report_cmd) return write_html_report(report_dir, report_quiet, out, err);
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
