#include "models/low_rank_ground_truth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gradflow {

Eigen::MatrixXd make_low_rank_ground_truth(const LowRankGroundTruthOptions& options, Rng& rng) {
  const auto [m, n, r] = options;
  if (m <= 0 || n <= 0) {
    throw std::invalid_argument(
        fmt::format("the ground truth must have positive sizes, got {} x {}", m, n));
  }
  if (r < 1 || r > std::min(m, n)) {
    throw std::invalid_argument(fmt::format(
        "expected a rank between 1 and min(rows, cols) = {}, got {}", std::min(m, n), r));
  }
  const Eigen::MatrixXd B = rng.normal_matrix(m, r, 1.0);
  const Eigen::MatrixXd C = rng.normal_matrix(n, r, 1.0 / std::sqrt(static_cast<double>(r)));
  return B * C.transpose();
}

}  // namespace gradflow
