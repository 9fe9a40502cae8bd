// The end-to-end flow against constructions that do not share its code: the
// per-layer flow's own product (pointwise and along trajectories), the
// single-output closed form, and Saxe's per-mode dynamics on whitened data.

#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/end_to_end_flow.hpp"
#include "models/linear_network.hpp"
#include "models/regression_losses.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/SVD>

using namespace gradflow;
using gradflow::testing::random_dataset;
using gradflow::testing::whitened_dataset;

namespace {

Eigen::VectorXd flat(const Eigen::MatrixXd& W) {
  return Eigen::Map<const Eigen::VectorXd>(W.data(), W.size());
}
Eigen::MatrixXd as_matrix(const Eigen::VectorXd& x, Eigen::Index rows, Eigen::Index cols) {
  return Eigen::Map<const Eigen::MatrixXd>(x.data(), rows, cols);
}

// d/dt (A_N ⋯ A_1) under the per-layer flow: Σ_j A_{N:j+1} Ȧ_j A_{j−1:1}.
Eigen::MatrixXd product_velocity(const LinearNetwork& net, const Eigen::VectorXd& x) {
  Eigen::VectorXd v;
  net.velocity(x, 0.0, v);
  const int N = net.depth();
  Eigen::MatrixXd total = Eigen::MatrixXd::Zero(net.widths().back(), net.widths().front());
  for (int j = 1; j <= N; ++j) {
    Eigen::MatrixXd term = net.layout().view(v, j - 1);
    for (int i = j - 1; i >= 1; --i) term = term * net.layer_matrix(x, i);
    for (int i = j + 1; i <= N; ++i) term = net.layer_matrix(x, i) * term;
    total += term;
  }
  return total;
}

std::vector<Eigen::Index> widths_for(int depth, Eigen::Index d0, Eigen::Index hidden,
                                     Eigen::Index dN) {
  std::vector<Eigen::Index> w{d0};
  for (int j = 1; j < depth; ++j) w.push_back(hidden);
  w.push_back(dN);
  return w;
}

}  // namespace

TEST_CASE("at a balanced point the end-to-end field is the velocity of the layers' product") {
  // Arora et al. 2018, Thm 1, pointwise: independent of the SVD construction.
  const Dataset data = random_dataset(5, 3, 40, 2);
  auto loss = std::make_shared<SquareLoss>(data);
  Rng rng(4);
  for (int N = 1; N <= 4; ++N) {
    for (Eigen::Index rank : {3, 1}) {
      INFO("depth " << N << ", rank " << rank);
      const LinearNetwork net(loss, {.widths = widths_for(N, 5, 4, 3)});
      const EndToEndFlow e2e(loss, N);
      // A rank-deficient W exercises the round-off cutoff.
      const Eigen::MatrixXd A = rng.normal_matrix(3, rank) * rng.normal_matrix(rank, 5);
      const Eigen::VectorXd x = net.init_balanced_from(A);
      Eigen::VectorXd v;
      e2e.velocity(flat(net.end_to_end(x)), 0.0, v);
      const Eigen::MatrixXd expected = product_velocity(net, x);
      // Both sides are exact formulas evaluated in floating point.
      CHECK((as_matrix(v, 3, 5) - expected).norm() <= 1e-10 * expected.norm());
    }
  }
}

TEST_CASE("the single-output closed form equals the general formula") {
  const Dataset data = random_dataset(6, 1, 30, 3);
  auto loss = std::make_shared<SquareLoss>(data);
  Rng rng(5);
  for (int N = 1; N <= 4; ++N) {
    INFO("depth " << N);
    const EndToEndFlow e2e(loss, N);
    const Eigen::VectorXd x = rng.normal_matrix(6, 1);
    Eigen::VectorXd closed, general;
    e2e.velocity(x, 0.0, closed);
    e2e.velocity_general(x, general);
    // Round-off: an SVD against a norm, relative 1e-13.
    CHECK((closed - general).norm() <= 1e-13 * general.norm());
  }
}

TEST_CASE(
    "the end-to-end field at W = 0 is finite: zero for N of 2 or more, minus the gradient for N = "
    "1") {
  for (Eigen::Index outputs : {1, 3}) {
    INFO("outputs " << outputs);
    const Dataset data = random_dataset(5, outputs, 30, 3);
    auto loss = std::make_shared<SquareLoss>(data);
    for (int N = 1; N <= 4; ++N) {
      const EndToEndFlow e2e(loss, N);
      const Eigen::VectorXd zero = Eigen::VectorXd::Zero(e2e.dim());
      Eigen::VectorXd v, g;
      e2e.velocity(zero, 0.0, v);
      e2e.gradient(zero, g);
      REQUIRE(v.allFinite());
      if (N == 1) {
        CHECK((v + g).norm() == 0.0);
      } else {
        CHECK(v.norm() == 0.0);
      }
    }
  }
}

TEST_CASE(
    "from a balanced start the per-layer product follows the end-to-end flow to solver tolerance") {
  // A reachable target Y = MX, so that the loss can fall by orders of magnitude.
  Dataset data = random_dataset(5, 3, 60, 7);
  data.Y = Rng(8).normal_matrix(3, 5) * data.X;
  auto loss = std::make_shared<SquareLoss>(data);
  for (int N = 2; N <= 4; ++N) {
    INFO("depth " << N);
    const LinearNetwork net(loss, {.widths = widths_for(N, 5, 4, 3)});
    const EndToEndFlow e2e(loss, N);
    Rng rng(10 + N);
    const Eigen::VectorXd x0 = net.init_balanced(1.0, rng);
    const double T = 20.0;
    const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 41}, T);
    const MethodOptions tight{.rtol = 1e-12, .atol = 1e-14};
    const RunResult layers = integrate(net, x0, times, tight, {.t_end = T});
    const RunResult product = integrate(e2e, flat(net.end_to_end(x0)), times, tight, {.t_end = T});
    REQUIRE(layers.stats.status == RunStatus::completed);
    REQUIRE(product.stats.status == RunStatus::completed);
    // The horizon must show real training: the loss falls at least tenfold.
    const double drop = net.loss(x0) / net.loss(layers.trajectory.states.back());
    INFO("loss drop " << drop);
    CHECK(drop >= 10.0);
    double worst = 0.0;
    for (std::size_t k = 0; k < times.size(); ++k) {
      const Eigen::MatrixXd W = net.end_to_end(layers.trajectory.states[k]);
      const Eigen::MatrixXd We = as_matrix(product.trajectory.states[k], 3, 5);
      worst = std::max(worst, (W - We).norm() / W.norm());
    }
    // Two solutions at rtol 1e-12 whose difference grows at most like the
    // flow's Lipschitz constant over the horizon: 1e-7 is the required bound.
    INFO("worst relative gap " << worst);
    CHECK(worst <= 1e-7);
  }
}

TEST_CASE("from a Gaussian start the product leaves the end-to-end flow") {
  // The control: without balancedness the theorem does not apply, and the
  // comparison above would be meaningless if this gap were also tiny.
  const Dataset data = random_dataset(5, 3, 60, 7);
  auto loss = std::make_shared<SquareLoss>(data);
  const LinearNetwork net(loss, {.widths = {5, 4, 3}});
  const EndToEndFlow e2e(loss, 2);
  Rng rng(3);
  const Eigen::VectorXd x0 = net.init_gaussian(0.7, rng);
  const MethodOptions tight{.rtol = 1e-10, .atol = 1e-12};
  const RunResult layers = integrate(net, x0, {0.0, 5.0}, tight, {.t_end = 5.0});
  const RunResult product =
      integrate(e2e, flat(net.end_to_end(x0)), {0.0, 5.0}, tight, {.t_end = 5.0});
  const Eigen::MatrixXd W = net.end_to_end(layers.trajectory.states.back());
  CHECK((W - as_matrix(product.trajectory.states.back(), 3, 5)).norm() > 1e-3 * W.norm());
}

TEST_CASE("on whitened data each singular value follows Saxe's mode dynamics for depths 2, 3, 4") {
  // Σxx = I, Σyx = M = U S Vᵀ, W(0) = U diag(u0) Vᵀ: every mode obeys
  // u̇ = N u^{2−2/N}(s − u) (DESIGN.md §7). For N = 2 the logistic closed form;
  // for N = 3, 4 a scalar RK4 written here, at a step whose error is < 1e-12.
  Rng rng(21);
  const Eigen::MatrixXd M = rng.normal_matrix(3, 4);
  const Dataset data = whitened_dataset(M, 64, 17);
  auto loss = std::make_shared<SquareLoss>(data);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(M, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::MatrixXd U = svd.matrixU(), V = svd.matrixV();
  const Eigen::VectorXd s = svd.singularValues();
  const Eigen::VectorXd u0 = Eigen::Vector3d(0.05, 0.03, 0.02);
  for (int N = 2; N <= 4; ++N) {
    INFO("depth " << N);
    const EndToEndFlow e2e(loss, N);
    const double T = 25.0 / s.minCoeff();
    const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 20}, T);
    const RunResult r = integrate(e2e, flat(U * u0.asDiagonal() * V.transpose()), times,
                                  {.rtol = 1e-12, .atol = 1e-14}, {.t_end = T});
    REQUIRE(r.stats.status == RunStatus::completed);
    auto mode_rate = [&](double u, double target) {
      return N * std::pow(u, 2.0 - 2.0 / N) * (target - u);
    };
    for (std::size_t k = 0; k < times.size(); ++k) {
      Eigen::VectorXd u(3);
      for (int i = 0; i < 3; ++i) {
        if (N == 2) {
          u[i] = s[i] / (1.0 + (s[i] / u0[i] - 1.0) * std::exp(-2.0 * s[i] * times[k]));
        } else {
          // Scalar RK4, h = 2e-4: the mode ODE is smooth and its error O(h⁴) ≈ 1e-14.
          const long steps = std::max(1L, std::lround(times[k] / 2e-4));
          const double h = times[k] / static_cast<double>(steps);
          double y = u0[i];
          for (long n = 0; n < steps; ++n) {
            const double k1 = mode_rate(y, s[i]), k2 = mode_rate(y + 0.5 * h * k1, s[i]);
            const double k3 = mode_rate(y + 0.5 * h * k2, s[i]), k4 = mode_rate(y + h * k3, s[i]);
            y += h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4);
          }
          u[i] = y;
        }
      }
      const Eigen::MatrixXd expected = U * u.asDiagonal() * V.transpose();
      INFO("t = " << times[k]);
      // rtol 1e-12 per step, amplified at most by the sigmoid's growth (s/u0 ≈ 1e2).
      CHECK((as_matrix(r.trajectory.states[k], 3, 4) - expected).norm() <= 1e-6 * expected.norm());
    }
    // The horizon covers the whole sigmoid: every mode ends near its target.
    const Eigen::VectorXd sv =
        Eigen::JacobiSVD<Eigen::MatrixXd>(as_matrix(r.trajectory.states.back(), 3, 4))
            .singularValues();
    CHECK((sv - s).norm() <= 1e-3 * s.norm());
  }
}

TEST_CASE(
    "the discrete end-to-end update and GD on balanced layers differ by order eta squared per "
    "step") {
  const Dataset data = random_dataset(5, 3, 40, 9);
  auto loss = std::make_shared<SquareLoss>(data);
  for (int N = 2; N <= 4; ++N) {
    INFO("depth " << N);
    const LinearNetwork net(loss, {.widths = widths_for(N, 5, 4, 3)});
    const EndToEndFlow e2e(loss, N);
    Rng rng(N);
    const Eigen::VectorXd x0 = net.init_balanced(1.0, rng);
    auto gap = [&](double eta) {
      const RunResult gd = gradient_descent(net, x0, eta, {0.0, eta}, {.t_end = eta});
      const RunResult eu =
          gradient_descent(e2e, flat(net.end_to_end(x0)), eta, {0.0, eta}, {.t_end = eta});
      return (net.end_to_end(gd.trajectory.states.back()) -
              as_matrix(eu.trajectory.states.back(), 3, 5))
          .norm();
    };
    const double ratio = gap(1e-3) / gap(5e-4);
    INFO("ratio " << ratio);
    // Leading term η²C; the O(η³) remainder shifts the ratio by O(η) ≈ 1e-3.
    CHECK(ratio == Approx(4.0).epsilon(0.01));
  }
}

TEST_CASE("the end-to-end flow refuses depth 0") {
  const Dataset data = random_dataset(5, 3, 10, 1);
  CHECK_THROWS_WITH(EndToEndFlow(std::make_shared<SquareLoss>(data), 0),
                    Catch::Contains("depth N >= 1, got 0"));
}

TEST_CASE(
    "Saxe's per-mode solution is exact where the target singular value is zero or round-off "
    "small") {
  // u̇ = 2u(s − u) (DESIGN.md §7, N = 2), integrated here by scalar RK4 at
  // h = 1e-4 (error O(h⁴) ≈ 1e-16 on this O(1) logistic), sharing no code with
  // the oracle; s = 0 and s = 1e-16 are where s / (1 + (s/u0 − 1)e^{−2st})
  // cancels to 0/0 or loses its digits.
  const Eigen::Vector4d s(2.0, 0.5, 1e-16, 0.0);
  const Eigen::Vector4d u0(0.03, 0.03, 0.03, 0.03);
  const SaxeOracle oracle{Eigen::MatrixXd::Identity(4, 4), Eigen::MatrixXd::Identity(4, 4), s, u0};
  // At t = 0 every mode is its start, to the last bit but one.
  const Eigen::VectorXd at_zero = oracle.modes(0.0);
  for (int k = 0; k < 4; ++k) CHECK(at_zero[k] == Approx(u0[k]).epsilon(1e-15));
  for (double t : {0.5, 2.0, 10.0}) {
    const Eigen::VectorXd u = oracle.modes(t);
    for (int k = 0; k < 4; ++k) {
      const double y = gradflow::testing::scalar_rk4(
          [&](double u_k) { return 2.0 * u_k * (s[k] - u_k); }, u0[k], t, 1e-4);
      INFO("t = " << t << ", s = " << s[k] << ", oracle " << u[k] << ", RK4 " << y);
      // RK4's error plus ~1e5 steps of round-off (≈ 1e5 · 1e-17 relative).
      CHECK(u[k] == Approx(y).epsilon(1e-11));
    }
  }
}

TEST_CASE(
    "from balanced rank-deficient starts at depths 3 and 4 the end-to-end flow follows the layers' "
    "product to a few rtol") {
  // Hidden widths 4 above the rank k: the zero-padded balanced layers keep
  // their zero rows and columns exactly along the per-layer flow (a polynomial
  // field), so the product stays of rank k; the end-to-end flow from the same
  // W(0) keeps that rank and must agree with it as two solutions of one
  // smooth flow do.
  const Dataset data = random_dataset(6, 3, 60, 7);
  auto loss = std::make_shared<SquareLoss>(data);
  const double rtol = 1e-10, T = 10.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 21}, T);
  for (int N = 3; N <= 4; ++N) {
    for (Eigen::Index k : {1, 2, 3}) {  // rank 3 = full rank: the control
      INFO("depth " << N << ", rank " << k);
      const LinearNetwork net(loss, {.widths = widths_for(N, 6, 4, 3)});
      Rng rng(40 + N + 10 * k);
      const Eigen::VectorXd x0 =
          net.init_balanced_from(rng.normal_matrix(3, k) * rng.normal_matrix(k, 6));
      const Eigen::MatrixXd W0 = net.end_to_end(x0);
      const auto kept = rank_kept_from(W0, N);
      REQUIRE(kept == (k < 3 ? std::optional<Eigen::Index>(k) : std::nullopt));
      const EndToEndFlow e2e(loss, N, {.max_rank = kept});
      const MethodOptions method{.rtol = rtol, .atol = 1e-12};
      const RunResult layers = integrate(net, x0, times, method, {.t_end = T});
      const RunResult product = integrate(e2e, flat(W0), times, method, {.t_end = T});
      REQUIRE(layers.stats.status == RunStatus::completed);
      REQUIRE(product.stats.status == RunStatus::completed);
      double worst = 0.0, off_rank = 0.0;
      for (std::size_t i = 0; i < times.size(); ++i) {
        const Eigen::MatrixXd W = net.end_to_end(layers.trajectory.states[i]);
        const Eigen::MatrixXd We = as_matrix(product.trajectory.states[i], 3, 6);
        worst = std::max(worst, (W - We).norm() / W.norm());
        const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(We).singularValues();
        if (k < 3) off_rank = std::max(off_rank, sv[k] / sv[0]);
      }
      INFO("worst relative gap " << worst / rtol << " rtol, largest sigma_{k+1}/sigma_1 "
                                 << off_rank << ", field evaluations: layers "
                                 << layers.stats.field_evaluations << ", e2e "
                                 << product.stats.field_evaluations);
      // Each dopri5 solution carries a global error of about rtol: the flow
      // converges (nothing amplifies) over ~10² accepted steps. The full-rank
      // controls measure 0.5-0.6 rtol, the rank-deficient starts 0.2-1.2 rtol
      // (before the rank was kept: 700 rtol at N = 3); 10 rtol bounds them.
      CHECK(worst <= 10.0 * rtol);
      // The state leaves the rank-k set only by the solver's local errors
      // normal to it, each below rtol·‖W‖ and not amplified (measured 0.1 rtol).
      CHECK(off_rank <= 10.0 * rtol);
      // A smooth field: no more work than the layers' flow (before, 4x and 20x).
      CHECK(product.stats.field_evaluations <= 2 * layers.stats.field_evaluations);
    }
  }
}

TEST_CASE(
    "keeping the rank leaves the field unchanged on the rank-k set and Lipschitz next to it") {
  const Dataset data = random_dataset(6, 3, 40, 2);
  auto loss = std::make_shared<SquareLoss>(data);
  Rng rng(8);
  const Eigen::MatrixXd W =
      rng.normal_matrix(3, 1) * rng.normal_matrix(1, 6);  // rank one, in floating point
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(W, Eigen::ComputeFullU | Eigen::ComputeFullV);
  // A step δ off the rank-one set, in its normal (null-null) block.
  const Eigen::MatrixXd normal = svd.matrixU().col(1) * svd.matrixV().col(1).transpose();
  const double delta = 1e-10;
  for (int N = 2; N <= 4; ++N) {
    INFO("depth " << N);
    const EndToEndFlow free(loss, N), kept(loss, N, {.max_rank = 1});
    Eigen::VectorXd v_free, v_kept, v_free_off, v_kept_off;
    free.velocity(flat(W), 0.0, v_free);
    kept.velocity(flat(W), 0.0, v_kept);
    // On the set the round-off singular values are below the cutoff anyway:
    // the same field to the bit.
    CHECK(v_free == v_kept);
    free.velocity(flat(W + delta * normal), 0.0, v_free_off);
    kept.velocity(flat(W + delta * normal), 0.0, v_kept_off);
    const double moved_free = (v_free_off - v_free).norm() / v_free.norm();
    const double moved_kept = (v_kept_off - v_kept).norm() / v_kept.norm();
    INFO("relative change of the field: free " << moved_free << ", kept " << moved_kept);
    // Kept: Lipschitz, a change O(δ) (constants O(1) for this O(1) problem).
    CHECK(moved_kept <= 100.0 * delta);
    // Free: Hölder, the middle terms 1 < j < N move by ~δ^{2/N}·|u_1ᵀ∇ℓ v_2|
    // (N = 2 has none: its powers s^1 are linear in the small singular value).
    // Measured ≈ 0.025·δ^{2/N}, over 10³ times the kept field's change.
    if (N > 2) CHECK(moved_free >= 100.0 * moved_kept);
  }
}

TEST_CASE("the rank kept from a start is its numerical rank below full rank and from depth 2 on") {
  Rng rng(5);
  const Eigen::MatrixXd full = rng.normal_matrix(3, 6);
  const Eigen::MatrixXd rank_two = rng.normal_matrix(3, 2) * rng.normal_matrix(2, 6);
  CHECK_FALSE(rank_kept_from(full, 3).has_value());
  CHECK_FALSE(rank_kept_from(rank_two, 1).has_value());  // −∇ℓ changes the rank
  CHECK(rank_kept_from(rank_two, 2) == std::optional<Eigen::Index>(2));
  CHECK(rank_kept_from(Eigen::MatrixXd::Zero(3, 6), 3) == std::optional<Eigen::Index>(0));
  const Dataset data = random_dataset(6, 3, 10, 1);
  auto loss = std::make_shared<SquareLoss>(data);
  CHECK_THROWS_WITH(EndToEndFlow(loss, 1, {.max_rank = 1}), Catch::Contains("from depth N = 2 on"));
  CHECK_THROWS_WITH(EndToEndFlow(loss, 3, {.max_rank = 4}),
                    Catch::Contains("between 0 and min(dN, d0) = 3, got 4"));
  CHECK_THAT(EndToEndFlow(loss, 3, {.max_rank = 1}).describe(),
             Catch::Contains("kept on rank <= 1"));
  CHECK_THAT(EndToEndFlow(loss, 3).describe(), !Catch::Contains("kept on rank"));
}
