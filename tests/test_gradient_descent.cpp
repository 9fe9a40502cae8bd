#include "core/diagnostics.hpp"
#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/linear_network.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

using namespace gradflow;
using gradflow::testing::random_dataset;

TEST_CASE("gradient descent iterates equal a plain loop, each at t = k eta") {
  const Dataset data = random_dataset(6, 2, 25, 21);
  const LinearNetwork net(data, {.widths = {6, 4, 3, 2}});
  Rng rng(3);
  const Eigen::VectorXd x0 = net.init_gaussian(0.4, rng);
  const double eta = 0.05;
  const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = eta}, 2.0);
  const RunResult r = gradient_descent(net, x0, eta, times, {.t_end = 2.0});
  REQUIRE(r.stats.status == RunStatus::completed);
  REQUIRE(r.trajectory.size() == 41);

  // The loop a user would write, with the per-sample gradient of
  // 1/(2n)‖W_N⋯W_1 X − Y‖² (no second moments, no shared code).
  std::vector<Eigen::MatrixXd> W{net.layer_matrix(x0, 1), net.layer_matrix(x0, 2),
                                 net.layer_matrix(x0, 3)};
  for (int k = 0; k <= 40; ++k) {
    INFO("step " << k);
    CHECK(r.trajectory.times[k] == k * eta);
    CHECK(r.trajectory.steps[k] == k);
    for (int j = 0; j < 3; ++j) {
      const Eigen::MatrixXd got = net.layer_matrix(r.trajectory.states[k], j + 1);
      // Same iteration, different association of products: round-off only.
      CHECK((got - W[j]).norm() <= 1e-12 * W[j].norm());
    }
    const Eigen::MatrixXd R = (W[2] * W[1] * W[0] * data.X - data.Y) / 25.0;
    const std::vector<Eigen::MatrixXd> grads{(W[2] * W[1]).transpose() * R * data.X.transpose(),
                                             W[2].transpose() * R * (W[0] * data.X).transpose(),
                                             R * (W[1] * W[0] * data.X).transpose()};
    for (int j = 0; j < 3; ++j) W[j] -= eta * grads[j];
  }
}

TEST_CASE(
    "gradient descent on least squares diverges just above 2 over lambda max and converges just "
    "below") {
  // Depth 1 is least squares: the Hessian of 1/(2n)‖WX − Y‖² is XXᵀ/n.
  const Dataset data = random_dataset(8, 1, 100, 5);
  const LinearNetwork net(data, {.widths = {8, 1}});
  const double lambda_max =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(data.X * data.X.transpose() / 100.0)
          .eigenvalues()
          .maxCoeff();
  const Eigen::VectorXd x0 = Eigen::VectorXd::Ones(8);
  const long steps = 20000;

  const double eta_above = 2.01 / lambda_max;
  const StopOptions above{.t_end = steps * eta_above};
  const RunResult diverged = gradient_descent(net, x0, eta_above, {0.0, above.t_end}, above);
  CHECK(diverged.stats.status == RunStatus::diverged);
  CHECK_THAT(diverged.stats.message, Catch::Contains("diverged at step"));
  // The top mode grows by |1 − ηλ| = 1.01 a step: from O(1) to 1e30 takes ~7000.
  CHECK(diverged.stats.steps > 1000);
  CHECK(diverged.stats.steps < steps);

  const double eta_below = 1.99 / lambda_max;
  const StopOptions below{.t_end = steps * eta_below};
  const RunResult converged = gradient_descent(net, x0, eta_below, {0.0, below.t_end}, below);
  CHECK(converged.stats.status == RunStatus::completed);
  Eigen::VectorXd g;
  net.gradient(converged.trajectory.states.back(), g);
  // The slowest mode contracts by 0.99 a step at worst: 0.99^20000 ≈ 2e-88.
  CHECK(g.norm() < 1e-10);
}

TEST_CASE("gradient descent leaves gradient flow at order one in eta") {
  const Dataset data = random_dataset(5, 2, 40, 8);
  const LinearNetwork net(data, {.widths = {5, 3, 2}});
  Rng rng(4);
  const Eigen::VectorXd x0 = net.init_gaussian(0.5, rng);
  const double T = 2.0;
  const double eta = 0.02;
  // A reference flow far more accurate than the O(η) ≈ 1e-3 gaps it measures.
  const auto fine = sample_times({.kind = SampleGrid::Kind::grid, .spacing = eta / 2}, T);
  const RunResult flow = integrate(net, x0, fine, {.rtol = 1e-12, .atol = 1e-14}, {.t_end = T});
  auto max_gap = [&](double step) {
    const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = step}, T);
    const RunResult gd = gradient_descent(net, x0, step, times, {.t_end = T});
    double worst = 0.0;
    for (std::size_t k = 0; k < gd.trajectory.size(); ++k) {
      const std::size_t j =
          static_cast<std::size_t>(std::lround(gd.trajectory.times[k] / (eta / 2)));
      REQUIRE(flow.trajectory.times[j] == Approx(gd.trajectory.times[k]).margin(1e-12));
      worst = std::max(worst, (gd.trajectory.states[k] - flow.trajectory.states[j]).norm());
    }
    return worst;
  };
  const double ratio = max_gap(eta) / max_gap(eta / 2);
  INFO("gap ratio " << ratio);
  CHECK(ratio >= 1.8);
  CHECK(ratio <= 2.2);
}
