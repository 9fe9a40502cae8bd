#pragma once
// Deep matrix factorisation W = W_N ⋯ W_1 (Arora, Cohen, Hu & Luo 2019) on the
// loss of a symmetric factorisation experiment: the general matrix
// factorisation (models/matrix_factorisation.hpp: the deep linear network with
// the same MatrixLoss, its projection named "W" so that a comparison with the
// U-flow or the W-flow measures ‖W_a − W_b‖_F) with square d × d factors of a
// square target, which also observes symmetry_drift = ‖W − Wᵀ‖_F: the product
// of N general factors is not symmetric, only its loss is shared. It is kept
// for the symmetric experiments that compare it with UUᵀ; its metrics and
// describe() are theirs.
//
// Start: balanced from a given W(0) (DESIGN.md §4): W(0) = QΣPᵀ, W_1 = Σ^{1/N}Pᵀ,
// W_j = Σ^{1/N}, W_N = QΣ^{1/N}; for W(0) = U(0)U(0)ᵀ every flow starts at the
// same W. Σ is cut at W(0)'s numerical rank k and the layers are zero beyond
// it, so W stays of rank ≤ k as the exact flow does (a U(0) of width k < d
// gives such a W(0); round-off singular values raised to 1/N would not).

#include "models/matrix_factorisation.hpp"
#include "models/matrix_loss.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <memory>

namespace gradflow {

class DeepFactorisation final : public MatrixFactorisation {
 public:
  // Throws std::invalid_argument for depth < 1 or a non-square loss.
  DeepFactorisation(const std::shared_ptr<const MatrixLoss>& loss, int depth,
                    std::shared_ptr<const FactorisationMetrics> metrics = nullptr);

  std::string describe() const override;
  // balancedness_j, symmetry_drift, then the factorisation metrics of W.
  Observation observe(const Eigen::VectorXd& x) const override;

  // The balanced start whose end-to-end matrix is W0 (d × d).
  Eigen::VectorXd balanced_start(const Eigen::MatrixXd& W0) const { return init_balanced_from(W0); }

 private:
  static const std::shared_ptr<const MatrixLoss>& checked_square(
      const std::shared_ptr<const MatrixLoss>& loss, int depth);
};

}  // namespace gradflow
