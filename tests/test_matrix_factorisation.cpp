// The asymmetric (deep) matrix factorisation W = W_N ⋯ W_1 of an m × n matrix
// (models/matrix_factorisation.hpp) against oracles that share none of its
// code: central differences, an independent fourth-order Runge–Kutta solve of
// the end-to-end flow (Arora, Cohen & Hazan 2018) with its own matrix powers,
// and the nested observation order by set inclusion.

#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/gaussian_sensing.hpp"
#include "models/matrix_completion.hpp"
#include "models/matrix_factorisation.hpp"
#include "models/matrix_factorisation_end_to_end.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

using namespace gradflow;
using gradflow::testing::finite_difference_gradient;

namespace {

// A completion loss of an m × n matrix with `count` entries observed (nested draw).
std::shared_ptr<const MatrixCompletionLoss> completion(Eigen::Index m, Eigen::Index n,
                                                       Eigen::Index count, std::uint64_t seed) {
  Rng rng(seed);
  const Eigen::MatrixXd truth = rng.normal_matrix(m, n);
  return std::make_shared<const MatrixCompletionLoss>(truth,
                                                      nested_observed_entries(m, n, count, rng));
}

double scalar(const Observation& obs, const std::string& name) {
  for (const auto& [key, value] : obs.scalars) {
    if (key == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

bool has_scalar(const Observation& obs, const std::string& name) {
  return std::any_of(obs.scalars.begin(), obs.scalars.end(),
                     [&](const auto& s) { return s.first == name; });
}

// The end-to-end field written out from its formula with a thin SVD of the
// test's own: Ẇ = −Σ_j (WWᵀ)^{(j−1)/N} ∇ℓ(W) (WᵀW)^{(N−j)/N}, where
// (WWᵀ)^p = U S^{2p} Uᵀ for p > 0 and I for p = 0 (W of full rank min(m, n)).
Eigen::MatrixXd reference_e2e_velocity(const MatrixLoss& loss, const Eigen::MatrixXd& W, int N) {
  Eigen::MatrixXd G(W.rows(), W.cols());
  loss.gradient(W, G);
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(W, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::MatrixXd& U = svd.matrixU();
  const Eigen::MatrixXd& V = svd.matrixV();
  const Eigen::ArrayXd s = svd.singularValues().array();
  auto left = [&](double p) -> Eigen::MatrixXd {
    if (p == 0.0) return Eigen::MatrixXd::Identity(W.rows(), W.rows());
    return U * s.pow(2.0 * p).matrix().asDiagonal() * U.transpose();
  };
  auto right = [&](double p) -> Eigen::MatrixXd {
    if (p == 0.0) return Eigen::MatrixXd::Identity(W.cols(), W.cols());
    return V * s.pow(2.0 * p).matrix().asDiagonal() * V.transpose();
  };
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(W.rows(), W.cols());
  for (int j = 1; j <= N; ++j) out -= left(double(j - 1) / N) * G * right(double(N - j) / N);
  return out;
}

// Classical RK4 at a fixed step on the reference field.
Eigen::MatrixXd reference_e2e_solve(const MatrixLoss& loss, Eigen::MatrixXd W, int N, double T,
                                    int steps) {
  const double h = T / steps;
  for (int k = 0; k < steps; ++k) {
    const Eigen::MatrixXd k1 = reference_e2e_velocity(loss, W, N);
    const Eigen::MatrixXd k2 = reference_e2e_velocity(loss, W + 0.5 * h * k1, N);
    const Eigen::MatrixXd k3 = reference_e2e_velocity(loss, W + 0.5 * h * k2, N);
    const Eigen::MatrixXd k4 = reference_e2e_velocity(loss, W + h * k3, N);
    W += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
  }
  return W;
}

}  // namespace

TEST_CASE(
    "the factorisation gradient matches central differences at depths 1 to 4 and "
    "non-square shapes") {
  struct Shape {
    Eigen::Index m, n, width, observed;
  };
  for (const Shape shape :
       {Shape{4, 3, 0, 8}, Shape{3, 5, 4, 10}, Shape{5, 2, 3, 7}, Shape{3, 3, 2, 6}}) {
    for (int depth = 1; depth <= 4; ++depth) {
      INFO(shape.m << " x " << shape.n << ", width " << shape.width << ", depth " << depth);
      const auto loss = completion(shape.m, shape.n, shape.observed, 11);
      const MatrixFactorisation model(loss, {.depth = depth, .width = shape.width});
      Rng rng(static_cast<std::uint64_t>(depth) + 3);
      const Eigen::VectorXd x = model.init_gaussian(0.8, rng);
      Eigen::VectorXd g;
      model.gradient(x, g);
      // Central differences at h = 1e-6: truncation h²·|φ'''| ~ 1e-12 and
      // round-off ε·φ/h ~ 1e-10, far below 1e-6 of ‖g‖.
      const Eigen::VectorXd fd = finite_difference_gradient(model, x, 1e-6);
      CHECK((g - fd).norm() <= 1e-6 * g.norm());
      CHECK(g.norm() > 1e-3);  // a point where the gradient is not trivially zero
      // The Hessian-vector product against the difference of gradients, same step.
      const Eigen::VectorXd v = rng.normal_matrix(model.dim(), 1);
      Eigen::VectorXd hv, gp, gm;
      model.hessian_vector(x, v, hv);
      model.gradient(x + 1e-6 * v, gp);
      model.gradient(x - 1e-6 * v, gm);
      CHECK((hv - (gp - gm) / 2e-6).norm() <= 1e-5 * hv.norm());
      // Layer shapes: W_1 is k × n, W_N is m × k.
      CHECK(model.layout().blocks().front().cols == shape.n);
      CHECK(model.layout().blocks().back().rows == shape.m);
      CHECK(model.product(x).rows() == shape.m);
      CHECK(model.product(x).cols() == shape.n);
    }
  }
}

TEST_CASE("from a balanced start the product of the layers follows the end-to-end flow") {
  for (int depth : {2, 3}) {
    INFO("depth " << depth);
    const auto loss = completion(4, 3, 9, 5);
    const MatrixFactorisation model(loss, {.depth = depth});
    Rng rng(2);
    const Eigen::VectorXd x0 = model.init_balanced(1.0, rng);
    const Eigen::MatrixXd W0 = model.product(x0);
    const double T = 20.0;
    const RunResult r =
        integrate(model, x0, {0.0, T}, {.rtol = 1e-11, .atol = 1e-13}, {.t_end = T});
    REQUIRE(r.stats.status == RunStatus::completed);
    const Eigen::MatrixXd W_layers = model.product(r.trajectory.states.back());
    CHECK(loss->value(W_layers) < 0.2 * loss->value(W0));  // the flow has moved

    const Eigen::MatrixXd W_ref = reference_e2e_solve(*loss, W0, depth, T, 4000);
    const double gap = (W_layers - W_ref).norm() / W_ref.norm();
    WARN("depth " << depth << ": ‖W_layers − W_e2e‖/‖W_e2e‖ = " << gap);
    // dopri5 at rtol 1e-11 over ~10³ steps keeps a global error ~1e-9 of ‖W‖;
    // RK4 at h = 5e-3 errs by ~h⁴ = 6e-10 per unit time: 1e-7 bounds both.
    CHECK((W_layers - W_ref).norm() <= 1e-7 * W_ref.norm());
    // Not vacuous: plain gradient flow on W (depth 1) ends elsewhere.
    const Eigen::MatrixXd W_depth1 = reference_e2e_solve(*loss, W0, 1, T, 4000);
    CHECK((W_depth1 - W_ref).norm() > 1e-2 * W_ref.norm());

    // The model's own end-to-end flow agrees with the reference too.
    const FactorisationEndToEnd e2e(loss, depth);
    const Eigen::VectorXd w0 = Eigen::Map<const Eigen::VectorXd>(W0.data(), W0.size());
    const RunResult e = integrate(e2e, w0, {0.0, T}, {.rtol = 1e-11, .atol = 1e-13}, {.t_end = T});
    REQUIRE(e.stats.status == RunStatus::completed);
    CHECK((e2e.project(e.trajectory.states.back()) - W_ref).norm() <= 1e-7 * W_ref.norm());
  }
}

TEST_CASE("from an unbalanced start the product leaves the end-to-end flow") {
  // The control of the test above: balancedness, not the formula, makes them agree.
  const auto loss = completion(4, 3, 9, 5);
  const MatrixFactorisation model(loss, {.depth = 2});
  Rng rng(2);
  const Eigen::VectorXd x0 = model.init_gaussian(0.7, rng);
  const Eigen::MatrixXd W0 = model.product(x0);
  const double T = 20.0;
  const RunResult r = integrate(model, x0, {0.0, T}, {.rtol = 1e-11, .atol = 1e-13}, {.t_end = T});
  const Eigen::MatrixXd W_ref = reference_e2e_solve(*loss, W0, 2, T, 4000);
  CHECK((model.product(r.trajectory.states.back()) - W_ref).norm() > 1e-4 * W_ref.norm());
}

TEST_CASE("unknown ground-truth entries never reach the loss or its gradient") {
  Rng rng(4);
  const Eigen::MatrixXd known = rng.normal_matrix(5, 4);
  const std::vector<MatrixEntry> observed = nested_observed_entries(5, 4, 9, rng);
  Eigen::MatrixXd with_nan = known, with_other = known;
  std::set<std::pair<Eigen::Index, Eigen::Index>> in_omega;
  for (const auto& [i, j] : observed) in_omega.insert({i, j});
  int unknown = 0;
  for (Eigen::Index j = 0; j < 4; ++j) {
    for (Eigen::Index i = 0; i < 5; ++i) {
      if (in_omega.count({i, j}) == 0) {
        with_nan(i, j) = std::numeric_limits<double>::quiet_NaN();
        with_other(i, j) = 1e6 * (1.0 + static_cast<double>(i + j));
        ++unknown;
      }
    }
  }
  REQUIRE(unknown == 11);
  auto a = std::make_shared<const MatrixCompletionLoss>(with_nan, observed);
  auto b = std::make_shared<const MatrixCompletionLoss>(with_other, observed);
  const MatrixFactorisation ma(a, {.depth = 3}), mb(b, {.depth = 3});
  const Eigen::VectorXd x = ma.init_gaussian(0.9, rng);
  CHECK(std::isfinite(ma.loss(x)));
  CHECK(ma.loss(x) == mb.loss(x));  // bitwise: the same observed entries in the same order
  Eigen::VectorXd ga, gb;
  ma.gradient(x, ga);
  mb.gradient(x, gb);
  CHECK(ga.allFinite());
  CHECK(ga == gb);

  // Metrics: the errors that need W* everywhere are left out, not NaN.
  FactorisationMetricsOptions options{
      .truth = with_nan, .unobserved_mask = Eigen::MatrixXd::Ones(5, 4), .observed_error = true};
  for (const auto& [i, j] : observed) options.unobserved_mask(i, j) = 0.0;
  const FactorisationMetrics metrics(options);
  CHECK_FALSE(metrics.truth_fully_known());
  const Eigen::MatrixXd W = ma.product(x);
  Observation obs;
  metrics.observe(W, obs);
  CHECK_FALSE(has_scalar(obs, "reconstruction_error"));
  CHECK_FALSE(has_scalar(obs, "unobserved_error"));
  for (const auto& [name, value] : obs.scalars) {
    INFO(name);
    CHECK(std::isfinite(value));
  }
  // observed_error = ‖P_Ω(W − W*)‖_F / ‖P_Ω(W*)‖_F, summed here entry by entry.
  double num = 0.0, den = 0.0;
  for (const auto& [i, j] : observed) {
    num += (W(i, j) - known(i, j)) * (W(i, j) - known(i, j));
    den += known(i, j) * known(i, j);
  }
  CHECK(scalar(obs, "observed_error") == Approx(std::sqrt(num / den)).epsilon(1e-13));
}

TEST_CASE("observed entries are nested across counts for one seed") {
  for (std::uint64_t seed : {1u, 7u, 42u}) {
    Rng r60(seed), r100(seed), rall(seed);
    const auto first60 = nested_observed_entries(9, 13, 60, r60);
    const auto first100 = nested_observed_entries(9, 13, 100, r100);
    const auto order = observation_order(9, 13, rall);
    REQUIRE(first60.size() == 60);
    REQUIRE(first100.size() == 100);
    std::set<std::pair<Eigen::Index, Eigen::Index>> big, all;
    for (const auto& [i, j] : first100) big.insert({i, j});
    for (const auto& [i, j] : order) all.insert({i, j});
    CHECK(big.size() == 100);     // distinct
    CHECK(all.size() == 9 * 13);  // the order is a permutation of every entry
    for (const auto& [i, j] : first60) CHECK(big.count({i, j}) == 1);
    CHECK(std::is_sorted(first60.begin(), first60.end(), [](const auto& x, const auto& y) {
      return x.col != y.col ? x.col < y.col : x.row < y.row;
    }));
  }
  // Uniform: over 3000 seeds each of the 12 entries of a 3 × 4 matrix is among
  // the first 4 with probability 1/3; binomial sd √(3000·(1/3)(2/3)) ≈ 26, 5 sd ≈ 130.
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(3, 4);
  for (std::uint64_t seed = 0; seed < 3000; ++seed) {
    Rng rng(seed);
    for (const auto& [i, j] : nested_observed_entries(3, 4, 4, rng)) counts(i, j) += 1.0;
  }
  INFO(counts);
  CHECK((counts.array() - 1000.0).abs().maxCoeff() <= 130.0);
}

TEST_CASE("the factorisation model refuses depth 0 and a negative width") {
  const auto loss = completion(3, 4, 5, 1);
  CHECK_THROWS_WITH(MatrixFactorisation(loss, {.depth = 0}),
                    Catch::Contains("depth N must be >= 1"));
  CHECK_THROWS_WITH(MatrixFactorisation(loss, {.depth = 2, .width = -1}),
                    Catch::Contains("hidden width k must be positive"));
  Rng rng(1);
  CHECK_THROWS_WITH(nested_observed_entries(3, 4, 13, rng),
                    Catch::Contains("between 1 and m·n = 12"));
}

TEST_CASE(
    "the sensing loss of a non-square matrix has the gradient and Hessian of central "
    "differences") {
  Rng rng(6);
  const Eigen::MatrixXd truth = rng.normal_matrix(3, 5);
  const Eigen::MatrixXd A = draw_gaussian_measurements(3, 5, 11, rng);
  const Eigen::VectorXd y = A * Eigen::Map<const Eigen::VectorXd>(truth.data(), truth.size());
  auto loss = std::make_shared<const GaussianSensingLoss>(3, 5, A, y);
  const Eigen::MatrixXd W = rng.normal_matrix(3, 5);
  // ℓ(W) = 1/(2m') Σ_k (⟨A_k, W⟩ − y_k)², written out entry by entry.
  double sum = 0.0;
  for (Eigen::Index k = 0; k < 11; ++k) {
    double inner = 0.0;
    for (Eigen::Index j = 0; j < 5; ++j) {
      for (Eigen::Index i = 0; i < 3; ++i) inner += A(k, j * 3 + i) * W(i, j);
    }
    sum += (inner - y[k]) * (inner - y[k]);
  }
  CHECK(loss->value(W) == Approx(sum / 22.0).epsilon(1e-13));
  CHECK(loss->value(truth) <= 1e-28 * sum);
  Eigen::MatrixXd G(3, 5), D(3, 5);
  loss->gradient(W, G);
  // Central differences of a quadratic are exact up to round-off ε·ℓ/h.
  CHECK((G - gradflow::testing::finite_difference_matrix_gradient(*loss, W, 1e-5)).norm() <=
        1e-8 * G.norm());
  const Eigen::MatrixXd V = rng.normal_matrix(3, 5);
  loss->hessian_action(W, V, D);
  Eigen::MatrixXd Gp(3, 5), Gm(3, 5);
  loss->gradient(W + V, Gp);
  loss->gradient(W - V, Gm);
  CHECK((D - (Gp - Gm) / 2.0).norm() <= 1e-12 * D.norm());  // ∇ℓ is affine: exact
  // Through a depth-3 factorisation with a narrow hidden width.
  const MatrixFactorisation model(loss, {.depth = 3, .width = 2});
  const Eigen::VectorXd x = model.init_gaussian(0.7, rng);
  Eigen::VectorXd g;
  model.gradient(x, g);
  CHECK((g - finite_difference_gradient(model, x, 1e-6)).norm() <= 1e-6 * g.norm());
  CHECK_THROWS_WITH(GaussianSensingLoss(3, 4, A, y),
                    Catch::Contains("expected m' x (m·n) = m' x 12"));
}
