#include "models/matrix_sensing.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace gradflow {

Eigen::MatrixXd draw_symmetric_gaussian_measurements(Eigen::Index size, Eigen::Index count,
                                                     Rng& rng) {
  if (size <= 0)
    throw std::invalid_argument(fmt::format("the matrix size d must be positive, got {}", size));
  if (count <= 0) {
    throw std::invalid_argument(
        fmt::format("the measurement count m must be positive, got {}", count));
  }
  Eigen::MatrixXd out(count, size * size);
  for (Eigen::Index i = 0; i < count; ++i) {
    const Eigen::MatrixXd G = rng.normal_matrix(size, size);
    const Eigen::MatrixXd A = 0.5 * (G + G.transpose());
    out.row(i) = Eigen::Map<const Eigen::RowVectorXd>(A.data(), A.size());
  }
  return out;
}

Eigen::VectorXd sensing_targets(const Eigen::MatrixXd& measurements, const Eigen::MatrixXd& truth) {
  if (measurements.cols() != truth.size()) {
    throw std::invalid_argument(
        fmt::format("measurements of {} entries each do not fit a {} x {} ground truth",
                    measurements.cols(), truth.rows(), truth.cols()));
  }
  return measurements * Eigen::Map<const Eigen::VectorXd>(truth.data(), truth.size());
}

MatrixSensingLoss::MatrixSensingLoss(const Eigen::MatrixXd& measurements, Eigen::VectorXd targets)
    : targets_(std::move(targets)) {
  const Eigen::Index m = measurements.rows();
  if (m == 0) throw std::invalid_argument("matrix sensing needs at least one measurement, got 0");
  const auto d =
      static_cast<Eigen::Index>(std::llround(std::sqrt(static_cast<double>(measurements.cols()))));
  if (d == 0 || d * d != measurements.cols()) {
    throw std::invalid_argument(
        fmt::format("each measurement must be a flattened d x d matrix (d² entries per row), got "
                    "rows of {} entries",
                    measurements.cols()));
  }
  if (targets_.size() != m) {
    throw std::invalid_argument(fmt::format(
        "{} measurements but {} targets b_i (expected one per measurement)", m, targets_.size()));
  }
  if (!measurements.allFinite() || !targets_.allFinite()) {
    throw std::invalid_argument("the measurements or their targets contain NaN or Inf");
  }
  size_ = d;
  upper_.resize(m, d * (d + 1) / 2);
  for (Eigen::Index i = 0; i < m; ++i) {
    const Eigen::Map<const Eigen::MatrixXd, 0, Eigen::InnerStride<Eigen::Dynamic>> A(
        measurements.data() + i, d, d, Eigen::InnerStride<Eigen::Dynamic>(m));
    const double scale = A.cwiseAbs().maxCoeff();
    const double asymmetry = (A - A.transpose()).cwiseAbs().maxCoeff();
    if (asymmetry > kMeasurementSymmetryTolerance * scale) {
      throw std::invalid_argument(
          fmt::format("measurement {} (0-based) is not symmetric: max |A − Aᵀ| = {:.3g}, max |A| = "
                      "{:.3g} (expected "
                      "symmetric A_i, up to {} relative)",
                      i, asymmetry, scale, kMeasurementSymmetryTolerance));
    }
    Eigen::Index p = 0;
    for (Eigen::Index col = 0; col < d; ++col) {
      for (Eigen::Index row = 0; row <= col; ++row)
        upper_(i, p++) = 0.5 * (A(row, col) + A(col, row));
    }
  }
  packed_.resize(upper_.cols());
  packed_gradient_.resize(upper_.cols());
  residual_.resize(m);
}

std::string MatrixSensingLoss::describe() const {
  return fmt::format("matrix sensing 1/(2m) Σ(⟨A_i, W⟩ − b_i)², m = {}, d = {}",
                     measurement_count(), size_);
}

void MatrixSensingLoss::pack_pair_sums(const ConstMatrixRef& W, Eigen::VectorXd& packed) const {
  Eigen::Index p = 0;
  for (Eigen::Index col = 0; col < size_; ++col) {
    for (Eigen::Index row = 0; row < col; ++row) packed[p++] = W(row, col) + W(col, row);
    packed[p++] = W(col, col);
  }
}

void MatrixSensingLoss::unpack_symmetric(const Eigen::VectorXd& packed, MatrixRef G) const {
  Eigen::Index p = 0;
  for (Eigen::Index col = 0; col < size_; ++col) {
    for (Eigen::Index row = 0; row <= col; ++row) {
      G(row, col) = packed[p];
      G(col, row) = packed[p];
      ++p;
    }
  }
}

double MatrixSensingLoss::value(const ConstMatrixRef& W) const {
  pack_pair_sums(W, packed_);
  residual_.noalias() = upper_ * packed_;
  residual_ -= targets_;
  return 0.5 * residual_.squaredNorm() / static_cast<double>(measurement_count());
}

void MatrixSensingLoss::gradient(const ConstMatrixRef& W, MatrixRef G) const {
  pack_pair_sums(W, packed_);
  residual_.noalias() = upper_ * packed_;
  residual_ -= targets_;
  packed_gradient_.noalias() = upper_.transpose() * residual_;
  packed_gradient_ /= static_cast<double>(measurement_count());
  unpack_symmetric(packed_gradient_, G);
}

void MatrixSensingLoss::hessian_action(const ConstMatrixRef&, const ConstMatrixRef& V,
                                       MatrixRef D) const {
  pack_pair_sums(V, packed_);
  residual_.noalias() = upper_ * packed_;
  packed_gradient_.noalias() = upper_.transpose() * residual_;
  packed_gradient_ /= static_cast<double>(measurement_count());
  unpack_symmetric(packed_gradient_, D);
}

}  // namespace gradflow
