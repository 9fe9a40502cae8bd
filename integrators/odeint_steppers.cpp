// Every Boost.Odeint instantiation of gradflow lives in this file: each one
// costs seconds and hundreds of MB to compile.

#include "integrators/fixed_step_loop.hpp"
#include "integrators/counting_error_checker.hpp"
#include "integrators/initial_step.hpp"
#include "integrators/odeint_runs.hpp"
#include "integrators/pi_step_adjuster.hpp"
#include "integrators/stop_monitor.hpp"

#include <boost/numeric/odeint.hpp>
#include <boost/numeric/odeint/external/eigen/eigen.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace gradflow::detail {

namespace odeint = boost::numeric::odeint;
using State = Eigen::VectorXd;
using Algebra = odeint::vector_space_algebra;

namespace {

// dopri5 steps with Hairer's PI controller (pi_step_adjuster.hpp);
// cash_karp54 and fehlberg78 keep odeint's default controller (Hairer too
// recommends β = 0 for the higher-order pairs).
using Adjuster = odeint::default_step_adjuster<double, double>;
template <class ErrorStepper, class StepAdjuster = Adjuster>
using Controlled = odeint::controlled_runge_kutta<ErrorStepper, CountingErrorChecker, StepAdjuster>;

using Dopri5 = odeint::runge_kutta_dopri5<State, double, State, double, Algebra>;
using CashKarp54 = odeint::runge_kutta_cash_karp54<State, double, State, double, Algebra>;
using Fehlberg78 = odeint::runge_kutta_fehlberg78<State, double, State, double, Algebra>;
using Rk4 = odeint::runge_kutta4<State, double, State, double, Algebra>;
using ControlledDopri5 = Controlled<Dopri5, PiStepAdjuster>;
using DenseDopri5 = odeint::dense_output_runge_kutta<ControlledDopri5>;
using DenseBulirschStoer = odeint::bulirsch_stoer_dense_out<State, double, State, double, Algebra>;

class Clock {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// A step smaller than this cannot advance t in double precision reliably.
bool step_underflows(double dt, double t) {
  return std::abs(dt) < 64.0 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(t));
}

void report_underflow(RunStats& stats, long step, double t, double dt, const char* why) {
  stats.status = RunStatus::step_size_underflow;
  stats.message =
      fmt::format("step size underflow at step {} (t = {:.6g}, dt = {:.3g}): {}", step, t, dt, why);
}

constexpr auto kNeverHandOver = [](const State&, double, double, long) { return false; };

// Fills `result`, whose rejected-step counter the stepper already points at.
// `hand_over(x, t, dt, step)` after each accepted step (and its records): true
// ends the loop there, for another integrator to continue.
template <class Dense, class HandOver = decltype(kNeverHandOver)>
void dense_loop(Dense& stepper, const Field& field, const State& x0,
                const std::vector<double>& times, const MethodOptions& method,
                const StopOptions& stop, RunResult& result,
                const HandOver& hand_over = kNeverHandOver) {
  RunStats& stats = result.stats;
  FieldSystem system{&field, &stats.field_evaluations};
  const StopMonitor monitor(field, stop);
  const Clock clock;
  stepper.initialize(x0, 0.0, initial_step(system, x0, method, stop.t_end));
  // calc_state before the first do_step asserts: t = 0 is the initial state.
  result.trajectory.record(0.0, 0, x0);
  std::size_t next = times.front() == 0.0 ? 1 : 0;
  State buffer(x0.size());
  long step = 0;
  while (next < times.size()) {
    if (monitor.out_of_budget(step, stepper.current_time(), stats)) break;
    try {
      stepper.do_step(system);
    } catch (const odeint::odeint_error& e) {
      report_underflow(stats, step, stepper.current_time(), stepper.current_time_step(), e.what());
      break;
    }
    ++step;
    const double t = stepper.current_time();
    const State& x = stepper.current_state();
    if (monitor.should_stop(x, t, step, stats)) {
      // Interpolated records before a stop are still valid.
      while (next < times.size() && times[next] < t) {
        stepper.calc_state(times[next++], buffer);
        if (!buffer.allFinite()) break;
        result.trajectory.record(times[next - 1], step, buffer);
      }
      result.trajectory.record(t, step, x);
      break;
    }
    while (next < times.size() && times[next] <= t) {
      stepper.calc_state(times[next], buffer);
      result.trajectory.record(times[next], step, buffer);
      ++next;
    }
    if (next < times.size() && step_underflows(stepper.current_time_step(), t)) {
      report_underflow(stats, step, t, stepper.current_time_step(),
                       "the solution may be non-smooth or stiff here");
      break;
    }
    if (next < times.size() && hand_over(x, t, t - stepper.previous_time(), step)) break;
  }
  stats.steps = step;
  stats.stop_time = std::min(stepper.current_time(), stop.t_end);
  stats.wall_seconds = clock.seconds();
}

template <class ControlledStepper>
void controlled_loop(ControlledStepper& stepper, const Field& field, const State& x0,
                     const std::vector<double>& times, const MethodOptions& method,
                     const StopOptions& stop, RunResult& result) {
  RunStats& stats = result.stats;
  FieldSystem system{&field, &stats.field_evaluations};
  const StopMonitor monitor(field, stop);
  const Clock clock;
  State x = x0;
  double t = 0.0;
  double dt = initial_step(system, x0, method, stop.t_end);
  result.trajectory.record(0.0, 0, x0);
  std::size_t next = times.front() == 0.0 ? 1 : 0;
  long step = 0;
  int failures_in_a_row = 0;
  while (next < times.size()) {
    if (monitor.out_of_budget(step, t, stats)) break;
    // Shorten the step to land on the next requested time, and remember the
    // step the controller wanted so that landing does not shrink the next one.
    const double wanted = dt;
    const double target = times[next];
    const bool lands = t + dt >= target;
    double trial = lands ? target - t : dt;
    if (stepper.try_step(system, x, t, trial) == odeint::fail) {
      dt = trial;
      if (++failures_in_a_row > 500 || step_underflows(dt, t)) {
        report_underflow(stats, step, t, dt, "the step was rejected 500 times in a row");
        break;
      }
      continue;
    }
    failures_in_a_row = 0;
    ++step;
    dt = lands ? std::max(trial, wanted) : trial;
    if (lands) t = target;  // exactly: odeint's t + trial may differ in the last bit
    if (monitor.should_stop(x, t, step, stats)) {
      result.trajectory.record(t, step, x);
      break;
    }
    if (lands) result.trajectory.record(times[next++], step, x);
  }
  stats.steps = step;
  stats.stop_time = t;
  stats.wall_seconds = clock.seconds();
}

}  // namespace

RunResult run_dense_output(const Field& field, const State& x0, const std::vector<double>& times,
                           const MethodOptions& method, const StopOptions& stop) {
  RunResult result;
  if (method.method == Method::bulirsch_stoer) {
    // Bulirsch-Stoer varies its order as well as its step; it does not expose
    // rejections, so they are reported as unknown (-1).
    result.stats.rejected_steps = -1;
    DenseBulirschStoer stepper(method.atol, method.rtol, 1.0, 1.0, method.max_dt);
    dense_loop(stepper, field, x0, times, method, stop, result);
    return result;
  }
  DenseDopri5 stepper(
      ControlledDopri5(CountingErrorChecker(&result.stats.rejected_steps, method.atol, method.rtol),
                       PiStepAdjuster(method.max_dt)));
  dense_loop(stepper, field, x0, times, method, stop, result);
  return result;
}

RunResult run_dopri5_until(const Field& field, const State& x0, const std::vector<double>& times,
                           const MethodOptions& method, const StopOptions& stop,
                           const HandOverTest& hand_over) {
  RunResult result;
  DenseDopri5 stepper(
      ControlledDopri5(CountingErrorChecker(&result.stats.rejected_steps, method.atol, method.rtol),
                       PiStepAdjuster(method.max_dt)));
  dense_loop(stepper, field, x0, times, method, stop, result, hand_over);
  return result;
}

RunResult run_controlled(const Field& field, const State& x0, const std::vector<double>& times,
                         const MethodOptions& method, const StopOptions& stop) {
  RunResult result;
  CountingErrorChecker checker(&result.stats.rejected_steps, method.atol, method.rtol);
  if (method.method == Method::cash_karp54) {
    Controlled<CashKarp54> stepper(checker, Adjuster(method.max_dt));
    controlled_loop(stepper, field, x0, times, method, stop, result);
    return result;
  }
  Controlled<Fehlberg78> stepper(checker, Adjuster(method.max_dt));
  controlled_loop(stepper, field, x0, times, method, stop, result);
  return result;
}

RunResult run_fixed_runge_kutta(const Field& field, const State& x0,
                                const std::vector<double>& times, const MethodOptions& method,
                                const StopOptions& stop) {
  auto with = [&](auto stepper) {
    return fixed_step_loop(field, x0, method.dt, times, stop,
                           [&stepper](const FieldSystem& system, State& x, double t, double dt) {
                             stepper.do_step(system, x, t, dt);
                           });
  };
  switch (method.method) {
    case Method::dopri5:
      return with(Dopri5());
    case Method::cash_karp54:
      return with(CashKarp54());
    case Method::fehlberg78:
      return with(Fehlberg78());
    case Method::rk4:
      return with(Rk4());
    default:
      throw std::invalid_argument(
          fmt::format("{} has no fixed-step mode", to_string(method.method)));
  }
}

RunResult run_runge_kutta(const Field& field, const State& x0, const std::vector<double>& times,
                          const MethodOptions& method, const StopOptions& stop) {
  if (method.method == Method::rk4 || !method.adaptive) {
    return run_fixed_runge_kutta(field, x0, times, method, stop);
  }
  switch (method.method) {
    case Method::dopri5:
    case Method::bulirsch_stoer:
      return run_dense_output(field, x0, times, method, stop);
    default:
      return run_controlled(field, x0, times, method, stop);
  }
}

}  // namespace gradflow::detail
