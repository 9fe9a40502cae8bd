// The matrix sensing loss against oracles independent of its packed storage:
// central differences of the loss, and the dense formula summed term by term.

#include "models/matrix_sensing.hpp"
#include "models/psd_ground_truth.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;

namespace {

struct SensingProblem {
  Eigen::MatrixXd A;  // m × d²
  Eigen::MatrixXd truth;
  Eigen::VectorXd b;
};

SensingProblem sensing_problem(Eigen::Index d, Eigen::Index r, Eigen::Index m, std::uint64_t seed) {
  Rng rng(seed);
  SensingProblem p;
  p.truth = make_psd_ground_truth({.size = d, .rank = r}, rng);
  p.A = draw_symmetric_gaussian_measurements(d, m, rng);
  p.b = sensing_targets(p.A, p.truth);
  return p;
}

Eigen::MatrixXd measurement(const Eigen::MatrixXd& A, Eigen::Index i, Eigen::Index d) {
  const Eigen::RowVectorXd row = A.row(i);
  return Eigen::Map<const Eigen::MatrixXd>(row.data(), d, d);
}

// ∇ℓ(W) = (1/m) Σ_i (⟨A_i, W⟩ − b_i) A_i, term by term on dense matrices.
Eigen::MatrixXd dense_gradient(const SensingProblem& p, const Eigen::MatrixXd& W) {
  const Eigen::Index d = W.rows();
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(d, d);
  for (Eigen::Index i = 0; i < p.A.rows(); ++i) {
    const Eigen::MatrixXd Ai = measurement(p.A, i, d);
    G += ((Ai.cwiseProduct(W)).sum() - p.b[i]) * Ai;
  }
  return G / static_cast<double>(p.A.rows());
}

}  // namespace

TEST_CASE(
    "the sensing gradient matches central differences of the loss, at symmetric and general W") {
  const SensingProblem p = sensing_problem(5, 2, 30, 1);
  const MatrixSensingLoss loss(p.A, p.b);
  Rng rng(2);
  for (bool symmetric : {true, false}) {
    INFO("symmetric W: " << symmetric);
    Eigen::MatrixXd W = rng.normal_matrix(5, 5);
    if (symmetric) W = (W + W.transpose()).eval();
    Eigen::MatrixXd G(5, 5);
    loss.gradient(W, G);
    // ℓ is quadratic, so central differences have no truncation error; the
    // round-off is ε·ℓ/h ≈ 1e-16·10/1e-4 = 1e-11, far below 1e-7.
    const Eigen::MatrixXd fd = gradflow::testing::finite_difference_matrix_gradient(loss, W, 1e-4);
    CHECK((G - fd).norm() <= 1e-7 * fd.norm());
    // Against the dense formula, term by term: agreement to round-off.
    const Eigen::MatrixXd dense = dense_gradient(p, W);
    CHECK((G - dense).norm() <= 1e-12 * dense.norm());
    CHECK(loss.value(W) > 0.0);
  }
}

TEST_CASE(
    "the sensing Hessian action matches differences of the gradient and is independent of W") {
  const SensingProblem p = sensing_problem(4, 1, 25, 3);
  const MatrixSensingLoss loss(p.A, p.b);
  Rng rng(4);
  const Eigen::MatrixXd W = rng.normal_matrix(4, 4), V = rng.normal_matrix(4, 4);
  Eigen::MatrixXd D(4, 4), D_elsewhere(4, 4), Gp(4, 4), Gm(4, 4);
  loss.hessian_action(W, V, D);
  loss.hessian_action(rng.normal_matrix(4, 4), V, D_elsewhere);
  const double h = 1e-3;
  loss.gradient(W + h * V, Gp);
  loss.gradient(W - h * V, Gm);
  // The gradient is affine in W: the difference quotient is exact up to
  // round-off ε·‖∇ℓ‖/h ≈ 1e-12 relative.
  const Eigen::MatrixXd fd = (Gp - Gm) / (2.0 * h);
  CHECK((D - fd).norm() <= 1e-9 * fd.norm());
  CHECK((D - D_elsewhere).norm() <=
        1e-14 * D.norm());  // same operations on the same V: round-off only
}

TEST_CASE("the sensing loss vanishes at the ground truth") {
  const SensingProblem p = sensing_problem(6, 2, 40, 5);
  const MatrixSensingLoss loss(p.A, p.b);
  Eigen::MatrixXd G(6, 6);
  loss.gradient(p.truth, G);
  // b was computed from W* by a product with different summation order than
  // the packed one: residuals are round-off, ε·‖A_i‖·‖W*‖ ≈ 1e-14.
  CHECK(loss.value(p.truth) <= 1e-24);
  CHECK(G.norm() <= 1e-12);
}

TEST_CASE("symmetric Gaussian measurements are symmetric with E⟨A, M⟩² = ‖M‖² for symmetric M") {
  const Eigen::Index d = 4, m = 20000;
  Rng rng(6);
  const Eigen::MatrixXd A = draw_symmetric_gaussian_measurements(d, m, rng);
  Eigen::MatrixXd M = Rng(7).normal_matrix(d, d);
  M = (M + M.transpose()).eval();
  double mean_square = 0.0;
  for (Eigen::Index i = 0; i < m; ++i) {
    const Eigen::MatrixXd Ai = measurement(A, i, d);
    REQUIRE(Ai == Ai.transpose());
    mean_square += std::pow(Ai.cwiseProduct(M).sum(), 2);
  }
  mean_square /= static_cast<double>(m);
  // ⟨A, M⟩² / ‖M‖² is χ²₁ (variance 2): the mean of m draws has standard
  // deviation √(2/m) = 0.01; 5 of them is 0.05.
  CHECK(mean_square / M.squaredNorm() == Approx(1.0).margin(0.05));
}

TEST_CASE("bad sensing inputs are refused with what was expected and what was found") {
  const SensingProblem p = sensing_problem(3, 1, 5, 8);
  CHECK_THROWS_WITH(MatrixSensingLoss(Eigen::MatrixXd(0, 9), Eigen::VectorXd(0)),
                    Catch::Contains("at least one measurement, got 0"));
  CHECK_THROWS_WITH(MatrixSensingLoss(Eigen::MatrixXd::Ones(4, 8), Eigen::VectorXd::Ones(4)),
                    Catch::Contains("rows of 8 entries"));
  CHECK_THROWS_WITH(MatrixSensingLoss(p.A, Eigen::VectorXd::Ones(4)),
                    Catch::Contains("5 measurements but 4 targets"));
  Eigen::MatrixXd asymmetric = p.A;
  asymmetric(2, 1) += 0.5;  // A_2(1, 0) without its mirror A_2(0, 1)
  CHECK_THROWS_WITH(MatrixSensingLoss(asymmetric, p.b),
                    Catch::Contains("measurement 2 (0-based) is not symmetric"));
  Rng rng(1);
  CHECK_THROWS_WITH(draw_symmetric_gaussian_measurements(3, 0, rng),
                    Catch::Contains("measurement count m must be positive, got 0"));
}
