#include "models/symmetric_factorisation_metrics.hpp"

#include <Eigen/SVD>
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace gradflow {

double effective_rank(const Eigen::VectorXd& singular_values) {
  const double total = singular_values.sum();
  if (!(total > 0.0)) return 0.0;
  double entropy = 0.0;
  for (Eigen::Index i = 0; i < singular_values.size(); ++i) {
    const double p = singular_values[i] / total;
    if (p > 0.0) entropy -= p * std::log(p);
  }
  return std::exp(entropy);
}

FactorisationMetrics::FactorisationMetrics(FactorisationMetricsOptions options)
    : options_(std::move(options)) {
  const Eigen::MatrixXd& T = options_.truth;
  const Eigen::MatrixXd& M = options_.unobserved_mask;
  if (M.size() > 0 && (M.rows() != T.rows() || M.cols() != T.cols())) {
    throw std::invalid_argument(
        fmt::format("the unobserved-entry mask is {} x {}, the ground truth {} x {}", M.rows(),
                    M.cols(), T.rows(), T.cols()));
  }
  if (options_.top_singular_values < 0) {
    throw std::invalid_argument(fmt::format(
        "the number of top singular values must be >= 0, got {}", options_.top_singular_values));
  }
  if (options_.observed_error && (M.size() == 0 || T.size() == 0)) {
    throw std::invalid_argument("observed_error needs the ground truth and the observed entries");
  }
  truth_known_ = T.size() > 0 && !T.array().isNaN().any();
  if (truth_known_) {
    truth_norm_ = T.norm();
    if (M.size() > 0) unobserved_truth_norm_ = M.cwiseProduct(T).norm();
  }
  if (options_.observed_error) {
    // select, not a product: 0·NaN is NaN, and the unknown entries lie outside Ω.
    observed_truth_ = (M.array() == 0.0).select(T, 0.0);
    if (observed_truth_.array().isNaN().any()) {
      throw std::invalid_argument("an observed entry of the ground truth is NaN");
    }
    observed_truth_norm_ = observed_truth_.norm();
  }
}

void observe_factorised(const Eigen::MatrixXd& W, const FactorisationMetrics* metrics,
                        Observation& out) {
  if (metrics != nullptr) {
    metrics->observe(W, out);
  } else {
    out.matrices.emplace_back("W", W);
  }
}

void FactorisationMetrics::observe(const Eigen::MatrixXd& W, Observation& out) const {
  const Eigen::MatrixXd& T = options_.truth;
  if (truth_known_) {
    out.scalars.emplace_back("reconstruction_error",
                             truth_norm_ > 0.0 ? (W - T).norm() / truth_norm_ : (W - T).norm());
    if (options_.unobserved_mask.size() > 0) {
      const double err = options_.unobserved_mask.cwiseProduct(W - T).norm();
      out.scalars.emplace_back("unobserved_error",
                               unobserved_truth_norm_ > 0.0 ? err / unobserved_truth_norm_ : err);
    }
  }
  if (options_.observed_error) {
    const double err =
        ((options_.unobserved_mask.array() == 0.0).select(W, 0.0) - observed_truth_).norm();
    out.scalars.emplace_back("observed_error",
                             observed_truth_norm_ > 0.0 ? err / observed_truth_norm_ : err);
  }
  const Eigen::VectorXd sigma = Eigen::BDCSVD<Eigen::MatrixXd>(W).singularValues();
  out.scalars.emplace_back("nuclear_norm", sigma.sum());
  out.scalars.emplace_back("effective_rank", effective_rank(sigma));
  const Eigen::Index q = std::min(options_.top_singular_values, sigma.size());
  for (Eigen::Index i = 0; i < q; ++i)
    out.scalars.emplace_back(fmt::format("sigma_{}", i + 1), sigma[i]);
  out.matrices.emplace_back("W", W);
}

}  // namespace gradflow
