#pragma once
// A SUNDIALS direct linear solver backed by Eigen, for CVODE's Newton systems
// (I − γJ)δ = r on a dense SUNMatrix. SUNDIALS' own dense LU is an unblocked
// column loop and was ~75% of a stiff run's time at dim 210; Eigen's blocked
// factorisations are several times faster. For gradient flows J = −∇²L is
// symmetric, so I − γJ = I + γ∇²L is symmetric and, wherever the loss is
// locally convex, positive definite: Cholesky (LLᵀ, n³/3 flops) is tried
// first and partial-pivoting LU (2n³/3) takes over when it fails.

#include <Eigen/Core>
#include <sundials/sundials_context.h>
#include <sundials/sundials_linearsolver.h>

namespace gradflow::detail {

// `symmetric`: the matrices will be symmetric (only their lower triangle is
// read by the Cholesky attempt). Free with SUNLinSolFree.
SUNLinearSolver make_eigen_dense_solver(Eigen::Index dim, bool symmetric, SUNContext context);

// Factorisations since creation, and how many of them needed the LU fallback.
struct EigenSolverCounts {
  long factorisations = 0;
  long lu_fallbacks = 0;
};
EigenSolverCounts eigen_solver_counts(SUNLinearSolver solver);

}  // namespace gradflow::detail
