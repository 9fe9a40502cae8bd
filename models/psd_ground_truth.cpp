#include "models/psd_ground_truth.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

Eigen::MatrixXd make_psd_ground_truth(const PsdGroundTruthOptions& options, Rng& rng) {
  const Eigen::Index d = options.size;
  const Eigen::Index r = options.rank;
  if (d <= 0)
    throw std::invalid_argument(fmt::format("the ground truth size d must be positive, got {}", d));
  if (r <= 0 || r > d) {
    throw std::invalid_argument(
        fmt::format("the ground truth rank r must satisfy 1 <= r <= d = {}, got {}", d, r));
  }
  const Eigen::MatrixXd B = rng.normal_matrix(d, r, 1.0 / std::sqrt(static_cast<double>(r)));
  const Eigen::MatrixXd W = B * B.transpose();
  // A general product need not be bitwise symmetric; the symmetric part is.
  return 0.5 * (W + W.transpose());
}

Eigen::MatrixXd validated_ground_truth(const Eigen::MatrixXd& W, bool psd) {
  if (W.rows() != W.cols() || W.size() == 0) {
    throw std::invalid_argument(fmt::format(
        "the ground truth W* must be a non-empty square matrix, got {} x {}", W.rows(), W.cols()));
  }
  if (!W.allFinite()) throw std::invalid_argument("the ground truth W* contains NaN or Inf");
  const double scale = W.cwiseAbs().maxCoeff();
  const double asymmetry = (W - W.transpose()).cwiseAbs().maxCoeff();
  if (asymmetry > kGroundTruthSymmetryTolerance * scale) {
    throw std::invalid_argument(fmt::format(
        "the ground truth W* must be symmetric (max |W − Wᵀ| <= {} · max |W| = {:.3g}), got max |W "
        "− Wᵀ| = {:.3g}",
        kGroundTruthSymmetryTolerance, kGroundTruthSymmetryTolerance * scale, asymmetry));
  }
  Eigen::MatrixXd sym = 0.5 * (W + W.transpose());
  if (psd && scale > 0.0) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(sym, Eigen::EigenvaluesOnly);
    const double lmin = eig.eigenvalues().minCoeff();
    const double lmax = eig.eigenvalues().cwiseAbs().maxCoeff();
    if (lmin < -kGroundTruthPsdTolerance * lmax) {
      throw std::invalid_argument(
          fmt::format("the ground truth W* is declared positive semidefinite (\"psd\": true) but "
                      "has the eigenvalue {:.6g} "
                      "(largest |eigenvalue| {:.6g}); expected every eigenvalue >= {:.3g}",
                      lmin, lmax, -kGroundTruthPsdTolerance * lmax));
    }
  }
  return sym;
}

}  // namespace gradflow
