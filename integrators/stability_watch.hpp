#pragma once
// dopri5 (adaptive) with a watch on its step: when the step becomes bound by
// stability rather than accuracy (integrators/stiffness_detector.hpp, the test
// `auto` switches on), the run goes on with dopri5 unchanged, bit for bit, but
// says once that an implicit method would pay: stats.warning, and the time and
// h·ρ(J) of the detection in stats.values. The watch stops checking after it
// fired; until then it costs the detector's Jacobian-vector products (about
// 3–4% of the field evaluations, counted in stats.counters only once fired).

#include "integrators/integrate.hpp"

namespace gradflow::detail {

RunResult run_dopri5_watched(const Field& field, const Eigen::VectorXd& x0,
                             const std::vector<double>& times, const MethodOptions& method,
                             const StopOptions& stop);

// The Runge-Kutta entry of the integrator table: adaptive dopri5 watched as
// above, every other RK method (and dopri5 at a fixed step) as before.
RunResult run_runge_kutta_watched(const Field& field, const Eigen::VectorXd& x0,
                                  const std::vector<double>& times, const MethodOptions& method,
                                  const StopOptions& stop);

}  // namespace gradflow::detail
