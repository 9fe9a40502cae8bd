#pragma once
// The `auto` integrator: dopri5 while the flow is not stiff, then CVODE's BDF
// from the first point where dopri5's step has become stability-bound
// (integrators/stiffness_detector.hpp), as LSODA does between Adams and BDF.
// The switch is one-way; when and why it happened is in stats.values
// (switch_time, switch_h_rho), stats.counters (switch_step) and stats.note.

#include "integrators/integrate.hpp"

namespace gradflow::detail {

RunResult integrate_auto(const Field& field, const Eigen::VectorXd& x0,
                         const std::vector<double>& times, const MethodOptions& method,
                         const StopOptions& stop);

}  // namespace gradflow::detail
