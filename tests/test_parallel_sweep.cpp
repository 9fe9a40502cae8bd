// A sweep on threads (gradflow run --jobs N) and resumed after an interruption
// (--resume): the files are those of a serial, uninterrupted run, byte for
// byte (timing fields aside), whatever the split of the work.

#include "cli/ordered_pool.hpp"
#include "cli_support.hpp"
#include "folder_compare.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

using namespace gradflow::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Seven experiments of different kinds and costs (a linear network with an η
// sweep, least squares by GD and a flow, an ensemble, SGD with noise), so that
// with several threads they finish out of spec order.
const char* kSweep = R"({
  "seed": 1,
  "data": {"kind": "sine", "samples": 20, "inputs": 4, "outputs": 1},
  "model": {"kind": "least_squares"},
  "init": {"kind": "gaussian", "std": 0.5},
  "t_end": 2.0,
  "sample": {"kind": "linear", "count": 11},
  "runs": [
    {"name": "gd", "integrator": "euler", "eta": 0.01},
    {"name": "gf", "integrator": "dopri5", "rtol": 1e-10, "atol": 1e-12}
  ],
  "experiments": [
    {"name": "deep", "model": {"kind": "linear_network", "hidden": [6, 6]},
     "init": {"kind": "gaussian", "std": 0.3}, "runs": null,
     "eta_sweep": {"values": [0.04, 0.02, 0.01], "modified": true}},
    {"name": "ls_a", "seed": 2},
    {"name": "ls_b", "seed": 3, "record": {"states": true}},
    {"name": "sharp", "model": {"kind": "wide_sharp_1d"}, "data": null,
     "init": {"kind": "uniform", "std": null, "low": -5, "high": 20},
     "stop": {"max_abs_state": 1e6},
     "runs": [{"name": "gd", "integrator": "euler", "eta": 0.01, "ensemble": {"size": 20}}]},
    {"name": "ls_c", "seed": 4, "t_end": 4.0},
    {"name": "sgd", "seed": 5,
     "runs": [{"name": "sgd", "integrator": "sgd", "eta": 0.01, "sigma": 0.1},
              {"name": "gd", "integrator": "euler", "eta": 0.01}]},
    {"name": "ls_d", "seed": 6, "data": {"samples": 40}}
  ]
})";

CliResult run_sweep_cli(const fs::path& spec, const fs::path& out,
                        std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", spec.string(), "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return gradflow_cli(args);
}

std::string experiments_run(const CliResult& r) {
  std::string names;
  for (std::size_t at = r.out.find("running "); at != std::string::npos;
       at = r.out.find("running ", at + 1)) {
    names += r.out.substr(at + 8, r.out.find(' ', at + 8) - at - 8) + " ";
  }
  return names;
}

}  // namespace

TEST_CASE("a sweep writes the same files with 1, 2 and 4 threads") {
  const auto dir = fresh_temp_dir("parallel", "jobs");
  write_file(dir / "sweep.json", kSweep);
  const CliResult one = run_sweep_cli(dir / "sweep.json", dir / "jobs1", {"--jobs", "1"});
  INFO(one.out << one.err);
  REQUIRE(one.code == 0);
  // Every experiment has its folder, and the summaries one row per run.
  for (const char* name : {"deep", "ls_a", "ls_b", "sharp", "ls_c", "sgd", "ls_d"}) {
    CHECK(fs::exists(dir / "jobs1" / name / "meta.json"));
  }
  for (const char* jobs : {"2", "4"}) {
    const fs::path out = dir / (std::string("jobs") + jobs);
    const CliResult r = run_sweep_cli(dir / "sweep.json", out, {"--jobs", jobs});
    INFO("--jobs " << jobs << "\n" << r.out << r.err);
    REQUIRE(r.code == 0);
    const auto diffs = folder_differences(dir / "jobs1", out);
    INFO(fmt::format("{}", fmt::join(diffs, "\n")));
    CHECK(diffs.empty());
    // The log comes per experiment in spec order, never interleaved.
    CHECK(experiments_run(r) == "deep ls_a ls_b sharp ls_c sgd ls_d ");
    CHECK_THAT(r.out, Catch::Contains("[7 of 7 experiments done]"));
  }
}

TEST_CASE("the serial folder holds every experiment and summary rows in spec order") {
  const auto dir = fresh_temp_dir("parallel", "order");
  write_file(dir / "sweep.json", kSweep);
  const CliResult r = run_sweep_cli(dir / "sweep.json", dir / "out", {"--jobs", "3"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const std::string summary = read_file(dir / "out" / "summary_runs.csv");
  std::string experiments;
  std::istringstream lines(summary);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const std::string name = line.substr(0, line.find(','));
    if (experiments.size() < name.size() ||
        experiments.compare(experiments.size() - name.size() - 1, name.size(), name) != 0) {
      experiments += name + " ";
    }
  }
  CHECK(experiments == "deep ls_a ls_b sharp ls_c sgd ls_d ");
  // meta.json keeps the experiment's own summary lines: what --resume reads back.
  std::ifstream in(dir / "out" / "sgd" / "meta.json");
  const json meta = json::parse(in);
  REQUIRE(meta["summary_rows"]["runs"].size() == 2);
  REQUIRE(meta["summary_rows"]["runs_metrics"].size() == 2);
  // Its line of the summary: the row, then its final metrics.
  CHECK_THAT(summary,
             Catch::Contains("\n" + meta["summary_rows"]["runs"][0].get<std::string>() + ","));
}

TEST_CASE("a resumed sweep equals an uninterrupted one and recomputes only what is missing") {
  const auto dir = fresh_temp_dir("parallel", "resume");
  write_file(dir / "sweep.json", kSweep);
  REQUIRE(run_sweep_cli(dir / "sweep.json", dir / "whole", {"--jobs", "1"}).code == 0);
  REQUIRE(run_sweep_cli(dir / "sweep.json", dir / "cut", {"--jobs", "2"}).code == 0);
  // The state an interrupted run leaves: folders committed as each experiment
  // finished (so some are complete), one folder whose meta.json was never
  // moved in (killed while committing), none for the rest, no summaries.
  fs::remove_all(dir / "cut" / "ls_b");
  fs::remove_all(dir / "cut" / "ls_d");
  fs::remove(dir / "cut" / "sgd" / "meta.json");
  fs::remove(dir / "cut" / "summary_runs.csv");
  fs::remove(dir / "cut" / "summary_comparisons.csv");
  const auto stamp = fs::last_write_time(dir / "cut" / "deep" / "meta.json");

  const CliResult r = run_sweep_cli(dir / "sweep.json", dir / "cut", {"--resume", "--jobs", "2"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(experiments_run(r) == "ls_b sgd ls_d ");
  CHECK_THAT(r.out, Catch::Contains("resumed: 4 experiment(s) complete"));
  CHECK(fs::last_write_time(dir / "cut" / "deep" / "meta.json") == stamp);
  const auto diffs = folder_differences(dir / "whole", dir / "cut");
  INFO(fmt::format("{}", fmt::join(diffs, "\n")));
  CHECK(diffs.empty());
}

TEST_CASE("resume runs an experiment again when its spec changed since its folder was written") {
  const auto dir = fresh_temp_dir("parallel", "resume_changed");
  write_file(dir / "sweep.json", kSweep);
  REQUIRE(run_sweep_cli(dir / "sweep.json", dir / "out", {"--jobs", "2"}).code == 0);
  std::string changed = kSweep;
  const std::string before = R"("name": "ls_a", "seed": 2)";
  changed.replace(changed.find(before), before.size(), R"("name": "ls_a", "seed": 9)");
  write_file(dir / "sweep.json", changed);  // the same file, edited
  const CliResult r = run_sweep_cli(dir / "sweep.json", dir / "out", {"--resume"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(experiments_run(r) == "ls_a ");
  REQUIRE(run_sweep_cli(dir / "sweep.json", dir / "fresh", {"--jobs", "1"}).code == 0);
  const auto diffs = folder_differences(dir / "fresh", dir / "out");
  INFO(fmt::format("{}", fmt::join(diffs, "\n")));
  CHECK(diffs.empty());
}

TEST_CASE("resume runs an experiment again when its meta.json is not one gradflow wrote") {
  const auto dir = fresh_temp_dir("parallel", "resume_foreign");
  write_file(dir / "sweep.json", kSweep);
  REQUIRE(run_sweep_cli(dir / "sweep.json", dir / "whole", {"--jobs", "1"}).code == 0);
  REQUIRE(run_sweep_cli(dir / "sweep.json", dir / "out", {"--jobs", "2"}).code == 0);
  write_file(dir / "out" / "ls_b" / "meta.json", R"({"status": 3})");  // a wrong type
  write_file(dir / "out" / "ls_c" / "meta.json", "{ not json");
  fs::remove(dir / "out" / "sgd" / "gd.csv");  // a listed file missing
  const CliResult r = run_sweep_cli(dir / "sweep.json", dir / "out", {"--resume"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(experiments_run(r) == "ls_b ls_c sgd ");
  const auto diffs = folder_differences(dir / "whole", dir / "out");
  INFO(fmt::format("{}", fmt::join(diffs, "\n")));
  CHECK(diffs.empty());
}

TEST_CASE("a failing experiment is named, the others finish, and the exit status is not zero") {
  const auto dir = fresh_temp_dir("parallel", "failing");
  write_file(dir / "sweep.json", kSweep);
  // A file where experiment ls_c's folder must go: its files cannot be moved
  // into place, found only after it ran.
  fs::create_directories(dir / "out");
  write_file(dir / "out" / "ls_c", "in the way\n");
  const CliResult r = run_sweep_cli(dir / "sweep.json", dir / "out", {"--jobs", "2"});
  INFO(r.out << r.err);
  CHECK(r.code == 2);  // output that cannot be written is the input's problem
  CHECK_THAT(r.err, Catch::Contains("a file of that name is in the way"));
  CHECK(read_file(dir / "out" / "ls_c") == "in the way\n");
  CHECK_THAT(r.err, Catch::Contains("experiment \"ls_c\" failed"));
  CHECK_THAT(r.err, Catch::Contains("1 of 7 experiment(s) failed"));
  for (const char* name : {"deep", "ls_a", "ls_b", "sharp", "sgd", "ls_d"}) {
    CHECK(fs::exists(dir / "out" / name / "meta.json"));
  }
  const std::string summary = read_file(dir / "out" / "summary_runs.csv");
  // Its numbers and final metrics all empty.
  const auto failed = summary.find("ls_c,gd,euler,failed,,,,,");
  REQUIRE(failed != std::string::npos);
  const std::string rest = summary.substr(failed + 25, summary.find('\n', failed) - failed - 25);
  CHECK(rest.find_first_not_of(',') == std::string::npos);
  CHECK_THAT(summary, Catch::Contains("ls_d,gd,euler,completed,"));
  // Nothing of the failed unit is left staged.
  for (const auto& e : fs::directory_iterator(dir / "out")) {
    CHECK(e.path().filename().string().rfind(".gradflow-staging", 0) != 0);
  }
}

TEST_CASE("the pool runs every unit once and delivers them in index order") {
  for (unsigned jobs : {1U, 2U, 3U, 8U}) {
    const std::size_t count = 40;
    std::vector<std::atomic<int>> runs(count);
    std::vector<std::size_t> delivered;
    std::atomic<int> active{0}, most{0};
    gradflow::run_in_order(
        count, jobs,
        [&](std::size_t i) {
          const int now = ++active;
          int seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {}
          // Later units are shorter: with threads they finish out of order.
          std::this_thread::sleep_for(std::chrono::microseconds(200 * (count - i)));
          ++runs[i];
          --active;
        },
        [&](std::size_t i) { delivered.push_back(i); });
    INFO("jobs " << jobs);
    for (std::size_t i = 0; i < count; ++i) CHECK(runs[i] == 1);
    std::vector<std::size_t> expected(count);
    for (std::size_t i = 0; i < count; ++i) expected[i] = i;
    CHECK(delivered == expected);
    CHECK(most.load() <= static_cast<int>(jobs));
    if (jobs > 1) CHECK(most.load() > 1);
  }
}
