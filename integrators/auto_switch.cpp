#include "integrators/auto_switch.hpp"

#include "integrators/cvode_bdf.hpp"
#include "integrators/odeint_runs.hpp"
#include "integrators/stiffness_detector.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gradflow::detail {

RunResult integrate_auto(const Field& field, const Eigen::VectorXd& x0,
                         const std::vector<double>& times, const MethodOptions& method,
                         const StopOptions& stop) {
  StiffnessDetector detector(field);
  bool switched = false;
  double switch_time = 0.0;
  long switch_step = 0;
  Eigen::VectorXd switch_state;
  RunResult run = run_dopri5_until(field, x0, times, method, stop,
                                   [&](const Eigen::VectorXd& x, double t, double dt, long step) {
                                     if (!detector.stiff_after_step(x, t, dt)) return false;
                                     switched = true;
                                     switch_time = t;
                                     switch_step = step;
                                     switch_state = x;
                                     return true;
                                   });
  const std::vector<std::pair<std::string, long>> detection = {
      {"stiffness_checks", detector.checks()},
      {"stiffness_jacobian_vector_products", detector.jacobian_vector_products()}};
  if (!switched) {
    run.stats.counters = detection;
    run.stats.note = fmt::format(
        "auto: dopri5 throughout (its step never became stability-bound; h·ρ(J) = {:.3g} at the "
        "last of {} checks)",
        detector.last_h_rho(), detector.checks());
    return run;
  }

  const std::vector<double> rest(std::upper_bound(times.begin(), times.end(), switch_time),
                                 times.end());
  RunResult implicit =
      integrate_bdf(field, switch_state, switch_time, rest, method, stop, switch_step);
  Trajectory& trajectory = run.trajectory;
  const Trajectory& tail = implicit.trajectory;
  trajectory.times.insert(trajectory.times.end(), tail.times.begin(), tail.times.end());
  trajectory.steps.insert(trajectory.steps.end(), tail.steps.begin(), tail.steps.end());
  trajectory.states.insert(trajectory.states.end(), tail.states.begin(), tail.states.end());

  RunStats& stats = run.stats;
  const RunStats& later = implicit.stats;
  stats.counters = detection;
  stats.counters.insert(stats.counters.end(),
                        {{"switch_step", switch_step},
                         {"explicit_steps", stats.steps},
                         {"explicit_field_evaluations", stats.field_evaluations}});
  stats.counters.insert(stats.counters.end(), later.counters.begin(), later.counters.end());
  stats.values = {{"switch_time", switch_time}, {"switch_h_rho", detector.last_h_rho()}};
  stats.note = fmt::format(
      "auto: dopri5 until t = {:.6g} (step {}: h·ρ(J) = {:.3g}, stability-bound), "
      "then {}",
      switch_time, switch_step, detector.last_h_rho(), later.note);
  stats.status = later.status;
  stats.message = later.message;
  stats.steps += later.steps;
  stats.rejected_steps += later.rejected_steps;
  stats.field_evaluations += later.field_evaluations;
  stats.wall_seconds += later.wall_seconds;
  stats.stop_time = later.stop_time;
  return run;
}

}  // namespace gradflow::detail
