// The per-layer flow against what theory says of it: conserved balancedness
// and Saxe's closed form (Saxe, McClelland & Ganguli 2014; Arora et al. 2018).

#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/linear_network.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/SVD>

using namespace gradflow;
using gradflow::testing::random_dataset;
using gradflow::testing::whitened_dataset;

TEST_CASE("balancedness is conserved along dopri5 at rtol 1e-10") {
  Rng rng_target(2);
  const Dataset data =
      whitened_dataset(rng_target.normal_matrix(3, 5), 50, 31);  // a reachable target
  const LinearNetwork net(data, {.widths = {5, 4, 6, 3}});
  Rng rng(8);
  const Eigen::VectorXd x0 = net.init_gaussian(0.5, rng);
  auto imbalance = [&](const Eigen::VectorXd& x, int j) {
    const Eigen::MatrixXd A = net.layer_matrix(x, j), B = net.layer_matrix(x, j + 1);
    return Eigen::MatrixXd(B.transpose() * B - A * A.transpose());
  };
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 21}, 10.0);
  const RunResult r = integrate(net, x0, times, {.rtol = 1e-10, .atol = 1e-12}, {.t_end = 10.0});
  REQUIRE(r.stats.status == RunStatus::completed);
  // The flow must actually move the layers for the check to mean anything.
  CHECK(net.loss(r.trajectory.states.back()) < 0.01 * net.loss(x0));
  for (const Eigen::VectorXd& x : r.trajectory.states) {
    for (int j = 1; j <= 2; ++j) {
      // A local error of 1e-10 relative per step, over O(10³) steps.
      CHECK((imbalance(x, j) - imbalance(x0, j)).norm() <= 1e-8);
    }
  }
}

TEST_CASE(
    "gradient descent does not conserve balancedness exactly, only to O(eta squared) per step") {
  // The control for the test above: a discrete method breaks the invariant,
  // so the flow test is not passing vacuously.
  const Dataset data = random_dataset(5, 3, 50, 31);
  const LinearNetwork net(data, {.widths = {5, 4, 3}});
  Rng rng(8);
  const Eigen::VectorXd x0 = net.init_gaussian(0.5, rng);
  auto drift = [&](double eta) {
    const RunResult r = gradient_descent(net, x0, eta, {0.0, eta}, {.t_end = eta});
    const Eigen::VectorXd& x1 = r.trajectory.states.back();
    auto imb = [&](const Eigen::VectorXd& x) {
      const Eigen::MatrixXd A = net.layer_matrix(x, 1), B = net.layer_matrix(x, 2);
      return Eigen::MatrixXd(B.transpose() * B - A * A.transpose());
    };
    return (imb(x1) - imb(x0)).norm();
  };
  CHECK(drift(0.01) > 0.0);
  // One Euler step changes W_{j+1}ᵀW_{j+1} − W_jW_jᵀ by exactly η²(…): ratio 4.
  CHECK(drift(0.01) / drift(0.005) == Approx(4.0).epsilon(1e-6));
}

TEST_CASE("a balanced depth-2 network on whitened data follows Saxe's logistic closed form") {
  // Σxx = I and Σyx = M = U S Vᵀ. From W(0) = U diag(u0) Vᵀ, balanced, every
  // mode follows u̇ = N u^{2−2/N}(s − u) (DESIGN.md §7); for N = 2 the logistic
  // u(t) = s / (1 + (s/u0 − 1) e^{−2st}).
  Rng rng(13);
  const Eigen::MatrixXd M = rng.normal_matrix(3, 4);
  const Dataset data = whitened_dataset(M, 64, 17);
  const LinearNetwork net(data, {.widths = {4, 3, 3}});
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(M, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::MatrixXd U = svd.matrixU(), V = svd.matrixV();
  const Eigen::VectorXd s = svd.singularValues();
  const Eigen::VectorXd u0 = Eigen::Vector3d(1e-2, 3e-3, 1e-3);
  const Eigen::VectorXd x0 = net.init_balanced_from(U * u0.asDiagonal() * V.transpose());

  const double T = 12.0 / s.minCoeff();  // every mode well past its sigmoid
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 20}, T);
  const RunResult r = integrate(net, x0, times, {.rtol = 1e-12, .atol = 1e-14}, {.t_end = T});
  REQUIRE(r.stats.status == RunStatus::completed);
  REQUIRE(r.trajectory.size() == 20);
  for (std::size_t k = 0; k < r.trajectory.size(); ++k) {
    const double t = r.trajectory.times[k];
    Eigen::VectorXd u(3);
    for (int i = 0; i < 3; ++i)
      u[i] = s[i] / (1.0 + (s[i] / u0[i] - 1.0) * std::exp(-2.0 * s[i] * t));
    const Eigen::MatrixXd expected = U * u.asDiagonal() * V.transpose();
    const Eigen::MatrixXd got = net.end_to_end(r.trajectory.states[k]);
    INFO("t = " << t);
    // rtol 1e-12 per step; the sigmoid's growth phase amplifies errors by at
    // most e^{2 s t}/(…) bounded by s/u0 ≈ 1e3: 1e-7 relative leaves margin.
    CHECK((got - expected).norm() <= 1e-7 * expected.norm());
  }
}

TEST_CASE("along a balanced run the prefix products satisfy the fractional-power identity") {
  // A_{1:j}ᵀA_{1:j} = (WᵀW)^{j/N} (Arora et al. 2018) holds exactly for balanced
  // layers; the recorded residual must stay at round-off and solver error,
  // and must not vanish for an unbalanced start.
  const Dataset data = random_dataset(5, 3, 50, 31);
  const LinearNetwork net(data, {.widths = {5, 4, 4, 3}});
  Rng rng(2);
  auto worst_identity = [&](const Eigen::VectorXd& x0) {
    const RunResult r =
        integrate(net, x0, sample_times({.kind = SampleGrid::Kind::linear, .count = 11}, 5.0),
                  {.rtol = 1e-11, .atol = 1e-13}, {.t_end = 5.0});
    double worst = 0.0;
    for (const Eigen::VectorXd& x : r.trajectory.states) {
      for (const auto& [name, value] : net.observe(x).scalars) {
        if (name.rfind("power_identity_", 0) == 0) worst = std::max(worst, value);
      }
    }
    return worst;
  };
  // Errors: the flow's rtol 1e-11 on O(1) layers, and an SVD's round-off.
  CHECK(worst_identity(net.init_balanced(1.0, rng)) <= 1e-8);
  CHECK(worst_identity(net.init_gaussian(0.5, rng)) > 1e-3);
}
