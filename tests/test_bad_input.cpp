// Malformed specs and data files from an outside audit: each is refused by
// both `check` and `run` with exit status 2, a message naming the file and the
// key at fault, and no output folder. Before these fixes each of them crashed
// (stack overflow), exited 1 as an "internal error", named the wrong key or
// was silently accepted.

#include "cli_support.hpp"
#include "io/csv.hpp"
#include "io/npy.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <limits>
#include <regex>
#include <string>
#include <vector>

using namespace gradflow::testing;

namespace {

// A small, valid experiment: `extra` adds or replaces top-level keys.
std::string least_squares_spec(const std::string& extra = "",
                               const std::string& runs = R"([{"name": "gf"}])") {
  return R"({"seed": 1, "data": {"kind": "sine", "samples": 12, "inputs": 3},
             "model": {"kind": "least_squares"}, "init": {"kind": "gaussian", "std": 1.0},
             "t_end": 1, "sample": {"kind": "linear", "count": 3}, )" +
         extra + R"("runs": )" + runs + "}";
}

// `check` and `run` both exit 2 with every one of `expected` in the message,
// and `run` leaves no output folder behind.
void refused_by_check_and_run(const std::filesystem::path& dir, const std::string& spec,
                              const std::vector<std::string>& expected) {
  write_file(dir / "spec.json", spec);
  const CliResult checked = gradflow_cli({"check", (dir / "spec.json").string()});
  INFO("check: " << checked.err);
  CHECK(checked.code == 2);
  for (const auto& e : expected) CHECK_THAT(checked.err, Catch::Contains(e));
  for (const auto& e : expected) check_refused(dir, spec, e);
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

}  // namespace

TEST_CASE("a spec nested 100 000 levels deep inside data is refused by its depth before any copy") {
  const auto dir = fresh_temp_dir("bad_input", "deep_data");
  const std::string spec =
      R"({"data": {"kind": "sine", "deep": )" + nested_arrays(1'000'000) +
      R"(}, "model": {"kind": "least_squares"}, "init": {"kind": "point", "value": 0},
                           "t_end": 1, "runs": [{}]})";
  refused_by_check_and_run(dir, spec, {"spec.json: key 'data.deep", "nested more than 64 levels"});
}

TEST_CASE("a deeply nested experiment override is refused by its depth") {
  const auto dir = fresh_temp_dir("bad_input", "deep_experiment");
  const std::string spec = least_squares_spec(R"("experiments": [{"name": "a", "model": {"x": )" +
                                              nested_arrays(1'000'000) + "}}], ");
  refused_by_check_and_run(dir, spec,
                           {"key 'experiments[0].model.x", "nested more than 64 levels"});
}

TEST_CASE("a spec nested exactly as deep as the limit is still read") {
  const auto dir = fresh_temp_dir("bad_input", "deep_ok");
  // 64 levels in all: the top object, data and 62 arrays (refused later as an
  // unknown key, not for its depth).
  write_file(dir / "spec.json", least_squares_spec(R"("junk": )" + nested_arrays(62) + ", "));
  const CliResult r = gradflow_cli({"check", (dir / "spec.json").string()});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("key 'junk': unknown key"));
}

TEST_CASE("a number that overflows a double is refused naming its key") {
  const auto dir = fresh_temp_dir("bad_input", "overflow_number");
  refused_by_check_and_run(dir, least_squares_spec(R"("stop": {"max_abs_state": 1e999}, )"),
                           {"spec.json: key 'stop.max_abs_state'", "out of the range of a double"});
}

TEST_CASE("a data path that is a directory is refused naming the spec key") {
  const auto dir = fresh_temp_dir("bad_input", "data_directory");
  std::filesystem::create_directories(dir / "x.npy");
  write_file(dir / "y.csv", "1\n2\n");
  refused_by_check_and_run(dir, R"({"data": {"kind": "files", "x": "x.npy", "y": "y.csv"},
      "model": {"kind": "least_squares"}, "init": {"kind": "point", "value": 0}, "t_end": 1, "runs": [{}]})",
                           {"spec.json: key 'data.x'", "is a directory"});
}

TEST_CASE("a hidden width beyond memory is refused as bad input naming the experiment") {
  const auto dir = fresh_temp_dir("bad_input", "huge_width");
  refused_by_check_and_run(
      dir,
      R"({"name": "huge", "data": {"kind": "sine", "samples": 12, "inputs": 3},
      "model": {"kind": "linear_network", "hidden": [4000000000]}, "init": {"kind": "gaussian"},
      "t_end": 1, "runs": [{}]})",
      {"spec.json: key 'model.hidden'", "experiment \"huge\"", "does not fit in memory", "GiB"});
}

TEST_CASE("a depth of 2^32 + 1 layers is refused by its memory before the layers are listed") {
  const auto dir = fresh_temp_dir("bad_input", "huge_depth");
  refused_by_check_and_run(dir, R"({"data": {"kind": "sine", "samples": 12, "inputs": 3},
      "model": {"kind": "linear_network", "depth": 4294967297, "width": 8},
      "init": {"kind": "gaussian"}, "t_end": 1, "runs": [{}]})",
                           {"spec.json: key 'model.depth'", "depth 4294967297 and width 8",
                            "does not fit in memory", "max_memory_gib"});
}

TEST_CASE("an ensemble of 2^32 + 1 members is refused by its memory before any member is built") {
  const auto dir = fresh_temp_dir("bad_input", "huge_ensemble");
  refused_by_check_and_run(
      dir,
      least_squares_spec(
          "", R"([{"integrator": "euler", "eta": 0.01, "ensemble": {"size": 4294967297}}])"),
      {"spec.json: key 'runs[0].ensemble.size'", "an ensemble of 4294967297 members",
       "does not fit in memory"});
}

TEST_CASE("a run whose records exceed max_memory_gib is refused with the estimate and the limit") {
  const auto dir = fresh_temp_dir("bad_input", "memory_limit");
  // 12 samples, 3 inputs: least squares has dim 3; 1 000 001 records of 3
  // entries and 32 columns are 0.26 GiB; with states written, three copies.
  const std::string records = R"("sample": {"kind": "linear", "count": 1000001}, )";
  std::string spec = least_squares_spec(R"("max_memory_gib": 0.25, )");
  spec.replace(spec.find(R"("sample")"),
               std::string(R"("sample": {"kind": "linear", "count": 3}, )").size(), records);
  refused_by_check_and_run(dir, spec,
                           {"spec.json: key 'sample'", "1000001 records of 3 entries",
                            "more than the limit of 0.25 GiB"});
  std::string raised = spec;
  raised.replace(raised.find("0.25"), 4, "0.50");
  write_file(dir / "raised.json", raised);
  CHECK(gradflow_cli({"check", (dir / "raised.json").string()}).code == 0);
  refused_by_check_and_run(dir, least_squares_spec(R"("max_memory_gib": -1, )"),
                           {"spec.json: key 'max_memory_gib'", "got -1"});
}

TEST_CASE("a relative tolerance below round-off or of 1 and more is refused naming rtol") {
  // Before: rtol 1e-300 ran dopri5 into NaN at its first step ("diverged at
  // t = -nan"), rtol 1e308 "completed" with a loss of 8e21.
  const auto dir = fresh_temp_dir("bad_input", "rtol");
  for (const char* rtol : {"1e-300", "1e-17", "1", "1e308"}) {
    INFO(rtol);
    refused_by_check_and_run(
        dir, least_squares_spec("", std::string(R"([{"name": "gf", "rtol": )") + rtol + "}]"),
        {"spec.json: key 'runs[0].rtol'", "expected a relative tolerance in [2.22e-16, 1)"});
  }
  write_file(dir / "ok.json", least_squares_spec("", R"([{"name": "gf", "rtol": 1e-15}])"));
  CHECK(gradflow_cli({"check", (dir / "ok.json").string()}).code == 0);
}

TEST_CASE("a relative step that overflows is refused before any run naming eta_over_stability") {
  const auto dir = fresh_temp_dir("bad_input", "eta_overflow");
  refused_by_check_and_run(
      dir, least_squares_spec("", R"([{"integrator": "euler", "eta_over_stability": 1e308}])"),
      {"spec.json: key 'runs[0].eta_over_stability'", "overflows a double"});
}

TEST_CASE("a start that overflows through the layers is refused by check naming init") {
  const auto dir = fresh_temp_dir("bad_input", "init_overflow");
  refused_by_check_and_run(dir, R"({"data": {"kind": "sine", "samples": 12, "inputs": 3},
      "model": {"kind": "linear_network", "hidden": [4]}, "init": {"kind": "gaussian", "std": 1e308},
      "t_end": 1, "runs": [{}]})",
                           {"spec.json: key 'init'", "expected finite numbers"});
}

TEST_CASE("a csv file starting with a byte-order mark keeps its first row") {
  const auto dir = fresh_temp_dir("bad_input", "csv_bom");
  write_file(dir / "x.csv",
             "\xEF\xBB\xBF"
             "1,2\n3,4\n5,6\n");
  const Eigen::MatrixXd m = gradflow::read_csv_matrix((dir / "x.csv").string());
  REQUIRE(m.rows() == 3);
  CHECK(m(0, 0) == 1.0);
  CHECK(m(0, 1) == 2.0);
  // With a real header behind the mark, the header alone is skipped.
  write_file(dir / "h.csv",
             "\xEF\xBB\xBF"
             "a,b\n3,4\n");
  CHECK(gradflow::read_csv_matrix((dir / "h.csv").string()).rows() == 1);
}

TEST_CASE(
    "a first csv row with a number and a text cell is refused instead of dropped as a header") {
  const auto dir = fresh_temp_dir("bad_input", "csv_header");
  write_file(dir / "x.csv", "1,abc\n3,4\n");
  CHECK_THROWS_WITH(gradflow::read_csv_matrix((dir / "x.csv").string()),
                    Catch::Contains("line 1, column 2: 'abc' is not a number"));
  write_file(dir / "y.csv", "x1,x2\n3,4\n");
  CHECK(gradflow::read_csv_matrix((dir / "y.csv").string()).rows() == 1);
}

TEST_CASE("a key written twice in one object is refused naming the key") {
  const auto dir = fresh_temp_dir("bad_input", "duplicate_key");
  refused_by_check_and_run(dir, least_squares_spec(R"("seed": 2, )"),
                           {"spec.json: key 'seed'", "written twice"});
  refused_by_check_and_run(dir, R"({"data": {"kind": "sine", "samples": 12, "samples": 13},
      "model": {"kind": "least_squares"}, "init": {"kind": "point", "value": 0}, "t_end": 1, "runs": [{}]})",
                           {"spec.json: key 'data.samples'", "written twice"});
  refused_by_check_and_run(
      dir, least_squares_spec("", R"([{"name": "a"}, {"name": "b", "rtol": 1e-6, "rtol": 1e-7}])"),
      {"spec.json: key 'runs[1].rtol'", "written twice"});
}

TEST_CASE("run names that would break the summary csv or a file name are refused") {
  const auto dir = fresh_temp_dir("bad_input", "unsafe_run_names");
  refused_by_check_and_run(
      dir, least_squares_spec("", R"([{"name": "a,b"}])"),
      {"spec.json: key 'runs[0].name'", "character 2 (counted from 1) is ','"});
  refused_by_check_and_run(dir, least_squares_spec("", R"([{"name": "a\nb"}])"),
                           {"key 'runs[0].name'", "the byte 0x0a"});
  refused_by_check_and_run(dir, least_squares_spec("", R"([{"name": "a\u0000b"}])"),
                           {"key 'runs[0].name'", "the byte 0x00"});
  refused_by_check_and_run(
      dir, least_squares_spec("", R"([{"name": ")" + std::string(300, 'a') + R"("}])"),
      {"key 'runs[0].name'", "300 bytes long, more than 200"});
  refused_by_check_and_run(dir, least_squares_spec("", R"([{"name": ".."}])"),
                           {"key 'runs[0].name'", "names a directory"});
}

TEST_CASE("clashing output files are refused before any work") {
  const auto dir = fresh_temp_dir("bad_input", "clashing_outputs");
  const std::string two = R"([{"name": "a"}, {"name": "b", "integrator": "rk4", "dt": 0.5}])";
  refused_by_check_and_run(
      dir, least_squares_spec(R"("compare": [["a", "b"], ["a", "b"]], )", two),
      {"spec.json: key 'compare[1]'", "compare_a_vs_b.csv", "also written for 'compare[0]'"});
  refused_by_check_and_run(
      dir, least_squares_spec("", R"([{"name": "a"}, {"name": "b", "integrator": "rk4", "dt": 0.5},
                                     {"name": "compare_a_vs_b", "integrator": "rk4", "dt": 0.25}])"),
      {"compare_a_vs_b.csv", "also written for 'runs[2].name'"});
  // Two names of 200 bytes make a comparison file of 416 bytes.
  const std::string longest(200, 'x'), other(200, 'y');
  refused_by_check_and_run(
      dir,
      least_squares_spec("", R"([{"name": ")" + longest + R"("}, {"name": ")" + other +
                                 R"(", "integrator": "rk4", "dt": 0.5}])"),
      {"key 'compare'", "416 bytes long, more than 255"});
}

TEST_CASE(
    "experiment names that clash with the summary files or leave the output folder are refused") {
  const auto dir = fresh_temp_dir("bad_input", "experiment_names");
  refused_by_check_and_run(dir,
                           least_squares_spec(R"("experiments": [{"name": "summary_runs.csv"}], )"),
                           {"key 'experiments[0].name'", "summary file"});
  refused_by_check_and_run(dir, least_squares_spec(R"("experiments": [{"name": ".."}], )"),
                           {"key 'experiments[0].name'", "names a directory"});
  refused_by_check_and_run(dir, least_squares_spec(R"("experiments": [{"name": "a b"}], )"),
                           {"key 'experiments[0].name'", "character 2 (counted from 1) is ' '"});
}

TEST_CASE(
    "an error in an experiment's override names the experiment's key, not the top-level one") {
  const auto dir = fresh_temp_dir("bad_input", "experiment_keys");
  const std::string linear = R"({"data": {"kind": "sine", "samples": 12, "inputs": 3},
      "model": {"kind": "linear_network", "hidden": [4]}, "init": {"kind": "gaussian"}, "t_end": 1,
      "runs": [{}], "experiments": [{"name": "fine"}, )";
  refused_by_check_and_run(dir, linear + R"({"name": "zero", "model": {"hidden": [0]}}]})",
                           {"spec.json: key 'experiments[1].model.hidden[0]' (experiment \"zero\")",
                            "got the number 0"});
  refused_by_check_and_run(dir, linear + R"({"name": "slow", "runs": [{"rtol": -1}]}]})",
                           {"key 'experiments[1].runs[0].rtol' (experiment \"slow\")"});
  // A top-level key that only one experiment's other keys make wrong keeps its
  // name, and the message says which experiment read it.
  refused_by_check_and_run(dir, R"({"data": {"kind": "sine", "samples": 12, "inputs": 3},
      "model": {"kind": "least_squares"}, "init": {"kind": "point", "value": 0}, "t_end": 1,
      "runs": [{"integrator": "rk4", "dt": 0.5}], "experiments": [{"name": "odd", "t_end": 1.25}]})",
                           {"key 'runs[0].dt'", "read for experiment \"odd\", experiments[0]"});
}

TEST_CASE("a sample count beyond 32 bits is reported as written, not narrowed") {
  const auto dir = fresh_temp_dir("bad_input", "sample_count");
  refused_by_check_and_run(
      dir,
      std::regex_replace(least_squares_spec(), std::regex("\"count\": 3"), "\"count\": 4294967297"),
      {"key 'sample.count'", "got 4294967297"});
}

TEST_CASE("sine targets that overflow name data.noise_std") {
  const auto dir = fresh_temp_dir("bad_input", "noise_overflow");
  refused_by_check_and_run(
      dir, R"({"data": {"kind": "sine", "samples": 12, "inputs": 3, "noise_std": 1e308},
      "model": {"kind": "least_squares"}, "init": {"kind": "point", "value": 0}, "t_end": 1, "runs": [{}]})",
      {"spec.json: key 'data.noise_std'", "overflows a double"});
}

TEST_CASE("data file errors name the spec key, and NaN the first row and column holding it") {
  const auto dir = fresh_temp_dir("bad_input", "data_file_keys");
  write_file(dir / "x.csv", "1,2\nthree,4\n");
  Eigen::MatrixXd y(2, 1);
  y << 1.0, std::numeric_limits<double>::quiet_NaN();
  write_file(dir / "y.npy", gradflow::npy_bytes(y));
  write_file(dir / "x_ok.csv", "1,2\n3,4\n");
  const std::string spec =
      R"({"data": {"kind": "files", "x": "X", "y": "y.npy"}, "model": {"kind": "least_squares"},
      "init": {"kind": "point", "value": 0}, "t_end": 1, "runs": [{}]})";
  refused_by_check_and_run(
      dir, std::regex_replace(spec, std::regex("\"X\""), "\"x.csv\""),
      {"spec.json: key 'data.x'", "x.csv: line 2, column 1: 'three' is not a number"});
  refused_by_check_and_run(dir, std::regex_replace(spec, std::regex("\"X\""), "\"x_ok.csv\""),
                           {"spec.json: key 'data.y'",
                            "y.npy: contains NaN or Inf: row 2, column 1 (counted from 1) is nan"});
}

TEST_CASE("a comparison of runs that diverged at once says it compared the start alone") {
  const auto dir = fresh_temp_dir("bad_input", "diverged_comparison");
  // θ = 1e200: the loss ½‖Xθ − y‖² overflows, so both runs stop after one step.
  write_file(dir / "spec.json", R"({"data": {"kind": "sine", "samples": 12, "inputs": 3},
      "model": {"kind": "least_squares"}, "init": {"kind": "point", "value": 1e200}, "t_end": 1,
      "sample": {"kind": "linear", "count": 3},
      "runs": [{"name": "gf"}, {"name": "gd", "integrator": "euler", "eta": 0.5}]})");
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("gf vs gd: 1 matched times in [0, 0]"));
}

TEST_CASE(
    "an experiment named after a spec file with spaces gets a safe name instead of a refusal") {
  const auto dir = fresh_temp_dir("bad_input", "spaced_file_name");
  write_file(dir / "my first run.json", least_squares_spec());
  const auto out = dir / "out";
  const CliResult r =
      gradflow_cli({"run", (dir / "my first run.json").string(), "--out", out.string()});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(std::filesystem::exists(out / "my_first_run" / "meta.json"));
}
