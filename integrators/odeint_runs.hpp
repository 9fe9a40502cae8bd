#pragma once
// The Boost.Odeint-backed loops, instantiated in odeint_steppers.cpp only.

#include "integrators/integrate.hpp"

#include <functional>

namespace gradflow::detail {

// The Runge-Kutta family's entry in the integrator table: rk4 (or any RK
// method with adaptive = false) at fixed dt, dopri5 and bulirsch_stoer with
// dense output, cash_karp54 and fehlberg78 landing on each requested time.
RunResult run_runge_kutta(const Field& field, const Eigen::VectorXd& x0,
                          const std::vector<double>& times, const MethodOptions& method,
                          const StopOptions& stop);

// dopri5, bulirsch_stoer: dense output.
RunResult run_dense_output(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop);
// dopri5 that stops early, after the accepted step (x, t, step size dt,
// step index) for which hand_over returns true; the run's last record is then
// the last requested time before t, and stats.stop_time is t.
using HandOverTest = std::function<bool(const Eigen::VectorXd& x, double t, double dt, long step)>;
RunResult run_dopri5_until(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop, const HandOverTest& hand_over);
// cash_karp54, fehlberg78: controlled steps that land on each requested time.
RunResult run_controlled(const Field& field, const Eigen::VectorXd& x0,
                         const std::vector<double>& times, const MethodOptions& method,
                         const StopOptions& stop);
// rk4, or an RK method's base scheme at fixed dt.
RunResult run_fixed_runge_kutta(const Field& field, const Eigen::VectorXd& x0,
                                const std::vector<double>& times, const MethodOptions& method,
                                const StopOptions& stop);

}  // namespace gradflow::detail
