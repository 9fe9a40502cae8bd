#include "core/edge_of_stability.hpp"

#include "core/sharpness_tracker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace gradflow {

namespace {

// Recomputes GD iterates exactly as integrators/gradient_descent.cpp does:
// the velocity at (x_k, t = kη), then x += η·v.
class GdReplay {
 public:
  GdReplay(const Field& field, double eta) : field_(field), eta_(eta), v_(field.dim()) {}
  // Advances x from step k to step `to`.
  void advance(Eigen::VectorXd& x, long k, long to) {
    for (; k < to; ++k) {
      field_.velocity(x, static_cast<double>(k) * eta_, v_);
      x += eta_ * v_;
      ++steps_;
    }
  }
  long steps() const { return steps_; }

 private:
  const Field& field_;
  double eta_;
  Eigen::VectorXd v_;
  long steps_ = 0;
};

bool same_bits(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return a.size() == b.size() &&
         std::equal(a.data(), a.data() + a.size(), b.data(),
                    [](double p, double q) { return p == q || (std::isnan(p) && std::isnan(q)); });
}

struct Crossing {
  bool found = false;
  long step = -1;
  double at = EdgeOfStability::nan, before = EdgeOfStability::nan;
};

// S at every step from the first record on; stops at the first S ≥ threshold.
Crossing scan_every_step(const Trajectory& gd, double threshold, SharpnessTracker& tracker,
                         GdReplay& replay, bool& exact) {
  Crossing c;
  double previous = EdgeOfStability::nan;
  for (std::size_t r = 0; r < gd.size(); ++r) {
    Eigen::VectorXd x = gd.states[r];
    const long end = r + 1 < gd.size() ? gd.steps[r + 1] : gd.steps[r] + 1;
    for (long k = gd.steps[r]; k < end; ++k) {
      if (!x.allFinite()) return c;  // a diverging run: nothing more to measure
      const double s = tracker.at(x).value;
      if (s >= threshold) return {true, k, s, previous};
      previous = s;
      if (r + 1 < gd.size()) replay.advance(x, k, k + 1);  // nothing to check past the last record
    }
    if (r + 1 < gd.size()) exact = exact && same_bits(x, gd.states[r + 1]);
  }
  return c;
}

// S at the records, then bisection between the last record below the
// threshold and the first at or above it.
Crossing bisect_records(const Trajectory& gd, double threshold, SharpnessTracker& tracker,
                        GdReplay& replay) {
  double below = EdgeOfStability::nan;
  for (std::size_t r = 0; r < gd.size(); ++r) {
    if (!gd.states[r].allFinite()) return {};
    const double s = tracker.at(gd.states[r]).value;
    if (!(s >= threshold)) {
      below = s;
      continue;
    }
    if (r == 0) return {true, gd.steps[0], s, EdgeOfStability::nan};
    long lo = gd.steps[r - 1], hi = gd.steps[r];
    Eigen::VectorXd x_lo = gd.states[r - 1];
    double at = s;
    while (hi - lo > 1) {
      const long mid = lo + (hi - lo) / 2;
      Eigen::VectorXd x = x_lo;
      replay.advance(x, lo, mid);
      const double s_mid = x.allFinite() ? tracker.at(x).value : EdgeOfStability::nan;
      if (s_mid >= threshold) {
        hi = mid;
        at = s_mid;
      } else {
        lo = mid;
        x_lo = x;
        below = s_mid;
      }
    }
    return {true, hi, at, below};
  }
  return {};
}

double gradient_norm(const Field& field, const Eigen::VectorXd& x) {
  Eigen::VectorXd g(field.dim());
  field.gradient(x, g);
  return g.norm();
}

// Smallest p in [2, max_period] with which the second half of the tail repeats.
int tail_period(const std::vector<Eigen::VectorXd>& tail, const EdgeOfStabilityOptions& o) {
  double amplitude = 0.0;
  for (std::size_t i = 0; i + 1 < tail.size(); ++i)
    amplitude = std::max(amplitude, (tail[i + 1] - tail[i]).norm());
  if (!(amplitude > 0.0)) return 0;
  const std::size_t half = tail.size() / 2;
  for (int p = 2; p <= o.max_period; ++p) {
    const auto P = static_cast<std::size_t>(p);
    if (half + P >= tail.size()) break;
    double worst = 0.0;
    for (std::size_t i = half; i + P < tail.size(); ++i)
      worst = std::max(worst, (tail[i + P] - tail[i]).norm());
    if (worst <= o.cycle_tolerance * amplitude) return p;
  }
  return 0;
}

}  // namespace

EdgeOfStability analyse_edge_of_stability(const Field& field, const Trajectory& gd, double eta,
                                          RunStatus status, const EdgeOfStabilityOptions& options) {
  if (gd.size() == 0) throw std::invalid_argument("edge of stability: the run has no records");
  if (!(eta > 0.0))
    throw std::invalid_argument(fmt::format("edge of stability: eta must be > 0, got {}", eta));
  EdgeOfStability e;
  e.two_over_eta = 2.0 / eta;
  SharpnessTracker tracker(field);
  GdReplay replay(field, eta);

  const long last_step = gd.steps.back();
  const bool every_step = static_cast<double>(last_step + 1) * static_cast<double>(field.dim()) <=
                          options.every_step_budget;
  e.crossing_search = every_step ? "every_step" : "bisection";
  const Crossing c = every_step
                         ? scan_every_step(gd, e.two_over_eta, tracker, replay, e.replay_exact)
                         : bisect_records(gd, e.two_over_eta, tracker, replay);
  if (c.found) {
    e.crossed = true;
    e.first_crossing_step = c.step;
    e.first_crossing_time = static_cast<double>(c.step) * eta;
    e.sharpness_at_crossing = c.at;
    e.sharpness_before_crossing = c.before;
  }

  e.initial_grad_norm = gd.states.front().allFinite() ? gradient_norm(field, gd.states.front())
                                                      : EdgeOfStability::nan;
  const Eigen::VectorXd& final_state = gd.states.back();
  e.final_grad_norm =
      final_state.allFinite() ? gradient_norm(field, final_state) : EdgeOfStability::nan;
  e.tail_last_step = last_step;
  e.tail_first_step = last_step;
  auto finish = [&](std::string outcome) {
    e.outcome = std::move(outcome);
    e.hessian_vector_products = tracker.hessian_vector_products();
    e.replayed_steps = replay.steps();
    return e;
  };
  if (status == RunStatus::diverged || !final_state.allFinite()) return finish("diverged");
  if (!e.crossed) return finish("never_crossed");

  // The tail: the last tail_steps iterates, recomputed from the latest record
  // at or before its first step.
  e.tail_first_step = std::max(gd.steps.front(), last_step - options.tail_steps);
  std::size_t r = gd.size() - 1;
  while (r > 0 && gd.steps[r] > e.tail_first_step) --r;
  Eigen::VectorXd x = gd.states[r];
  replay.advance(x, gd.steps[r], e.tail_first_step);
  std::vector<Eigen::VectorXd> tail{x};
  for (long k = e.tail_first_step; k < last_step; ++k) {
    replay.advance(x, k, k + 1);
    tail.push_back(x);
  }
  e.replay_exact = e.replay_exact && same_bits(tail.back(), final_state);
  std::vector<double> s_tail;
  s_tail.reserve(tail.size());
  for (const Eigen::VectorXd& t : tail) s_tail.push_back(tracker.at(t).value);
  e.tail_sharpness_min = *std::min_element(s_tail.begin(), s_tail.end());
  e.tail_sharpness_max = *std::max_element(s_tail.begin(), s_tail.end());

  const double threshold = e.two_over_eta;
  if (e.final_grad_norm <= options.converged_gradient * e.initial_grad_norm) {
    return finish(s_tail.back() < threshold ? "converged_below" : "unclassified");
  }
  if (const int p = tail_period(tail, options); p > 0) {
    e.period = p;
    return finish(p == 2 ? "period_two" : fmt::format("period_{}", p));
  }
  // Below 2/η throughout, GD is locally stable: converging, however slowly.
  const bool all_below =
      std::all_of(s_tail.begin(), s_tail.end(), [&](double s) { return s < threshold; });
  if (all_below && e.final_grad_norm < gradient_norm(field, tail.front()))
    return finish("returned_below");
  const bool within_band = std::all_of(s_tail.begin(), s_tail.end(), [&](double s) {
    return std::abs(s - threshold) <= options.hover_band * threshold;
  });
  if (within_band && !all_below) return finish("hovering");
  return finish("unclassified");
}

}  // namespace gradflow
