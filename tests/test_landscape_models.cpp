// The small landscapes against finite differences of their own loss and
// against formulas written out here.

#include "integrators/integrate.hpp"
#include "models/least_squares.hpp"
#include "models/wide_sharp_1d.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>

using namespace gradflow;
using gradflow::testing::finite_difference_gradient;

namespace {
// f written as in DESIGN.md §4 (fine for moderate θ, where e^{3(θ−3)} does not overflow).
double plain_f(double t) {
  const double e = std::exp(3.0 * (t - 3.0));
  return (10.0 * t * t + e * ((t - 10.0) * (t - 10.0) / 2.0 + 50.0)) / (1.0 + e);
}
}  // namespace

TEST_CASE(
    "the wide/sharp landscape equals DESIGN.md's formula and its derivatives match finite "
    "differences") {
  const WideSharp1D f;
  for (double t = -5.0; t <= 20.0; t += 0.125) {
    INFO("theta " << t);
    const Eigen::VectorXd x = Eigen::VectorXd::Constant(1, t);
    // Two ways of writing one rational expression: a few ulps of f ≤ 250.
    CHECK(f.loss(x) == Approx(plain_f(t)).epsilon(1e-13));
    // Central differences with h = 1e-5: truncation h²|f'''|/6 ≲ 1e-10·1e3 and
    // round-off ε|f|/h ≈ 3e-9, so 1e-6 relative to max(|f'|, 1) is ample.
    Eigen::VectorXd g;
    f.gradient(x, g);
    const double fd = finite_difference_gradient(f, x, 1e-5)[0];
    CHECK(std::abs(g[0] - fd) <= 1e-6 * std::max(std::abs(fd), 1.0));
    // f'' from central differences of the analytic f' (the same error budget).
    const double h = 1e-5;
    const double fd2 = (WideSharp1D::slope(t + h) - WideSharp1D::slope(t - h)) / (2.0 * h);
    Eigen::VectorXd hv;
    f.hessian_vector(x, Eigen::VectorXd::Constant(1, 2.0), hv);
    CHECK(std::abs(hv[0] - 2.0 * fd2) <= 2e-6 * std::max(std::abs(fd2), 1.0));
    CHECK(f.has_analytic_hessian_vector());
  }
}

TEST_CASE("the wide/sharp landscape stays finite where e to the 3(theta-3) overflows") {
  const WideSharp1D f;
  // Far right f = b(θ) = (θ − 10)²/2 + 50 exactly (the weight 1 − s underflows);
  // far left f = 10θ².
  for (double t : {300.0, 1e5, 1e100}) {
    INFO("theta " << t);
    CHECK(std::isnan(plain_f(t)));  // the naive form: inf/inf
    CHECK(WideSharp1D::value(t) == 0.5 * (t - 10.0) * (t - 10.0) + 50.0);
    CHECK(WideSharp1D::slope(t) == t - 10.0);
    CHECK(WideSharp1D::curvature(t) == 1.0);
    CHECK(WideSharp1D::value(-t) == 10.0 * t * t);
    CHECK(WideSharp1D::slope(-t) == -20.0 * t);
    CHECK(WideSharp1D::curvature(-t) == 20.0);
  }
  // Beyond 1e154 the value itself overflows: +inf, never NaN; the slope stays finite.
  CHECK(WideSharp1D::value(1e200) == std::numeric_limits<double>::infinity());
  CHECK(WideSharp1D::slope(1e200) == 1e200 - 10.0);
}

TEST_CASE(
    "the wide/sharp minima are stationary, sharp near 0 with curvature 20 and wide near 10 with "
    "curvature 1") {
  const WideSharp1D f;
  const auto& minima = f.named_minima();
  REQUIRE(minima.size() == 2);
  CHECK(minima[0].name == "sharp");
  CHECK(minima[1].name == "wide");
  const double sharp = minima[0].point[0], wide = minima[1].point[0];
  // f' vanishes to round-off of its terms (≲ 1e-13 at these points).
  CHECK(std::abs(WideSharp1D::slope(sharp)) < 1e-12);
  CHECK(std::abs(WideSharp1D::slope(wide)) < 1e-12);
  // Near 0 the weight s ≈ e^{−9} barely tilts 10θ²; near 10, 1 − s ≈ e^{−21}.
  CHECK(std::abs(sharp) < 0.01);
  CHECK(std::abs(wide - 10.0) < 1e-4);
  CHECK(WideSharp1D::curvature(sharp) == Approx(20.0).epsilon(0.01));
  CHECK(WideSharp1D::curvature(wide) == Approx(1.0).epsilon(0.01));
  // Minima, not maxima: f rises on both sides.
  for (double m : {sharp, wide}) {
    CHECK(WideSharp1D::value(m - 1e-3) > WideSharp1D::value(m));
    CHECK(WideSharp1D::value(m + 1e-3) > WideSharp1D::value(m));
  }
  CHECK(WideSharp1D::value(sharp) < WideSharp1D::value(wide));  // the sharp one is global
}

TEST_CASE(
    "least squares gradient and Hessian-vector products equal the formulas and finite "
    "differences") {
  Rng rng(11);
  const Eigen::MatrixXd X = rng.normal_matrix(7, 4);
  const Eigen::VectorXd y = rng.normal_matrix(7, 1);
  const LeastSquares ls(X, y);
  const Eigen::VectorXd theta = rng.normal_matrix(4, 1);
  const Eigen::VectorXd v = rng.normal_matrix(4, 1);
  // Not divided by n.
  CHECK(ls.loss(theta) == Approx(0.5 * (X * theta - y).squaredNorm()).epsilon(1e-14));
  Eigen::VectorXd g, hv;
  ls.gradient(theta, g);
  CHECK((g - X.transpose() * (X * theta - y)).norm() <= 1e-13 * g.norm());
  // A quadratic: central differences have no truncation error, only round-off
  // ε|L|/h ≈ 1e-16·10/1e-5 = 1e-10.
  CHECK((g - finite_difference_gradient(ls, theta, 1e-5)).norm() <= 1e-7 * g.norm());
  ls.hessian_vector(theta, v, hv);
  CHECK((hv - X.transpose() * (X * v)).norm() <= 1e-13 * hv.norm());
  const double h = 1e-5;
  Eigen::VectorXd gp, gm;
  ls.gradient(theta + h * v, gp);
  ls.gradient(theta - h * v, gm);
  CHECK((hv - (gp - gm) / (2.0 * h)).norm() <= 1e-7 * hv.norm());
  CHECK(ls.has_analytic_hessian_vector());

  const Eigen::VectorXd eig =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(X.transpose() * X).eigenvalues();
  CHECK(ls.lambda_max() == Approx(eig.maxCoeff()).epsilon(1e-12));
  CHECK(ls.stability_threshold() == Approx(2.0 / eig.maxCoeff()).epsilon(1e-12));
  // The minimiser: the gradient vanishes there (normal equations, to round-off).
  REQUIRE(ls.named_minima().size() == 1);
  ls.gradient(ls.named_minima()[0].point, g);
  CHECK(g.norm() <= 1e-12 * (X.norm() * y.norm()));
}

TEST_CASE(
    "least squares with fewer samples than unknowns has a minimum-norm solution and no single "
    "named minimum") {
  Rng rng(12);
  const Eigen::MatrixXd X = rng.normal_matrix(3, 6);
  const Eigen::VectorXd y = rng.normal_matrix(3, 1);
  const LeastSquares ls(X, y);
  CHECK(ls.named_minima().empty());
  CHECK(ls.minimum_loss() <= 1e-24);  // n < d: y is fitted exactly
  // θ⁺ = Xᵀ(XXᵀ)⁻¹y, the minimum-norm interpolant.
  const Eigen::VectorXd expected = X.transpose() * (X * X.transpose()).ldlt().solve(y);
  CHECK((ls.solution() - expected).norm() <= 1e-12 * expected.norm());
  CHECK_THROWS_AS(LeastSquares(X, Eigen::VectorXd::Zero(4)), std::invalid_argument);
}

TEST_CASE("least-squares gradient flow in closed form agrees with dopri5") {
  // θ̇ = −XᵀX(θ − θ⁺) is linear: the exact integrator solves it by one
  // eigendecomposition; dopri5 at rtol = atol = 1e-12 over t ≤ 1 (≈ λ_max·t
  // ≈ 20 e-foldings of the fastest mode) is within ~1e-10 of it.
  Rng rng(13);
  const LeastSquares ls(rng.normal_matrix(20, 5), rng.normal_matrix(20, 1));
  const Eigen::VectorXd x0 = rng.normal_matrix(5, 1);
  const std::vector<double> times{0.0, 0.01, 0.1, 0.5, 1.0};
  const StopOptions stop{.t_end = 1.0};
  const RunResult exact = integrate(ls, x0, times, {.method = Method::exact}, stop);
  const RunResult adaptive = integrate(ls, x0, times, {.rtol = 1e-12, .atol = 1e-12}, stop);
  REQUIRE(exact.trajectory.size() == times.size());
  REQUIRE(adaptive.trajectory.size() == times.size());
  for (std::size_t k = 0; k < times.size(); ++k) {
    INFO("t = " << times[k]);
    CHECK((exact.trajectory.states[k] - adaptive.trajectory.states[k]).norm() <=
          1e-10 * std::max(1.0, x0.norm()));
  }
}
