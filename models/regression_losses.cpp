#include "models/regression_losses.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace gradflow {

SquareLoss::SquareLoss(const Dataset& data) {
  validate_dataset(data);
  X_ = data.X;
  Y_ = data.Y;
  const double n = static_cast<double>(data.samples());
  sxx_ = X_ * X_.transpose() / n;
  syx_ = Y_ * X_.transpose() / n;
  residual_.resize(Y_.rows(), Y_.cols());
}

double SquareLoss::value(const ConstMatrixRef& W) const {
  residual_.noalias() = W * X_;
  residual_ -= Y_;
  return 0.5 * residual_.squaredNorm() / static_cast<double>(X_.cols());
}

void SquareLoss::gradient(const ConstMatrixRef& W, MatrixRef G) const {
  G.noalias() = W * sxx_;
  G -= syx_;
}

void SquareLoss::hessian_action(const ConstMatrixRef&, const ConstMatrixRef& V, MatrixRef D) const {
  D.noalias() = V * sxx_;
}

LpLoss::LpLoss(const Dataset& data, double p) : p_(p) {
  validate_dataset(data);
  if (!(p >= 2.0)) {
    throw std::invalid_argument(
        fmt::format("the lp loss needs p >= 2 (for p < 2 it is not twice differentiable at zero "
                    "residual), got {}",
                    p));
  }
  X_ = data.X;
  Y_ = data.Y;
  residual_.resize(Y_.rows(), Y_.cols());
  weighted_.resize(Y_.rows(), Y_.cols());
}

std::string LpLoss::describe() const { return fmt::format("lp loss 1/n Σ|WX − Y|^p, p = {}", p_); }

double LpLoss::value(const ConstMatrixRef& W) const {
  residual_.noalias() = W * X_;
  residual_ -= Y_;
  return residual_.array().abs().pow(p_).sum() / static_cast<double>(X_.cols());
}

void LpLoss::gradient(const ConstMatrixRef& W, MatrixRef G) const {
  residual_.noalias() = W * X_;
  residual_ -= Y_;
  // |r|^{p−2} r, written so that p = 2 needs no pow of zero.
  weighted_ = residual_.array() * residual_.array().abs().pow(p_ - 2.0);
  G.noalias() = (p_ / static_cast<double>(X_.cols())) * weighted_ * X_.transpose();
}

void LpLoss::hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V, MatrixRef D) const {
  residual_.noalias() = W * X_;
  residual_ -= Y_;
  weighted_.noalias() = V * X_;
  weighted_.array() *= residual_.array().abs().pow(p_ - 2.0);
  D.noalias() = (p_ * (p_ - 1.0) / static_cast<double>(X_.cols())) * weighted_ * X_.transpose();
}

}  // namespace gradflow
