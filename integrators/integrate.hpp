#pragma once
// integrate(field, x0, times, method, stop): one call for every integrator.
//
// Adaptive methods (Boost.Odeint) control the local error with rtol/atol;
// dopri5 and bulirsch_stoer record through dense output (no extra steps),
// cash_karp54 and fehlberg78 have none and shorten the step to land on each
// requested time. Fixed-step methods (euler, rk4, or any RK method with
// adaptive = false) take steps of exactly `dt` and record the steps k whose
// time k·dt is nearest a requested time; euler with dt = η *is* gradient
// descent, its k-th iterate at t = kη.

#include "core/field.hpp"
#include "core/run_options.hpp"
#include "core/switched_field.hpp"
#include "core/trajectory.hpp"

#include <Eigen/Core>

#include <vector>

namespace gradflow {

struct RunResult {
  Trajectory trajectory;
  RunStats stats;
  // Switching integrators with method.record_switches: every switch up to the
  // run's end, in time order (core/switched_field.hpp).
  std::vector<SwitchRecord> switches;
};

// `times` are sorted, start at 0 and end at stop.t_end (see sample_times()).
// Throws std::invalid_argument for inconsistent options; numerical outcomes
// (divergence, budget, underflow) are reported in stats.status.
RunResult integrate(const Field& field, const Eigen::VectorXd& x0, const std::vector<double>& times,
                    const MethodOptions& method, const StopOptions& stop);

// Throws std::invalid_argument if `method` cannot integrate `field` (event_driven
// needs switching surfaces, exact a linear field), so callers can refuse a spec
// before any work.
void check_method_fits(const Field& field, const MethodOptions& method);

// Gradient descent x_{k+1} = x_k + η v(x_k) (forward Euler on the field).
RunResult gradient_descent(const Field& field, const Eigen::VectorXd& x0, double eta,
                           const std::vector<double>& times, const StopOptions& stop);
// The same as euler's entry in the integrator table: η is method.dt.
RunResult run_gradient_descent(const Field& field, const Eigen::VectorXd& x0,
                               const std::vector<double>& times, const MethodOptions& method,
                               const StopOptions& stop);

}  // namespace gradflow
