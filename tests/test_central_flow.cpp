// The central flow (Cohen et al. 2025, models/central_flow.hpp) against
// oracles that share none of its code: gradient flow below the edge (bit for
// bit), ∇S against finite differences of dense eigensolves, S held at 2/η on
// the edge, and a toy whose central flow is derived by hand below.

#include "core/sample_times.hpp"
#include "integrators/event_driven.hpp"
#include "integrators/integrate.hpp"
#include "models/central_flow.hpp"
#include "models/linear_network.hpp"
#include "models/modified_flow.hpp"
#include "models/wide_sharp_1d.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>

using namespace gradflow;
using gradflow::testing::random_dataset;

namespace {

// The toy: L(x, z, y) = ½ a(x) y² + b(x, z), a(x) = 3 + x + x²,
// b(x, z) = x(z − c) + (κ/2)(z − m)². On y = 0 the Hessian is
// [[0, 1], [1, κ]] ⊕ a(x), so with a(x) > (κ + √(κ² + 4))/2 the sharpness is
// S = a(x) with u = e_y, and ∇S = ∇³L[e_y, e_y] = (a'(x), 0, 0); y stays 0.
// Hand-derived central flow from (0, 0, 0) with 2/η = 3.2:
//   1. gradient flow  ẋ = c − z, ż = −x − κ(z − m)  until a(x) = 2/η, i.e.
//      x = x* = (−1 + √(1 + 4(2/η − 3)))/2;
//   2. on the edge σ² = −2⟨∇S, ∇L⟩/‖∇S‖² = −2 b_x/a'(x*) = 2(c − z)/a'(x*), and
//      ẋ = −b_x − ½σ² a'(x*) = 0, ż = −x* − κ(z − m): x stays at x*, z relaxes to
//      z∞ = m − x*/κ exponentially; σ² reaches 0 when z = c;
//   3. gradient flow again (x falls, S below the edge).
// Phases 1 and 3 are linear: v = (x, z), v̇ = M v + f, solved by the
// eigendecomposition of the symmetric M.
struct Toy {
  double c = 1.0, kappa = 1.0, m = 2.0;
  static double a(double x) { return 3.0 + x + x * x; }
  static double da(double x) { return 1.0 + 2.0 * x; }
};

class ToyField : public Field {
 public:
  explicit ToyField(bool analytic) : analytic_(analytic) { layout_.append("w", 3, 1); }
  Eigen::Index dim() const override { return 3; }
  double loss(const Eigen::VectorXd& w) const override {
    const double x = w[0], z = w[1], y = w[2];
    return 0.5 * Toy::a(x) * y * y + x * (z - toy_.c) +
           0.5 * toy_.kappa * (z - toy_.m) * (z - toy_.m);
  }
  void gradient(const Eigen::VectorXd& w, Eigen::VectorXd& g) const override {
    const double x = w[0], z = w[1], y = w[2];
    g.resize(3);
    g << 0.5 * Toy::da(x) * y * y + (z - toy_.c), x + toy_.kappa * (z - toy_.m), Toy::a(x) * y;
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "toy"; }
  bool has_analytic_hessian_vector() const override { return analytic_; }
  void hessian_vector(const Eigen::VectorXd& w, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    if (!analytic_) {
      Field::hessian_vector(w, v, hv);
      return;
    }
    const double x = w[0], y = w[2];
    Eigen::Matrix3d H;
    H << y * y, 1.0, Toy::da(x) * y,  // a'' = 2, so ½a''y² = y²
        1.0, toy_.kappa, 0.0,         //
        Toy::da(x) * y, 0.0, Toy::a(x);
    hv = H * v;
  }

 private:
  Toy toy_;
  bool analytic_;
  Layout layout_;
};

// The hand-derived solution above at time t; also the entry and exit times.
struct ToyCentralFlow {
  Toy toy;
  double threshold = 3.2;
  double x_star = 0.0, t_entry = 0.0, z_entry = 0.0, t_exit = 0.0, z_inf = 0.0;
  Eigen::Matrix2d M, Q;
  Eigen::Vector2d f, fixed, lambda;

  ToyCentralFlow() {
    M << 0.0, -1.0, -1.0, -toy.kappa;
    f << toy.c, toy.kappa * toy.m;
    fixed = -M.inverse() * f;
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(M);
    Q = eig.eigenvectors();
    lambda = eig.eigenvalues();
    x_star = (-1.0 + std::sqrt(1.0 + 4.0 * (threshold - 3.0))) / 2.0;
    // Entry: x(t) = x* by bisection (x rises monotonically in phase 1 here).
    double lo = 0.0, hi = 1.0;
    REQUIRE(linear(Eigen::Vector2d::Zero(), hi)[0] > x_star);
    for (int i = 0; i < 200; ++i) {
      const double mid = 0.5 * (lo + hi);
      (linear(Eigen::Vector2d::Zero(), mid)[0] < x_star ? lo : hi) = mid;
    }
    t_entry = 0.5 * (lo + hi);
    z_entry = linear(Eigen::Vector2d::Zero(), t_entry)[1];
    z_inf = toy.m - x_star / toy.kappa;
    REQUIRE(z_entry < toy.c);
    REQUIRE(z_inf > toy.c);
    t_exit = t_entry + std::log((z_entry - z_inf) / (toy.c - z_inf)) / toy.kappa;
  }
  // Gradient flow of phases 1 and 3 from v0 after time s.
  Eigen::Vector2d linear(const Eigen::Vector2d& v0, double s) const {
    const Eigen::Vector2d e = (lambda * s).array().exp().matrix();
    return fixed + Q * e.asDiagonal() * Q.transpose() * (v0 - fixed);
  }
  double z_on_edge(double t) const {
    return z_inf + (z_entry - z_inf) * std::exp(-toy.kappa * (t - t_entry));
  }
  Eigen::Vector3d state(double t) const {
    if (t <= t_entry) {
      const Eigen::Vector2d v = linear(Eigen::Vector2d::Zero(), t);
      return {v[0], v[1], 0.0};
    }
    if (t <= t_exit) return {x_star, z_on_edge(t), 0.0};
    const Eigen::Vector2d v = linear(Eigen::Vector2d(x_star, toy.c), t - t_exit);
    return {v[0], v[1], 0.0};
  }
  double sigma2(double t) const {
    return t > t_entry && t < t_exit ? 2.0 * (toy.c - z_on_edge(t)) / Toy::da(x_star) : 0.0;
  }
};

double dense_sharpness(const Field& f, const Eigen::VectorXd& x) {
  const Eigen::Index n = x.size();
  Eigen::MatrixXd H(n, n);
  Eigen::VectorXd e = Eigen::VectorXd::Zero(n), hv;
  for (Eigen::Index j = 0; j < n; ++j) {
    e[j] = 1.0;
    f.hessian_vector(x, e, hv);
    H.col(j) = hv;
    e[j] = 0.0;
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(0.5 * (H + H.transpose()));
  return eig.eigenvalues()[n - 1];
}

}  // namespace

TEST_CASE("below the edge the central flow is gradient flow bit for bit") {
  const Dataset data = random_dataset(5, 1, 40, 3);
  const LinearNetwork net(data, {.widths = {5, 4, 4, 1}});
  Rng rng(7);
  const Eigen::VectorXd x0 = net.init_gaussian(0.4, rng);
  const double s0 = dense_sharpness(net, x0);
  // A step whose edge 2/η lies far above every sharpness on the way.
  const CentralFlow central(net, 2.0 / (100.0 * s0 + 100.0));
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 41}, 4.0);
  const MethodOptions ed{.method = Method::event_driven};
  const RunResult cf = integrate(central, x0, times, ed, {.t_end = 4.0});
  const RunResult gf = integrate(net, x0, times, {.method = Method::dopri5}, {.t_end = 4.0});
  REQUIRE(cf.trajectory.size() == gf.trajectory.size());
  for (std::size_t i = 0; i < cf.trajectory.size(); ++i) {
    INFO("record " << i);
    CHECK(cf.trajectory.times[i] == gf.trajectory.times[i]);
    CHECK((cf.trajectory.states[i].array() == gf.trajectory.states[i].array()).all());
  }
  CHECK(cf.stats.steps == gf.stats.steps);
  CHECK(central.events().empty());
}

TEST_CASE("the sharpness gradient matches central differences of dense eigensolves") {
  const Dataset data = random_dataset(4, 2, 30, 5);
  const LinearNetwork net(data, {.widths = {4, 3, 3, 2}});
  Rng rng(3);
  const Eigen::VectorXd x = net.init_gaussian(0.7, rng);
  const Eigen::Index n = x.size();
  // The top eigenpair by a dense eigensolve; S must be simple here.
  Eigen::MatrixXd H(n, n);
  Eigen::VectorXd e = Eigen::VectorXd::Zero(n), hv;
  for (Eigen::Index j = 0; j < n; ++j) {
    e[j] = 1.0;
    net.hessian_vector(x, e, hv);
    H.col(j) = hv;
    e[j] = 0.0;
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(0.5 * (H + H.transpose()));
  const double gap = eig.eigenvalues()[n - 1] - eig.eigenvalues()[n - 2];
  INFO("S = " << eig.eigenvalues()[n - 1] << ", gap to the next " << gap);
  REQUIRE(gap > 0.1 * eig.eigenvalues()[n - 1]);
  const Eigen::VectorXd u = eig.eigenvectors().col(n - 1);
  const CentralFlow central(net, 0.1);
  Eigen::VectorXd grad_s;
  central.sharpness_gradient(x, u, grad_s);
  // dS/dx_i by central differences of λ_max: error O(δ²·S''') ≈ 1e-8 at
  // δ = 1e-4, plus the eigensolver's round-off ε·‖H‖/δ ≈ 1e-11.
  Eigen::VectorXd fd(n);
  const double delta = 1e-4;
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::VectorXd xp = x, xm = x;
    xp[i] += delta;
    xm[i] -= delta;
    fd[i] = (dense_sharpness(net, xp) - dense_sharpness(net, xm)) / (2.0 * delta);
  }
  INFO("relative error " << testing::relative_error(grad_s, fd));
  CHECK(testing::relative_error(grad_s, fd) <= 1e-6);
}

TEST_CASE("the sharpness gradient of a 1-D landscape is its third derivative") {
  const WideSharp1D f;
  const CentralFlow central(f, 0.05);
  for (double theta : {-0.5, 2.0, 3.2, 6.0}) {
    Eigen::VectorXd x(1), u(1), g;
    x << theta;
    u << 1.0;
    central.sharpness_gradient(x, u, g);
    // f''' by central differences of the analytic f'' (error ≈ 1e-9 relative at h = 1e-5).
    const double h = 1e-5;
    const double third =
        (WideSharp1D::curvature(theta + h) - WideSharp1D::curvature(theta - h)) / (2.0 * h);
    INFO("theta " << theta << ": " << g[0] << " vs " << third);
    CHECK(g[0] == Approx(third).epsilon(1e-6).margin(1e-6));
  }
}

TEST_CASE(
    "without analytic Hessian products the sharpness gradient is a second difference of the "
    "gradient") {
  const ToyField toy(false);
  const CentralFlow central(toy, 2.0 / 3.2);
  CHECK_THAT(central.grad_s_method(), Catch::Contains("second central difference of the gradient"));
  Eigen::VectorXd x(3), u(3), g;
  x << 0.3, -0.2, 0.0;
  u << 0.0, 0.0, 1.0;
  central.sharpness_gradient(x, u, g);
  // ∇³L[e_y, e_y] = (a'(x), 0, 0); second differences at h = ε^{1/4}: ≈ 1e-8.
  CHECK(g[0] == Approx(Toy::da(0.3)).epsilon(1e-6));
  CHECK(std::abs(g[1]) <= 1e-6);
  CHECK(std::abs(g[2]) <= 1e-6);
}

TEST_CASE("the central flow of the toy follows its hand-derived solution through entry and exit") {
  const ToyCentralFlow hand;
  INFO("hand: entry at t = " << hand.t_entry << ", exit at t = " << hand.t_exit
                             << ", x* = " << hand.x_star);
  for (bool analytic : {true, false}) {
    INFO("analytic Hessian-vector products: " << analytic);
    const ToyField toy(analytic);
    const CentralFlow central(toy, 2.0 / hand.threshold);
    const double t_end = 2.0;
    const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 201}, t_end);
    const MethodOptions ed{.method = Method::event_driven, .rtol = 1e-10, .atol = 1e-12};
    const RunResult run = integrate(central, Eigen::Vector3d::Zero(), times, ed, {.t_end = t_end});
    REQUIRE(run.stats.status == RunStatus::completed);
    // Entry and exit, located as events on the dense output: to the solver's
    // tolerance (∇S to 1e-8 relative without analytic products).
    REQUIRE(central.events().size() == 2);
    CHECK(central.events()[0].from == 0);
    CHECK(central.events()[0].to == 1);
    CHECK(central.events()[1].to == 0);
    CHECK(central.events()[0].t == Approx(hand.t_entry).epsilon(1e-8));
    CHECK(central.events()[1].t == Approx(hand.t_exit).epsilon(analytic ? 1e-7 : 1e-5));
    double worst_state = 0.0, worst_sigma = 0.0, worst_s = 0.0;
    for (std::size_t i = 0; i < run.trajectory.size(); ++i) {
      const double t = run.trajectory.times[i];
      const Eigen::VectorXd& x = run.trajectory.states[i];
      worst_state = std::max(worst_state, (x - hand.state(t)).norm());
      const EdgeState s = central.edge_state(x);
      CHECK(s.sigma2 >= 0.0);
      // Records within a solver tolerance of an event may carry either label.
      if (std::abs(t - hand.t_entry) < 1e-6 || std::abs(t - hand.t_exit) < 1e-4) continue;
      worst_sigma = std::max(worst_sigma, std::abs(s.sigma2 - hand.sigma2(t)));
      if (t > hand.t_entry && t < hand.t_exit) {
        CHECK(s.count == 1);
        worst_s = std::max(worst_s, std::abs(s.sharpness - hand.threshold));
      } else {
        CHECK(s.count == 0);
      }
    }
    INFO("max |x - hand| " << worst_state << ", max |sigma2 - hand| " << worst_sigma
                           << ", max |S - 2/eta| on the edge " << worst_s);
    // rtol 1e-10 over O(1) time and O(1) states: ~1e-9; without analytic
    // products ∇S carries ~1e-8 relative error, which σ² inherits.
    CHECK(worst_state <= (analytic ? 1e-7 : 1e-6));
    CHECK(worst_sigma <= (analytic ? 1e-7 : 1e-6));
    CHECK(worst_s <= 1e-8 * hand.threshold);
  }
}

TEST_CASE(
    "the central flow refuses switched fields, preconditioned flows and a non-positive step") {
  const ToyField toy(true);
  CHECK_THROWS_WITH(CentralFlow(toy, 0.0), Catch::Contains("eta > 0"));
  const CentralFlow central(toy, 0.5);
  CHECK_THROWS_WITH(CentralFlow(central, 0.5), Catch::Contains("Hessian jumps"));
  const ModifiedFlow modified(toy, 0.5);
  CHECK_THROWS_WITH(CentralFlow(modified, 0.5), Catch::Contains("needs a gradient flow"));
}

namespace {

// Two eigenvalues reach the edge one after the other: L = ½a₁(x)y₁² +
// ½a₂(z)y₂² − px − qz + ½Σ d_i w_i², a₁ = 3 + x², a₂ = 2 + z²/2, p = q = 1,
// 20 coordinates w with curvatures d_i in [0.1, 1.9] (dimension 24, so the
// eigensolver runs its Krylov path). On y = 0 the Hessian is diagonal:
// 0, 0, a₁(x), a₂(z), d_i. With 2/η = 4 by hand: x = t until a₁ = 4 at t = 1,
// then x is held (σ₁² = −2⟨∇a₁, ∇L⟩/‖∇a₁‖² = 2p/a₁'(1) = 1); z = t until a₂ = 4
// (exactly: at z_a with a₂(z_a) = (1 − kArrivalBand)·4, where an arriving
// eigenvalue is taken in, see central_flow.hpp), then both are held,
// C = diag(2p/a₁'(1), 2q/a₂'(z_a)) (∇³L[e_y1, e_y2] = 0 decouples the
// complementarity problem), σ² = tr C ≈ 2; w decays as under gradient flow,
// w_i(t) = w_i(0)e^{−d_i t}.
class TwoEdgeField : public Field {
 public:
  TwoEdgeField() {
    layout_.append("w", 24, 1);
    d_ = Eigen::VectorXd::LinSpaced(20, 0.1, 1.9);
  }
  Eigen::Index dim() const override { return 24; }
  double loss(const Eigen::VectorXd& v) const override {
    return 0.5 * (3.0 + v[0] * v[0]) * v[2] * v[2] + 0.5 * (2.0 + 0.5 * v[1] * v[1]) * v[3] * v[3] -
           v[0] - v[1] + 0.5 * (d_.array() * v.tail(20).array().square()).sum();
  }
  void gradient(const Eigen::VectorXd& v, Eigen::VectorXd& g) const override {
    g.resize(24);
    g[0] = v[0] * v[2] * v[2] - 1.0;
    g[1] = 0.5 * v[1] * v[3] * v[3] - 1.0;
    g[2] = (3.0 + v[0] * v[0]) * v[2];
    g[3] = (2.0 + 0.5 * v[1] * v[1]) * v[3];
    g.tail(20) = d_.cwiseProduct(v.tail(20));
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "two-edge toy"; }
  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& v, const Eigen::VectorXd& u,
                      Eigen::VectorXd& hv) const override {
    const double x = v[0], z = v[1], y1 = v[2], y2 = v[3];
    hv.resize(24);
    hv[0] = y1 * y1 * u[0] + 2.0 * x * y1 * u[2];
    hv[1] = 0.5 * y2 * y2 * u[1] + z * y2 * u[3];
    hv[2] = 2.0 * x * y1 * u[0] + (3.0 + x * x) * u[2];
    hv[3] = z * y2 * u[1] + (2.0 + 0.5 * z * z) * u[3];
    hv.tail(20) = d_.cwiseProduct(u.tail(20));
  }
  Eigen::VectorXd d_;

 private:
  Layout layout_;
};

}  // namespace

TEST_CASE("a second eigenvalue arriving at the edge is held too, as derived by hand") {
  const TwoEdgeField f;
  const CentralFlow central(f, 0.5);
  Eigen::VectorXd x0 = Eigen::VectorXd::Zero(24);
  x0.tail(20).setConstant(0.1);
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 61}, 3.0);
  const MethodOptions ed{.method = Method::event_driven, .rtol = 1e-10, .atol = 1e-12};
  const RunResult run = integrate(central, x0, times, ed, {.t_end = 3.0});
  REQUIRE(run.stats.status == RunStatus::completed);
  const double z_a = std::sqrt(2.0 * ((1.0 - kArrivalBand) * 4.0 - 2.0));
  const double sigma2_two = 2.0 / 2.0 + 2.0 / z_a;
  REQUIRE(central.events().size() == 2);
  CHECK(central.events()[0].to == 1);
  CHECK(central.events()[0].t == Approx(1.0).epsilon(1e-9));
  CHECK(central.events()[1].to == 2);
  CHECK(central.events()[1].t == Approx(z_a).epsilon(1e-9));
  CHECK(central.counts().sdcp_solves > 0);
  CHECK(central.counts().unconverged_eigensolves == 0);
  for (std::size_t i = 0; i < run.trajectory.size(); ++i) {
    const double t = run.trajectory.times[i];
    const Eigen::VectorXd& x = run.trajectory.states[i];
    INFO("t = " << t);
    Eigen::VectorXd hand(24);
    hand << std::min(t, 1.0), std::min(t, z_a), 0.0, 0.0, 0.1 * (-f.d_ * t).array().exp().matrix();
    // rtol 1e-10 on O(1) states and times.
    CHECK((x - hand).norm() <= 1e-8);
    if (std::abs(t - 1.0) < 1e-6 || std::abs(t - z_a) < 1e-6) continue;
    const EdgeState s = central.edge_state(x);
    CHECK(s.count == (t < 1.0 ? 0 : t < z_a ? 1 : 2));
    CHECK(s.sigma2 == Approx(t < 1.0 ? 0.0 : t < z_a ? 1.0 : sigma2_two).margin(1e-8));
    // S held at 2/η to the solver's tolerance, the second where it arrived.
    if (t > 1.0) CHECK(s.sharpness == Approx(4.0).epsilon(1e-9));
    if (t > z_a) CHECK(s.second == Approx((1.0 - kArrivalBand) * 4.0).epsilon(1e-9));
  }
}
