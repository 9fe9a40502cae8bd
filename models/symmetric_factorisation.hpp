#pragma once
// Symmetric matrix factorisation W = UUᵀ, the parameter flow
// (Gunasekar, Woodworth, Bhojanapalli, Neyshabur & Srebro 2017).
//
// Parameters U ∈ R^{d×k} (state: U flattened column-major, block "U"), loss
// φ(U) = ℓ(UUᵀ) for any square MatrixLoss ℓ, with
//   ∇φ(U) = (∇ℓ(W) + ∇ℓ(W)ᵀ) U,                         W = UUᵀ,
//   ∇²φ(U)[V] = (D + Dᵀ) U + (∇ℓ(W) + ∇ℓ(W)ᵀ) V,        D = ∇²ℓ(W)[VUᵀ + UVᵀ],
// the second from differentiating the first along U + εV. Projection "W" = UUᵀ.
//
// Cost of a field evaluation: a loss with the FactorisedLoss fast path (matrix
// completion) works on the rows of U, O(|Ω|·k); any other loss forms W = UUᵀ,
// O(d²k), and multiplies its symmetrised gradient into U, O(d²k). Scratch is
// sized in the constructor (the fast path's k × d copies on first use).
//
// Starts: U(0) = α·U₀ with U₀ from gaussian_direction (entries N(0, 1/k), so
// E[U₀U₀ᵀ] = I_d and W(0) ≈ α²I, the same scale as the identity start),
// identity_direction (I_{d×k}), or a given matrix.

#include "core/field.hpp"
#include "core/rng.hpp"
#include "models/matrix_loss.hpp"
#include "models/symmetric_factorisation_loss.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <Eigen/Core>

#include <memory>

namespace gradflow {

struct SymmetricFactorisationOptions {
  Eigen::Index width = 0;  // k, the columns of U; 0: full width k = d
};

class SymmetricFactorisation final : public Field {
 public:
  // Throws std::invalid_argument for a non-square loss or a negative width.
  // `metrics` (optional) adds reconstruction errors etc. to observe().
  SymmetricFactorisation(std::shared_ptr<const MatrixLoss> loss,
                         SymmetricFactorisationOptions options = {},
                         std::shared_ptr<const FactorisationMetrics> metrics = nullptr);

  Eigen::Index dim() const override { return layout_.dim(); }
  double loss(const Eigen::VectorXd& x) const override;
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;

  std::string projection_name() const override { return "W"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return product(x); }
  // The metrics of UUᵀ (symmetric_factorisation_metrics.hpp) and UUᵀ as "W".
  Observation observe(const Eigen::VectorXd& x) const override;

  Eigen::Index size() const { return size_; }    // d
  Eigen::Index width() const { return width_; }  // k
  bool uses_factor_path() const { return factored_ != nullptr; }
  const std::shared_ptr<const MatrixLoss>& matrix_loss() const { return loss_; }

  // W = UUᵀ of a state.
  Eigen::MatrixXd product(const Eigen::VectorXd& x) const;
  // The state of a d × k matrix U (checked).
  Eigen::VectorXd pack(const Eigen::MatrixXd& U) const;

 private:
  std::shared_ptr<const MatrixLoss> loss_;
  const FactorisedLoss* factored_ = nullptr;  // loss_ seen through its fast path, if it has one
  std::shared_ptr<const FactorisationMetrics> metrics_;
  Eigen::Index size_ = 0;
  Eigen::Index width_ = 0;
  Layout layout_;
  mutable Eigen::MatrixXd W_, G_, S_;  // UUᵀ, ∇ℓ(W), ∇ℓ + ∇ℓᵀ (dense path)
};

// U₀ ∈ R^{d×k} with i.i.d. N(0, 1/k) entries, drawn column by column.
Eigen::MatrixXd gaussian_direction(Eigen::Index size, Eigen::Index width, Rng& rng);
// I_{d×k}: ones on the leading diagonal.
Eigen::MatrixXd identity_direction(Eigen::Index size, Eigen::Index width);

}  // namespace gradflow
