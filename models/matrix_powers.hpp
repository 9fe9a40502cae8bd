#pragma once
// Fractional powers of Gram matrices through the SVD, with round-off zeros.
//
// For W = U S Vᵀ, (WᵀW)^p = V S^{2p} Vᵀ. Singular values at or below
// 10·max(rows, cols)·ε·s_max are round-off images of exact zeros and are set to
// zero; raising them to a power p < 1 would turn ε into a visible error.

#include <Eigen/Core>

#include <algorithm>
#include <limits>

namespace gradflow {

inline double singular_value_cutoff(Eigen::Index rows, Eigen::Index cols, double largest) {
  return 10.0 * static_cast<double>(std::max(rows, cols)) * std::numeric_limits<double>::epsilon() *
         largest;
}

// The numerical rank: how many of the singular values s (in decreasing order,
// of a rows x cols matrix) lie above the round-off cutoff.
inline Eigen::Index numerical_rank(const Eigen::VectorXd& s, Eigen::Index rows, Eigen::Index cols) {
  const double cutoff = singular_value_cutoff(rows, cols, s.size() ? s[0] : 0.0);
  Eigen::Index rank = 0;
  while (rank < s.size() && s[rank] > cutoff) ++rank;
  return rank;
}
Eigen::Index numerical_rank(const Eigen::MatrixXd& W);

// (WᵀW)^p for p > 0.
Eigen::MatrixXd gram_power(const Eigen::MatrixXd& W, double p);

}  // namespace gradflow
