// The network's flow at activation surfaces w_rᵀx_i = 0, for both integrators
// (event_driven on the model's modes, relu_windows), against oracles outside
// their code: the selection rule written from its definition, a closed form
// on a repulsive surface, gradient descent written from the definitions
// (relu'(0) = 1) converging at order one in η, and the Filippov condition on
// every recorded sliding pair.

#include "core/relu_filippov_rule.hpp"
#include "core/sample_times.hpp"
#include "integrators/event_driven.hpp"
#include "integrators/integrate.hpp"
#include "integrators/relu_windows.hpp"
#include "models/two_layer_relu.hpp"

#include "relu_support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>

using namespace gradflow;

using gradflow::testing::dyadic_network;
using gradflow::testing::reference_gradient_descent;
using gradflow::testing::signed_label_data;

namespace {

MethodOptions event_driven(double tol) {
  return {.method = Method::event_driven, .rtol = tol, .atol = 0.1 * tol};
}
MethodOptions windows(double tol) {
  return {.method = Method::relu_windows, .rtol = tol, .atol = 0.1 * tol};
}

RunResult run_flow(const TwoLayerRelu& net, Method method, const std::vector<double>& times,
                   double tol) {
  const StopOptions stop{.t_end = times.back()};
  if (method == Method::event_driven)
    return integrate_event_driven(net, net.initial_state(), times, event_driven(tol), stop).run;
  return integrate_relu_windows(net, net.initial_state(), times, windows(tol), stop).run;
}

double max_distance(const Trajectory& a, const Trajectory& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k)
    worst = std::max(worst, (a.states[k] - b.states[k]).norm());
  return worst;
}

// Rates of pair (r, i), r's other pairs as they are at x: ż with relu'(0) = 0 and = 1.
std::pair<double, double> one_sided_rates(const TwoLayerRelu& net, const Eigen::VectorXd& x,
                                          Eigen::Index r, Eigen::Index i) {
  const Eigen::MatrixXd& X = net.inputs();
  const Eigen::MatrixXd W = net.weights(x);
  const Eigen::VectorXd e = net.predictions(x) - net.targets();
  Eigen::VectorXd rest = Eigen::VectorXd::Zero(X.rows());
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    if (j != i && W.row(r).dot(X.col(j)) > 0.0) rest += e[j] * X.col(j);
  }
  const double c = net.signs()[r] / std::sqrt(static_cast<double>(net.width()));
  return {-c * X.col(i).dot(rest), -c * X.col(i).dot(rest + e[i] * X.col(i))};
}

}  // namespace

TEST_CASE(
    "one pair on its surface is active if its active-side rate is not negative, slides if both "
    "sides point in") {
  // The rule's definition for one pair, the rest of its neuron's sum given:
  // v₋ = −σ x_iᵀT, v₊ = −σ x_iᵀ(T + e_i x_i). From the start of gradient
  // descent (relu'(0) = 1): active if v₊ ≥ 0, sliding if v₊ < 0 < v₋, inactive
  // otherwise. From a side, the Filippov continuation: a pair stays on its side
  // while its rate does not point into the surface, else takes the rule above.
  Rng rng(11);
  const Eigen::Index d = 4, n = 6;
  Eigen::MatrixXd X = rng.normal_matrix(d, n);
  X.colwise().normalize();
  ReluFilippovRule rule(X);
  long active = 0, sliding = 0, inactive = 0, repulsive = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const Eigen::VectorXd e = rng.normal_matrix(n, 1);
    const Eigen::VectorXd rest = rng.normal_matrix(d, 1);
    const double sign = rng.below(2) == 0 ? 1.0 : -1.0;
    const Eigen::Index i = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(n)));
    const double v_minus = -sign * X.col(i).dot(rest);
    const double v_plus = -sign * X.col(i).dot(rest + e[i] * X.col(i));
    INFO("v- = " << v_minus << ", v+ = " << v_plus);
    const PairSide gd_limit =
        v_plus >= 0.0 ? PairSide::active : (v_minus > 0.0 ? PairSide::sliding : PairSide::inactive);
    std::vector<SurfacePair> pair{{.sample = i}};
    REQUIRE(rule.decide_at_gd_start(pair, rest.data(), e.data(), sign));
    CHECK(pair[0].side == gd_limit);
    if (gd_limit == PairSide::sliding) {
      // α = v₋/(v₋ − v₊) makes the rate zero; round-off of 4-term dot products.
      CHECK(pair[0].alpha == Approx(v_minus / (v_minus - v_plus)).epsilon(1e-12));
    } else {
      CHECK(pair[0].alpha == (gd_limit == PairSide::active ? 1.0 : 0.0));
    }
    active += gd_limit == PairSide::active;
    sliding += gd_limit == PairSide::sliding;
    inactive += gd_limit == PairSide::inactive;
    repulsive += v_minus < 0.0 && v_plus > 0.0;
    for (PairSide side : {PairSide::inactive, PairSide::active}) {
      const bool stays = side == PairSide::active ? v_plus >= 0.0 : v_minus <= 0.0;
      std::vector<SurfacePair> from{{.sample = i, .side = side}};
      REQUIRE(rule.decide(from, rest.data(), e.data(), sign));
      CHECK(from[0].side == (stays ? side : gd_limit));
    }
  }
  // Every branch is exercised, repulsive surfaces (v₋ < 0 < v₊) included.
  CHECK(active > 20);
  CHECK(sliding > 20);
  CHECK(inactive > 20);
  CHECK(repulsive > 10);
}

TEST_CASE(
    "a pair starting on a repulsive surface leaves it to the active side, as gradient descent "
    "does") {
  // x₁ = (1, 0), x₂ = (½, √3/2), y = (1, 0), one neuron w = (0, 1), a = 1.
  // Sample 1 lies on its surface; with relu'(0) = 1 its rate is 1 − √3/4 > 0,
  // with relu'(0) = 0 it is −√3/4 < 0: both one-sided fields point away. GD
  // (relu'(0) = 1) leaves to the active side, where both samples stay active
  // and the flow is linear: w(t) = w* + e^{−At}(w(0) − w*), A = XXᵀ, w* = A⁻¹Xy.
  Dataset data;
  data.X.resize(2, 2);
  data.X << 1.0, 0.5, 0.0, std::sqrt(3.0) / 2.0;
  data.Y.resize(1, 2);
  data.Y << 1.0, 0.0;
  TwoLayerReluStart start{Eigen::VectorXd::Ones(1), Eigen::MatrixXd(1, 2)};
  start.weights << 0.0, 1.0;
  const TwoLayerRelu net(data, start);
  const Eigen::MatrixXd A = data.X * data.X.transpose();
  const Eigen::Vector2d w_star = A.ldlt().solve(data.X * data.Y.row(0).transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(A);
  auto exact = [&](double t) -> Eigen::Vector2d {
    const Eigen::VectorXd decay = (-eig.eigenvalues().array() * t).exp();
    return w_star + eig.eigenvectors() * decay.asDiagonal() * eig.eigenvectors().transpose() *
                        (Eigen::Vector2d(0.0, 1.0) - w_star);
  };
  // Both samples are active along the closed form on (0, 1], so it is the flow there.
  for (int k = 1; k <= 1000; ++k) {
    const Eigen::Vector2d w = exact(k / 1000.0);
    REQUIRE(w.dot(data.X.col(0)) > 0.0);
    REQUIRE(w.dot(data.X.col(1)) > 0.0);
  }
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 11}, 1.0);
  for (Method method : {Method::event_driven, Method::relu_windows}) {
    const RunResult flow = run_flow(net, method, times, 1e-12);
    INFO(to_string(method) << ": " << flow.stats.message);
    REQUIRE(flow.stats.status == RunStatus::completed);
    double worst = 0.0;
    for (std::size_t k = 0; k < times.size(); ++k) {
      worst = std::max(worst, (flow.trajectory.states[k] - exact(times[k])).norm());
    }
    // dopri5 at rtol 1e-12 on a linear field over one time unit (a few 1e-12),
    // relu_windows' Taylor pieces at round-off: 1e-10 leaves a margin of ~20.
    CHECK(worst < 1e-10);
  }
  // Gradient descent converges to it at order one: halving η halves the error.
  std::vector<double> error;
  for (double eta : {1e-3, 5e-4, 2.5e-4}) {
    const Eigen::MatrixXd W = reference_gradient_descent(
        data.X, data.Y.row(0).transpose(), start.signs, start.weights, eta, std::lround(1.0 / eta));
    error.push_back((W.row(0).transpose() - exact(1.0)).norm());
  }
  INFO("GD errors " << error[0] << ", " << error[1] << ", " << error[2]);
  for (std::size_t k = 0; k + 1 < error.size(); ++k) {
    // A smooth linear flow after the first step: the error is Cη + O(η²).
    CHECK(error[k] / error[k + 1] == Approx(2.0).margin(0.05));
  }
}

TEST_CASE(
    "pairs that start on their surfaces, several per neuron, follow the limit of gradient "
    "descent") {
  long on_surface = 0;
  const Eigen::Index m = 16;
  const TwoLayerRelu net = dyadic_network(m, 36, &on_surface);
  const Eigen::MatrixXd W0 = net.weights(net.initial_state());
  const Eigen::MatrixXd Z0 = W0 * net.inputs();
  // The start covers the cases: neurons with one and with several pairs on
  // their surfaces, of which some are repulsive (v₋ < 0 < v₊) and some attractive.
  // Each neuron's surfaces are independent there (inputs in general position:
  // dependent ones would make some surface coincide with the others' intersection).
  long neurons_with_several = 0, repulsive = 0, attractive = 0;
  for (Eigen::Index r = 0; r < m; ++r) {
    std::vector<Eigen::Index> on;
    for (Eigen::Index i = 0; i < Z0.cols(); ++i) {
      if (Z0(r, i) != 0.0) continue;
      on.push_back(i);
      const auto [minus, plus] = one_sided_rates(net, net.initial_state(), r, i);
      repulsive += minus < 0.0 && plus > 0.0;
      attractive += minus > 0.0 && plus < 0.0;
    }
    neurons_with_several += on.size() >= 2;
    Eigen::MatrixXd X_on(net.input_dim(), static_cast<Eigen::Index>(on.size()));
    for (std::size_t j = 0; j < on.size(); ++j)
      X_on.col(static_cast<Eigen::Index>(j)) = net.inputs().col(on[j]);
    const Eigen::MatrixXd gram = X_on.transpose() * X_on;
    REQUIRE((on.empty() ||
             Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(gram).eigenvalues().minCoeff() > 1e-6));
  }
  INFO(on_surface << " pairs on surfaces, " << neurons_with_several << " neurons with several, "
                  << repulsive << " repulsive, " << attractive << " attractive");
  REQUIRE(neurons_with_several >= 2);
  REQUIRE(repulsive >= 1);
  REQUIRE(attractive >= 1);

  const double T = 0.5;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 6}, T);
  const RunResult ed = run_flow(net, Method::event_driven, times, 1e-12);
  const RunResult rw = run_flow(net, Method::relu_windows, times, 1e-12);
  INFO("event_driven: " << ed.stats.message << "; relu_windows: " << rw.stats.message);
  REQUIRE(ed.stats.status == RunStatus::completed);
  REQUIRE(rw.stats.status == RunStatus::completed);
  // The two integrators follow the same flow (both at 1e-12; see the repulsive case).
  CHECK(max_distance(ed.trajectory, rw.trajectory) < 1e-9);
  // Gradient descent from the same start converges to it at order one.
  const Eigen::VectorXd y = net.targets();
  std::vector<double> error;
  for (double eta : {1e-3, 5e-4, 2.5e-4}) {
    const Eigen::MatrixXd W =
        reference_gradient_descent(net.inputs(), y, net.signs(), W0, eta, std::lround(T / eta));
    error.push_back((W - net.weights(ed.trajectory.states.back())).norm());
  }
  INFO("GD errors at t = T: " << error[0] << ", " << error[1] << ", " << error[2]);
  for (std::size_t k = 0; k + 1 < error.size(); ++k) {
    // Error Cη + O(η²); each switch (and GD's zigzag on a sliding pair) adds an
    // O(η) term whose constant depends on where it falls within a step: ±15%.
    CHECK(error[k] / error[k + 1] > 1.7);
    CHECK(error[k] / error[k + 1] < 2.3);
  }
}

TEST_CASE("a sliding pair leaves its surface at the instant its weight reaches 0 or 1") {
  // 11 unit inputs in R⁶, labels ±1, width 50: cases where pairs slide and
  // leave. The exit is an event: at every record (every 10⁻³) each neuron with
  // one pair on its surface has both one-sided rates pointing into it
  // (weight in [0, 1]), and the two integrators agree to their tolerance.
  for (std::uint64_t seed : {15, 20, 56}) {
    Rng rng(seed + 100);
    const TwoLayerRelu net(signed_label_data(6, 11, seed),
                           TwoLayerRelu::draw_start(50, 6, 1.0, rng));
    const double T = 2.0;
    const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = 1e-3}, T);
    const EventDrivenResult ed =
        integrate_event_driven(net, net.initial_state(), times, event_driven(1e-11), {.t_end = T});
    const ReluWindowsResult rw =
        integrate_relu_windows(net, net.initial_state(), times, windows(1e-11), {.t_end = T});
    INFO("seed " << seed << "; event_driven: " << ed.run.stats.message
                 << "; relu_windows: " << rw.run.stats.message);
    REQUIRE(ed.run.stats.status == RunStatus::completed);
    REQUIRE(rw.run.stats.status == RunStatus::completed);
    REQUIRE(ed.events.slides_ended > 0);
    double worst_alpha = 0.0;
    for (const RunResult* run : {&ed.run, &rw.run}) {
      for (const auto& x : run->trajectory.states) {
        const Eigen::MatrixXd W = net.weights(x);
        const Eigen::MatrixXd Z = W * net.inputs();
        for (Eigen::Index r = 0; r < W.rows(); ++r) {
          std::vector<Eigen::Index> on;
          for (Eigen::Index i = 0; i < Z.cols(); ++i) {
            if (std::abs(Z(r, i)) <= 1e-12 * W.row(r).norm()) on.push_back(i);
          }
          if (on.size() != 1) continue;
          const auto [minus, plus] = one_sided_rates(net, x, r, on[0]);
          // α = v₋/(v₋ − v₊); outside [0, 1] by max(−v₋, v₊)/(v₋ − v₊).
          worst_alpha = std::max(worst_alpha, std::max(-minus, plus) / std::abs(minus - plus));
        }
      }
    }
    // The exit is located to ~1e-12 in time and α moves at O(1) speed, so at a
    // record α is outside [0, 1] by at most round-off of the rates (~1e-14).
    CHECK(worst_alpha < 1e-9);
    // Both at rtol 1e-11: each within a few 1e-11 relative of the flow.
    const double distance =
        max_distance(ed.run.trajectory, rw.run.trajectory) / net.initial_state().norm();
    CHECK(distance < 1e-10);
  }
}
