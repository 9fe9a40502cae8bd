#pragma once
// Regression losses of W ∈ R^{dN×d0} on data X ∈ R^{d0×n}, Y ∈ R^{dN×n}
// (columns are samples; residual R = WX − Y).
//
// SquareLoss: ℓ(W) = 1/(2n)‖WX − Y‖_F², ∇ℓ = WΣxx − Σyx, ∇²ℓ[V] = VΣxx, with
//   the second moments Σxx = XXᵀ/n, Σyx = YXᵀ/n computed once, so the gradient
//   costs O(dN·d0²) independent of n. The value uses the samples: the moment
//   form ½tr(WΣxxWᵀ) − tr(ΣyxWᵀ) + ½tr(Σyy) cancels catastrophically near a fit.
// LpLoss: ℓ(W) = 1/n Σ_i Σ_k |R_ki|^p (Arora, Cohen & Hazan 2018, §5: p = 4
//   shows acceleration by depth), ∇ℓ = (p/n)(|R|^{p−2}∘R)Xᵀ,
//   ∇²ℓ[V] = (p(p−1)/n)(|R|^{p−2}∘VX)Xᵀ. Needs p >= 2 (C² at R = 0); the
//   per-sample path costs O(dN·d0·n).

#include "core/dataset.hpp"
#include "models/matrix_loss.hpp"

namespace gradflow {

class SquareLoss final : public MatrixLoss {
 public:
  explicit SquareLoss(const Dataset& data);  // validates the data

  Eigen::Index rows() const override { return syx_.rows(); }
  Eigen::Index cols() const override { return syx_.cols(); }
  double value(const ConstMatrixRef& W) const override;
  void gradient(const ConstMatrixRef& W, MatrixRef G) const override;
  void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V, MatrixRef D) const override;
  std::string describe() const override { return "square loss 1/(2n)‖WX − Y‖²"; }

  const Eigen::MatrixXd& input_moment() const { return sxx_; }  // XXᵀ/n
  const Eigen::MatrixXd& cross_moment() const { return syx_; }  // YXᵀ/n

 private:
  Eigen::MatrixXd X_, Y_, sxx_, syx_;
  mutable Eigen::MatrixXd residual_;
};

class LpLoss final : public MatrixLoss {
 public:
  // Throws std::invalid_argument unless p >= 2.
  LpLoss(const Dataset& data, double p);

  Eigen::Index rows() const override { return Y_.rows(); }
  Eigen::Index cols() const override { return X_.rows(); }
  double value(const ConstMatrixRef& W) const override;
  void gradient(const ConstMatrixRef& W, MatrixRef G) const override;
  void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V, MatrixRef D) const override;
  std::string describe() const override;
  double p() const { return p_; }

 private:
  Eigen::MatrixXd X_, Y_;
  double p_;
  mutable Eigen::MatrixXd residual_, weighted_;
};

}  // namespace gradflow
