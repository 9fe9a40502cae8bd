#pragma once
// The exact solution of a linear field ẋ = −A(x − b) (core/linear_relaxation_field.hpp):
// x(t) = b + V e^{−Λt} Vᵀ(x(0) − b) with A = VΛVᵀ, one eigendecomposition for
// any horizon and any number of records. Stop conditions are checked at the
// records (there are no steps in between).

#include "core/linear_relaxation_field.hpp"
#include "integrators/integrate.hpp"

namespace gradflow {

// Throws std::invalid_argument if A is not symmetric (to 1e-12 relative).
RunResult integrate_exact_linear(const LinearRelaxationField& field, const Eigen::VectorXd& x0,
                                 const std::vector<double>& times, const StopOptions& stop);

// The integrator table's entry: fits linear relaxation fields only.
bool is_linear_relaxation_field(const Field& field);
RunResult run_exact_linear(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop);

}  // namespace gradflow
