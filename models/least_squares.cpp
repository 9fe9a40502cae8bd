#include "models/least_squares.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

LeastSquares::LeastSquares(Eigen::MatrixXd X, Eigen::VectorXd y)
    : X_(std::move(X)), y_(std::move(y)) {
  if (X_.rows() != y_.size() || X_.cols() == 0 || X_.rows() == 0) {
    throw std::invalid_argument(fmt::format(
        "least squares needs X of n x d (d >= 1) and y of n entries; got X {} x {} and y of {} "
        "(the row count of X and the length of y should be equal)",
        X_.rows(), X_.cols(), y_.size()));
  }
  if (!X_.allFinite() || !y_.allFinite()) {
    throw std::invalid_argument("least squares data contain NaN or Inf");
  }
  gram_ = X_.transpose() * X_;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram_, Eigen::EigenvaluesOnly);
  lambda_min_ = eig.eigenvalues().minCoeff();
  lambda_max_ = eig.eigenvalues().maxCoeff();
  if (!(lambda_max_ > 0.0))
    throw std::invalid_argument("least squares with X = 0: the loss is constant");
  // The minimum-norm solution, from X itself (not the normal equations, which
  // square the condition number).
  solution_ = X_.completeOrthogonalDecomposition().solve(y_);
  // Nonsingular XᵀX (to the round-off of forming it): one minimiser.
  if (lambda_min_ > 1e-12 * lambda_max_) minima_.push_back({"minimum", solution_});
  layout_.append("theta", X_.cols(), 1);
  residual_.resize(X_.rows());
}

double LeastSquares::loss(const Eigen::VectorXd& theta) const {
  residual_.noalias() = X_ * theta;
  residual_ -= y_;
  return 0.5 * residual_.squaredNorm();
}

void LeastSquares::gradient(const Eigen::VectorXd& theta, Eigen::VectorXd& g) const {
  residual_.noalias() = X_ * theta;
  residual_ -= y_;
  g.resize(X_.cols());
  g.noalias() = X_.transpose() * residual_;
}

void LeastSquares::hessian_vector(const Eigen::VectorXd&, const Eigen::VectorXd& v,
                                  Eigen::VectorXd& hv) const {
  hv.resize(X_.cols());
  hv.noalias() = gram_ * v;
}

std::string LeastSquares::describe() const {
  return fmt::format(
      "least squares ½‖Xθ − y‖², n = {}, d = {}, λ_max(XᵀX) = {:.6g} (GD stable for "
      "η < 2/λ_max = {:.6g}), λ_min(XᵀX) = {:.6g}",
      X_.rows(), X_.cols(), lambda_max_, stability_threshold(), lambda_min_);
}

}  // namespace gradflow
