#pragma once
// Matrix sensing of a general m × n matrix (the asymmetric factorisation's
// sensing task; Arora, Cohen, Hu & Luo 2019, §5), with the normalisation of
// the symmetric sensing loss (models/matrix_sensing.hpp):
//   ℓ(W) = 1/(2m') Σ_k (⟨A_k, W⟩ − y_k)²,   ∇ℓ(W) = (1/m') Σ_k (⟨A_k, W⟩ − y_k) A_k,
//   ∇²ℓ(W)[V] = (1/m') Σ_k ⟨A_k, V⟩ A_k,
// with m' measurement matrices A_k ∈ R^{m×n}, stored as an m' × mn matrix A
// whose row k is A_k flattened column-major, so ⟨A_k, W⟩ = (A vec W)_k.
//
// Gaussian measurements: A_k with i.i.d. N(0, 1) entries, so ⟨A_k, M⟩ ~
// N(0, ‖M‖_F²) and E ℓ(W) = ½‖W − W*‖_F² for every W. Draw order, fixed for
// reproducibility: A_1, A_2, ..., each column by column.

#include "core/rng.hpp"
#include "models/matrix_loss.hpp"

#include <Eigen/Core>

#include <string>

namespace gradflow {

// m' Gaussian measurement matrices of size rows × cols, as an m' × (rows·cols) matrix.
Eigen::MatrixXd draw_gaussian_measurements(Eigen::Index rows, Eigen::Index cols, Eigen::Index count,
                                           Rng& rng);

class GaussianSensingLoss final : public MatrixLoss {
 public:
  // `measurements` is m' × (rows·cols), `targets` holds y (length m'). Throws
  // std::invalid_argument for m' = 0, a column count other than rows·cols,
  // mismatched lengths or NaN/Inf.
  GaussianSensingLoss(Eigen::Index rows, Eigen::Index cols, Eigen::MatrixXd measurements,
                      Eigen::VectorXd targets);

  Eigen::Index rows() const override { return rows_; }
  Eigen::Index cols() const override { return cols_; }
  double value(const ConstMatrixRef& W) const override;
  void gradient(const ConstMatrixRef& W, MatrixRef G) const override;
  void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V, MatrixRef D) const override;
  std::string describe() const override;

  Eigen::Index measurement_count() const { return targets_.size(); }
  const Eigen::MatrixXd& measurements() const { return A_; }
  const Eigen::VectorXd& targets() const { return targets_; }

 private:
  // vec_ = vec W (column-major), then residual_ = A vec W (− y when `shift`).
  void measure(const ConstMatrixRef& W, bool shift) const;
  // D = (1/m') Σ_k residual_k A_k.
  void adjoint(MatrixRef D) const;

  Eigen::Index rows_ = 0, cols_ = 0;
  Eigen::MatrixXd A_;
  Eigen::VectorXd targets_;
  mutable Eigen::VectorXd vec_, residual_, back_;  // scratch, sized once
};

}  // namespace gradflow
