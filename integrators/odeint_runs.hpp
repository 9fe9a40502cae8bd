#pragma once
// The Boost.Odeint-backed loops, instantiated in odeint_steppers.cpp only.

#include "integrators/integrate.hpp"

namespace gradflow::detail {

// dopri5, bulirsch_stoer: dense output.
RunResult run_dense_output(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop);
// cash_karp54, fehlberg78: controlled steps that land on each requested time.
RunResult run_controlled(const Field& field, const Eigen::VectorXd& x0,
                         const std::vector<double>& times, const MethodOptions& method,
                         const StopOptions& stop);
// rk4, or an RK method's base scheme at fixed dt.
RunResult run_fixed_runge_kutta(const Field& field, const Eigen::VectorXd& x0,
                                const std::vector<double>& times, const MethodOptions& method,
                                const StopOptions& stop);

}  // namespace gradflow::detail
