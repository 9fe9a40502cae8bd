#pragma once
// Diagnostics computed from recorded states, never inside the field.

#include "core/field.hpp"
#include "core/table.hpp"
#include "core/trajectory.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace gradflow {

// The largest state for which the Hessian is assembled and eigendecomposed
// densely (dim Hessian-vector products plus an O(dim³) eigensolve per record).
inline constexpr Eigen::Index kDenseHessianMaxDim = 2000;

struct HessianExtremes {
  double min = 0.0;
  double max = 0.0;
};

// The dense Hessian, column j = ∇²L e_j, symmetrised (its asymmetry is the
// round-off of the Hessian-vector products).
Eigen::MatrixXd assemble_hessian(const Field& field, const Eigen::VectorXd& x);
HessianExtremes hessian_extremes(const Field& field, const Eigen::VectorXd& x);

// Sharpness λ_max(∇²L(x)): the dense eigensolver up to this dimension, Lanczos
// (Spectra, on Hessian-vector products, never forming the Hessian) above it.
inline constexpr Eigen::Index kDenseSharpnessMaxDim = 500;

struct SharpnessResult {
  double value = 0.0;
  bool converged = true;
};
// Lanczos for the largest algebraic eigenvalue, relative tolerance 1e-10.
SharpnessResult sharpness_lanczos(const Field& field, const Eigen::VectorXd& x);
SharpnessResult sharpness(const Field& field, const Eigen::VectorXd& x);

struct DiagnosticOptions {
  bool hessian_eigenvalues = false;
  bool sharpness = false;  // column "sharpness" (NaN where Lanczos did not converge)
  // Sharpness at records 0, k, 2k, … and the last one (NaN at the others),
  // each solve warm-started from the previous one (core/sharpness_tracker.hpp).
  long sharpness_every = 1;
};

// Series per record: t, step, loss, grad_norm, [hess_min, hess_max], [sharpness], then the
// model's own observations. Matrix observations (e.g. the end-to-end matrix)
// are returned stacked, one flattened (column-major) row per record.
struct Diagnostics {
  Table series;
  std::vector<std::pair<std::string, Eigen::MatrixXd>> stacked_matrices;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> matrix_shapes;
};

Diagnostics diagnose(const Field& field, const Trajectory& trajectory,
                     const DiagnosticOptions& options);

}  // namespace gradflow
