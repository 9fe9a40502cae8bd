// Every registered integrator (integrators/integrator_table.cpp) on problems
// whose solution is known in closed form: adaptive ones at two tolerances
// (the error must fall, and stay within a small multiple of the tolerance),
// fixed-step ones at two step sizes (the error must fall at the method's
// order). An integrator added to the table runs here without a new test; one
// that fits none of the problems fails the first test case.

#include "core/linear_relaxation_field.hpp"
#include "integrators/integrator_table.hpp"
#include "models/two_layer_relu.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <memory>

using namespace gradflow;

namespace {

// ẋ = −A(x − b), A = Q diag(d) Qᵀ with Q a rotation in the (0, 1) plane:
// x(t) = b + Q e^{−diag(d) t} Qᵀ (x0 − b), written out without an eigensolver.
class RotatedRelaxation final : public LinearRelaxationField {
 public:
  RotatedRelaxation() {
    const double c = std::cos(0.4), s = std::sin(0.4);
    Q_ << c, -s, 0, s, c, 0, 0, 0, 1;
    rates_ << 3.0, 0.5, 1.2;
    A_ = Q_ * rates_.asDiagonal() * Q_.transpose();
    b_ = Eigen::Vector3d(0.3, -0.2, 1.0);
    layout_.append("x", 3, 1);
  }
  Eigen::Index dim() const override { return 3; }
  double loss(const Eigen::VectorXd& x) const override { return 0.5 * (x - b_).dot(A_ * (x - b_)); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    g.noalias() = A_ * (x - b_);
  }
  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd&, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    hv.noalias() = A_ * v;
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "rotated linear relaxation"; }
  const Eigen::MatrixXd& rate_matrix() const override { return A_; }
  const Eigen::VectorXd& fixed_point() const override { return b_; }

  Eigen::VectorXd solution(const Eigen::VectorXd& x0, double t) const {
    const Eigen::Vector3d decay = (-rates_ * t).array().exp();
    return b_ + Q_ * decay.asDiagonal() * Q_.transpose() * (x0 - b_);
  }

 private:
  Eigen::Matrix3d Q_;
  Eigen::Vector3d rates_;
  Eigen::MatrixXd A_;
  Eigen::VectorXd b_;
  Layout layout_;
};

// The logistic equation ẋ = x(1 − x), the gradient flow of L = x³/3 − x²/2:
// x(t) = 1 / (1 + (1/x0 − 1) e^{−t}).
class Logistic final : public Field {
 public:
  Logistic() { layout_.append("x", 1, 1); }
  Eigen::Index dim() const override { return 1; }
  double loss(const Eigen::VectorXd& x) const override {
    return x[0] * x[0] * x[0] / 3.0 - x[0] * x[0] / 2.0;
  }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    g[0] = x[0] * x[0] - x[0];
  }
  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    hv[0] = (2.0 * x[0] - 1.0) * v[0];
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "logistic"; }

 private:
  Layout layout_;
};

// One ReLU neuron (m = 1, a = 1) and two orthogonal unit inputs: x1 active
// with target 1, x2 inactive. s = wᵀx1 obeys ṡ = −(s − 1), so
// w(t) = w0 + (s(t) − s0) x1 with s(t) = 1 + (s0 − 1)e^{−t}; wᵀx2 never moves,
// so no surface is reached.
struct OneNeuron {
  Dataset data;
  std::unique_ptr<TwoLayerRelu> net;
  Eigen::Vector3d w0{0.2, 0.5, 0.2};  // w0ᵀx1 = 0.53 > 0, w0ᵀx2 = −0.13 < 0
  OneNeuron() {
    data.X = Eigen::MatrixXd(3, 2);
    data.X.col(0) = Eigen::Vector3d(1.0, 2.0, 2.0) / 3.0;
    data.X.col(1) = Eigen::Vector3d(2.0, -2.0, 1.0) / 3.0;  // orthogonal to x1
    data.Y = Eigen::MatrixXd(1, 2);
    data.Y << 1.0, 0.5;
    net = std::make_unique<TwoLayerRelu>(
        data, TwoLayerReluStart{Eigen::VectorXd::Ones(1), Eigen::MatrixXd(w0.transpose())});
  }
  Eigen::VectorXd solution(double t) const {
    const Eigen::Vector3d x1 = data.X.col(0);
    const double s0 = w0.dot(x1);
    const double s = 1.0 + (s0 - 1.0) * std::exp(-t);
    return w0 + (s - s0) * x1;
  }
};

struct Problem {
  std::string name;
  const Field* field;
  Eigen::VectorXd x0;
  double t_end;
  std::function<Eigen::VectorXd(double)> solution;
};

std::vector<Problem> problems() {
  static const RotatedRelaxation relaxation;
  static const Logistic logistic;
  static const OneNeuron neuron;
  const Eigen::Vector3d r0(1.0, 2.0, -1.0);
  Eigen::VectorXd l0(1);
  l0 << 0.1;
  return {
      {"linear relaxation", &relaxation, r0, 2.0,
       [r0](double t) { return relaxation.solution(r0, t); }},
      {"logistic", &logistic, l0, 4.0,
       [](double t) {
         Eigen::VectorXd x(1);
         x << 1.0 / (1.0 + (1.0 / 0.1 - 1.0) * std::exp(-t));
         return x;
       }},
      {"one ReLU neuron", neuron.net.get(), neuron.net->initial_state(), 2.0,
       [](double t) { return neuron.solution(t); }},
  };
}

bool fits(const IntegratorEntry& e, const Field& f) { return e.fits == nullptr || e.fits(f); }

// Largest error over the records against the closed form, relative to the
// solution's scale.
double max_error(const Problem& p, const MethodOptions& m) {
  std::vector<double> times;
  for (int k = 0; k <= 8; ++k) times.push_back(p.t_end * k / 8.0);
  const RunResult r = integrate(*p.field, p.x0, times, m, {.t_end = p.t_end});
  REQUIRE(r.stats.status == RunStatus::completed);
  double err = 0.0;
  for (std::size_t k = 0; k < r.trajectory.times.size(); ++k) {
    const Eigen::VectorXd exact = p.solution(r.trajectory.times[k]);
    err = std::max(err, (r.trajectory.states[k] - exact).lpNorm<Eigen::Infinity>() /
                            std::max(1.0, exact.lpNorm<Eigen::Infinity>()));
  }
  return err;
}

// Orders of the fixed-step schemes (sgd without noise is gradient descent).
const std::map<Method, double> kFixedStepOrder = {
    {Method::euler, 1},  {Method::sgd, 1},         {Method::rk4, 4},
    {Method::dopri5, 5}, {Method::cash_karp54, 5}, {Method::fehlberg78, 8}};

}  // namespace

TEST_CASE("every registered integrator fits at least one problem with a known solution") {
  for (const IntegratorEntry& e : integrator_table()) {
    INFO("integrator " << to_string(e.method));
    bool any = false;
    for (const Problem& p : problems()) any = any || fits(e, *p.field);
    CHECK(any);
  }
  // Every method the spec can name is registered.
  for (const std::string& name : method_names()) {
    INFO("method " << name);
    CHECK_NOTHROW(integrator_entry(parse_method(name)));
  }
}

TEST_CASE(
    "every adaptive integrator's error falls with its tolerance on problems with known solutions") {
  for (const IntegratorEntry& e : integrator_table()) {
    if (e.stepping != Stepping::adaptive) continue;
    for (const Problem& p : problems()) {
      if (!fits(e, *p.field)) continue;
      INFO(to_string(e.method) << " on " << p.name);
      const double loose = max_error(p, {.method = e.method, .rtol = 1e-6, .atol = 1e-8});
      const double tight = max_error(p, {.method = e.method, .rtol = 1e-10, .atol = 1e-12});
      INFO("error at rtol 1e-6: " << loose << ", at rtol 1e-10: " << tight);
      // Local error control keeps the global error of these contracting
      // problems within a modest multiple of rtol (50 covers BDF's order-1 start).
      CHECK(loose <= 50 * 1e-6);
      CHECK(tight <= 50 * 1e-10);
      // Exact solvers, and high-order ones on the exponentials of the ReLU
      // neuron, sit at round-off (~1e-12 after hundreds of steps) at both
      // tolerances; above it, a tighter tolerance must give a smaller error.
      if (loose > 1e-11) CHECK(tight < loose);
    }
  }
}

TEST_CASE("every fixed-step integrator converges at its order on the logistic equation") {
  const Problem logistic = problems()[1];
  auto with_step = [](Method method, double dt, bool adaptive) {
    return MethodOptions{.method = method, .dt = dt, .adaptive = adaptive};
  };
  for (const IntegratorEntry& e : integrator_table()) {
    const bool fixed = e.stepping == Stepping::fixed;
    if (!fixed && !e.fixed_step_mode) continue;
    INFO(to_string(e.method) << (fixed ? "" : " (adaptive: false)"));
    REQUIRE(kFixedStepOrder.count(e.method) == 1);
    const double order = kFixedStepOrder.at(e.method);
    // Steps large enough that even order 8 stays well above round-off.
    const double coarse = order >= 5 ? 0.5 : 0.25;
    const double e1 = max_error(logistic, with_step(e.method, coarse, fixed));
    const double e2 = max_error(logistic, with_step(e.method, coarse / 2, fixed));
    const double observed = std::log2(e1 / e2);
    INFO("errors " << e1 << ", " << e2 << ": observed order " << observed);
    // Asymptotically log2(e1/e2) → order. Half an order of slack separates
    // order p from p − 1 (what a wrong coefficient causes) and leaves room for
    // the pre-asymptotic regime an order-8 scheme needs to stay above round-off.
    CHECK(observed >= order - 0.5);
  }
}
