#pragma once
// The positive semidefinite ground truth W* of matrix sensing and completion
// (Gunasekar et al. 2017; Arora, Cohen, Hu & Luo 2019).
//
// Generated: W* = B Bᵀ with B ∈ R^{d×r} of i.i.d. N(0, 1/r) entries, so W* is
// PSD of rank r (almost surely, r <= d), its diagonal entries are 1 on average
// (E[W*_ii] = r · 1/r) and its r nonzero eigenvalues are ≈ d/r. Draw order,
// fixed for reproducibility: B column by column.
//
// Loaded: any square matrix, checked to be symmetric and, when declared so,
// positive semidefinite (see validate_ground_truth for the tolerances).

#include "core/rng.hpp"

#include <Eigen/Core>

namespace gradflow {

struct PsdGroundTruthOptions {
  Eigen::Index size = 0;  // d
  Eigen::Index rank = 0;  // r, 1 <= r <= d
};

// Throws std::invalid_argument unless 1 <= rank <= size.
Eigen::MatrixXd make_psd_ground_truth(const PsdGroundTruthOptions& options, Rng& rng);

// Tolerances for a loaded W*: entries written by numpy (B @ B.T through a
// general matrix product, or an eigendecomposition) are symmetric and PSD only
// up to round-off, a few ε·d·max|W*|; 1e-10 relative is far above that and far
// below any matrix that is asymmetric or indefinite on purpose.
inline constexpr double kGroundTruthSymmetryTolerance = 1e-10;  // max|W − Wᵀ| / max|W|
inline constexpr double kGroundTruthPsdTolerance = 1e-10;       // −λ_min / max|λ|

// Checks that W is square, finite, symmetric and (if `psd`) positive
// semidefinite, and returns its exactly symmetric part (W + Wᵀ)/2. Throws
// std::invalid_argument saying what was expected and what was found.
Eigen::MatrixXd validated_ground_truth(const Eigen::MatrixXd& W, bool psd);

}  // namespace gradflow
