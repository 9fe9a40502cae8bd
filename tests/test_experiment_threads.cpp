// The runs of one experiment (η-sweep runs, modified flows, ensemble members)
// on the --jobs threads (cli/experiment_runs.hpp, cli/thread_budget.hpp): the
// same files and log as one thread, byte for byte (timing fields aside), runs
// of one experiment integrating at once, and never more threads computing
// than --jobs.

#include "cli/sweep.hpp"
#include "cli/thread_budget.hpp"
#include "cli_support.hpp"
#include "folder_compare.hpp"
#include "io/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <regex>
#include <sstream>

using namespace gradflow;
using namespace gradflow::testing;
namespace fs = std::filesystem;

namespace {

// One experiment: gradient flow, GD at 4 step sizes and their 4 modified
// flows (9 independent runs), sharpness and states recorded, so GD's
// edge-of-stability analysis and the diagnostics also run on other threads
// (they take 20 to 300 ms per GD run: long enough for runs to overlap).
const char* kEtaSweep = R"({
  "seed": 3,
  "data": {"kind": "sine", "samples": 20, "inputs": 4, "outputs": 1},
  "model": {"kind": "linear_network", "hidden": [6, 6]},
  "init": {"kind": "gaussian", "std": 0.3},
  "t_end": 40.0,
  "sample": {"kind": "linear", "count": 11},
  "record": {"sharpness": true, "states": true},
  "eta_sweep": {"values": [0.04, 0.02, 0.01, 0.005], "modified": true},
  "experiments": [{"name": "sweep"}]
})";

// One experiment: an ensemble of 12 GD members from their own starts, one of
// 9 SGD members with their own noise, and a single run between them (each
// member 10⁵ steps, about 10 ms: long enough for members to overlap).
const char* kEnsemble = R"({
  "seed": 4,
  "model": {"kind": "wide_sharp_1d"},
  "init": {"kind": "uniform", "low": -5, "high": 20},
  "t_end": 1000.0,
  "sample": {"kind": "linear", "count": 11},
  "stop": {"max_abs_state": 1e6},
  "runs": [
    {"name": "gd", "integrator": "euler", "eta": 0.01, "ensemble": {"size": 12}},
    {"name": "gf", "integrator": "dopri5"},
    {"name": "sgd", "integrator": "sgd", "eta": 0.01, "sigma": 0.5, "ensemble": {"size": 9}}
  ],
  "experiments": [{"name": "members"}]
})";

// The log with its wall times (", 0.123 s") and the output folder set aside.
std::string log_without_timing(const std::string& log, const fs::path& out) {
  std::string text = std::regex_replace(log, std::regex(R"([0-9]+\.[0-9]+ s\b)"), "T s");
  for (std::size_t at = text.find(out.string()); at != std::string::npos;
       at = text.find(out.string())) {
    text.replace(at, out.string().size(), "OUT");
  }
  return text;
}

// Runs `spec` in-process into `dir`/out on `jobs` threads and counts how.
SweepCounters run_counted(const std::string& spec, const fs::path& dir, unsigned jobs) {
  write_file(dir / "spec.json", spec);
  const std::vector<PreparedExperiment> prepared = prepare_spec((dir / "spec.json").string());
  OutputDirectory out(dir / "out");
  SweepCounters counters;
  std::ostringstream log, table, err;
  const std::vector<UnitReport> reports =
      run_sweep(prepared, out, {.jobs = jobs, .counters = &counters}, log);
  REQUIRE(finish_sweep(prepared, reports, out, table, err) == 0);
  return counters;
}

void same_files_and_log_for_any_jobs(const char* spec, const std::string& name) {
  const auto dir = fresh_temp_dir("experiment_threads", name);
  write_file(dir / "spec.json", spec);
  auto run = [&](const char* jobs) {
    const fs::path out = dir / (std::string("jobs") + jobs);
    const CliResult r =
        gradflow_cli({"run", (dir / "spec.json").string(), "--out", out.string(), "--jobs", jobs});
    INFO("--jobs " << jobs << "\n" << r.out << r.err);
    REQUIRE(r.code == 0);
    return log_without_timing(r.out, out);
  };
  const std::string serial = run("1");
  for (const char* jobs : {"2", "4"}) {
    const std::string log = run(jobs);
    const auto diffs = folder_differences(dir / "jobs1", dir / (std::string("jobs") + jobs));
    INFO("--jobs " << jobs << "\n" << fmt::format("{}", fmt::join(diffs, "\n")));
    CHECK(diffs.empty());
    // The experiment's log: the same lines in the same order.
    CHECK(log == serial);
  }
  // The same in-process with 2 threads, counted: its runs (members) do
  // integrate at once, and its folder is again that of one thread.
  const SweepCounters counters = run_counted(spec, dir, 2);  // the same spec file
  CHECK(counters.most_runs_at_once >= 2);
  const auto diffs = folder_differences(dir / "jobs1", dir / "out");
  INFO(fmt::format("{}", fmt::join(diffs, "\n")));
  CHECK(diffs.empty());
}

// A spec of `experiments` experiments of 4 GD runs each of 0.05 to 0.2 s
// (2.5·10⁴ to 10⁵ Euler steps of least squares on 200 samples): far longer
// than a helper thread takes to start and build its model.
std::string four_run_spec(int experiments) {
  std::string list;
  for (int e = 0; e < experiments; ++e)
    list += fmt::format(R"({}{{"name": "e{}", "seed": {}}})", e == 0 ? "" : ", ", e, e + 1);
  return fmt::format(R"({{
  "data": {{"kind": "sine", "samples": 200, "inputs": 20, "outputs": 1}},
  "model": {{"kind": "least_squares"}},
  "init": {{"kind": "gaussian", "std": 0.5}},
  "t_end": 100.0,
  "sample": {{"kind": "linear", "count": 5}},
  "runs": [
    {{"name": "a", "integrator": "euler", "eta": 0.001}},
    {{"name": "b", "integrator": "euler", "eta": 0.002}},
    {{"name": "c", "integrator": "euler", "eta": 0.001, "flow": "theta"}},
    {{"name": "d", "integrator": "euler", "eta": 0.004}}
  ],
  "experiments": [{}]
}})",
                     list);
}

}  // namespace

TEST_CASE(
    "an eta sweep with modified flows writes the same files and log with 1, 2 and 4 threads") {
  same_files_and_log_for_any_jobs(kEtaSweep, "eta_sweep");
}

TEST_CASE("ensembles write the same files and log with 1, 2 and 4 threads") {
  same_files_and_log_for_any_jobs(kEnsemble, "ensemble");
}

TEST_CASE("with two threads two runs of one experiment integrate at once") {
  const SweepCounters counters =
      run_counted(four_run_spec(1), fresh_temp_dir("experiment_threads", "at_once"), 2);
  CHECK(counters.most_runs_at_once >= 2);
  CHECK(counters.most_busy_threads <= 2);
}

TEST_CASE("with one thread no helper thread joins the runs of an experiment") {
  // Helpers count as busy threads (ThreadBudget::Busy); with --jobs 1 none
  // may start, so only the sweep's own thread is ever busy.
  const SweepCounters counters =
      run_counted(four_run_spec(1), fresh_temp_dir("experiment_threads", "serial"), 1);
  CHECK(counters.most_busy_threads == 1);
}

TEST_CASE("experiments and their runs together never keep more threads busy than jobs") {
  for (const unsigned jobs : {2U, 3U}) {
    INFO("--jobs " << jobs);
    // 3 experiments of 4 runs: the pool's threads take experiments, the
    // tokens left and those given back by finished threads take runs.
    const SweepCounters counters =
        run_counted(four_run_spec(3),
                    fresh_temp_dir("experiment_threads", fmt::format("budget{}", jobs)), jobs);
    CHECK(counters.most_busy_threads <= jobs);
    CHECK(counters.most_busy_threads >= 2);
  }
}

TEST_CASE("a thread budget hands out at most its total of tokens") {
  ThreadBudget budget(2);
  CHECK(budget.try_take());
  CHECK(budget.try_take());
  CHECK_FALSE(budget.try_take());
  budget.give_back();
  CHECK(budget.try_take());
  CHECK(ThreadBudget(0).total() == 1);  // never fewer than the calling thread
}
