#pragma once
// An optional fast path for a loss of a symmetric factorisation W = UUᵀ.
//
// The U-flow needs ℓ(UUᵀ) and (∇ℓ + ∇ℓᵀ)U (Gunasekar et al. 2017). Through
// MatrixLoss alone that means forming W = UUᵀ, O(d²k), and a dense gradient.
// A loss that reads few entries of W (matrix completion reads |Ω| of them)
// can do both from the rows of U in O(|Ω|·k); it implements this interface as
// well as MatrixLoss, and SymmetricFactorisation uses it when present.

#include "models/matrix_loss.hpp"

namespace gradflow {

class FactorisedLoss {
 public:
  virtual ~FactorisedLoss() = default;

  // ℓ(UUᵀ).
  virtual double value_at_factor(const ConstMatrixRef& U) const = 0;
  // D = (∇ℓ(UUᵀ) + ∇ℓ(UUᵀ)ᵀ) U, the gradient of U ↦ ℓ(UUᵀ); D has U's shape.
  // Hot path: no allocation once warmed up.
  virtual void symmetric_gradient_times_factor(const ConstMatrixRef& U, MatrixRef D) const = 0;
};

}  // namespace gradflow
