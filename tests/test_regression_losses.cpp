#include "models/regression_losses.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;
using gradflow::testing::random_dataset;

namespace {

void check_loss(const MatrixLoss& loss, std::uint64_t seed) {
  Rng rng(seed);
  const Eigen::MatrixXd W = rng.normal_matrix(loss.rows(), loss.cols());
  const Eigen::MatrixXd V = rng.normal_matrix(loss.rows(), loss.cols());
  Eigen::MatrixXd G(W.rows(), W.cols()), D(W.rows(), W.cols());
  loss.gradient(W, G);
  // Central differences at h = 1e-5: error ≈ 1e-10 relative.
  CHECK((G - gradflow::testing::finite_difference_matrix_gradient(loss, W, 1e-5)).norm() <=
        1e-6 * G.norm());
  loss.hessian_action(W, V, D);
  Eigen::MatrixXd Gp(W.rows(), W.cols()), Gm(W.rows(), W.cols());
  loss.gradient(W + 1e-5 * V, Gp);
  loss.gradient(W - 1e-5 * V, Gm);
  CHECK((D - (Gp - Gm) / 2e-5).norm() <= 1e-6 * D.norm());
}

}  // namespace

TEST_CASE("the square loss gradient and Hessian action match finite differences") {
  const Dataset data = random_dataset(5, 3, 40, 1);
  check_loss(SquareLoss(data), 2);
}

TEST_CASE("the square loss second moments give the per-sample gradient") {
  const Dataset data = random_dataset(6, 2, 40, 3);
  const SquareLoss loss(data);
  Rng rng(1);
  const Eigen::MatrixXd W = rng.normal_matrix(2, 6);
  const Eigen::MatrixXd per_sample = (W * data.X - data.Y) * data.X.transpose() / 40.0;
  Eigen::MatrixXd G(2, 6);
  loss.gradient(W, G);
  CHECK((G - per_sample).norm() <= 1e-13 * per_sample.norm());
  CHECK(loss.value(W) == Approx((W * data.X - data.Y).squaredNorm() / 80.0).epsilon(1e-14));
}

TEST_CASE("the lp loss gradient and Hessian action match finite differences for p = 2, 3, 4") {
  const Dataset data = random_dataset(4, 2, 30, 5);
  for (double p : {2.0, 3.0, 4.0}) {
    INFO("p = " << p);
    check_loss(LpLoss(data, p), 6);
  }
}

TEST_CASE("the lp loss at p = 2 is twice the square loss") {
  const Dataset data = random_dataset(4, 2, 30, 5);
  Rng rng(3);
  const Eigen::MatrixXd W = rng.normal_matrix(2, 4);
  CHECK(LpLoss(data, 2.0).value(W) == Approx(2.0 * SquareLoss(data).value(W)).epsilon(1e-13));
}

TEST_CASE("the lp loss refuses p below 2") {
  const Dataset data = random_dataset(4, 2, 30, 5);
  CHECK_THROWS_WITH(LpLoss(data, 1.5),
                    Catch::Contains("needs p >= 2") && Catch::Contains("got 1.5"));
}
