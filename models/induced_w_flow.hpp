#pragma once
// The induced flow of a symmetric factorisation, closed in W = UUᵀ
// (Gunasekar et al. 2017; DESIGN.md §4):
//   Ẇ = −S W − W S,   S = ∇ℓ(W) + ∇ℓ(W)ᵀ,
// from Ẇ = U̇Uᵀ + UU̇ᵀ with U̇ = −SU. State: W flattened column-major (block
// "W", d × d); loss(x) = ℓ(W), gradient(x) = ∇ℓ(W) (the loss's own gradient;
// the field is preconditioned, not −∇ℓ); projection "W" = W.
//
// Symmetry. The field is evaluated at the symmetric part W_s = (W + Wᵀ)/2 and
// written as −(M + Mᵀ) with M = S W_s, which equals −(SW + WS) for symmetric
// W and is symmetric bit for bit (M_ij + M_ji and M_ji + M_ij round alike). An
// integrator combines field values entry by entry, so a start that is exactly
// symmetric stays exactly symmetric and an asymmetric start keeps its
// antisymmetric part up to round-off: the state is never symmetrised after the
// fact. observe() reports the drift as symmetry_drift = ‖W − Wᵀ‖_F of the
// recorded state (absolute, Frobenius norm).
//
// Cost: ∇ℓ(W) plus one d × d product, O(d³).

#include "core/field.hpp"
#include "models/matrix_loss.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <Eigen/Core>

#include <memory>

namespace gradflow {

class InducedWFlow final : public Field {
 public:
  // Throws std::invalid_argument for a non-square loss.
  explicit InducedWFlow(std::shared_ptr<const MatrixLoss> loss,
                        std::shared_ptr<const FactorisationMetrics> metrics = nullptr);

  Eigen::Index dim() const override { return layout_.dim(); }
  double loss(const Eigen::VectorXd& x) const override;
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  bool is_gradient_flow() const override { return false; }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  // ∇²L of L(x) = ℓ(W): the loss's Hessian action.
  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;

  std::string projection_name() const override { return "W"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return layout_.view(x, 0); }
  // symmetry_drift, then the metrics of W (symmetric_factorisation_metrics.hpp).
  Observation observe(const Eigen::VectorXd& x) const override;

  Eigen::Index size() const { return size_; }
  // The state of a d × d matrix (checked), unchanged: pass a symmetric W.
  Eigen::VectorXd pack(const Eigen::MatrixXd& W) const;

 private:
  std::shared_ptr<const MatrixLoss> loss_;
  std::shared_ptr<const FactorisationMetrics> metrics_;
  Eigen::Index size_ = 0;
  Layout layout_;
  mutable Eigen::MatrixXd sym_, G_, S_, M_;  // W_s, ∇ℓ(W_s), S, S W_s
};

}  // namespace gradflow
