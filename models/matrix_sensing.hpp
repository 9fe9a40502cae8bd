#pragma once
// Matrix sensing loss (Gunasekar et al. 2017, §5):
//   ℓ(W) = 1/(2m) Σ_i (⟨A_i, W⟩ − b_i)²,   ∇ℓ(W) = (1/m) Σ_i (⟨A_i, W⟩ − b_i) A_i,
//   ∇²ℓ(W)[V] = (1/m) Σ_i ⟨A_i, V⟩ A_i,
// with m symmetric measurement matrices A_i ∈ R^{d×d} and b_i = ⟨A_i, W*⟩.
//
// Symmetric Gaussian measurements: A = (G + Gᵀ)/2 with G of i.i.d. N(0, 1)
// entries (diagonal variance 1, off-diagonal 1/2), so for symmetric M,
// ⟨A, M⟩ = ⟨G, M⟩ ~ N(0, ‖M‖_F²): E ℓ(W) = ½‖W − W*‖_F² for symmetric W.
//
// Storage and cost: A_i symmetric means ⟨A_i, W⟩ = Σ_{i<=j} A_ij·w_ij with
// w_ii = W_ii, w_ij = W_ij + W_ji (exact for any W), so the measurements are
// kept as an m × d(d+1)/2 matrix of upper triangles and ℓ and ∇ℓ cost one
// matrix-vector product each, m·d(d+1)/2 multiply-adds: half of the dense
// m·d². The gradient is symmetric by construction.

#include "core/rng.hpp"
#include "models/matrix_loss.hpp"

#include <Eigen/Core>

#include <string>

namespace gradflow {

// m symmetric Gaussian measurement matrices of size d × d, as an m × d² matrix
// whose row i is A_i flattened (A_i is symmetric, so row-major and column-major
// flattening agree). Draw order, fixed for reproducibility: G_1, G_2, ..., each
// column by column.
Eigen::MatrixXd draw_symmetric_gaussian_measurements(Eigen::Index size, Eigen::Index count,
                                                     Rng& rng);

// b_i = ⟨A_i, W*⟩ for measurements stored as above.
Eigen::VectorXd sensing_targets(const Eigen::MatrixXd& measurements, const Eigen::MatrixXd& truth);

// Tolerance for the symmetry of a loaded A_i, relative to max|A_i|: a file
// written from (G + Gᵀ)/2 is exactly symmetric, round-off from other
// constructions is a few ε.
inline constexpr double kMeasurementSymmetryTolerance = 1e-12;

class MatrixSensingLoss final : public MatrixLoss {
 public:
  // `measurements` is m × d² (row i = A_i flattened), `targets` holds b (length
  // m). Throws std::invalid_argument for m = 0, a row count that is not a
  // square d², mismatched lengths, NaN/Inf, or an A_i that is not symmetric.
  MatrixSensingLoss(const Eigen::MatrixXd& measurements, Eigen::VectorXd targets);

  Eigen::Index rows() const override { return size_; }
  Eigen::Index cols() const override { return size_; }
  double value(const ConstMatrixRef& W) const override;
  void gradient(const ConstMatrixRef& W, MatrixRef G) const override;
  void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V, MatrixRef D) const override;
  std::string describe() const override;

  Eigen::Index measurement_count() const { return targets_.size(); }
  const Eigen::VectorXd& targets() const { return targets_; }

 private:
  // Writes w_ii = W_ii, w_ij = W_ij + W_ji (i < j) into `packed`.
  void pack_pair_sums(const ConstMatrixRef& W, Eigen::VectorXd& packed) const;
  // G_ij = G_ji = g_ij from an upper triangle.
  void unpack_symmetric(const Eigen::VectorXd& packed, MatrixRef G) const;

  Eigen::Index size_ = 0;
  Eigen::MatrixXd upper_;  // m × d(d+1)/2: A_i's upper triangle, column by column
  Eigen::VectorXd targets_;
  mutable Eigen::VectorXd packed_, residual_, packed_gradient_;
};

}  // namespace gradflow
