// Integrators against a field with a known solution, independent of any model:
// the damped rotation ẋ = [[−a, −b], [b, −a]] x, x(t) = e^{−at} R(bt) x0.

#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace gradflow;

namespace {

class DampedRotation final : public Field {
 public:
  DampedRotation(double a, double b) : a_(a), b_(b) { layout_.append("x", 2, 1); }
  Eigen::Index dim() const override { return 2; }
  double loss(const Eigen::VectorXd& x) const override { return 0.5 * x.squaredNorm(); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override { g = x; }
  void velocity(const Eigen::VectorXd& x, double, Eigen::VectorXd& v) const override {
    v.resize(2);
    v[0] = -a_ * x[0] - b_ * x[1];
    v[1] = b_ * x[0] - a_ * x[1];
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "damped rotation"; }

  Eigen::VectorXd exact(const Eigen::VectorXd& x0, double t) const {
    const double c = std::cos(b_ * t), s = std::sin(b_ * t), e = std::exp(-a_ * t);
    return e * Eigen::Vector2d(c * x0[0] - s * x0[1], s * x0[0] + c * x0[1]);
  }

 private:
  double a_, b_;
  Layout layout_;
};

// ẋ = x², x(t) = 1/(1 − t) from x(0) = 1: blows up at t = 1.
class BlowUp final : public Field {
 public:
  BlowUp() { layout_.append("x", 1, 1); }
  Eigen::Index dim() const override { return 1; }
  double loss(const Eigen::VectorXd& x) const override { return -x[0] * x[0] * x[0] / 3.0; }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    g.resize(1);
    g[0] = -x[0] * x[0];
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "blow-up"; }

 private:
  Layout layout_;
};

// A velocity that overflows at the start: ẋ = −x·(x·1e300)², Inf·0 gives NaN
// in the second entry, as an overflowing product of deep layers does.
class OverflowAtStart final : public Field {
 public:
  OverflowAtStart() { layout_.append("x", 2, 1); }
  Eigen::Index dim() const override { return 2; }
  double loss(const Eigen::VectorXd& x) const override { return x.squaredNorm(); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    g.resize(2);
    const double huge = x[0] * 1e300 * x[0] * 1e300;  // Inf for |x0| ≥ 1
    g[0] = huge * x[0];
    g[1] = huge * x[1];  // Inf · 0 = NaN
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "overflow at the start"; }

 private:
  Layout layout_;
};

double final_error(const DampedRotation& f, const RunResult& r, const Eigen::VectorXd& x0) {
  return (r.trajectory.states.back() - f.exact(x0, r.trajectory.times.back())).norm();
}

std::vector<double> endpoints(double t_end) { return {0.0, t_end}; }

}  // namespace

TEST_CASE("fixed-step methods show their textbook order on a known solution") {
  const DampedRotation f(0.3, 2.0);
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.5);
  struct Case {
    Method method;
    double order;
    double dt;
  };
  // Step sizes chosen so that the error at dt/2 stays far above round-off.
  for (const Case c :
       {Case{Method::euler, 1, 0.01}, Case{Method::rk4, 4, 0.05}, Case{Method::dopri5, 5, 0.1},
        Case{Method::cash_karp54, 5, 0.1}, Case{Method::fehlberg78, 8, 0.25}}) {
    INFO(to_string(c.method));
    const StopOptions stop{.t_end = 2.0};
    auto error_at = [&](double dt) {
      const MethodOptions m{.method = c.method, .dt = dt, .adaptive = false};
      return final_error(f, integrate(f, x0, endpoints(2.0), m, stop), x0);
    };
    const double observed = std::log2(error_at(c.dt) / error_at(c.dt / 2));
    // Asymptotic regime: the observed order is within 0.25 of the method's.
    CHECK(observed == Approx(c.order).margin(0.25));
  }
}

TEST_CASE("adaptive methods meet their tolerance and sample exactly at requested times") {
  const DampedRotation f(0.3, 2.0);
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.5);
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 37}, 5.0);
  for (Method m :
       {Method::dopri5, Method::cash_karp54, Method::fehlberg78, Method::bulirsch_stoer}) {
    INFO(to_string(m));
    const RunResult r =
        integrate(f, x0, times, {.method = m, .rtol = 1e-10, .atol = 1e-10}, {.t_end = 5.0});
    REQUIRE(r.stats.status == RunStatus::completed);
    REQUIRE(r.trajectory.times == times);
    double worst = 0.0;
    for (std::size_t k = 0; k < times.size(); ++k) {
      worst = std::max(worst, (r.trajectory.states[k] - f.exact(x0, times[k])).norm());
    }
    // Local error per step ≤ tol ≈ 1e-10; over a few hundred steps of a
    // contracting flow the global error stays within 1e-8 (and far above it
    // would mean the controller ignored rtol).
    CHECK(worst <= 1e-8);
    CHECK(r.stats.field_evaluations > 0);
  }
}

TEST_CASE("dense output does not add steps for the samples") {
  const DampedRotation f(0.3, 2.0);
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.5);
  const MethodOptions m{.method = Method::dopri5, .rtol = 1e-8, .atol = 1e-8};
  const RunResult sparse = integrate(f, x0, endpoints(5.0), m, {.t_end = 5.0});
  const RunResult dense =
      integrate(f, x0, sample_times({.kind = SampleGrid::Kind::grid, .spacing = 0.001}, 5.0), m,
                {.t_end = 5.0});
  CHECK(dense.trajectory.size() == 5001);
  CHECK(dense.stats.steps == sparse.stats.steps);
  CHECK(dense.stats.field_evaluations == sparse.stats.field_evaluations);
}

TEST_CASE("a tighter tolerance rejects steps and costs more evaluations") {
  const DampedRotation f(0.3, 20.0);
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.5);
  const auto loose = integrate(f, x0, endpoints(3.0), {.rtol = 1e-4, .atol = 1e-4}, {.t_end = 3.0});
  const auto tight =
      integrate(f, x0, endpoints(3.0), {.rtol = 1e-11, .atol = 1e-11}, {.t_end = 3.0});
  CHECK(tight.stats.steps > loose.stats.steps);
  CHECK(final_error(f, tight, x0) < final_error(f, loose, x0));
  // dopri5 with a too-large first step rejects it and says so.
  const auto rejected = integrate(
      f, x0, endpoints(3.0), {.rtol = 1e-10, .atol = 1e-10, .initial_dt = 1.0}, {.t_end = 3.0});
  CHECK(rejected.stats.rejected_steps >= 1);
}

TEST_CASE("a blow-up is reported as divergence with its step and time, never looped on") {
  const BlowUp f;
  const Eigen::VectorXd x0 = Eigen::VectorXd::Ones(1);
  for (Method m :
       {Method::dopri5, Method::cash_karp54, Method::bulirsch_stoer, Method::rk4, Method::euler}) {
    INFO(to_string(m));
    MethodOptions opts{.method = m, .rtol = 1e-8, .atol = 1e-8, .dt = 1e-3};
    const RunResult r =
        integrate(f, x0, endpoints(2.0), opts, {.t_end = 2.0, .max_abs_state = 1e6});
    REQUIRE(r.stats.status == RunStatus::diverged);
    CHECK_THAT(r.stats.message, Catch::Contains("diverged at step") && Catch::Contains("t = "));
    // The exact solution passes 1e6 at t = 1 − 1e-6. Adaptive methods track it
    // to their tolerance; Euler at dt = 1e-3 lags the blow-up by
    // O(dt·ln(1/dt)) ≈ 1e-2, rk4 by far less.
    const double margin = m == Method::euler ? 2e-2 : m == Method::rk4 ? 2e-3 : 1e-5;
    CHECK(r.stats.stop_time == Approx(1.0).margin(margin));
    CHECK(r.trajectory.times.back() == r.stats.stop_time);
  }
}

TEST_CASE("a velocity that is not finite at the start is divergence at a finite step and time") {
  // Before: the first step 0.01‖x0‖/‖f(x0)‖ was NaN, and the run reported
  // "diverged at step 1 (t = -nan)" with a NaN stop time.
  const OverflowAtStart f;
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.0);
  for (Method m :
       {Method::dopri5, Method::cash_karp54, Method::fehlberg78, Method::bulirsch_stoer}) {
    INFO(to_string(m));
    const RunResult r = integrate(f, x0, endpoints(1.0), {.method = m}, {.t_end = 1.0});
    INFO(r.stats.message);
    CHECK(std::isfinite(r.stats.stop_time));
    CHECK_THAT(r.stats.message, !Catch::Contains("nan"));
    if (m == Method::bulirsch_stoer) {
      // Its error estimate rejects the NaN step until the step underflows.
      CHECK(r.stats.status == RunStatus::step_size_underflow);
      continue;
    }
    REQUIRE(r.stats.status == RunStatus::diverged);
    CHECK(r.stats.stop_time > 0.0);
    CHECK(r.stats.steps == 1);
  }
}

TEST_CASE("without a state bound a blow-up ends in divergence or step-size underflow") {
  const BlowUp f;
  const RunResult r = integrate(f, Eigen::VectorXd::Ones(1), endpoints(2.0), {}, {.t_end = 2.0});
  CHECK(
      (r.stats.status == RunStatus::diverged || r.stats.status == RunStatus::step_size_underflow));
  CHECK(r.stats.stop_time < 1.0 + 1e-9);
}

TEST_CASE("the step budget ends a run with its own status") {
  const DampedRotation f(0.3, 2.0);
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.5);
  for (Method m : {Method::dopri5, Method::fehlberg78, Method::euler}) {
    INFO(to_string(m));
    const RunResult r = integrate(f, x0, endpoints(100.0), {.method = m, .dt = 0.01},
                                  {.t_end = 100.0, .max_steps = 10});
    CHECK(r.stats.status == RunStatus::step_budget);
    CHECK(r.stats.steps == 10);
    CHECK_THAT(r.stats.message, Catch::Contains("step budget of 10"));
  }
}

TEST_CASE("a loss threshold stops the run at the first step below it") {
  const DampedRotation f(0.5, 1.0);
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.0);
  // loss(t) = ½ e^{−t}: below 0.01 from t* = ln 50 ≈ 3.912.
  const RunResult r = integrate(f, x0, endpoints(10.0), {.rtol = 1e-9, .atol = 1e-12},
                                {.t_end = 10.0, .loss_below = 0.01});
  REQUIRE(r.stats.status == RunStatus::loss_below);
  CHECK(r.stats.stop_time >= std::log(50.0));
  CHECK(f.loss(r.trajectory.states.back()) < 0.01);
  CHECK(r.stats.stop_time < std::log(50.0) + 1.0);
}

TEST_CASE("inconsistent integrator options are refused with the value") {
  const DampedRotation f(0.3, 2.0);
  const Eigen::VectorXd x0 = Eigen::Vector2d(1.0, 0.5);
  CHECK_THROWS_WITH(integrate(f, x0, endpoints(1.0), {.rtol = -1.0}, {.t_end = 1.0}),
                    Catch::Contains("rtol must be > 0, got -1"));
  CHECK_THROWS_WITH(
      integrate(f, x0, endpoints(1.0), {.method = Method::euler, .dt = 0.0}, {.t_end = 1.0}),
      Catch::Contains("needs dt > 0"));
  CHECK_THROWS_WITH(
      integrate(f, x0, endpoints(1.0), {.method = Method::euler, .dt = 0.3}, {.t_end = 1.0}),
      Catch::Contains("not a whole number of steps"));
  CHECK_THROWS_WITH(integrate(f, Eigen::VectorXd::Ones(3), endpoints(1.0), {}, {.t_end = 1.0}),
                    Catch::Contains("has 3 entries but the model's state has 2"));
  CHECK_THROWS_WITH(parse_method("rk45"), Catch::Contains("valid: dopri5, cash_karp54"));
}
