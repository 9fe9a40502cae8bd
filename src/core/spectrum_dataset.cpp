#include "core/spectrum_dataset.hpp"

#include <Eigen/QR>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <stdexcept>

namespace gradflow {

namespace {

// The first `cols` columns of the orthogonal factor of a Gaussian matrix:
// orthonormal to round-off (Householder QR).
Eigen::MatrixXd random_orthonormal(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(rng.normal_matrix(rows, cols));
  return qr.householderQ() * Eigen::MatrixXd::Identity(rows, cols);
}

void check_orthonormal(const Eigen::MatrixXd& Q, Eigen::Index rows, Eigen::Index cols,
                       const char* name) {
  if (Q.rows() != rows || Q.cols() != cols) {
    throw std::invalid_argument(
        fmt::format("{} must be {} x {} (one column per singular value), "
                    "got {} x {}",
                    name, rows, cols, Q.rows(), Q.cols()));
  }
  const double defect =
      (Q.transpose() * Q - Eigen::MatrixXd::Identity(cols, cols)).cwiseAbs().maxCoeff();
  if (!(defect <= 1e-10)) {
    throw std::invalid_argument(
        fmt::format("the columns of {} must be orthonormal (max |{}ᵀ{} − I| ≤ 1e-10), got {:.3g}",
                    name, name, name, defect));
  }
}

}  // namespace

SpectrumDataset make_spectrum_dataset(const SpectrumDataOptions& o, Rng& rng) {
  const Eigen::Index r = o.singular_values.size();
  if (o.inputs < 1 || o.outputs < 1) {
    throw std::invalid_argument(
        fmt::format("inputs and outputs must be >= 1, got {} and {}", o.inputs, o.outputs));
  }
  if (o.samples < o.inputs) {
    throw std::invalid_argument(fmt::format(
        "whitened inputs need at least as many samples as inputs, got {} samples for {} inputs",
        o.samples, o.inputs));
  }
  if (r < 1 || r > std::min(o.inputs, o.outputs)) {
    throw std::invalid_argument(
        fmt::format("expected 1 to min(inputs, outputs) = {} singular values, got {}",
                    std::min(o.inputs, o.outputs), r));
  }
  for (Eigen::Index k = 0; k < r; ++k) {
    if (!(o.singular_values[k] > 0.0) || !std::isfinite(o.singular_values[k])) {
      throw std::invalid_argument(
          fmt::format("singular values must be finite and > 0, got {} at "
                      "index {}",
                      o.singular_values[k], k));
    }
  }
  SpectrumDataset out;
  const double n = static_cast<double>(o.samples);
  const Eigen::MatrixXd Q = random_orthonormal(o.samples, o.inputs, rng);
  out.data.X = std::sqrt(n) * Q.transpose();
  if (o.left.size() == 0) {
    out.U = random_orthonormal(o.outputs, r, rng);
  } else {
    check_orthonormal(o.left, o.outputs, r, "U");
    out.U = o.left;
  }
  if (o.right.size() == 0) {
    out.V = random_orthonormal(o.inputs, r, rng);
  } else {
    check_orthonormal(o.right, o.inputs, r, "V");
    out.V = o.right;
  }
  out.s = o.singular_values;
  out.data.Y = out.U * out.s.asDiagonal() * (out.V.transpose() * out.data.X);
  out.data.description =
      fmt::format("chosen spectrum: whitened inputs (XXᵀ/n = I), YXᵀ/n = U diag({}) Vᵀ, {} samples",
                  fmt::join(std::vector<double>(out.s.data(), out.s.data() + r), ", "), o.samples);
  return out;
}

}  // namespace gradflow
