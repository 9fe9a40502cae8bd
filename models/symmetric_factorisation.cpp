#include "models/symmetric_factorisation.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace gradflow {

SymmetricFactorisation::SymmetricFactorisation(std::shared_ptr<const MatrixLoss> loss,
                                               SymmetricFactorisationOptions options,
                                               std::shared_ptr<const FactorisationMetrics> metrics)
    : loss_(std::move(loss)), metrics_(std::move(metrics)) {
  if (!loss_) throw std::invalid_argument("a symmetric factorisation needs a loss");
  if (loss_->rows() != loss_->cols()) {
    throw std::invalid_argument(fmt::format(
        "a symmetric factorisation W = UUᵀ needs a loss of a square matrix, got {} x {}",
        loss_->rows(), loss_->cols()));
  }
  if (options.width < 0) {
    throw std::invalid_argument(
        fmt::format("the width k must be positive (or 0 for k = d), got {}", options.width));
  }
  size_ = loss_->rows();
  width_ = options.width == 0 ? size_ : options.width;
  factored_ = dynamic_cast<const FactorisedLoss*>(loss_.get());
  layout_.append("U", size_, width_);
  if (factored_ == nullptr) {
    W_.resize(size_, size_);
    G_.resize(size_, size_);
    S_.resize(size_, size_);
  }
}

std::string SymmetricFactorisation::describe() const {
  return fmt::format("symmetric factorisation W = UUᵀ, U {} x {}, {}", size_, width_,
                     loss_->describe());
}

double SymmetricFactorisation::loss(const Eigen::VectorXd& x) const {
  const auto U = layout_.view(x, 0);
  if (factored_ != nullptr) return factored_->value_at_factor(U);
  W_.noalias() = U * U.transpose();
  return loss_->value(W_);
}

void SymmetricFactorisation::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  g.resize(dim());
  const auto U = layout_.view(x, 0);
  auto D = layout_.view(g, 0);
  if (factored_ != nullptr) {
    factored_->symmetric_gradient_times_factor(U, D);
    return;
  }
  W_.noalias() = U * U.transpose();
  loss_->gradient(W_, G_);
  S_ = G_ + G_.transpose();
  D.noalias() = S_ * U;
}

// Not on the hot path: allocates freely.
void SymmetricFactorisation::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                            Eigen::VectorXd& hv) const {
  const auto U = layout_.view(x, 0);
  const auto V = layout_.view(v, 0);
  const Eigen::MatrixXd W = U * U.transpose();
  Eigen::MatrixXd G(size_, size_), D(size_, size_);
  loss_->gradient(W, G);
  const Eigen::MatrixXd dW = V * U.transpose() + U * V.transpose();
  loss_->hessian_action(W, dW, D);
  hv.resize(dim());
  layout_.view(hv, 0) = (D + D.transpose()) * U + (G + G.transpose()) * V;
}

Eigen::MatrixXd SymmetricFactorisation::product(const Eigen::VectorXd& x) const {
  const auto U = layout_.view(x, 0);
  return U * U.transpose();
}

Eigen::VectorXd SymmetricFactorisation::pack(const Eigen::MatrixXd& U) const {
  if (U.rows() != size_ || U.cols() != width_) {
    throw std::invalid_argument(
        fmt::format("U must be {} x {} (d x k), got {} x {}", size_, width_, U.rows(), U.cols()));
  }
  return Eigen::Map<const Eigen::VectorXd>(U.data(), U.size());
}

Observation SymmetricFactorisation::observe(const Eigen::VectorXd& x) const {
  Observation obs;
  const Eigen::MatrixXd W = product(x);
  observe_factorised(W, metrics_.get(), obs);
  return obs;
}

Eigen::MatrixXd gaussian_direction(Eigen::Index size, Eigen::Index width, Rng& rng) {
  if (size <= 0 || width <= 0) {
    throw std::invalid_argument(
        fmt::format("U₀ must have positive sizes, got {} x {}", size, width));
  }
  return rng.normal_matrix(size, width, 1.0 / std::sqrt(static_cast<double>(width)));
}

Eigen::MatrixXd identity_direction(Eigen::Index size, Eigen::Index width) {
  return Eigen::MatrixXd::Identity(size, width);
}

}  // namespace gradflow
