#pragma once
// Matrix completion loss on the observed entries Ω of a d × d matrix, or of
// an m × n one for the asymmetric factorisation (Gunasekar et al. 2017;
// Arora, Cohen, Hu & Luo 2019):
//   ℓ(W) = 1/(2|Ω|) Σ_{(i,j)∈Ω} (W_ij − W*_ij)²,
//   ∇ℓ(W) = P_Ω(W − W*)/|Ω|,   ∇²ℓ(W)[V] = P_Ω(V)/|Ω|,
// where P_Ω keeps the observed entries and zeroes the rest. Ω is a set of
// ordered pairs: (i, j) and (j, i) are different entries, observed or not
// independently; indices are 0-based.
//
// Cost. The MatrixLoss interface writes a dense d × d gradient, O(d² + |Ω|)
// (zeroing plus |Ω| residuals). The factor path of FactorisedLoss never forms a
// d × d matrix: W_ij = ⟨u_i, u_j⟩ for the rows u_i of U, and
// (∇ℓ + ∇ℓᵀ)U gets ρ_ij u_j added to row i and ρ_ij u_i to row j for each
// observed (i, j) with ρ_ij = (W_ij − W*_ij)/|Ω|: O(|Ω|·k) in all, on a
// transposed copy of U so that each row is contiguous.
//
// Entries are kept sorted column-major (by j, then i), so the same set in any
// order gives bitwise the same sums. The factor path's scratch takes the shape
// of the first U it sees; a U of another width re-sizes it once (one model per
// loss, as the factory builds them, never re-sizes after warm-up).

#include "core/rng.hpp"
#include "models/matrix_loss.hpp"
#include "models/symmetric_factorisation_loss.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace gradflow {

struct MatrixEntry {
  Eigen::Index row = 0;
  Eigen::Index col = 0;
  friend bool operator==(const MatrixEntry&, const MatrixEntry&) = default;
};

// `count` distinct entries of a d × d matrix, uniformly without replacement
// among the d² ordered pairs (Floyd's algorithm: one Rng::below(j + 1) draw per
// entry, j = d² − count, ..., d² − 1), returned sorted column-major. Throws
// std::invalid_argument unless 1 <= count <= d².
std::vector<MatrixEntry> sample_observed_entries(Eigen::Index size, Eigen::Index count, Rng& rng);

// The order in which the entries of a rows × cols matrix are observed: one
// uniformly random permutation of all rows·cols entries (Fisher–Yates, one
// Rng::below(i + 1) draw for i = rows·cols − 1, ..., 1, over column-major
// linear indices). Its first k entries are a uniform k-subset, and for one
// seed the subsets are nested: the first 60 are among the first 100.
std::vector<MatrixEntry> observation_order(Eigen::Index rows, Eigen::Index cols, Rng& rng);
// The first `count` entries of observation_order, sorted column-major. Throws
// std::invalid_argument unless 1 <= count <= rows·cols.
std::vector<MatrixEntry> nested_observed_entries(Eigen::Index rows, Eigen::Index cols,
                                                 Eigen::Index count, Rng& rng);

// Entries from an |Ω| × 2 array of 0-based (row, col) indices, as exported.
// Throws std::invalid_argument for a wrong shape or a non-integer index.
std::vector<MatrixEntry> entries_from_array(const Eigen::MatrixXd& indices);
Eigen::MatrixXd entries_to_array(const std::vector<MatrixEntry>& entries);

class MatrixCompletionLoss final : public MatrixLoss, public FactorisedLoss {
 public:
  // Observed entries of a size × size matrix and their values. Throws
  // std::invalid_argument for no entries, an index out of range, an entry
  // listed twice, a length mismatch or NaN/Inf values.
  MatrixCompletionLoss(Eigen::Index size, std::vector<MatrixEntry> entries,
                       std::vector<double> values);
  // The same for a rows × cols matrix.
  MatrixCompletionLoss(Eigen::Index rows, Eigen::Index cols, std::vector<MatrixEntry> entries,
                       std::vector<double> values);
  // The entries' values read from the ground truth (any shape; only the
  // observed entries are read, so the others may be NaN).
  MatrixCompletionLoss(const Eigen::MatrixXd& truth, std::vector<MatrixEntry> entries);

  Eigen::Index rows() const override { return rows_; }
  Eigen::Index cols() const override { return cols_; }
  double value(const ConstMatrixRef& W) const override;
  void gradient(const ConstMatrixRef& W, MatrixRef G) const override;
  void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V, MatrixRef D) const override;
  std::string describe() const override;

  double value_at_factor(const ConstMatrixRef& U) const override;
  void symmetric_gradient_times_factor(const ConstMatrixRef& U, MatrixRef D) const override;

  const std::vector<MatrixEntry>& entries() const { return entries_; }  // sorted column-major
  const std::vector<double>& values() const { return values_; }
  Eigen::Index observed_count() const { return static_cast<Eigen::Index>(entries_.size()); }

 private:
  Eigen::Index rows_ = 0, cols_ = 0;
  std::vector<MatrixEntry> entries_;
  std::vector<double> values_;
  mutable Eigen::MatrixXd factor_t_, gradient_t_;  // Uᵀ and ((∇ℓ + ∇ℓᵀ)U)ᵀ, k × d
};

}  // namespace gradflow
