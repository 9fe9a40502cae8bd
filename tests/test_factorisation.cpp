// The symmetric factorisation models at one state: the U-model's gradient and
// Hessian-vector products against finite differences, the W-flow's field
// against the U-field, the deep adaptor, the metrics and the ground truth.
// Trajectories are tested in test_factorisation_flow.cpp.

#include "models/induced_w_flow.hpp"
#include "models/matrix_completion.hpp"
#include "models/matrix_sensing.hpp"
#include "models/psd_ground_truth.hpp"
#include "models/symmetric_factorisation.hpp"
#include "models/symmetric_factorisation_deep.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

using namespace gradflow;
using gradflow::testing::finite_difference_gradient;
using gradflow::testing::relative_error;

namespace {

struct Problem {
  const char* label;
  Eigen::MatrixXd truth;
  std::shared_ptr<const MatrixLoss> loss;
};

std::vector<Problem> problems(Eigen::Index d, Eigen::Index r, std::uint64_t seed) {
  Rng rng(seed);
  const Eigen::MatrixXd truth = make_psd_ground_truth({.size = d, .rank = r}, rng);
  const Eigen::MatrixXd A = draw_symmetric_gaussian_measurements(d, 5 * d * r, rng);
  return {
      {"sensing", truth, std::make_shared<MatrixSensingLoss>(A, sensing_targets(A, truth))},
      {"completion", truth,
       std::make_shared<MatrixCompletionLoss>(truth, sample_observed_entries(d, d * d / 2, rng))}};
}

// A loss without the factor fast path: completion seen through MatrixLoss only,
// so the U-model takes its dense path on the same numbers.
class DenseOnly final : public MatrixLoss {
 public:
  explicit DenseOnly(std::shared_ptr<const MatrixLoss> inner) : inner_(std::move(inner)) {}
  Eigen::Index rows() const override { return inner_->rows(); }
  Eigen::Index cols() const override { return inner_->cols(); }
  double value(const ConstMatrixRef& W) const override { return inner_->value(W); }
  void gradient(const ConstMatrixRef& W, MatrixRef G) const override { inner_->gradient(W, G); }
  void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V,
                      MatrixRef D) const override {
    inner_->hessian_action(W, V, D);
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::shared_ptr<const MatrixLoss> inner_;
};

}  // namespace

TEST_CASE("the gradient of φ(U) = ℓ(UUᵀ) matches central differences, for every loss and width") {
  for (const Problem& p : problems(6, 2, 1)) {
    for (Eigen::Index k : {Eigen::Index{2}, Eigen::Index{6}, Eigen::Index{9}}) {
      INFO(p.label << ", k = " << k);
      const SymmetricFactorisation model(p.loss, {.width = k});
      Rng rng(2);
      const Eigen::VectorXd x = model.pack(gaussian_direction(6, k, rng));
      Eigen::VectorXd g, v;
      model.gradient(x, g);
      // φ is a quartic of O(1) size: h = 1e-5 gives truncation O(h²) ≈ 1e-10
      // and round-off O(ε/h) ≈ 1e-11, far below 1e-7.
      CHECK(relative_error(g, finite_difference_gradient(model, x, 1e-5)) <= 1e-7);
      model.velocity(x, 0.0, v);
      CHECK((v + g).norm() == 0.0);
    }
  }
}

TEST_CASE("completion's sparse U-field equals the dense path through W = UUᵀ") {
  const Problem p = problems(7, 2, 3)[1];
  const SymmetricFactorisation fast(p.loss), dense(std::make_shared<DenseOnly>(p.loss));
  REQUIRE(fast.uses_factor_path());
  REQUIRE_FALSE(dense.uses_factor_path());
  Rng rng(4);
  const Eigen::VectorXd x = fast.pack(gaussian_direction(7, 7, rng));
  Eigen::VectorXd a, b;
  fast.velocity(x, 0.0, a);
  dense.velocity(x, 0.0, b);
  // The same sums in a different order: round-off, a few ε relative.
  CHECK(relative_error(a, b) <= 1e-13);
  CHECK(fast.loss(x) == Approx(dense.loss(x)).epsilon(1e-13));
}

TEST_CASE("the U-model's analytic Hessian-vector product matches differences of the gradient") {
  for (const Problem& p : problems(5, 2, 5)) {
    INFO(p.label);
    const SymmetricFactorisation model(p.loss, {.width = 4});
    Rng rng(6);
    const Eigen::VectorXd x = model.pack(gaussian_direction(5, 4, rng));
    const Eigen::VectorXd v = rng.normal_matrix(model.dim(), 1);
    Eigen::VectorXd hv, gp, gm;
    model.hessian_vector(x, v, hv);
    model.gradient(x + 1e-5 * v, gp);
    model.gradient(x - 1e-5 * v, gm);
    // The gradient is a cubic: central differences err by O(h²‖∇³φ‖) ≈ 1e-10
    // plus round-off ε/h ≈ 1e-11, relative to an O(1) product.
    CHECK(relative_error(hv, (gp - gm) / 2e-5) <= 1e-7);
    CHECK(model.has_analytic_hessian_vector());
  }
}

TEST_CASE("the W-field at W = UUᵀ is U̇Uᵀ + UU̇ᵀ of the U-field, and symmetric bit for bit") {
  for (const Problem& p : problems(6, 3, 7)) {
    INFO(p.label);
    const SymmetricFactorisation u_model(p.loss);
    const InducedWFlow w_model(p.loss);
    Rng rng(8);
    const Eigen::VectorXd x = u_model.pack(gaussian_direction(6, 6, rng));
    Eigen::MatrixXd W = u_model.product(x);
    W = (0.5 * (W + W.transpose())).eval();
    Eigen::VectorXd u_dot, w_dot;
    u_model.velocity(x, 0.0, u_dot);
    w_model.velocity(w_model.pack(W), 0.0, w_dot);
    const Eigen::Map<const Eigen::MatrixXd> U(x.data(), 6, 6), Ud(u_dot.data(), 6, 6);
    const Eigen::MatrixXd expected = Ud * U.transpose() + U * Ud.transpose();
    const Eigen::Map<const Eigen::MatrixXd> Wd(w_dot.data(), 6, 6);
    // Products of O(1) matrices in different orders: round-off.
    CHECK((Wd - expected).norm() <= 1e-13 * expected.norm());
    CHECK(Wd == Wd.transpose());
    // The W-flow's loss and gradient are ℓ's own.
    Eigen::VectorXd g;
    w_model.gradient(w_model.pack(W), g);
    Eigen::MatrixXd G(6, 6);
    p.loss->gradient(W, G);
    CHECK(g == Eigen::Map<const Eigen::VectorXd>(G.data(), G.size()));
    CHECK(w_model.loss(w_model.pack(W)) == p.loss->value(W));
    CHECK(relative_error(g, finite_difference_gradient(w_model, w_model.pack(W), 1e-4)) <= 1e-8);
    // Its Hessian-vector product is ℓ's Hessian action: the gradient is affine
    // in W, so the difference quotient is exact up to round-off.
    const Eigen::VectorXd dir = rng.normal_matrix(36, 1), w = w_model.pack(W);
    Eigen::VectorXd hv, gp, gm;
    w_model.hessian_vector(w, dir, hv);
    w_model.gradient(w + 1e-3 * dir, gp);
    w_model.gradient(w - 1e-3 * dir, gm);
    CHECK(relative_error(hv, (gp - gm) / 2e-3) <= 1e-9);
  }
}

TEST_CASE("the W-field evaluates at the symmetric part of an asymmetric state") {
  const Problem p = problems(5, 2, 9)[1];
  const InducedWFlow w_model(p.loss);
  Rng rng(10);
  Eigen::MatrixXd W = rng.normal_matrix(5, 5);
  const Eigen::MatrixXd Ws = 0.5 * (W + W.transpose());
  Eigen::VectorXd a, b;
  w_model.velocity(w_model.pack(W), 0.0, a);
  w_model.velocity(w_model.pack(Ws), 0.0, b);
  CHECK(a == b);
  CHECK(w_model.observe(w_model.pack(W)).scalars.front().first == "symmetry_drift");
  CHECK(w_model.observe(w_model.pack(W)).scalars.front().second ==
        Approx((W - W.transpose()).norm()));
  CHECK(w_model.observe(w_model.pack(Ws)).scalars.front().second == 0.0);
}

TEST_CASE("the deep factorisation projects to W, starts at W(0) and has the network's gradient") {
  for (const Problem& p : problems(4, 2, 11)) {
    INFO(p.label);
    const DeepFactorisation deep(
        p.loss, 3,
        std::make_shared<FactorisationMetrics>(FactorisationMetricsOptions{.truth = p.truth}));
    CHECK(deep.projection_name() == "W");
    CHECK(deep.dim() == 3 * 16);
    Rng rng(12);
    const Eigen::MatrixXd U = gaussian_direction(4, 4, rng);
    const Eigen::MatrixXd W0 = U * U.transpose();
    const Eigen::VectorXd x = deep.balanced_start(W0);
    // An SVD and a product of three factors: round-off relative to ‖W0‖.
    CHECK((deep.project(x) - W0).norm() <= 1e-13 * W0.norm());
    CHECK(deep.loss(x) == Approx(p.loss->value(W0)).epsilon(1e-12));
    Eigen::VectorXd g;
    deep.gradient(x, g);
    // A degree-6 polynomial of O(1) entries: h = 1e-5 as for the U-model.
    CHECK(relative_error(g, finite_difference_gradient(deep, x, 1e-5)) <= 1e-7);
    const Observation obs = deep.observe(x);
    auto has = [&](const std::string& name) {
      return std::any_of(obs.scalars.begin(), obs.scalars.end(),
                         [&](const auto& s) { return s.first == name; });
    };
    CHECK(has("balancedness_1"));
    CHECK(has("balancedness_2"));
    CHECK(has("symmetry_drift"));
    CHECK(has("nuclear_norm"));
    CHECK(has("reconstruction_error"));
    CHECK_FALSE(has("e2e_norm"));
    REQUIRE(obs.matrices.size() == 1);
    CHECK(obs.matrices[0].first == "W");
  }
  CHECK_THROWS_WITH(DeepFactorisation(problems(3, 1, 1)[0].loss, 0),
                    Catch::Contains("depth N must be >= 1, got 0"));
}

TEST_CASE("the metrics of known matrices") {
  // W = diag(3, 1, 0) against W* = diag(2, 1, 1) with only (0, 0) observed.
  Eigen::MatrixXd truth = Eigen::Vector3d(2, 1, 1).asDiagonal();
  Eigen::MatrixXd mask = Eigen::MatrixXd::Ones(3, 3);
  mask(0, 0) = 0.0;
  const FactorisationMetrics metrics(
      {.truth = truth, .unobserved_mask = mask, .top_singular_values = 2});
  Observation obs;
  metrics.observe(Eigen::Vector3d(3, 1, 0).asDiagonal(), obs);
  auto get = [&](const std::string& name) {
    for (const auto& [n, v] : obs.scalars) {
      if (n == name) return v;
    }
    FAIL("no scalar " << name);
    return 0.0;
  };
  CHECK(get("reconstruction_error") ==
        Approx(std::sqrt(2.0) / std::sqrt(6.0)));  // ‖diag(1, 0, −1)‖ / ‖W*‖
  CHECK(get("unobserved_error") ==
        Approx(1.0 / std::sqrt(2.0)));  // ‖diag(·, 0, −1)‖ / ‖diag(·, 1, 1)‖
  CHECK(get("nuclear_norm") == Approx(4.0));
  // p = (3/4, 1/4): exp(−(¾ log ¾ + ¼ log ¼)).
  CHECK(get("effective_rank") ==
        Approx(std::exp(-(0.75 * std::log(0.75) + 0.25 * std::log(0.25)))));
  CHECK(get("sigma_1") == Approx(3.0));
  CHECK(get("sigma_2") == Approx(1.0));
  CHECK(obs.scalars.size() == 6);  // no sigma_3: top 2 asked
  CHECK(effective_rank(Eigen::VectorXd::Constant(5, 0.7)) == Approx(5.0));
  CHECK(effective_rank(Eigen::VectorXd::Zero(4)) == 0.0);
}

TEST_CASE("a generated ground truth is symmetric positive semidefinite of the asked rank") {
  Rng rng(13);
  const Eigen::MatrixXd W = make_psd_ground_truth({.size = 8, .rank = 3}, rng);
  CHECK(W == W.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(W);
  const Eigen::VectorXd lambda = eig.eigenvalues();  // ascending
  // Five zero eigenvalues up to round-off (ε·‖W‖·d), three clearly positive.
  CHECK(lambda.head(5).cwiseAbs().maxCoeff() <= 1e-12 * lambda[7]);
  CHECK(lambda[5] > 1e-3 * lambda[7]);
  CHECK_NOTHROW(validated_ground_truth(W, true));
}

TEST_CASE("a ground truth that is not symmetric, or not PSD when declared PSD, is refused") {
  Eigen::MatrixXd W = Eigen::Vector3d(1, 2, 0).asDiagonal();
  W(0, 1) = 0.1;
  CHECK_THROWS_WITH(validated_ground_truth(W, false), Catch::Contains("must be symmetric"));
  const Eigen::MatrixXd indefinite = Eigen::Vector3d(1, -0.5, 2).asDiagonal();
  CHECK_THROWS_WITH(
      validated_ground_truth(indefinite, true),
      Catch::Contains(
          "declared positive semidefinite (\"psd\": true) but has the eigenvalue -0.5"));
  CHECK_NOTHROW(validated_ground_truth(indefinite, false));
  CHECK_THROWS_WITH(validated_ground_truth(Eigen::MatrixXd::Ones(2, 3), true),
                    Catch::Contains("got 2 x 3"));
  // Round-off asymmetry is accepted and removed.
  Eigen::MatrixXd nearly = Eigen::Matrix2d::Identity();
  nearly(0, 1) = 1e-17;
  const Eigen::MatrixXd fixed = validated_ground_truth(nearly, true);
  CHECK(fixed == fixed.transpose());
}
