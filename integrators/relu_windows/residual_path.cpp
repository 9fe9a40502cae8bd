#include "integrators/relu_windows/residual_path.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradflow::detail {

namespace {
constexpr int kMaxTerms = 64;
const double kCut = std::ldexp(1.0, -56);
}  // namespace

ResidualPath::ResidualPath(Eigen::Index n)
    : n_(n), e_(Eigen::VectorXd::Zero(n)), R_(Eigen::VectorXd::Zero(n)), next_(n), scratch_(n) {}

void ResidualPath::start(const Eigen::VectorXd& e0) {
  starts_.clear();
  first_.clear();
  terms_.clear();
  integral_.clear();
  first_.push_back(0);
  tau_ = 0.0;
  e_ = e0;
  R_.setZero();
}

void ResidualPath::extend(const Eigen::MatrixXd& H, double tau_end, double max_length) {
  const auto n = static_cast<std::size_t>(n_);
  while (tau_ < tau_end) {
    // The last piece ends exactly at tau_end (no round-off gap at an event).
    const double length = tau_end - tau_ <= max_length ? tau_end - tau_ : max_length;
    const double next_tau = tau_end - tau_ <= max_length ? tau_end : tau_ + max_length;
    starts_.push_back(tau_);
    integral_.insert(integral_.end(), R_.data(), R_.data() + n_);
    const double scale = std::max(e_.cwiseAbs().maxCoeff(), std::numeric_limits<double>::min());
    next_ = e_;
    double factor = 1.0;  // length^p / p!
    for (int p = 0; p < kMaxTerms; ++p) {
      terms_.insert(terms_.end(), next_.data(), next_.data() + n_);
      if (factor * next_.cwiseAbs().maxCoeff() <= kCut * scale && p >= 1) break;
      scratch_.noalias() = -H * next_;
      next_.swap(scratch_);
      factor *= length / (p + 1);
    }
    first_.push_back(terms_.size() / n);
    tau_ = next_tau;
    evaluate(tau_, e_.data(), R_.data());
  }
}

std::size_t ResidualPath::piece_of(double tau) const {
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), tau);
  return it == starts_.begin() ? 0 : static_cast<std::size_t>(it - starts_.begin()) - 1;
}

void ResidualPath::evaluate(double tau, double* e, double* R, double* edot) const {
  const auto n = static_cast<std::size_t>(n_);
  if (starts_.empty()) {  // an empty path (zero length): the start values
    std::copy(e_.data(), e_.data() + n, e);
    std::copy(R_.data(), R_.data() + n, R);
    if (edot != nullptr) std::fill(edot, edot + n, 0.0);
    return;
  }
  const std::size_t s = piece_of(tau);
  const double delta = tau - starts_[s];
  const double* v = terms_.data() + first_[s] * n;
  const std::size_t count = first_[s + 1] - first_[s];
  const double* R0 = integral_.data() + s * n;
  std::fill(e, e + n, 0.0);
  std::copy(R0, R0 + n, R);
  if (edot != nullptr) std::fill(edot, edot + n, 0.0);
  double b = 1.0;    // δ^p / p!
  double c = delta;  // δ^{p+1} / (p+1)!
  for (std::size_t p = 0; p < count; ++p) {
    const double* vp = v + p * n;
    for (std::size_t i = 0; i < n; ++i) {
      e[i] += b * vp[i];
      R[i] += c * vp[i];
    }
    if (edot != nullptr && p + 1 < count) {
      const double* vq = vp + n;
      for (std::size_t i = 0; i < n; ++i) edot[i] += b * vq[i];
    }
    b *= delta / static_cast<double>(p + 1);
    c *= delta / static_cast<double>(p + 2);
  }
}

}  // namespace gradflow::detail
