#pragma once
// Stiff gradient flows with SUNDIALS CVODE: variable-order (1–5), variable-step
// BDF with Newton iterations (Hindmarsh et al. 2005, "SUNDIALS: Suite of
// nonlinear and differential/algebraic equation solvers", ACM TOMS 31).
//
// Gradient flow is stiff when the Hessian's spectrum is spread: an explicit
// method's step is then bound by stability, h·λ_max(∇²L) ≲ 3.3 for dopri5,
// long after accuracy would allow far larger steps. BDF is A(α)-stable, so
// its step follows accuracy alone; the price is a Newton system
// (I − γJ)δ = r per iteration, with J the velocity's Jacobian (−∇²L for a
// gradient flow), which the field provides as Jacobian-vector products:
//
//   dense   J assembled from dim products (one per column) at every step's
//           predicted state and factorised (small states);
//   krylov  GMRES on (I − γJ) using one product per iteration, nothing stored
//           (large states).
//
// CVODE is asked for a fifth of rtol and atol as its local tolerance, so that
// the global error stays within a few rtol (see cvode_bdf.cpp).
//
// Dense output: records at requested times are CVODE's interpolant
// (CVodeGetDky), so sampling adds no steps. The error test is CVODE's
// weighted RMS norm with weights 1/(rtol|x_i| + atol), not dopri5's max norm.

#include "integrators/integrate.hpp"

namespace gradflow::detail {

// Integrates from (t0, x0); `times` are sorted, in [t0, stop.t_end], end at
// t_end; t0 itself is recorded only if times.front() == t0. Step indices of
// the records start at `first_step` (a continuation of another run).
RunResult integrate_bdf(const Field& field, const Eigen::VectorXd& x0, double t0,
                        const std::vector<double>& times, const MethodOptions& method,
                        const StopOptions& stop, long first_step = 0);

// The linear solver bdf uses for a state of `dim` entries.
// bdf's entry in the integrator table: integrate_bdf from t0 = 0.
RunResult run_bdf(const Field& field, const Eigen::VectorXd& x0, const std::vector<double>& times,
                  const MethodOptions& method, const StopOptions& stop);

LinearSolver resolved_linear_solver(LinearSolver requested, Eigen::Index dim);

}  // namespace gradflow::detail
