#include "models/induced_w_flow.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

InducedWFlow::InducedWFlow(std::shared_ptr<const MatrixLoss> loss,
                           std::shared_ptr<const FactorisationMetrics> metrics)
    : loss_(std::move(loss)), metrics_(std::move(metrics)) {
  if (!loss_) throw std::invalid_argument("the induced W-flow needs a loss");
  if (loss_->rows() != loss_->cols()) {
    throw std::invalid_argument(
        fmt::format("the induced W-flow needs a loss of a square matrix, got {} x {}",
                    loss_->rows(), loss_->cols()));
  }
  size_ = loss_->rows();
  layout_.append("W", size_, size_);
  sym_.resize(size_, size_);
  G_.resize(size_, size_);
  S_.resize(size_, size_);
  M_.resize(size_, size_);
}

std::string InducedWFlow::describe() const {
  return fmt::format("induced flow Ẇ = −(∇ℓ + ∇ℓᵀ)W − W(∇ℓ + ∇ℓᵀ), W {} x {}, {}", size_, size_,
                     loss_->describe());
}

double InducedWFlow::loss(const Eigen::VectorXd& x) const {
  return loss_->value(layout_.view(x, 0));
}

void InducedWFlow::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  g.resize(dim());
  loss_->gradient(layout_.view(x, 0), layout_.view(g, 0));
}

void InducedWFlow::velocity(const Eigen::VectorXd& x, double /*t*/, Eigen::VectorXd& dxdt) const {
  const auto W = layout_.view(x, 0);
  sym_ = W;
  sym_ += W.transpose();
  sym_ *= 0.5;
  loss_->gradient(sym_, G_);
  S_ = G_;
  S_ += G_.transpose();
  M_.noalias() = S_ * sym_;
  dxdt.resize(dim());
  auto V = layout_.view(dxdt, 0);
  V = -M_;
  V -= M_.transpose();
}

void InducedWFlow::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                  Eigen::VectorXd& hv) const {
  hv.resize(dim());
  loss_->hessian_action(layout_.view(x, 0), layout_.view(v, 0), layout_.view(hv, 0));
}

Eigen::VectorXd InducedWFlow::pack(const Eigen::MatrixXd& W) const {
  if (W.rows() != size_ || W.cols() != size_) {
    throw std::invalid_argument(
        fmt::format("W must be {} x {}, got {} x {}", size_, size_, W.rows(), W.cols()));
  }
  return Eigen::Map<const Eigen::VectorXd>(W.data(), W.size());
}

Observation InducedWFlow::observe(const Eigen::VectorXd& x) const {
  Observation obs;
  const Eigen::MatrixXd W = layout_.view(x, 0);
  obs.scalars.emplace_back("symmetry_drift", (W - W.transpose()).norm());
  observe_factorised(W, metrics_.get(), obs);
  return obs;
}

}  // namespace gradflow
