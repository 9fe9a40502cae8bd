// The linear network through the gradflow command where the end-to-end matrix
// is rank-deficient: Saxe's oracle on a mode whose target singular value is
// zero, the refusal of a start with no component on such a mode, and the
// end-to-end flow from a rank-one start against the layers' own product.

#include "cli/command.hpp"
#include "io/npy.hpp"

#include "cli_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

using namespace gradflow;
namespace fs = std::filesystem;
using gradflow::testing::check_refused;
using gradflow::testing::CliResult;
using gradflow::testing::gradflow_cli;
using gradflow::testing::read_file;
using gradflow::testing::write_file;

namespace {

fs::path temp_dir(const std::string& name) {
  return testing::fresh_temp_dir("linear_network_cli", name);
}

// Every column of a CSV written by gradflow, by header name.
std::map<std::string, std::vector<double>> csv_columns(const fs::path& file) {
  std::istringstream in(read_file(file));
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> names;
  std::istringstream header(line);
  while (std::getline(header, cell, ',')) names.push_back(cell);
  std::map<std::string, std::vector<double>> columns;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    for (std::size_t c = 0; std::getline(row, cell, ','); ++c)
      columns[names.at(c)].push_back(std::stod(cell));
  }
  return columns;
}

// Four whitened inputs (XXᵀ/n = I) and targets with YXᵀ/n = (2, 1)ᵀ(1, 0):
// rank one, s_1 = √5 and s_2 = 0.
void write_null_mode_data(const fs::path& dir) {
  write_file(dir / "X.csv", "1,1\n1,-1\n-1,1\n-1,-1\n");
  write_file(dir / "Y.csv", "2,1\n2,1\n-2,-1\n-2,-1\n");
}

std::string saxe_spec(const std::string& init) {
  return R"({
  "seed": 1,
  "data": {"kind": "files", "x": "X.csv", "y": "Y.csv"},
  "model": {"kind": "linear_network", "hidden": [2], "saxe_oracle": true},
  "init": )" +
         init + R"(,
  "t_end": 2.0,
  "sample": {"kind": "linear", "count": 21},
  "runs": [{"name": "e2e", "flow": "end_to_end", "integrator": "dopri5", "rtol": 1e-12, "atol": 1e-14}]
})";
}

}  // namespace

TEST_CASE("Saxe's oracle is finite and exact on a mode where YXᵀ/n has a zero singular value") {
  const fs::path dir = temp_dir("saxe_null");
  write_null_mode_data(dir);
  write_file(dir / "spec.json", saxe_spec(R"({"kind": "aligned", "scale": 0.03})"));
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto c = csv_columns(dir / "out" / "spec" / "e2e.csv");
  const auto& t = c["t"];
  REQUIRE(t.size() == 21);
  const double u0 = 0.03, s1 = std::sqrt(5.0);
  double worst_gap = 0.0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    INFO("t = " << t[k] << ", saxe_u_1 = " << c["saxe_u_1"][k]
                << ", saxe_u_2 = " << c["saxe_u_2"][k]);
    // The null mode obeys u̇ = −2u², so u = u0/(1 + 2u0 t); the strong mode the
    // logistic, here in the textbook form (safe for s = √5). Both are closed
    // forms evaluated in double: agreement to a few ulps, 1e-14 relative.
    CHECK(c["saxe_u_2"][k] == Approx(u0 / (1.0 + 2.0 * u0 * t[k])).epsilon(1e-14));
    CHECK(c["saxe_u_1"][k] ==
          Approx(s1 / (1.0 + (s1 / u0 - 1.0) * std::exp(-2.0 * s1 * t[k]))).epsilon(1e-14));
    REQUIRE(std::isfinite(c["saxe_gap"][k]));
    worst_gap = std::max(worst_gap, c["saxe_gap"][k] / c["e2e_norm"][k]);
  }
  // The flow's own singular values follow the oracle: rtol 1e-12 per step over
  // ~10² steps, amplified by the sigmoid's growth s/u0 ≈ 75 at most.
  INFO("worst saxe_gap / ‖W‖ = " << worst_gap);
  CHECK(worst_gap <= 1e-9);
}

TEST_CASE(
    "a start from files with no component on a null mode is refused for u0 = 0, not for "
    "misalignment") {
  const fs::path dir = temp_dir("saxe_refused");
  write_null_mode_data(dir);
  // Layers whose product is 0.03·u_1v_1ᵀ, u_1 = (2, 1)/√5, v_1 = (1, 0): aligned
  // with YXᵀ/n, but u0_2 = u_2ᵀW(0)v_2 = 0 on the null mode.
  const double r = std::sqrt(0.03);
  Eigen::MatrixXd W1 = Eigen::MatrixXd::Zero(2, 2), W2 = Eigen::MatrixXd::Zero(2, 2);
  W1(0, 0) = r;
  W2(0, 0) = 2.0 * r / std::sqrt(5.0);
  W2(1, 0) = r / std::sqrt(5.0);
  write_file(dir / "W1.npy", npy_bytes(W1));
  write_file(dir / "W2.npy", npy_bytes(W2));
  const std::string spec = saxe_spec(R"({"kind": "file", "layers": ["W1.npy", "W2.npy"]})");
  check_refused(dir, spec, "key 'model.saxe_oracle'");
  check_refused(dir, spec, "u0_2 = 0");
  check_refused(dir, spec, "null mode");
  write_file(dir / "spec.json", spec);
  const CliResult again =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  CHECK_THAT(again.err, !Catch::Contains("misalignment"));
}

TEST_CASE(
    "from balanced rank-one starts at depths 3 and 4 the end-to-end flow follows the layers' "
    "product") {
  // Hidden width 1: the layers' product is rank one for all t by construction,
  // and the per-layer field is a polynomial, smooth everywhere. The end-to-end
  // flow from the same rank-one W(0) must stay on rank one and agree with it.
  const fs::path dir = temp_dir("rank_one");
  const double rtol = 1e-10;
  write_file(dir / "spec.json", R"({
  "seed": 2,
  "data": {"kind": "sine", "samples": 50, "inputs": 6, "outputs": 3},
  "model": {"kind": "linear_network", "hidden": [1, 1]},
  "init": {"kind": "balanced", "scale": 1.0},
  "t_end": 10.0,
  "sample": {"kind": "grid", "spacing": 0.5},
  "runs": [{"name": "gf", "flow": "layers", "integrator": "dopri5", "rtol": 1e-10, "atol": 1e-12},
           {"name": "e2e", "flow": "end_to_end", "integrator": "dopri5", "rtol": 1e-10, "atol": 1e-12}],
  "experiments": [{"name": "depth3"}, {"name": "depth4", "model": {"hidden": [1, 1, 1]}}]
})");
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (const char* depth : {"depth3", "depth4"}) {
    INFO(depth);
    auto gf = csv_columns(dir / "out" / depth / "gf.csv");
    auto cmp = csv_columns(dir / "out" / depth / "compare_gf_vs_e2e.csv");
    const auto& dist = cmp["e2e_dist"];
    REQUIRE(dist.size() == gf["e2e_norm"].size());
    double worst = 0.0;
    for (std::size_t k = 0; k < dist.size(); ++k)
      worst = std::max(worst, dist[k] / gf["e2e_norm"][k]);
    INFO("worst relative gap " << worst << " = " << worst / rtol << " rtol");
    // Two dopri5 solutions of one smooth flow at rtol 1e-10, each with a global
    // error of about rtol over the horizon (the loss converges, nothing is
    // amplified): full-rank starts measure 0.5 rtol (test_end_to_end_flow.cpp),
    // these 0.1-0.3 rtol (700 and 4 000 rtol before the rank was kept).
    CHECK(worst <= 10.0 * rtol);
    // And at a cost like the layers': the field is smooth, so the controller
    // needs no more steps (measured 1.1x; before: 4x at depth 3, 22x at depth 4).
    const auto meta = nlohmann::json::parse(read_file(dir / "out" / depth / "meta.json"));
    const double layers_evals = meta["runs"][0]["field_evaluations"].get<double>();
    const double e2e_evals = meta["runs"][1]["field_evaluations"].get<double>();
    INFO("field evaluations: layers " << layers_evals << ", e2e " << e2e_evals);
    CHECK(e2e_evals <= 2.0 * layers_evals);
  }
}
