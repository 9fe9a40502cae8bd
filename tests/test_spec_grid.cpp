// Product sweeps ("grid"): expansion order, names, values reaching every key
// (inside runs by name), the merge with "experiments", refusals, and the
// summary table with one column per grid key.
#include "cli_support.hpp"
#include "io/errors.hpp"
#include "io/spec.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

using namespace gradflow;
using namespace gradflow::testing;

namespace {

std::vector<ExperimentSpec> parse(const std::string& text) {
  return parse_spec(text, "spec.json", ".");
}

// A least-squares spec whose `extra` keys are spliced in at the top level.
std::string spec_with(const std::string& extra) {
  return R"({
  "model": {"kind": "linear_network", "depth": 2, "width": 3},
  "data": {"samples": 20, "inputs": 3},
  "init": {"kind": "gaussian"},
  "t_end": 1.0,
  "runs": [{"name": "gd_0.1", "integrator": "euler", "eta": 0.1}, {"integrator": "dopri5"}],
  )" + extra +
         "}";
}

std::string refusal(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

// The CSV's rows split at commas (no cell of these files is quoted).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cell_in(line);
    for (std::string cell; std::getline(cell_in, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace

TEST_CASE("a grid expands to the product with the last key written varying fastest") {
  // "seed" is written before "model.depth": the written order, not the
  // alphabetical one, decides which key varies fastest and how names read.
  const auto specs = parse(spec_with(R"("grid": {"seed": [1, 2], "model.depth": [2, 3, 4]})"));
  REQUIRE(specs.size() == 6);
  const std::vector<std::string> names = {"seed1_depth2", "seed1_depth3", "seed1_depth4",
                                          "seed2_depth2", "seed2_depth3", "seed2_depth4"};
  for (std::size_t i = 0; i < specs.size(); ++i) {
    INFO(i);
    CHECK(specs[i].name == names[i]);
    CHECK(specs[i].seed == 1 + i / 3);
    CHECK(specs[i].model.at("depth") == 2 + static_cast<int>(i % 3));
    REQUIRE(specs[i].grid.size() == 2);
    CHECK(specs[i].grid[0].path == "seed");
    CHECK(specs[i].grid[1].path == "model.depth");
    CHECK(specs[i].grid[1].label == std::to_string(2 + i % 3));
  }
}

TEST_CASE("a grid reaches a key inside a run by the run's name even when the name holds dots") {
  const auto specs =
      parse(spec_with(R"("grid": {"runs.gd_0.1.eta": [0.05, 0.025], "runs.dopri5.rtol": [1e-6]})"));
  REQUIRE(specs.size() == 2);
  CHECK(specs[0].name == "eta0.05_rtol1e-06");
  CHECK(specs[1].name == "eta0.025_rtol1e-06");
  CHECK(specs[0].runs[0].method.dt == 0.05);
  CHECK(specs[1].runs[0].method.dt == 0.025);
  CHECK(specs[1].runs[1].method.rtol == 1e-6);
  CHECK(specs[1].grid[0].key == "runs[0].eta");
  CHECK(specs[1].grid[1].key == "runs[1].rtol");
}

TEST_CASE("a grid value may be an array and then reads joined by x in the name") {
  const auto specs =
      parse(spec_with(R"("grid": {"model.hidden": [[4], [4, 4]]}, "max_experiments": 2)"));
  REQUIRE(specs.size() == 2);
  CHECK(specs[1].name == "hidden4x4");
  CHECK(specs[1].model.at("hidden") == nlohmann::json::array({4, 4}));
}

TEST_CASE("a grid combines with experiments as the inner loop over every experiment") {
  const auto specs = parse(spec_with(R"("grid": {"seed": [5, 6]},
    "experiments": [{"name": "wide", "model": {"width": 5}}, {"name": "deep", "model": {"depth": 4}}])"));
  REQUIRE(specs.size() == 4);
  CHECK(specs[0].name == "wide_seed5");
  CHECK(specs[1].name == "wide_seed6");
  CHECK(specs[2].name == "deep_seed5");
  CHECK(specs[3].name == "deep_seed6");
  CHECK(specs[1].model.at("width") == 5);
  CHECK(specs[3].model.at("depth") == 4);
  CHECK(specs[3].seed == 6);
  CHECK(specs[2].origin == "experiments[1]");
}

TEST_CASE("a grid value overrides the same key set by an experiment") {
  const auto specs = parse(spec_with(R"("grid": {"model.width": [7]},
    "experiments": [{"name": "a", "model": {"width": 5}}])"));
  REQUIRE(specs.size() == 1);
  CHECK(specs[0].model.at("width") == 7);
}

TEST_CASE("an unknown top-level grid path is refused naming it and listing the valid keys") {
  const std::string why = refusal(spec_with(R"("grid": {"modle.depth": [2]})"));
  CHECK_THAT(why, Catch::Contains("key 'grid.modle.depth'"));
  CHECK_THAT(why, Catch::Contains("did you mean \"model\""));
  CHECK_THAT(why, Catch::Contains("valid keys here: compare, data, eta_sweep, experiments, grid"));
}

TEST_CASE("an unknown model key in a grid path is refused by the check listing the model's keys") {
  const auto dir = fresh_temp_dir("grid", "unknown_model_key");
  check_refused(dir, spec_with(R"("grid": {"model.dpeth": [2, 3]})"), "key 'grid.model.dpeth'");
  check_refused(dir, spec_with(R"("grid": {"model.dpeth": [2, 3]})"),
                "(valid keys here: depth, hidden, kind, loss, residual, saxe_oracle, width)");
}

TEST_CASE("a grid path naming no run is refused listing the runs") {
  const std::string why = refusal(spec_with(R"("grid": {"runs.gf.eta": [0.1]})"));
  CHECK_THAT(why, Catch::Contains("key 'grid.runs.gf.eta'"));
  CHECK_THAT(why, Catch::Contains("runs: gd_0.1, dopri5"));
}

TEST_CASE("a grid path through a value that is not an object is refused") {
  CHECK_THAT(refusal(spec_with(R"("grid": {"t_end.x": [1]})")),
             Catch::Contains("key 'grid.t_end.x': 't_end' is the number 1.0, not an object"));
}

TEST_CASE("an empty grid value list is refused") {
  CHECK_THAT(refusal(spec_with(R"("grid": {"seed": []})")),
             Catch::Contains("key 'grid.seed': expected at least one value, got an empty list"));
  CHECK_THAT(refusal(spec_with(R"("grid": {"seed": 3})")),
             Catch::Contains("key 'grid.seed': expected an array of values, got the number 3"));
  CHECK_THAT(refusal(spec_with(R"("grid": {})")),
             Catch::Contains("key 'grid': expected a non-empty object"));
}

TEST_CASE("a grid value listed twice is refused since both experiments would share a name") {
  CHECK_THAT(refusal(spec_with(R"("grid": {"seed": [1, 2, 1]})")),
             Catch::Contains("key 'grid.seed[2]': the value 1 is listed twice"));
}

TEST_CASE("a grid value that is not valid where it lands is refused naming the grid key") {
  CHECK_THAT(refusal(spec_with(R"("grid": {"seed": [1, -1]})")),
             Catch::Contains("key 'grid.seed': at 'seed' (experiment \"seed-1\", value -1): "
                             "expected an integer >= 0, got -1"));
}

TEST_CASE("a grid larger than max_experiments is refused with its count before any work") {
  // 10 × 10 × 10 × 10 × 10 = 100 000 > 10 000 (the default): refused from the
  // list sizes alone, so the message comes at once.
  const std::string ten = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
  const std::string grid = R"("grid": {"seed": )" + ten + R"(, "model.width": )" + ten +
                           R"(, "runs.gd_0.1.eta": )" + ten + R"(, "data.samples": )" + ten +
                           R"(, "data.inputs": )" + ten + "}";
  CHECK_THAT(refusal(spec_with(grid)),
             Catch::Contains("the grid would create 100000 experiments") &&
                 Catch::Contains("more than max_experiments = 10000"));
  // With experiments the count multiplies; max_experiments can be lowered.
  CHECK_THAT(refusal(spec_with(R"("grid": {"seed": [1, 2, 3]}, "max_experiments": 5,
    "experiments": [{"name": "a"}, {"name": "b"}])")),
             Catch::Contains("would create 6 experiments (seed (3) × 2 experiments), more than "
                             "max_experiments = 5"));
  CHECK(parse(spec_with(R"("grid": {"seed": [1, 2, 3]}, "max_experiments": 6,
    "experiments": [{"name": "a"}, {"name": "b"}])"))
            .size() == 6);
  CHECK_THAT(refusal(spec_with(R"("max_experiments": 0, "grid": {"seed": [1]})")),
             Catch::Contains("key 'max_experiments': expected an integer >= 1, got 0"));
}

TEST_CASE(
    "summary_runs.csv of a grid has one column per grid key holding each experiment's value") {
  const auto dir = fresh_temp_dir("grid", "summary");
  write_file(dir / "sweep.json", spec_with(R"("grid": {"model.depth": [2, 3], "seed": [1, 2]})"));
  const CliResult r =
      gradflow_cli({"run", (dir / "sweep.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto rows = csv_rows(read_file(dir / "out" / "summary_runs.csv"));
  REQUIRE(rows.size() == 1 + 4 * 2);  // header, 4 experiments × 2 runs
  const std::vector<std::string>& header = rows[0];
  REQUIRE(header.size() > 11);  // the runs' final metrics follow the grid keys
  CHECK(header[9] == "model.depth");
  CHECK(header[10] == "seed");
  CHECK(header[11].rfind("final_", 0) == 0);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::size_t point = (i - 1) / 2;
    CHECK(rows[i][0] == fmt::format("depth{}_seed{}", 2 + point / 2, 1 + point % 2));
    CHECK(rows[i][9] == std::to_string(2 + point / 2));
    CHECK(rows[i][10] == std::to_string(1 + point % 2));
  }

  // Each grid point is the experiment written out by hand: the same numbers.
  std::string single = spec_with(R"("seed": 2, "name": "by_hand")");
  single.replace(single.find("\"depth\": 2"), 10, "\"depth\": 3");
  write_file(dir / "single.json", single);
  const CliResult s =
      gradflow_cli({"run", (dir / "single.json").string(), "--out", (dir / "one").string(), "-q"});
  REQUIRE(s.code == 0);
  const auto by_hand = csv_rows(read_file(dir / "one" / "summary_runs.csv"));
  REQUIRE(by_hand.size() == 3);
  for (std::size_t run = 0; run < 2; ++run) {
    const auto& grid_row = rows[1 + 3 * 2 + run];  // depth3_seed2
    CHECK(grid_row[0] == "depth3_seed2");
    for (std::size_t c = 1; c < 9; ++c) CHECK(grid_row[c] == by_hand[1 + run][c]);
  }
}

TEST_CASE("a spec without a grid keeps the summary's fixed columns, then the final metrics") {
  const auto dir = fresh_temp_dir("grid", "no_grid");
  write_file(dir / "plain.json", spec_with(R"("seed": 1)"));
  const CliResult r =
      gradflow_cli({"run", (dir / "plain.json").string(), "--out", (dir / "out").string(), "-q"});
  REQUIRE(r.code == 0);
  const auto header = csv_rows(read_file(dir / "out" / "summary_runs.csv"))[0];
  REQUIRE(header.size() > 9);
  CHECK(header[8] == "final_grad_norm");
  CHECK(header[9].rfind("final_", 0) == 0);
}

TEST_CASE(
    "summary_runs.csv holds every run's last recorded metrics, empty where a run does not record "
    "one") {
  const auto dir = fresh_temp_dir("grid", "final_metrics");
  write_file(dir / "sweep.json", spec_with(R"("grid": {"model.depth": [2, 3]})"));
  const CliResult r =
      gradflow_cli({"run", (dir / "sweep.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto rows = csv_rows(read_file(dir / "out" / "summary_runs.csv"));
  REQUIRE(rows.size() == 1 + 2 * 2);
  const std::vector<std::string>& header = rows[0];
  // Each final_<name> cell is the last line of <run>.csv in that column,
  // digit for digit; a column the run's CSV lacks is empty.
  std::size_t compared = 0, empty = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string> row = rows[i];
    row.resize(header.size());  // csv_rows drops trailing empty cells
    const auto run_csv = csv_rows(read_file(dir / "out" / row[0] / (row[1] + ".csv")));
    const std::vector<std::string>& columns = run_csv.front();
    const std::vector<std::string>& last = run_csv.back();
    for (std::size_t c = 10; c < header.size(); ++c) {
      REQUIRE(header[c].rfind("final_", 0) == 0);
      const std::string name = header[c].substr(6);
      const auto at = std::find(columns.begin(), columns.end(), name);
      INFO(row[0] << "/" << row[1] << " " << name);
      if (at == columns.end()) {
        CHECK(row[c].empty());
        ++empty;
      } else {
        CHECK(std::stod(row[c]) == std::stod(last[static_cast<std::size_t>(at - columns.begin())]));
        ++compared;
      }
    }
  }
  // sv_1, e2e_norm, balancedness_1… for both depths; balancedness_2 at depth 3 only.
  CHECK(compared > 10);
  CHECK(empty >= 2);
  CHECK(std::find(header.begin(), header.end(), "final_sv_1") != header.end());
  CHECK(std::find(header.begin(), header.end(), "final_balancedness_2") != header.end());
}
