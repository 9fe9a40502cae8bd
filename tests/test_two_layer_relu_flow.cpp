// The network's non-smooth gradient flow, integrated event-driven
// (integrators/event_driven.hpp), against oracles outside that code path:
// gradient descent (plain 1{w_rᵀx_i ≥ 0} gradients) converging to it at order
// one, the law u̇ = −H(t)(u − y) integrated from recorded kernels, and the
// Filippov condition checked from first principles on sliding pairs.

#include "core/sample_times.hpp"
#include "integrators/event_driven.hpp"
#include "integrators/integrate.hpp"
#include "models/two_layer_relu.hpp"

#include "relu_support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>

using namespace gradflow;

using gradflow::testing::spectral_norm;
using gradflow::testing::unit_sphere_data;

namespace {

TwoLayerRelu random_network(Eigen::Index m, Eigen::Index d, Eigen::Index n, std::uint64_t seed) {
  Rng rng(seed + 100);
  return TwoLayerRelu(unit_sphere_data(d, n, seed), TwoLayerRelu::draw_start(m, d, 1.0, rng));
}

// A reference solution: tolerances far below the GD errors it is compared with.
const MethodOptions kTight{.method = Method::event_driven, .rtol = 1e-12, .atol = 1e-13};

}  // namespace

TEST_CASE("gradient descent converges to the event-driven flow at order one in eta") {
  const TwoLayerRelu net = random_network(200, 5, 10, 1);
  const double T = 1.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = 0.125}, T);
  const EventDrivenResult flow =
      integrate_event_driven(net, net.initial_state(), times, kTight, {.t_end = T});
  REQUIRE(flow.run.stats.status == RunStatus::completed);
  INFO(flow.run.stats.message);
  // The comparison must cover the non-smooth part: crossings and sliding.
  REQUIRE(flow.events.crossings > 5);
  REQUIRE(flow.events.slides_started > 0);
  std::vector<double> error;
  for (double eta : {1e-3, 5e-4, 2.5e-4}) {
    const RunResult gd = gradient_descent(net, net.initial_state(), eta, times, {.t_end = T});
    REQUIRE(gd.trajectory.size() == times.size());
    double worst = 0.0;
    for (std::size_t k = 0; k < times.size(); ++k) {
      REQUIRE(gd.trajectory.times[k] == Approx(times[k]).epsilon(1e-12));
      worst = std::max(worst, (gd.trajectory.states[k] - flow.run.trajectory.states[k]).norm());
    }
    error.push_back(worst);
  }
  for (std::size_t k = 0; k + 1 < error.size(); ++k) {
    const double ratio = error[k] / error[k + 1];
    INFO("max error " << error[k] << " at eta, " << error[k + 1] << " at eta/2: ratio " << ratio);
    // Global error C·η + O(η²); each crossing or sliding pair adds an O(η)
    // term whose constant depends on where the crossing falls within a step,
    // so halving η halves the error to within ±10%.
    CHECK(ratio > 1.8);
    CHECK(ratio < 2.2);
  }
}

TEST_CASE("the network's predictions follow du/dt = -H(t)(u - y) with the recorded kernels") {
  // Before any pair slides, u̇_i = −Σ_j H(t)_ij e_j exactly, with H(t) from the
  // current activation pattern (a sliding pair would enter with its weight α).
  const TwoLayerRelu net = random_network(100, 5, 10, 1);
  const double T = 0.2;
  const double dt = 1e-3;
  const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = dt}, T);
  const EventDrivenResult flow =
      integrate_event_driven(net, net.initial_state(), times, kTight, {.t_end = T});
  INFO(flow.run.stats.message);
  REQUIRE(flow.run.stats.status == RunStatus::completed);
  REQUIRE(flow.events.crossings >= 5);
  REQUIRE(flow.events.slides_started == 0);

  const auto& states = flow.run.trajectory.states;
  std::vector<Eigen::MatrixXd> H;
  std::vector<Eigen::VectorXd> e;
  for (const auto& x : states) {
    H.push_back(net.empirical_kernel(x));
    e.push_back(net.predictions(x) - net.targets());
  }
  // Trapezoidal rule on the recorded law. Its error bound, per interval:
  // smooth, (Δt³/12)‖d²(He)/dt²‖ ≤ (Δt³/12)‖H‖³‖e‖ (ė = −He within a pattern);
  // with a pattern change, ≤ Δt(‖ΔH‖‖e‖ + Δt‖H‖²‖e‖) (the jump, and the drift
  // of He on either side of it).
  Eigen::VectorXd u = net.predictions(states.front());
  double bound = 0.0;
  long intervals_with_a_change = 0;
  for (std::size_t k = 0; k + 1 < states.size(); ++k) {
    u -= 0.5 * dt * (H[k] * e[k] + H[k + 1] * e[k + 1]);
    const double h = std::max(spectral_norm(H[k]), spectral_norm(H[k + 1]));
    const double r = std::max(e[k].norm(), e[k + 1].norm());
    const double jump = spectral_norm(H[k + 1] - H[k]);
    if (jump > 0.0) {
      ++intervals_with_a_change;
      bound += dt * (jump * r + dt * h * h * r);
    } else {
      bound += dt * dt * dt / 12.0 * h * h * h * r;
    }
  }
  const Eigen::VectorXd u_recorded = net.predictions(states.back());
  const double change = (u_recorded - net.predictions(states.front())).norm();
  INFO("error " << (u - u_recorded).norm() << ", bound " << bound << ", change of u " << change
                << ", intervals with a pattern change " << intervals_with_a_change);
  CHECK(intervals_with_a_change > 0);
  CHECK((u - u_recorded).norm() <= bound);
  // The bound is far below the signal, so the check has teeth.
  CHECK(bound < 1e-2 * change);
}

TEST_CASE("sliding pairs stay on their surface and both one-sided fields point into it") {
  const TwoLayerRelu net = random_network(20, 3, 6, 1);
  const double T = 2.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 21}, T);
  const EventDrivenResult flow =
      integrate_event_driven(net, net.initial_state(), times, kTight, {.t_end = T});
  INFO(flow.run.stats.message);
  REQUIRE(flow.run.stats.status == RunStatus::completed);
  REQUIRE(flow.events.slides_started > 0);
  const Eigen::MatrixXd& X = net.inputs();
  const double m = static_cast<double>(net.width());
  long checked_pairs = 0;
  for (const auto& x : flow.run.trajectory.states) {
    const Eigen::MatrixXd W = net.weights(x);
    const Eigen::MatrixXd Z = W * X;
    const Eigen::VectorXd e = net.predictions(x) - net.targets();
    for (Eigen::Index r = 0; r < W.rows(); ++r) {
      // Pairs on the surface: w_rᵀx_i zero up to round-off of the projection.
      std::vector<Eigen::Index> on;
      for (Eigen::Index i = 0; i < X.cols(); ++i) {
        if (std::abs(Z(r, i)) <= 1e-12 * W.row(r).norm()) on.push_back(i);
      }
      if (on.size() != 1) continue;  // the single-pair condition below
      const Eigen::Index i = on.front();
      // ġ_ri(s) = −(a_r/√m) x_iᵀ(Σ_{j: w_rᵀx_j > 0} e_j x_j + s e_i x_i), s = relu'(0).
      Eigen::VectorXd rest = Eigen::VectorXd::Zero(X.rows());
      for (Eigen::Index j = 0; j < X.cols(); ++j) {
        if (j != i && Z(r, j) > 0.0) rest += e[j] * X.col(j);
      }
      const double c = net.signs()[r] / std::sqrt(m);
      const double rate_negative_side = -c * X.col(i).dot(rest);
      const double rate_positive_side = -c * X.col(i).dot(rest + e[i] * X.col(i));
      INFO("neuron " << r << ", sample " << i << ": rates " << rate_negative_side << " (s = 0), "
                     << rate_positive_side << " (s = 1)");
      // Filippov: from below the pair moves up, from above it moves down.
      // Round-off of the rates: ~1e-15 relative to their terms.
      const double scale = 1e-12 * std::abs(c) * (rest.norm() + std::abs(e[i]));
      CHECK(rate_negative_side >= -scale);
      CHECK(rate_positive_side <= scale);
      ++checked_pairs;
    }
  }
  CHECK(checked_pairs > 0);
}

TEST_CASE("an event-driven run reports its events and the projection of its records") {
  const TwoLayerRelu net = random_network(20, 3, 6, 2);
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 5}, 1.0);
  const RunResult r = integrate(net, net.initial_state(), times, kTight, {.t_end = 1.0});
  CHECK(r.stats.status == RunStatus::completed);
  CHECK_THAT(r.stats.message, Catch::Contains("switching events"));
  CHECK(r.trajectory.size() == times.size());
  // The loss decreases along a gradient flow, kinks or not.
  for (std::size_t k = 0; k + 1 < r.trajectory.size(); ++k) {
    CHECK(net.loss(r.trajectory.states[k + 1]) < net.loss(r.trajectory.states[k]));
  }
}
