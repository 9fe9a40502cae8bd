#include "models/linear_network.hpp"
#include "models/regression_losses.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;
using gradflow::testing::finite_difference_gradient;
using gradflow::testing::random_dataset;
using gradflow::testing::relative_error;

namespace {

struct Shape {
  const char* label;
  std::vector<Eigen::Index> widths;
  bool residual;
};

const std::vector<Shape> kShapes = {
    {"depth 1 (least squares)", {5, 3}, false},
    {"depth 2, unequal widths", {5, 4, 3}, false},
    {"depth 3, unequal widths", {5, 2, 6, 3}, false},
    {"depth 4, unequal widths", {4, 7, 3, 5, 2}, false},
    {"depth 3, square", {4, 4, 4, 4}, false},
    // More outputs than inputs: the gradient is grouped from the input side
    // (the shapes above, with dN < d0, take the output side).
    {"depth 2, more outputs than inputs", {2, 5, 6}, false},
    {"depth 3, more outputs than inputs", {3, 4, 2, 6}, false},
    {"depth 2, residual", {4, 4, 4}, true},
    {"depth 4, residual", {3, 3, 3, 3, 3}, true},
};

}  // namespace

TEST_CASE("the linear-network gradient matches central differences of the loss") {
  for (const Shape& s : kShapes) {
    INFO(s.label);
    const Dataset data = random_dataset(s.widths.front(), s.widths.back(), 30, 11);
    const LinearNetwork net(data, {.widths = s.widths, .residual = s.residual});
    Rng rng(5);
    const Eigen::VectorXd x = net.init_gaussian(0.6, rng);
    Eigen::VectorXd g;
    net.gradient(x, g);
    // Central differences with h = 1e-5: truncation O(h²) ≈ 1e-10 and round-off
    // O(ε/h) ≈ 1e-11 relative to O(1) losses, far below the 1e-6 asked.
    const Eigen::VectorXd fd = finite_difference_gradient(net, x, 1e-5);
    CHECK(relative_error(g, fd) <= 1e-6);
    Eigen::VectorXd v;
    net.velocity(x, 0.0, v);
    CHECK((v + g).norm() == 0.0);
  }
}

TEST_CASE(
    "a linear network under the lp loss has the gradient and Hessian of its finite differences") {
  const Dataset data = random_dataset(4, 2, 20, 14);
  const LinearNetwork net(std::make_shared<LpLoss>(data, 4.0), {.widths = {4, 3, 3, 2}});
  Rng rng(7);
  const Eigen::VectorXd x = net.init_gaussian(0.6, rng);
  Eigen::VectorXd g;
  net.gradient(x, g);
  // h = 1e-5: O(h²) truncation of a quartic, far below 1e-6 relative.
  CHECK(relative_error(g, finite_difference_gradient(net, x, 1e-5)) <= 1e-6);
  const Eigen::VectorXd v = rng.normal_matrix(net.dim(), 1);
  Eigen::VectorXd hv, gp, gm;
  net.hessian_vector(x, v, hv);
  net.gradient(x + 1e-5 * v, gp);
  net.gradient(x - 1e-5 * v, gm);
  CHECK(relative_error(hv, (gp - gm) / 2e-5) <= 1e-6);
}

TEST_CASE("the linear-network Hessian-vector product matches differences of the gradient") {
  for (const Shape& s : kShapes) {
    INFO(s.label);
    const Dataset data = random_dataset(s.widths.front(), s.widths.back(), 30, 12);
    const LinearNetwork net(data, {.widths = s.widths, .residual = s.residual});
    Rng rng(6);
    const Eigen::VectorXd x = net.init_gaussian(0.6, rng);
    const Eigen::VectorXd v = rng.normal_matrix(net.dim(), 1);
    const Eigen::VectorXd u = rng.normal_matrix(net.dim(), 1);
    Eigen::VectorXd hv, hu;
    net.hessian_vector(x, v, hv);
    net.hessian_vector(x, u, hu);
    // Independent of the model's forward-mode code: central difference of the
    // (already checked) gradient, h = 1e-5 (error ≈ 1e-10 relative).
    const double h = 1e-5;
    Eigen::VectorXd gp, gm;
    net.gradient(x + h * v, gp);
    net.gradient(x - h * v, gm);
    CHECK(relative_error(hv, (gp - gm) / (2 * h)) <= 1e-6);
    // The Hessian is symmetric: uᵀHv = vᵀHu to round-off.
    CHECK(u.dot(hv) == Approx(v.dot(hu)).epsilon(1e-12));
  }
}

TEST_CASE("a balanced start is balanced and its product is the drawn matrix") {
  const Dataset data = random_dataset(5, 3, 20, 4);
  for (int depth = 1; depth <= 4; ++depth) {
    INFO("depth " << depth);
    std::vector<Eigen::Index> widths{5};
    for (int j = 1; j < depth; ++j) widths.push_back(4);
    widths.push_back(3);
    const LinearNetwork net(data, {.widths = widths});
    Rng rng(9);
    const Eigen::MatrixXd A = rng.normal_matrix(3, 5);
    const Eigen::VectorXd x = net.init_balanced_from(A);
    CHECK((net.end_to_end(x) - A).norm() <= 1e-12 * A.norm());
    for (int j = 1; j < depth; ++j) {
      const Eigen::MatrixXd Wj = net.layer_matrix(x, j), Wk = net.layer_matrix(x, j + 1);
      CHECK((Wk.transpose() * Wk - Wj * Wj.transpose()).norm() <= 1e-12 * A.squaredNorm());
    }
  }
}

TEST_CASE("a narrow hidden layer keeps the top singular directions of a balanced start") {
  const Dataset data = random_dataset(5, 3, 20, 4);
  const LinearNetwork net(data, {.widths = {5, 1, 3}});
  Rng rng(2);
  const Eigen::MatrixXd A = rng.normal_matrix(3, 5);
  const Eigen::VectorXd x = net.init_balanced_from(A);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::MatrixXd rank1 =
      svd.singularValues()[0] * svd.matrixU().col(0) * svd.matrixV().col(0).transpose();
  CHECK((net.end_to_end(x) - rank1).norm() <= 1e-12 * A.norm());
}

TEST_CASE("identity and residual starts give the expected layer matrices") {
  const Dataset data = random_dataset(3, 3, 10, 4);
  const LinearNetwork plain(data, {.widths = {3, 3, 3}});
  CHECK((plain.end_to_end(plain.init_identity(0.5)) - 0.25 * Eigen::MatrixXd::Identity(3, 3))
            .norm() == 0.0);
  const LinearNetwork res(data, {.widths = {3, 3, 3}, .residual = true});
  // W_j = 0 is the identity map for a residual network.
  CHECK((res.end_to_end(res.init_identity(0.0)) - Eigen::MatrixXd::Identity(3, 3)).norm() == 0.0);
}

TEST_CASE("widths that do not fit the data are refused naming both numbers") {
  const Dataset data = random_dataset(5, 2, 10, 1);
  CHECK_THROWS_WITH(LinearNetwork(data, {.widths = {4, 3, 2}}),
                    Catch::Contains("d0 = 4") && Catch::Contains("input dimension 5"));
  CHECK_THROWS_WITH(LinearNetwork(data, {.widths = {5, 3, 1}}),
                    Catch::Contains("dN = 1") && Catch::Contains("output dimension 2"));
  CHECK_THROWS_WITH(LinearNetwork(data, {.widths = {5}}), Catch::Contains("depth N >= 1"));
  CHECK_THROWS_WITH(LinearNetwork(data, {.widths = {5, 3, 2}, .residual = true}),
                    Catch::Contains("all widths equal"));
}

TEST_CASE("a balanced start from a rank-deficient matrix is zero-padded at its numerical rank") {
  // A = BCᵀ of rank 2, formed in floating point: its SVD has two round-off
  // singular values ~1e-16·σ₁ that are images of exact zeros. The balanced
  // split must not raise them to the power 1/N (≈ 1e-6 at N = 3): the layers
  // carry exact zeros beyond the rank, as DESIGN.md §4's zero-padded start.
  const Dataset data = random_dataset(5, 4, 20, 4);
  Rng rng(6);
  const Eigen::MatrixXd A = rng.normal_matrix(4, 2) * rng.normal_matrix(2, 5);
  for (int depth = 2; depth <= 4; ++depth) {
    INFO("depth " << depth);
    std::vector<Eigen::Index> widths{5};
    for (int j = 1; j < depth; ++j) widths.push_back(6);
    widths.push_back(4);
    const LinearNetwork net(data, {.widths = widths});
    const Eigen::VectorXd x = net.init_balanced_from(A);
    CHECK(net.layer_matrix(x, 1).bottomRows(4).cwiseAbs().maxCoeff() == 0.0);
    for (int j = 2; j < depth; ++j) {
      const Eigen::MatrixXd Wj = net.layer_matrix(x, j);
      CHECK(Wj.bottomRows(4).cwiseAbs().maxCoeff() == 0.0);
      CHECK(Wj.rightCols(4).cwiseAbs().maxCoeff() == 0.0);
    }
    CHECK(net.layer_matrix(x, depth).rightCols(4).cwiseAbs().maxCoeff() == 0.0);
    // The product is still A, to the round-off of an SVD and N products.
    CHECK((net.end_to_end(x) - A).norm() <= 1e-13 * A.norm());
  }
}
