#include "integrators/stability_watch.hpp"

#include "integrators/odeint_runs.hpp"
#include "integrators/stiffness_detector.hpp"

#include <fmt/format.h>

namespace gradflow::detail {

RunResult run_dopri5_watched(const Field& field, const Eigen::VectorXd& x0,
                             const std::vector<double>& times, const MethodOptions& method,
                             const StopOptions& stop) {
  StiffnessDetector detector(field);
  bool fired = false;
  double fired_time = 0.0;
  long fired_step = 0;
  // Never hands over: the watch only looks, so the run is plain dopri5.
  RunResult run = run_dopri5_until(field, x0, times, method, stop,
                                   [&](const Eigen::VectorXd& x, double t, double dt, long step) {
                                     if (!fired && detector.stiff_after_step(x, t, dt)) {
                                       fired = true;
                                       fired_time = t;
                                       fired_step = step;
                                     }
                                     return false;
                                   });
  if (!fired) return run;
  RunStats& stats = run.stats;
  stats.counters.insert(stats.counters.end(), {{"stiffness_checks", detector.checks()},
                                               {"stiffness_jacobian_vector_products",
                                                detector.jacobian_vector_products()},
                                               {"stability_bound_step", fired_step}});
  stats.values.insert(stats.values.end(), {{"stability_bound_time", fired_time},
                                           {"stability_bound_h_rho", detector.last_h_rho()}});
  stats.warning = fmt::format(
      "dopri5's step became stability-bound at t = {:.6g} (step {}: h·ρ(J) = {:.3g} at {} "
      "checks in a row, against its stability limit ≈ {}): the flow is stiff there, and "
      "\"integrator\": \"auto\" (the default) or \"bdf\" would take far fewer steps",
      fired_time, fired_step, detector.last_h_rho(), StiffnessDetector::kStiffChecksInARow,
      StiffnessDetector::kDopri5StabilityBound);
  return run;
}

RunResult run_runge_kutta_watched(const Field& field, const Eigen::VectorXd& x0,
                                  const std::vector<double>& times, const MethodOptions& method,
                                  const StopOptions& stop) {
  if (method.method == Method::dopri5 && method.adaptive) {
    return run_dopri5_watched(field, x0, times, method, stop);
  }
  return run_runge_kutta(field, x0, times, method, stop);
}

}  // namespace gradflow::detail
