#pragma once
// Sharpness λ_max(∇²L(x)) along a sequence of nearby states (the records of a
// run, or every step of gradient descent), each solve started from the
// previous top eigenvector.
//
// Along a trajectory the top eigenvector moves little between neighbouring
// states, so Lanczos started from it (plus a small fixed random component, so
// that a direction overtaking it still has weight in the start) converges
// within its first factorisation: ~kWarmLanczosBasis Hessian-vector products
// instead of the dim products and O(dim³) eigensolve of the dense method.
// Small states (dim ≤ kDenseSharpnessTrackerMaxDim) keep the dense eigensolver,
// which is cheaper there and exact to round-off.
//
// The Lanczos answer is converged when its Ritz residual ‖H y − θ y‖ is below
// kSharpnessTolerance·|θ|; for a symmetric H some eigenvalue then lies within
// that distance of θ (Parlett, The Symmetric Eigenvalue Problem, Thm 4.5.1).

#include "core/diagnostics.hpp"
#include "core/field.hpp"

#include <Eigen/Core>

namespace gradflow {

inline constexpr Eigen::Index kDenseSharpnessTrackerMaxDim = 32;
inline constexpr Eigen::Index kWarmLanczosBasis = 10;
inline constexpr double kSharpnessTolerance = 1e-10;

class SharpnessTracker {
 public:
  explicit SharpnessTracker(const Field& field);

  // λ_max(∇²L(x)); value NaN and converged false where Lanczos did not converge
  // (the next call then starts cold).
  SharpnessResult at(const Eigen::VectorXd& x);

  // Forget the previous eigenvector: the next solve starts from the fixed
  // random vector alone.
  void restart() { have_start_ = false; }

  bool uses_lanczos() const { return lanczos_; }
  long hessian_vector_products() const { return products_; }
  long solves() const { return solves_; }

 private:
  const Field& field_;
  bool lanczos_;
  bool have_start_ = false;
  Eigen::VectorXd eigenvector_;  // top eigenvector of the previous solve
  Eigen::VectorXd random_;       // fixed unit vector, mixed into every start
  Eigen::VectorXd start_;
  long products_ = 0;
  long solves_ = 0;
};

}  // namespace gradflow
