// The metrics a linear network's runs record for theorists, checked against
// independent computations from the recorded states and data: the singular
// values sv_k of the end-to-end matrix (per-layer flow and GD, from the
// eigenvalues of WWᵀ of the product formed here), and the least-squares
// optimum L* (normal equations for a full-rank network, the limit of a long
// gradient flow for a bottleneck one) with the excess loss column.

#include "cli_support.hpp"

#include "io/matrix_file.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace gradflow;
namespace fs = std::filesystem;

using gradflow::testing::csv_column;

namespace {

Eigen::MatrixXd read_npy(const fs::path& path) { return read_matrix_file(path, "test", "npy"); }

nlohmann::json meta_of(const fs::path& folder) {
  std::ifstream in(folder / "meta.json");
  return nlohmann::json::parse(in);
}

fs::path run_spec(const std::string& scope, const std::string& spec) {
  const auto dir = gradflow::testing::fresh_temp_dir("linear_metrics", scope);
  gradflow::testing::write_file(dir / "spec.json", spec);
  const auto r = gradflow::testing::gradflow_cli(
      {"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  return dir / "out" / "spec";
}

}  // namespace

TEST_CASE("the per-layer flow and GD record the singular values of their end-to-end matrix") {
  const fs::path folder = run_spec("sv", R"({
    "seed": 3,
    "data": {"kind": "sine", "samples": 40, "inputs": 4, "outputs": 3},
    "model": {"kind": "linear_network", "hidden": [5, 2]},
    "init": {"kind": "gaussian", "std": 0.5},
    "t_end": 2,
    "runs": [{"name": "gf", "integrator": "dopri5"}, {"name": "gd", "integrator": "euler", "eta": 0.1}],
    "record": {"states": true}
  })");
  for (const std::string run : {"gf", "gd"}) {
    INFO(run);
    const Eigen::MatrixXd states = read_npy(folder / (run + ".states.npy"));
    std::vector<std::vector<double>> sv;
    for (int k = 1; k <= 3; ++k)
      sv.push_back(csv_column(folder / (run + ".csv"), "sv_" + std::to_string(k)));
    for (Eigen::Index i = 0; i < states.rows(); ++i) {
      const Eigen::VectorXd x = states.row(i).transpose();
      // Layers W1 (5 × 4), W2 (2 × 5), W3 (3 × 2), column-major one after another.
      const Eigen::Map<const Eigen::MatrixXd> W1(x.data(), 5, 4), W2(x.data() + 20, 2, 5),
          W3(x.data() + 30, 3, 2);
      const Eigen::MatrixXd W = W3 * W2 * W1;
      // σ_k² are the eigenvalues of WWᵀ (3 × 3), in descending order.
      Eigen::VectorXd lambda =
          Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(W * W.transpose()).eigenvalues().reverse();
      const double scale = lambda[0];
      for (int k = 0; k < 3; ++k) {
        const double recorded = sv[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)];
        // Both sides carry round-off O(ε·σ_1²) in σ², far below 1e-12·σ_1².
        CHECK(std::abs(recorded * recorded - std::max(0.0, lambda[k])) < 1e-12 * scale);
      }
      // The hidden width 2 bounds the rank: the third singular value is zero.
      CHECK(sv[2][static_cast<std::size_t>(i)] < 1e-12 * std::sqrt(scale));
    }
  }
}

TEST_CASE("L* of a full-rank linear network is the least-squares optimum of the normal equations") {
  const fs::path folder = run_spec("optimum_full", R"({
    "seed": 8,
    "data": {"kind": "sine", "samples": 30, "inputs": 4, "outputs": 2},
    "model": {"kind": "linear_network", "hidden": [6]},
    "init": {"kind": "gaussian", "std": 0.3},
    "t_end": 1,
    "runs": [{"name": "gf", "integrator": "dopri5"}]
  })");
  const Eigen::MatrixXd X = read_npy(folder / "data_X.npy").transpose();  // d0 × n
  const Eigen::MatrixXd Y = read_npy(folder / "data_Y.npy").transpose();  // dN × n
  const double n = static_cast<double>(X.cols());
  // W* = YXᵀ(XXᵀ)⁻¹ from the normal equations, its loss 1/(2n)‖W*X − Y‖².
  const Eigen::MatrixXd W = (X * X.transpose()).ldlt().solve(X * Y.transpose()).transpose();
  const double expected = (W * X - Y).squaredNorm() / (2.0 * n);
  const auto meta = meta_of(folder);
  const double optimal = meta["model_facts"]["optimal_loss"].get<double>();
  // Two factorisations of a well-conditioned 4 × 4 system: round-off ~1e-14.
  CHECK(optimal == Approx(expected).epsilon(1e-10));
  CHECK(meta["model_facts"]["optimal_loss_rank"].get<double>() == 2.0);
  const auto loss = csv_column(folder / "gf.csv", "loss");
  const auto excess = csv_column(folder / "gf.csv", "excess_loss");
  for (std::size_t i = 0; i < loss.size(); ++i) CHECK(excess[i] == loss[i] - optimal);
}

TEST_CASE("L* of a bottleneck linear network is the loss its gradient flow converges to") {
  // Hidden width 1 between 3 inputs and 2 outputs: the best rank-1 fit, not
  // the least-squares solution.
  const fs::path folder = run_spec("optimum_bottleneck", R"({
    "seed": 2,
    "data": {"kind": "sine", "samples": 50, "inputs": 3, "outputs": 2},
    "model": {"kind": "linear_network", "hidden": [1]},
    "init": {"kind": "gaussian", "std": 0.5},
    "t_end": 400,
    "runs": [{"name": "gf", "rtol": 1e-12, "atol": 1e-14}]
  })");
  const auto meta = meta_of(folder);
  const double optimal = meta["model_facts"]["optimal_loss"].get<double>();
  CHECK(meta["model_facts"]["optimal_loss_rank"].get<double>() == 1.0);
  const Eigen::MatrixXd X = read_npy(folder / "data_X.npy").transpose();
  const Eigen::MatrixXd Y = read_npy(folder / "data_Y.npy").transpose();
  const Eigen::MatrixXd W = (X * X.transpose()).ldlt().solve(X * Y.transpose()).transpose();
  const double full_rank = (W * X - Y).squaredNorm() / (2.0 * static_cast<double>(X.cols()));
  CHECK(optimal > full_rank * (1 + 1e-6));  // the bottleneck costs something here
  const auto loss = csv_column(folder / "gf.csv", "loss");
  const auto excess = csv_column(folder / "gf.csv", "excess_loss");
  // Converged (exponentially, at a rate set by the data's spectrum): the
  // excess is at the integrator's tolerance level, rtol·L.
  CHECK(std::abs(excess.back()) < 1e-9 * optimal);
  CHECK(excess.back() == loss.back() - optimal);
  for (double e : excess) CHECK(e > -1e-12 * optimal);  // nothing beats the optimum
}
