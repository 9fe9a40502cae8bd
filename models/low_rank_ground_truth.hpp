#pragma once
// A generated ground truth of the asymmetric (deep) matrix factorisation
// (Arora, Cohen, Hu & Luo 2019): a random m × n matrix of rank r,
//
//   W* = B Cᵀ,  B ∈ R^{m×r} with i.i.d. N(0, 1) entries, C ∈ R^{n×r} with i.i.d. N(0, 1/r),
//
// so E[W*_ij²] = r · 1 · (1/r) = 1: entries of unit variance whatever r, as
// the symmetric W* = BBᵀ has a unit diagonal on average (psd_ground_truth.hpp).
// Draw order, fixed for reproducibility: B column by column, then C.

#include "core/rng.hpp"

#include <Eigen/Core>

namespace gradflow {

struct LowRankGroundTruthOptions {
  Eigen::Index rows = 0;  // m
  Eigen::Index cols = 0;  // n
  Eigen::Index rank = 0;  // r, 1 <= r <= min(m, n)
};

// Throws std::invalid_argument for non-positive sizes or a rank outside 1..min(m, n).
Eigen::MatrixXd make_low_rank_ground_truth(const LowRankGroundTruthOptions& options, Rng& rng);

}  // namespace gradflow
