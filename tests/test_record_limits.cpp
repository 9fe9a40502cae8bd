// What a run keeps of its states on disk: record.final_state (the last state
// only), record.max_records (the states thinned, first and last kept) and the
// warning before a run writes more states than warn_states_gib.

#include "cli/experiment.hpp"
#include "cli/resource_estimate.hpp"
#include "cli_support.hpp"
#include "io/npy.hpp"
#include "io/spec.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

using namespace gradflow;
using namespace gradflow::testing;

namespace {

// A linear network (dim 20) with a flow run and a GD run recording 301 times.
std::string spec_text(const std::string& record, const std::string& extra = "") {
  return R"({"seed": 3, "data": {"kind": "sine", "samples": 12, "inputs": 3, "outputs": 2},
    "model": {"kind": "linear_network", "hidden": [4]}, "init": {"kind": "gaussian", "std": 0.5},
    "t_end": 3, "sample": {"kind": "grid", "spacing": 0.01}, "record": )" +
         record + ", " + extra +
         R"("runs": [{"name": "gf"}, {"name": "gd", "integrator": "euler", "eta": 0.01}]})";
}

std::filesystem::path run_spec(const std::filesystem::path& dir, const std::string& spec,
                               std::string* log = nullptr) {
  write_file(dir / "spec.json", spec);
  const auto out = dir / "out";
  std::filesystem::remove_all(out);
  const CliResult r = gradflow_cli({"run", (dir / "spec.json").string(), "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  if (log != nullptr) *log = r.out + r.err;
  return out / "spec";
}

nlohmann::json meta_of(const std::filesystem::path& folder) {
  return nlohmann::json::parse(read_file(folder / "meta.json"));
}

}  // namespace

TEST_CASE("the final state file is the last row of the full states record bit for bit") {
  const auto dir = fresh_temp_dir("record_limits", "final_state");
  const auto folder = run_spec(dir, spec_text(R"({"states": true, "final_state": true})"));
  for (const std::string run : {"gf", "gd"}) {
    const Eigen::MatrixXd all = read_npy((folder / (run + ".states.npy")).string()).values;
    const NpyArray last = read_npy((folder / (run + ".final_state.npy")).string());
    REQUIRE(all.rows() == 301);
    REQUIRE(last.values.rows() == 1);
    REQUIRE(last.values.cols() == all.cols());
    CHECK_FALSE(last.one_dimensional);
    // Bit for bit: the same double, not a close one.
    for (Eigen::Index c = 0; c < all.cols(); ++c) CHECK(last.values(0, c) == all(300, c));
    const nlohmann::json runs = meta_of(folder)["runs"];
    const auto& entry = run == "gf" ? runs[0] : runs[1];
    CHECK(entry["final_state"]["file"] == run + ".final_state.npy");
    CHECK(entry["final_state"]["record"] == 300);
  }
}

TEST_CASE("final state alone writes no states file") {
  const auto dir = fresh_temp_dir("record_limits", "final_only");
  const auto folder = run_spec(dir, spec_text(R"({"final_state": true})"));
  CHECK(std::filesystem::exists(folder / "gd.final_state.npy"));
  CHECK_FALSE(std::filesystem::exists(folder / "gd.states.npy"));
}

TEST_CASE("max records thins the states to evenly spread rows keeping the first and the last") {
  const auto dir = fresh_temp_dir("record_limits", "thin");
  const Eigen::MatrixXd full =
      read_npy((run_spec(dir, spec_text(R"({"states": true})")) / "gd.states.npy").string()).values;
  const auto folder = run_spec(dir, spec_text(R"({"states": true, "max_records": 7})"));
  const Eigen::MatrixXd thin = read_npy((folder / "gd.states.npy").string()).values;
  REQUIRE(full.rows() == 301);
  REQUIRE(thin.rows() == 7);
  // Record ⌊j·300/6⌋ = 50·j, an independent statement of the rule.
  for (Eigen::Index j = 0; j < 7; ++j) CHECK(thin.row(j) == full.row(50 * j));
  const nlohmann::json kept = meta_of(folder)["runs"][1]["kept_records"];
  CHECK(kept == nlohmann::json({0, 50, 100, 150, 200, 250, 300}));
  // The series keeps every record.
  CHECK(csv_column(folder / "gd.csv", "t").size() == 301);
}

TEST_CASE("thinned records keep every record when there are no more than asked for") {
  CHECK(thinned_records(5, 0) == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(thinned_records(5, 5) == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(thinned_records(5, 9) == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(thinned_records(10, 2) == std::vector<std::size_t>{0, 9});
  CHECK(thinned_records(10, 4) == std::vector<std::size_t>{0, 3, 6, 9});
}

TEST_CASE("the states warning appears exactly when the estimate exceeds warn_states_gib") {
  const auto dir = fresh_temp_dir("record_limits", "warning");
  const std::string record = R"({"states": true, "max_records": 100, "final_state": true})";
  const PreparedExperiment p =
      prepare_experiment(parse_spec(spec_text(record), "spec.json", ".").front());
  // gf and gd: 100 thinned rows and 1 final row of 20 doubles each.
  const double bytes = experiment_states_bytes(p);
  REQUIRE(bytes == 2.0 * (100.0 + 1.0) * 20.0 * 8.0);
  const double gib = bytes / (1024.0 * 1024.0 * 1024.0);
  for (const double factor : {0.999, 1.001}) {
    INFO("warn_states_gib = estimate × " << factor);
    std::string log;
    const auto folder = run_spec(
        dir, spec_text(record, fmt::format(R"("warn_states_gib": {:.17g}, )", gib * factor)), &log);
    const nlohmann::json meta = meta_of(folder);
    const bool warned = factor < 1.0;
    CHECK((log.find("warn_states_gib") != std::string::npos) == warned);
    CHECK(meta.contains("warnings") == warned);
    if (warned) {
      CHECK_THAT(meta["warnings"][0].get<std::string>(), Catch::Contains("warn_states_gib"));
      CHECK_THAT(meta["warnings"][0].get<std::string>(), Catch::Contains("GiB"));
    }
  }
  // The default, 1 GiB, is far above these 32 kB.
  std::string log;
  const auto folder = run_spec(dir, spec_text(record), &log);
  CHECK(log.find("warn_states_gib") == std::string::npos);
  CHECK_FALSE(meta_of(folder).contains("warnings"));
}

TEST_CASE("bad record limits are refused naming the key") {
  const auto dir = fresh_temp_dir("record_limits", "bad");
  check_refused(dir, spec_text(R"({"states": true, "max_records": 1})"), "record.max_records");
  check_refused(dir, spec_text(R"({"states": true, "max_records": 2.5})"), "record.max_records");
  check_refused(dir, spec_text(R"({"final_state": "yes"})"), "record.final_state");
  check_refused(dir, spec_text(R"({})", R"("warn_states_gib": 0, )"), "warn_states_gib");
  check_refused(dir, spec_text(R"({})", R"("warn_states_gib": "big", )"), "warn_states_gib");
}
