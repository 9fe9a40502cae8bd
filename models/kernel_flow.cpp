#include "models/kernel_flow.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace gradflow {

Eigen::MatrixXd relu_ntk_infinite_width(const Eigen::MatrixXd& X) {
  for (Eigen::Index i = 0; i < X.cols(); ++i) {
    const double norm = X.col(i).norm();
    if (!(std::abs(norm - 1.0) <= 1e-10)) {
      throw std::invalid_argument(fmt::format(
          "the infinite-width kernel needs unit-norm inputs (Du et al. 2019); input {} has norm {}",
          i, norm));
    }
  }
  const Eigen::MatrixXd gram = X.transpose() * X;
  Eigen::MatrixXd H(gram.rows(), gram.cols());
  for (Eigen::Index j = 0; j < gram.cols(); ++j) {
    for (Eigen::Index i = 0; i < gram.rows(); ++i) {
      const double c = std::clamp(gram(i, j), -1.0, 1.0);
      H(i, j) = c * (std::numbers::pi - std::acos(c)) / (2.0 * std::numbers::pi);
    }
  }
  return H;
}

KernelFlow::KernelFlow(Eigen::MatrixXd H, Eigen::VectorXd y, std::string what,
                       const Eigen::VectorXd& reference_start)
    : H_(std::move(H)), y_(std::move(y)), what_(std::move(what)) {
  if (H_.rows() != H_.cols() || H_.rows() != y_.size() || y_.size() == 0) {
    throw std::invalid_argument(fmt::format(
        "a kernel flow needs an n x n kernel and n targets; got a {} x {} kernel and {} targets",
        H_.rows(), H_.cols(), y_.size()));
  }
  if (!H_.allFinite() || !y_.allFinite()) {
    throw std::invalid_argument("the kernel or the targets contain NaN or Inf");
  }
  const double scale = std::max(H_.cwiseAbs().maxCoeff(), std::numeric_limits<double>::min());
  if ((H_ - H_.transpose()).cwiseAbs().maxCoeff() > 1e-12 * scale) {
    throw std::invalid_argument("the kernel of a kernel flow must be symmetric");
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(0.5 * (H_ + H_.transpose()));
  if (eig.info() != Eigen::Success) {
    throw std::invalid_argument("the kernel's eigendecomposition failed");
  }
  eigenvectors_ = eig.eigenvectors();
  eigenvalues_ = eig.eigenvalues();
  lambda_min_ = eigenvalues_.minCoeff();
  lambda_max_ = eigenvalues_.maxCoeff();
  // A PSD kernel's smallest eigenvalue is ≥ 0 up to the eigensolver's
  // round-off, which is a few ε‖H‖ (allow n ε‖H‖).
  const double roundoff = static_cast<double>(y_.size()) * std::numeric_limits<double>::epsilon() *
                          std::max(std::abs(lambda_max_), 1.0);
  if (lambda_min_ < -roundoff) {
    throw std::invalid_argument(fmt::format(
        "the kernel must be positive semidefinite; its smallest eigenvalue is {}", lambda_min_));
  }
  if (reference_start.size() > 0) {
    if (reference_start.size() != y_.size()) {
      throw std::invalid_argument(fmt::format("the reference start has {} entries, expected {}",
                                              reference_start.size(), y_.size()));
    }
    reference_residual_sq_ = (reference_start - y_).squaredNorm();
  }
  layout_.append("u", y_.size(), 1);
  residual_.resize(y_.size());
}

std::string KernelFlow::describe() const {
  return fmt::format("kernel flow du/dt = -H(u - y) with the {}, n = {}, lambda_min = {:.6g}",
                     what_, y_.size(), lambda_min_);
}

double KernelFlow::loss(const Eigen::VectorXd& u) const {
  residual_ = u - y_;
  return 0.5 * residual_.squaredNorm();
}

void KernelFlow::gradient(const Eigen::VectorXd& u, Eigen::VectorXd& g) const { g = u - y_; }

void KernelFlow::velocity(const Eigen::VectorXd& u, double /*t*/, Eigen::VectorXd& dudt) const {
  residual_ = u - y_;
  dudt.noalias() = -H_ * residual_;
}

Observation KernelFlow::observe(const Eigen::VectorXd& u) const {
  Observation obs;
  obs.scalars.emplace_back("lambda_min", lambda_min_);
  if (reference_residual_sq_ >= 0.0) {
    const double r2 = (u - y_).squaredNorm();
    const double inf = std::numeric_limits<double>::infinity();
    double bound_time;
    if (r2 <= 0.0) {
      bound_time = inf;
    } else if (lambda_min_ <= 0.0) {
      bound_time = r2 <= reference_residual_sq_ ? inf : -inf;
    } else {
      bound_time = std::log(reference_residual_sq_ / r2) / (2.0 * lambda_min_);
    }
    obs.scalars.emplace_back("bound_time", bound_time);
  }
  obs.matrices.emplace_back("u", u);
  return obs;
}

Eigen::VectorXd KernelFlow::gd_closed_form(const Eigen::VectorXd& u0, double eta, long k) const {
  const Eigen::ArrayXd factor = (1.0 - eta * eigenvalues_.array()).pow(static_cast<double>(k));
  return y_ + eigenvectors_ * (factor * (eigenvectors_.transpose() * (u0 - y_)).array()).matrix();
}

Observation KernelFlow::observe_at(const Eigen::VectorXd& u, double t) const {
  Observation obs = observe(u);
  if (reference_residual_sq_ >= 0.0) {
    append_loss_bound(obs, lambda_min_, reference_residual_sq_, (u - y_).squaredNorm(), t);
  }
  return obs;
}

void append_loss_bound(Observation& obs, double lambda_min, double initial_residual_sq,
                       double residual_sq, double t) {
  const double bound = std::exp(-2.0 * lambda_min * t) * 0.5 * initial_residual_sq;
  obs.scalars.emplace_back("loss_bound", bound);
  obs.scalars.emplace_back("under_bound", 0.5 * residual_sq <= bound * (1.0 + 1e-12) ? 1.0 : 0.0);
}

}  // namespace gradflow
