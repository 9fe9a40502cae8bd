// The modified flow (Barrett & Dherin 2021) against its definition and against
// gradient descent: GD is O(η) from gradient flow and O(η²) from this flow.

#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/linear_network.hpp"
#include "models/modified_flow.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;
using gradflow::testing::random_dataset;
using gradflow::testing::relative_error;

TEST_CASE(
    "the modified field is minus the gradient of L plus eta over 4 times the squared gradient "
    "norm") {
  const Dataset data = random_dataset(4, 2, 30, 3);
  const LinearNetwork net(data, {.widths = {4, 3, 2}});
  const double eta = 0.1;
  const ModifiedFlow flow(net, eta);
  Rng rng(2);
  const Eigen::VectorXd x = net.init_gaussian(0.6, rng);
  // L̃ by its definition, differentiated by central differences (no Hessian code).
  auto modified_loss = [&](const Eigen::VectorXd& y) {
    Eigen::VectorXd g;
    net.gradient(y, g);
    return net.loss(y) + 0.25 * eta * g.squaredNorm();
  };
  Eigen::VectorXd fd(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Eigen::VectorXd xp = x, xm = x;
    xp[i] += 1e-5;
    xm[i] -= 1e-5;
    fd[i] = -(modified_loss(xp) - modified_loss(xm)) / 2e-5;
  }
  Eigen::VectorXd v;
  flow.velocity(x, 0.0, v);
  // Central differences at h = 1e-5 of a smooth function: ≈ 1e-10 relative.
  CHECK(relative_error(v, fd) <= 1e-6);
}

TEST_CASE(
    "gradient descent is order eta from gradient flow and order eta squared from the modified "
    "flow") {
  const Dataset data = random_dataset(5, 2, 40, 8);
  const LinearNetwork net(data, {.widths = {5, 3, 2}});
  Rng rng(4);
  const Eigen::VectorXd x0 = net.init_gaussian(0.5, rng);
  const double T = 1.0;
  const MethodOptions tight{.rtol = 1e-12, .atol = 1e-14};
  // max_k ‖x_GD(k) − x_ref(kη)‖ over the horizon; the reference resolves
  // differences far below the O(η²) ≈ 1e-5 gaps it measures.
  auto max_gap = [&](double eta, const Field& reference) {
    const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = eta}, T);
    const RunResult gd = gradient_descent(net, x0, eta, times, {.t_end = T});
    const RunResult ref = integrate(reference, x0, times, tight, {.t_end = T});
    REQUIRE(gd.trajectory.size() == ref.trajectory.size());
    double worst = 0.0;
    for (std::size_t k = 0; k < gd.trajectory.size(); ++k) {
      worst = std::max(worst, (gd.trajectory.states[k] - ref.trajectory.states[k]).norm());
    }
    return worst;
  };
  const double eta = 0.02;
  const double to_flow = max_gap(eta, net) / max_gap(eta / 2, net);
  const ModifiedFlow modified(net, eta), modified_half(net, eta / 2);
  const double to_modified = max_gap(eta, modified) / max_gap(eta / 2, modified_half);
  INFO("ratios: to the flow " << to_flow << ", to the modified flow " << to_modified);
  CHECK(to_flow >= 1.8);
  CHECK(to_flow <= 2.2);
  CHECK(to_modified >= 3.5);
  CHECK(to_modified <= 4.5);
}

TEST_CASE("the modified flow refuses a non-positive step") {
  const Dataset data = random_dataset(4, 2, 30, 3);
  const LinearNetwork net(data, {.widths = {4, 2}});
  CHECK_THROWS_WITH(ModifiedFlow(net, 0.0), Catch::Contains("eta > 0, got 0"));
}
