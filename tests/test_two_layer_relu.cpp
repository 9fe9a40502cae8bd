// The two-layer ReLU network (models/two_layer_relu.hpp) against oracles that
// share none of its code: finite differences of the loss, the kernel written
// as a double loop, the infinite-width kernel as the limit of wide networks,
// and the error messages for bad input.

#include "models/kernel_flow.hpp"
#include "models/two_layer_relu.hpp"

#include "support.hpp"

#include "relu_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

using namespace gradflow;
using gradflow::testing::finite_difference_gradient;
using gradflow::testing::relative_error;

using gradflow::testing::spectral_norm;
using gradflow::testing::unit_sphere_data;

namespace {

TwoLayerRelu random_network(Eigen::Index m, Eigen::Index d, Eigen::Index n, std::uint64_t seed) {
  Rng rng(seed + 1000);
  return TwoLayerRelu(unit_sphere_data(d, n, seed), TwoLayerRelu::draw_start(m, d, 1.0, rng));
}

}  // namespace

TEST_CASE("the network's predictions are (1/sqrt m) sum_r a_r relu(w_r x_i), written as a loop") {
  const TwoLayerRelu net = random_network(30, 4, 7, 1);
  const Eigen::VectorXd x = net.initial_state();
  const Eigen::MatrixXd W = net.weights(x);
  const Eigen::VectorXd u = net.predictions(x);
  for (Eigen::Index i = 0; i < 7; ++i) {
    double sum = 0.0;
    for (Eigen::Index r = 0; r < 30; ++r) {
      sum += net.signs()[r] * std::max(0.0, W.row(r).dot(net.inputs().col(i).transpose()));
    }
    INFO("sample " << i);
    // Same sums in a different order: round-off only.
    CHECK(std::abs(u[i] - sum / std::sqrt(30.0)) <= 1e-14 * (1.0 + std::abs(u[i])));
  }
  CHECK(net.loss(x) == Approx(0.5 * (u - net.targets()).squaredNorm()).epsilon(1e-14));
}

TEST_CASE("the gradient matches central differences of the loss away from activation boundaries") {
  for (std::uint64_t seed : {1, 2, 3}) {
    const TwoLayerRelu net = random_network(25, 5, 8, seed);
    const Eigen::VectorXd x = net.initial_state();
    const Eigen::MatrixXd Z = net.weights(x) * net.inputs();
    // Perturbing an entry of W by h moves each w_rᵀx_i by at most h (‖x_i‖ = 1):
    // with h below the smallest |w_rᵀx_i| no difference crosses a boundary.
    const double h = 1e-6;
    INFO("seed " << seed << ", min |w_r x_i| = " << Z.cwiseAbs().minCoeff());
    REQUIRE(Z.cwiseAbs().minCoeff() > 10 * h);
    Eigen::VectorXd g;
    net.gradient(x, g);
    const Eigen::VectorXd fd = finite_difference_gradient(net, x, h);
    // Within one activation pattern the loss is quadratic in W, so the central
    // difference is exact up to round-off ε·L/h ≈ 1e-10·L.
    CHECK(relative_error(g, fd) < 1e-8);
    // The field is −∇L, and GD's hot path (velocity) agrees with gradient().
    Eigen::VectorXd v;
    net.velocity(x, 0.0, v);
    CHECK((v + g).norm() == 0.0);
  }
}

TEST_CASE(
    "the Hessian-vector product matches central differences of the gradient away from boundaries") {
  for (std::uint64_t seed : {1, 2, 3}) {
    const TwoLayerRelu net = random_network(25, 5, 8, seed);
    const Eigen::VectorXd x = net.initial_state();
    const Eigen::MatrixXd Z = net.weights(x) * net.inputs();
    Rng rng(seed + 10);
    const Eigen::VectorXd v = rng.normal_matrix(net.dim(), 1).col(0);
    // x ± h v moves each w_rᵀx_i by at most h‖v_r‖: below min |w_rᵀx_i| no
    // activation changes, and within one pattern the gradient is linear in W,
    // so the central difference is exact up to round-off ε‖∇L‖/h.
    const double h = 1e-6;
    INFO("seed " << seed);
    REQUIRE(Z.cwiseAbs().minCoeff() > 10 * h * v.cwiseAbs().maxCoeff() * std::sqrt(5.0));
    Eigen::VectorXd hv, gp, gm;
    net.hessian_vector(x, v, hv);
    net.gradient(x + h * v, gp);
    net.gradient(x - h * v, gm);
    CHECK(net.has_analytic_hessian_vector());
    CHECK(relative_error(hv, (gp - gm) / (2.0 * h)) < 1e-7);
  }
}

TEST_CASE("the mode of a state away from boundaries gives the same field as the plain gradient") {
  const TwoLayerRelu net = random_network(25, 5, 8, 4);
  const Eigen::VectorXd x = net.initial_state();
  const auto mode = net.make_mode(x);
  CHECK(net.sliding_count(*mode) == 0);
  Eigen::VectorXd v_mode(net.dim()), v(net.dim());
  net.velocity_in_mode(x, *mode, v_mode);
  net.velocity(x, 0.0, v);
  // Same products; relu(z) = s·z within the pattern: round-off only.
  CHECK((v_mode - v).norm() <= 1e-14 * v.norm());
  // Every margin is positive in the state's own mode.
  Eigen::VectorXd h(net.switch_count());
  net.margins(x, *mode, h);
  CHECK(h.minCoeff() > 0.0);
}

TEST_CASE("the empirical kernel equals its definition written as a triple loop") {
  const TwoLayerRelu net = random_network(40, 3, 6, 5);
  const Eigen::VectorXd x = net.initial_state();
  const Eigen::MatrixXd W = net.weights(x);
  const Eigen::MatrixXd& X = net.inputs();
  const Eigen::MatrixXd H = net.empirical_kernel(x);
  for (Eigen::Index i = 0; i < 6; ++i) {
    for (Eigen::Index j = 0; j < 6; ++j) {
      double count = 0.0;
      for (Eigen::Index r = 0; r < 40; ++r) {
        count += (W.row(r).dot(X.col(i).transpose()) >= 0.0 &&
                  W.row(r).dot(X.col(j).transpose()) >= 0.0);
      }
      INFO("H(" << i << ", " << j << ")");
      CHECK(H(i, j) == Approx(X.col(i).dot(X.col(j)) * count / 40.0).margin(1e-15));
    }
  }
}

TEST_CASE(
    "the kernel at initialisation approaches the infinite-width kernel like one over root m") {
  // H(0) is an average of m i.i.d. kernels with mean H∞ (Du et al. 2019,
  // Lemma 3.1), so ‖H(0) − H∞‖₂ shrinks like 1/√m: a factor √10 ≈ 3.16 per
  // decade of width, up to the sampling fluctuation of one draw.
  const Dataset data = unit_sphere_data(10, 100, 11);
  std::vector<double> distance;
  for (Eigen::Index m : {100, 1000, 10000}) {
    Rng rng(12);
    const TwoLayerRelu net(data, TwoLayerRelu::draw_start(m, 10, 1.0, rng));
    distance.push_back(spectral_norm(net.initial_kernel() - net.infinite_width_kernel()));
  }
  INFO("||H(0) - H_inf|| at m = 100, 1000, 10000: " << distance[0] << ", " << distance[1] << ", "
                                                    << distance[2]);
  for (std::size_t k = 0; k + 1 < distance.size(); ++k) {
    const double factor = distance[k] / distance[k + 1];
    INFO("decade " << k << ": factor " << factor);
    // One draw per width: allow the factor to be off from √10 by 2x either way.
    CHECK(factor > std::sqrt(10.0) / 2.0);
    CHECK(factor < std::sqrt(10.0) * 2.0);
  }
}

TEST_CASE("the infinite-width kernel is the fraction of directions activating both inputs") {
  // In the plane, x_i = (1, 0) and x_j = (cos θ, sin θ): w ~ N(0, I) has a
  // uniform direction φ, and 1{wᵀx_i ≥ 0, wᵀx_j ≥ 0} holds on an arc of
  // length π − θ. Counted on a grid of N directions (error ≤ 2/N).
  for (double theta : {0.0, 0.3, 1.0, 2.0, 3.0, std::numbers::pi}) {
    Eigen::MatrixXd X(2, 2);
    X << 1.0, std::cos(theta), 0.0, std::sin(theta);
    const Eigen::MatrixXd H = relu_ntk_infinite_width(X);
    const int N = 200000;
    int both = 0;
    for (int k = 0; k < N; ++k) {
      const double phi = 2.0 * std::numbers::pi * (k + 0.5) / N;
      both += std::cos(phi) >= 0.0 && std::cos(phi - theta) >= 0.0;
    }
    INFO("theta = " << theta);
    CHECK(H(0, 1) == Approx(std::cos(theta) * both / N).margin(2.0 / N));
    CHECK(H(0, 0) == Approx(0.5).margin(1e-15));  // x_iᵀx_i (π − 0)/(2π)
  }
}

TEST_CASE("the infinite-width kernel clamps round-off cosines instead of returning NaN") {
  Eigen::MatrixXd X(3, 2);
  X.col(0) = Eigen::Vector3d(1.0, 1.0, 1.0).normalized();
  X.col(1) = X.col(0);  // x_iᵀx_j may round to 1 + ε
  const Eigen::MatrixXd H = relu_ntk_infinite_width(X);
  CHECK(H.allFinite());
  CHECK(H(0, 1) == Approx(0.5).margin(1e-12));
}

TEST_CASE("bad network input is refused with a message naming the problem") {
  Dataset data = unit_sphere_data(3, 5, 1);
  Rng rng(2);
  const TwoLayerReluStart start = TwoLayerRelu::draw_start(4, 3, 1.0, rng);
  SECTION("inputs not of unit norm") {
    data.X.col(2) *= 1.5;
    CHECK_THROWS_WITH(TwoLayerRelu(data, start), Catch::Contains("input 2 has norm 1.5"));
  }
  SECTION("more than one output") {
    data.Y = Eigen::MatrixXd::Ones(2, 5);
    CHECK_THROWS_WITH(TwoLayerRelu(data, start), Catch::Contains("one output"));
  }
  SECTION("width 0") {
    CHECK_THROWS_WITH(TwoLayerRelu::draw_start(0, 3, 1.0, rng),
                      Catch::Contains("width m must be >= 1, got 0"));
    CHECK_THROWS_WITH(TwoLayerRelu(data, TwoLayerReluStart{}),
                      Catch::Contains("width m must be at least 1"));
  }
  SECTION("signs other than plus or minus one") {
    TwoLayerReluStart bad = start;
    bad.signs[1] = 0.5;
    CHECK_THROWS_WITH(TwoLayerRelu(data, bad), Catch::Contains("a_1 must be +1 or -1, got 0.5"));
  }
  SECTION("weights of the wrong shape") {
    TwoLayerReluStart bad = start;
    bad.weights = Eigen::MatrixXd::Ones(4, 2);
    CHECK_THROWS_WITH(TwoLayerRelu(data, bad), Catch::Contains("must be m x d = 4 x 3"));
  }
}
