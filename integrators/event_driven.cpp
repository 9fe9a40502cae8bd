// dopri5 with event location for switched fields (see event_driven.hpp). This
// file instantiates its own odeint stepper: the mode-aware system and the
// restarts at events do not fit the generic loops of odeint_steppers.cpp.

#include "integrators/event_driven.hpp"

#include "integrators/counting_error_checker.hpp"
#include "integrators/initial_step.hpp"
#include "integrators/pi_step_adjuster.hpp"
#include "integrators/stop_monitor.hpp"

#include <boost/numeric/odeint.hpp>
#include <boost/numeric/odeint/external/eigen/eigen.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace gradflow {

namespace {

namespace odeint = boost::numeric::odeint;
using State = Eigen::VectorXd;
using Algebra = odeint::vector_space_algebra;

using Dopri5 = odeint::runge_kutta_dopri5<State, double, State, double, Algebra>;
// The same step-size controller as the dopri5 integrator.
using Controlled =
    odeint::controlled_runge_kutta<Dopri5, detail::CountingErrorChecker, detail::PiStepAdjuster>;
using Stepper = odeint::dense_output_runge_kutta<Controlled>;

// The field of the current mode; the mode object is updated in place at events.
struct ModeSystem {
  const SwitchedField* field;
  const SwitchedField::Mode* mode;
  long* evaluations;
  void operator()(const State& x, State& dxdt, double /*t*/) const {
    ++*evaluations;
    field->velocity_in_mode(x, *mode, dxdt);
  }
};

// Neurons (or surfaces, for a field that does not list its switches) that
// changed mode in one transition: relu_windows counts its events the same way.
long neurons_switching(const SwitchedField::Transition& change) {
  if (change.switches.empty()) return change.changed() ? 1 : 0;
  std::vector<Eigen::Index> neurons;
  for (const auto& s : change.switches) neurons.push_back(s.neuron);
  std::sort(neurons.begin(), neurons.end());
  return static_cast<long>(std::unique(neurons.begin(), neurons.end()) - neurons.begin());
}

bool step_underflows(double dt, double t) {
  return std::abs(dt) < 64.0 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(t));
}

// Locates the earliest event of a step [t0, t1] among `candidates` (margins
// ≤ 0 at t1) on the dense output. `fresh` (sorted) are the surfaces switched
// at t0 by the event the step restarted from: their margins start at zero by
// construction, so a zero there is not an event; one later is, once the margin
// has been positive in between (it crossed, or left its surface, and came back).
class EventLocator {
 public:
  EventLocator(const SwitchedField& field, Stepper& stepper, Eigen::Index dim)
      : field_(field), stepper_(stepper), x_(dim) {}

  struct Event {
    double t;  // just past the event: margins of `touched` are ≤ 0 here
    std::vector<Eigen::Index> touched;
  };

  Event locate(const SwitchedField::Mode& mode, const std::vector<Eigen::Index>& candidates,
               const std::vector<Eigen::Index>& fresh) {
    constexpr int kScan = 8;
    const double t0 = stepper_.previous_time();
    const double t1 = stepper_.current_time();
    lo_h_.resize(candidates.size());
    hi_h_.resize(candidates.size());
    stepper_.calc_state(t0, x_);
    field_.margins_of(x_, mode, candidates, lo_h_);
    Event event{t0, {}};
    auto is_fresh = [&](Eigen::Index k) {
      return std::binary_search(fresh.begin(), fresh.end(), k);
    };
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      if (lo_h_[j] <= 0.0 && !is_fresh(candidates[j])) event.touched.push_back(candidates[j]);
    }
    if (!event.touched.empty()) return event;  // already at zero where the step began
    // Scan for the first sub-interval in which some margin reaches zero (a
    // fresh margin at zero at t0 counts from its first positive value on).
    double lo = t0, hi = t1;
    for (int s = 1; s <= kScan; ++s) {
      hi = s == kScan ? t1 : t0 + (t1 - t0) * s / kScan;
      if (s == kScan) {
        x_ = stepper_.current_state();
      } else {
        stepper_.calc_state(hi, x_);
      }
      field_.margins_of(x_, mode, candidates, hi_h_);
      if (std::any_of(hi_h_.begin(), hi_h_.end(), [](double v) { return v <= 0.0; })) break;
      lo = hi;
      std::swap(lo_h_, hi_h_);
    }
    // Refine each surface that switches in [lo, hi]; the earliest wins.
    const double tol = 16.0 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(t1)) +
                       1e-12 * (t1 - t0);
    double earliest = hi;
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      if (hi_h_[j] > 0.0) continue;
      double a = lo, fa = lo_h_[j];
      if (!(fa > 0.0)) {
        // A fresh margin still at zero at t0: its first positive value, if any,
        // on points closing in on t0; none means it never left zero (round-off
        // at a tangency), an event at t0 that the model will leave unchanged.
        fa = 0.0;
        for (double span = 0.5 * (hi - lo); span > tol && !(fa > 0.0); span *= 0.5) {
          a = lo + span;
          fa = margin_at(mode, candidates[j], a);
        }
        if (!(fa > 0.0)) {
          earliest = t0;
          continue;
        }
      }
      earliest = std::min(earliest, illinois(mode, candidates[j], a, fa, hi, hi_h_[j], tol));
    }
    event.t = earliest;
    if (earliest == t1) {
      x_ = stepper_.current_state();
    } else {
      stepper_.calc_state(earliest, x_);
    }
    field_.margins_of(x_, mode, candidates, hi_h_);
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      if (hi_h_[j] <= 0.0) event.touched.push_back(candidates[j]);
    }
    return event;
  }

  const State& state() const { return x_; }  // the state at the last located event

 private:
  double margin_at(const SwitchedField::Mode& mode, Eigen::Index k, double t) {
    stepper_.calc_state(t, x_);
    double h = 0.0;
    field_.margins_of(x_, mode, std::span<const Eigen::Index>(&k, 1), std::span<double>(&h, 1));
    return h;
  }

  // Illinois variant of regula falsi (Dowell & Jarratt 1971) on a bracket
  // with fa > 0 ≥ fb; returns the right end of a bracket narrower than tol.
  double illinois(const SwitchedField::Mode& mode, Eigen::Index k, double a, double fa, double b,
                  double fb, double tol) {
    int last_side = 0;
    for (int iteration = 0; iteration < 200 && b - a > tol; ++iteration) {
      double c = (a * fb - b * fa) / (fb - fa);
      if (!(c > a && c < b)) c = 0.5 * (a + b);
      const double fc = margin_at(mode, k, c);
      if (fc > 0.0) {
        a = c;
        fa = fc;
        if (last_side == 1) fb *= 0.5;
        last_side = 1;
      } else {
        b = c;
        fb = fc;
        if (last_side == -1) fa *= 0.5;
        last_side = -1;
      }
    }
    return b;
  }

  const SwitchedField& field_;
  Stepper& stepper_;
  State x_;
  std::vector<double> lo_h_, hi_h_;
};

}  // namespace

EventDrivenResult integrate_event_driven(const SwitchedField& field, const Eigen::VectorXd& x0,
                                         const std::vector<double>& times,
                                         const MethodOptions& method, const StopOptions& stop) {
  const auto clock_start = std::chrono::steady_clock::now();
  EventDrivenResult out;
  RunResult& result = out.run;
  RunStats& stats = result.stats;
  EventCounts& counts = out.events;

  // Pairs on a surface at the start are decided as the flow leaves x0: their
  // switches (against "on the surface = positive side") happen at t = 0.
  SwitchedField::Transition start;
  std::unique_ptr<SwitchedField::Mode> mode = field.make_mode(x0, start);
  const ModeSystem system{&field, mode.get(), &stats.field_evaluations};
  const detail::StopMonitor monitor(field, stop);
  Stepper stepper(
      Controlled(detail::CountingErrorChecker(&stats.rejected_steps, method.atol, method.rtol),
                 detail::PiStepAdjuster(method.max_dt)));
  EventLocator locator(field, stepper, x0.size());

  const Eigen::Index K = field.switch_count();
  Eigen::VectorXd margins(K);
  State buffer(x0.size());
  std::vector<Eigen::Index> candidates, muted;
  std::vector<Eigen::Index> fresh;  // surfaces switched at the last restart (sorted)
  double fresh_time = -1.0;
  std::vector<double> recent_events(static_cast<std::size_t>(kStallEvents),
                                    -std::numeric_limits<double>::infinity());

  // The counters and the log of one mode change at time t.
  auto count_change = [&](const SwitchedField::Transition& change, double t) {
    counts.crossings += change.crossings;
    counts.slides_started += change.slides_started;
    counts.slides_ended += change.slides_ended;
    counts.events += neurons_switching(change);
    if (method.record_switches) {
      for (const auto& s : change.switches)
        result.switches.push_back({t, s.neuron, s.sample, s.kind, s.alpha});
    }
  };
  if (start.changed()) count_change(start, 0.0);

  stepper.initialize(x0, 0.0, detail::initial_step(system, x0, method, stop.t_end));
  result.trajectory.record(0.0, 0, x0);
  std::size_t next = times.front() == 0.0 ? 1 : 0;
  long step = 0;
  // Records every requested time up to t_limit from the current dense output.
  auto record_until = [&](double t_limit) {
    while (next < times.size() && times[next] <= t_limit) {
      stepper.calc_state(times[next], buffer);
      result.trajectory.record(times[next], step, buffer);
      ++next;
    }
  };
  bool stopped = false;
  while (next < times.size() && !stopped) {
    if (monitor.out_of_budget(step + counts.events, stepper.current_time(), stats)) break;
    try {
      stepper.do_step(system);
    } catch (const odeint::odeint_error& e) {
      stats.status = RunStatus::step_size_underflow;
      stats.message = fmt::format("step size underflow at step {} (t = {:.6g}): {}", step,
                                  stepper.current_time(), e.what());
      break;
    }
    ++step;
    const double t1 = stepper.current_time();
    if (monitor.should_stop(stepper.current_state(), t1, step, stats)) {
      while (next < times.size() && times[next] < t1) {
        stepper.calc_state(times[next], buffer);
        if (!buffer.allFinite()) break;
        result.trajectory.record(times[next++], step, buffer);
      }
      result.trajectory.record(t1, step, stepper.current_state());
      break;
    }

    // Margins at the step's end: a muted margin (at zero by round-off) only
    // counts again once it falls below a round-off threshold.
    field.margins(stepper.current_state(), *mode, margins);
    const double mute_floor =
        -100.0 *
        (method.atol + method.rtol * std::max(1.0, stepper.current_state().cwiseAbs().maxCoeff()));
    muted.erase(std::remove_if(muted.begin(), muted.end(),
                               [&](Eigen::Index k) { return margins[k] > 0.0; }),
                muted.end());
    candidates.clear();
    for (Eigen::Index k = 0; k < K; ++k) {
      if (margins[k] > 0.0) continue;
      if (margins[k] > mute_floor && std::binary_search(muted.begin(), muted.end(), k)) continue;
      candidates.push_back(k);
    }

    bool restarted = false, finished = false;
    while (!candidates.empty()) {
      if (stepper.previous_time() != fresh_time) fresh.clear();
      EventLocator::Event event = locator.locate(*mode, candidates, fresh);
      if (event.t > stop.t_end) {
        // The step overshot t_end and the switch lies beyond it: not part of the run.
        record_until(stop.t_end);
        finished = true;
        break;
      }
      State x_event = locator.state();
      record_until(event.t);  // the old mode's dense output is valid up to the event
      const SwitchedField::Transition change = field.enter(x_event, *mode, event.touched);
      if (!change.changed()) {
        // At zero by round-off (e.g. leaving a surface tangentially): mute, keep looking.
        counts.spurious += static_cast<long>(event.touched.size());
        for (Eigen::Index k : event.touched) muted.push_back(k);
        std::sort(muted.begin(), muted.end());
        muted.erase(std::unique(muted.begin(), muted.end()), muted.end());
        candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                        [&](Eigen::Index k) {
                                          return std::binary_search(muted.begin(), muted.end(), k);
                                        }),
                         candidates.end());
        continue;
      }
      const std::size_t slot = static_cast<std::size_t>(counts.events % kStallEvents);
      const double oldest = recent_events[slot];
      recent_events[slot] = event.t;
      count_change(change, event.t);
      field.note_event(event.t, *mode);
      // The surfaces just switched start at zero margin on their new side: a
      // zero there is no event (the locator's `fresh`).
      fresh = event.touched;
      for (const auto& s : change.switches) fresh.push_back(s.surface);
      std::sort(fresh.begin(), fresh.end());
      fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
      fresh_time = event.t;
      // At the rate of the last kStallEvents events, reaching t_end would take
      // more events than the step budget has left (or they share one instant).
      const double span = event.t - oldest;
      const double budget_left = static_cast<double>(stop.max_steps - step - counts.events);
      const double needed = span > 0.0 ? (stop.t_end - event.t) / span * kStallEvents
                                       : std::numeric_limits<double>::infinity();
      if (std::isfinite(oldest) &&
          (span <= 1e-9 * std::max(1.0, std::abs(event.t)) || needed > budget_left)) {
        stats.status = RunStatus::step_size_underflow;
        stats.message = fmt::format(
            "stalled at t = {:.9g}: the last {} switching events fell within {:.3g} time units, so "
            "t_end = {:.6g} would take ~{:.3g} more (step budget left: {:.3g}); events accumulate "
            "here (a Zeno point, or chattering that sliding does not resolve)",
            event.t, kStallEvents, span, stop.t_end, needed, budget_left);
        result.trajectory.record(event.t, step, x_event);
        stopped = true;  // the stall's state is the last record
        break;
      }
      stepper.initialize(x_event, event.t, stepper.current_time_step());
      restarted = true;
      break;
    }
    if (finished) break;
    if (stopped || restarted) continue;
    record_until(t1);
    if (next < times.size() && step_underflows(stepper.current_time_step(), t1)) {
      stats.status = RunStatus::step_size_underflow;
      stats.message = fmt::format("step size underflow at step {} (t = {:.6g}, dt = {:.3g})", step,
                                  t1, stepper.current_time_step());
      break;
    }
  }
  counts.sliding_at_end = field.sliding_count(*mode);
  stats.steps = step;
  stats.stop_time =
      stopped ? result.trajectory.times.back() : std::min(stepper.current_time(), stop.t_end);
  const std::string summary = fmt::format(
      "{} switching events: {} crossings, {} slides started, {} ended, {} surfaces sliding at the "
      "end, {} round-off zeros muted",
      counts.events, counts.crossings, counts.slides_started, counts.slides_ended,
      counts.sliding_at_end, counts.spurious);
  stats.message = stats.message.empty() ? summary : stats.message + "; " + summary;
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  return out;
}

bool is_switched_field(const Field& field) {
  return dynamic_cast<const SwitchedField*>(&field) != nullptr;
}

RunResult run_event_driven(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop) {
  EventDrivenResult r =
      integrate_event_driven(dynamic_cast<const SwitchedField&>(field), x0, times, method, stop);
  r.run.stats.counters = {{"events", r.events.events},
                          {"crossings", r.events.crossings},
                          {"slides_started", r.events.slides_started},
                          {"slides_ended", r.events.slides_ended},
                          {"spurious_zeros_muted", r.events.spurious},
                          {"sliding_at_end", r.events.sliding_at_end}};
  return r.run;
}

}  // namespace gradflow
