// The event-driven integrator (integrators/event_driven.hpp) on small switched
// fields with known solutions: a crossing, sliding that ends tangentially, and
// a Zeno point where switches accumulate in finite time and the run must stop
// with a stall instead of spinning.

#include "core/sample_times.hpp"
#include "integrators/event_driven.hpp"
#include "integrators/integrate.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <functional>

using namespace gradflow;

namespace {

// Surfaces x_k = 0 (k < K) of a planar field f(x, s), affine in each weight
// s_k ∈ [0, 1] of surface k's positive side. Sliding (one surface at a time)
// uses the Filippov weight that makes f_k = 0.
class CoordinateSwitched final : public SwitchedField {
 public:
  using Rule = std::function<Eigen::Vector2d(const Eigen::Vector2d&, const std::array<double, 2>&)>;
  CoordinateSwitched(Eigen::Index surfaces, Rule f) : K_(surfaces), f_(std::move(f)) {
    layout_.append("x", 2, 1);
  }

  struct Sides final : Mode {
    std::array<int, 2> side{1, 1};  // +1 positive side, -1 negative side, 0 sliding
  };

  Eigen::Index dim() const override { return 2; }
  double loss(const Eigen::VectorXd& x) const override { return 0.5 * x.squaredNorm(); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override { g = x; }
  void velocity(const Eigen::VectorXd& x, double, Eigen::VectorXd& v) const override {
    std::array<double, 2> s{x[0] >= 0 ? 1.0 : 0.0, x[1] >= 0 ? 1.0 : 0.0};
    v = f_(x, s);
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "toy switched field"; }

  Eigen::Index switch_count() const override { return K_; }
  std::unique_ptr<Mode> make_mode(const Eigen::VectorXd& x) const override {
    auto mode = std::make_unique<Sides>();
    for (Eigen::Index k = 0; k < K_; ++k) mode->side[k] = x[k] >= 0 ? 1 : -1;
    return mode;
  }
  void velocity_in_mode(const Eigen::VectorXd& x, const Mode& base,
                        Eigen::VectorXd& v) const override {
    v = f_(x, weights(x, static_cast<const Sides&>(base)));
  }
  void margins(const Eigen::VectorXd& x, const Mode& base, Eigen::VectorXd& h) const override {
    const auto& mode = static_cast<const Sides&>(base);
    for (Eigen::Index k = 0; k < K_; ++k) h[k] = margin(x, mode, k);
  }
  void margins_of(const Eigen::VectorXd& x, const Mode& base, std::span<const Eigen::Index> ks,
                  std::span<double> h) const override {
    for (std::size_t j = 0; j < ks.size(); ++j)
      h[j] = margin(x, static_cast<const Sides&>(base), ks[j]);
  }
  Transition enter(Eigen::VectorXd& x, Mode& base,
                   std::span<const Eigen::Index> ks) const override {
    auto& mode = static_cast<Sides&>(base);
    Transition t;
    for (Eigen::Index k : ks) {
      const auto [r0, r1] = rates(x, mode, k);
      const int before = mode.side[k];
      int after;
      if (r1 < 0.0 && r0 > 0.0) {
        after = 0;  // both sides point into the surface
        x[k] = 0.0;
      } else if (r0 >= 0.0 && r1 >= 0.0) {
        after = 1;
      } else if (r0 <= 0.0 && r1 <= 0.0) {
        after = -1;
      } else {
        after = before == 0 ? 1 : -before;
      }
      mode.side[k] = after;
      if (after == before) continue;
      if (after == 0)
        ++t.slides_started;
      else if (before == 0)
        ++t.slides_ended;
      else
        ++t.crossings;
    }
    return t;
  }
  long sliding_count(const Mode& base) const override {
    const auto& mode = static_cast<const Sides&>(base);
    return (mode.side[0] == 0) + (K_ > 1 && mode.side[1] == 0);
  }

 private:
  std::array<double, 2> weights(const Eigen::VectorXd& x, const Sides& mode) const {
    std::array<double, 2> s{1.0, 1.0};
    for (Eigen::Index k = 0; k < K_; ++k) s[k] = mode.side[k] == 1 ? 1.0 : 0.0;
    for (Eigen::Index k = 0; k < K_; ++k) {
      if (mode.side[k] == 0) s[k] = alpha(x, s, k);
    }
    return s;
  }
  double alpha(const Eigen::VectorXd& x, std::array<double, 2> s, Eigen::Index k) const {
    s[k] = 0.0;
    const double r0 = f_(x, s)[k];
    s[k] = 1.0;
    const double r1 = f_(x, s)[k];
    return r0 / (r0 - r1);
  }
  std::pair<double, double> rates(const Eigen::VectorXd& x, const Sides& mode,
                                  Eigen::Index k) const {
    std::array<double, 2> s = weights(x, mode);
    s[k] = 0.0;
    const double r0 = f_(x, s)[k];
    s[k] = 1.0;
    return {r0, f_(x, s)[k]};
  }
  double margin(const Eigen::VectorXd& x, const Sides& mode, Eigen::Index k) const {
    if (mode.side[k] != 0) return mode.side[k] * x[k];
    std::array<double, 2> s = weights(x, mode);
    const double a = alpha(x, s, k);
    return std::min(a, 1.0 - a);
  }

  Eigen::Index K_;
  Rule f_;
  Layout layout_;
};

const MethodOptions kTight{.method = Method::event_driven, .rtol = 1e-10, .atol = 1e-12};

}  // namespace

TEST_CASE("a crossing is located and the flow continues on the other side") {
  // x1 > 0: ẋ = (−1, 1); x1 < 0: ẋ = (−2, 0). From (1, 0): the surface at
  // t = 1, (0, 1); then (−2(t − 1), 1).
  const CoordinateSwitched field(1, [](const Eigen::Vector2d&, const std::array<double, 2>& s) {
    return Eigen::Vector2d(-2.0 + s[0], s[0]);
  });
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 5}, 2.0);
  const EventDrivenResult r =
      integrate_event_driven(field, Eigen::Vector2d(1.0, 0.0), times, kTight, {.t_end = 2.0});
  REQUIRE(r.run.stats.status == RunStatus::completed);
  CHECK(r.events.crossings == 1);
  CHECK(r.events.slides_started == 0);
  // Piecewise-constant fields: dopri5 is exact and the event time is found to
  // round-off (the margin is linear in t), so the error is round-off.
  CHECK((r.run.trajectory.states.back() - Eigen::Vector2d(-2.0, 1.0)).norm() < 1e-12);
  CHECK((r.run.trajectory.states[2] - Eigen::Vector2d(0.0, 1.0)).norm() < 1e-12);  // t = 1
}

TEST_CASE(
    "a sliding motion is followed until it ends tangentially, then the flow leaves the surface") {
  // x1 > 0: ẋ = (−1, 1); x1 < 0: ẋ = (1 − x2/2, 1). From (1, 0) the surface
  // is reached at t = 1, (0, 1). Both sides point into it while x2 < 2, so the
  // state slides (ẋ = (0, 1)) until t = 2; then the negative side's field
  // points away and x1 = −(t − 2)²/4, x2 = t.
  const CoordinateSwitched field(1, [](const Eigen::Vector2d& x, const std::array<double, 2>& s) {
    return Eigen::Vector2d(s[0] * -1.0 + (1.0 - s[0]) * (1.0 - x[1] / 2.0), 1.0);
  });
  const double T = 3.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 7}, T);
  const EventDrivenResult r =
      integrate_event_driven(field, Eigen::Vector2d(1.0, 0.0), times, kTight, {.t_end = T});
  INFO(r.run.stats.message);
  REQUIRE(r.run.stats.status == RunStatus::completed);
  CHECK(r.events.slides_started == 1);
  CHECK(r.events.slides_ended == 1);
  CHECK(r.events.sliding_at_end == 0);
  const auto& x = r.run.trajectory.states;
  // t = 1.5: sliding on the surface (projected there; ẋ1 = 0 up to round-off).
  CHECK(std::abs(x[3][0]) < 1e-15);
  CHECK(x[3][1] == Approx(1.5).epsilon(1e-12));
  // The exit is tangential, so its time is found only to ~√(event tolerance)
  // in x1 (a quadratic) and dopri5 is exact on quadratics: allow 1e-6.
  CHECK(x.back()[0] == Approx(-0.25).margin(1e-6));
  CHECK(x.back()[1] == Approx(3.0).epsilon(1e-12));
}

TEST_CASE("switches that accumulate at a Zeno point stop the run with a stall, not a spin") {
  // The twisting controller ẍ = −2 sign(x) − sign(ẋ) (state x1 = x, x2 = ẋ)
  // reaches the origin in finite time after infinitely many switches of both
  // x1 and x2 (Levant 1993).
  const CoordinateSwitched field(2, [](const Eigen::Vector2d& x, const std::array<double, 2>& s) {
    return Eigen::Vector2d(x[1], -2.0 * (2.0 * s[0] - 1.0) - (2.0 * s[1] - 1.0));
  });
  const double T = 100.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 11}, T);
  const EventDrivenResult r =
      integrate_event_driven(field, Eigen::Vector2d(1.0, 0.0), times, kTight, {.t_end = T});
  INFO(r.run.stats.message);
  CHECK(r.run.stats.status == RunStatus::step_size_underflow);
  CHECK_THAT(r.run.stats.message, Catch::Contains("stalled"));
  CHECK(r.run.stats.stop_time < 10.0);  // the origin is reached within a few time units
  CHECK(r.events.events >= kStallEvents);
  // Stopped promptly: a few dozen evaluations per event, not millions.
  CHECK(r.run.stats.field_evaluations < 100 * r.events.events);
  // The stall is where the switches accumulate, at the origin (the start is at distance 1).
  CHECK(r.run.trajectory.states.back().norm() < 1e-3);
}
