#include "models/gaussian_sensing.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

Eigen::MatrixXd draw_gaussian_measurements(Eigen::Index rows, Eigen::Index cols, Eigen::Index count,
                                           Rng& rng) {
  if (rows <= 0 || cols <= 0 || count <= 0) {
    throw std::invalid_argument(
        fmt::format("Gaussian measurements need positive sizes and count, got {} x {} and {}", rows,
                    cols, count));
  }
  Eigen::MatrixXd A(count, rows * cols);
  for (Eigen::Index k = 0; k < count; ++k) {
    for (Eigen::Index e = 0; e < rows * cols; ++e) A(k, e) = rng.normal();
  }
  return A;
}

GaussianSensingLoss::GaussianSensingLoss(Eigen::Index rows, Eigen::Index cols,
                                         Eigen::MatrixXd measurements, Eigen::VectorXd targets)
    : rows_(rows), cols_(cols), A_(std::move(measurements)), targets_(std::move(targets)) {
  if (rows <= 0 || cols <= 0) {
    throw std::invalid_argument(
        fmt::format("the matrix sizes must be positive, got {} x {}", rows, cols));
  }
  if (A_.rows() == 0) throw std::invalid_argument("matrix sensing needs at least one measurement");
  if (A_.cols() != rows * cols) {
    throw std::invalid_argument(fmt::format(
        "the measurements are {} x {}; expected m' x (m·n) = m' x {} (row k: A_k flattened "
        "column-major, {} x {})",
        A_.rows(), A_.cols(), rows * cols, rows, cols));
  }
  if (targets_.size() != A_.rows()) {
    throw std::invalid_argument(
        fmt::format("{} measurements but {} targets", A_.rows(), targets_.size()));
  }
  if (!A_.allFinite() || !targets_.allFinite())
    throw std::invalid_argument("the measurements or targets contain NaN or Inf");
  vec_.resize(rows * cols);
  back_.resize(rows * cols);
  residual_.resize(A_.rows());
}

std::string GaussianSensingLoss::describe() const {
  return fmt::format("matrix sensing 1/(2m') Σ_k (⟨A_k, W⟩ − y_k)², m' = {}, {} x {}",
                     measurement_count(), rows_, cols_);
}

void GaussianSensingLoss::measure(const ConstMatrixRef& W, bool shift) const {
  for (Eigen::Index j = 0; j < cols_; ++j) vec_.segment(j * rows_, rows_) = W.col(j);
  residual_.noalias() = A_ * vec_;
  if (shift) residual_ -= targets_;
}

void GaussianSensingLoss::adjoint(MatrixRef D) const {
  back_.noalias() = A_.transpose() * residual_;
  back_ /= static_cast<double>(A_.rows());
  for (Eigen::Index j = 0; j < cols_; ++j) D.col(j) = back_.segment(j * rows_, rows_);
}

double GaussianSensingLoss::value(const ConstMatrixRef& W) const {
  measure(W, true);
  return 0.5 * residual_.squaredNorm() / static_cast<double>(A_.rows());
}

void GaussianSensingLoss::gradient(const ConstMatrixRef& W, MatrixRef G) const {
  measure(W, true);
  adjoint(G);
}

void GaussianSensingLoss::hessian_action(const ConstMatrixRef&, const ConstMatrixRef& V,
                                         MatrixRef D) const {
  measure(V, false);
  adjoint(D);
}

}  // namespace gradflow
