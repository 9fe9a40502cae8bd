// The network's kernels and per-record observations: the empirical kernel
// H = (XᵀX) ∘ (SᵀS)/m, its distance to H∞ and to H(0), the pattern drift, and
// the loss bound e^{−2λ_min(H∞) t}‖u(0) − y‖²/2.
// Invariant: every observation is computed from the state alone (no mode).

#include "models/two_layer_relu.hpp"

#include "models/kernel_flow.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>

namespace gradflow {

namespace {

double spectral_norm_symmetric(const Eigen::MatrixXd& A) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(A, Eigen::EigenvaluesOnly);
  return eig.eigenvalues().cwiseAbs().maxCoeff();
}

}  // namespace

Eigen::MatrixXd TwoLayerRelu::empirical_kernel(const Eigen::VectorXd& x) const {
  const auto W = layout_.view(x, 0);
  const Eigen::MatrixXd S = ((W * X_).array() >= 0.0).cast<double>();
  const Eigen::MatrixXd overlap = S.transpose() * S;
  return gram_.cwiseProduct(overlap) / static_cast<double>(width());
}

Observation TwoLayerRelu::observe(const Eigen::VectorXd& x) const {
  Observation obs;
  const auto W = layout_.view(x, 0);
  const Eigen::MatrixXd Z = W * X_;
  const auto pattern = (Z.array() >= 0.0);
  const double changed =
      static_cast<double>((pattern != pattern0_.array()).count()) / static_cast<double>(Z.size());
  const Eigen::MatrixXd S = pattern.cast<double>();
  const Eigen::MatrixXd H = gram_.cwiseProduct(S.transpose() * S) / static_cast<double>(width());
  const Eigen::VectorXd u = predictions(x);
  const double r2 = (u - y_).squaredNorm();
  const double inf = std::numeric_limits<double>::infinity();
  double bound_time = inf;
  if (r2 > 0.0) {
    bound_time = lambda_min_inf_ > 0.0
                     ? std::log(initial_residual_sq_ / r2) / (2.0 * lambda_min_inf_)
                     : (r2 <= initial_residual_sq_ ? inf : -inf);
  }
  long on_boundary = 0;
  for (Eigen::Index r = 0; r < width(); ++r) {
    const double threshold = 1e-12 * W.row(r).norm();
    on_boundary += (Z.row(r).array().abs() <= threshold).count();
  }
  // Lazy training (Chizat, Oyallon & Bach 2019; Du et al. 2019): the weights
  // move by O(1/√m) relative to their start, every neuron a little.
  const Eigen::MatrixXd moved = W - W0_;
  const Eigen::VectorXd neuron_moves = moved.rowwise().norm();
  const double start_norm = W0_.norm();
  obs.scalars = {
      {"weight_change", moved.norm()},
      {"relative_weight_change",
       start_norm > 0.0 ? moved.norm() / start_norm : std::numeric_limits<double>::quiet_NaN()},
      {"neuron_change_max", neuron_moves.maxCoeff()},
      {"neuron_change_mean", neuron_moves.mean()},
      {"pattern_changed", changed},
      {"kernel_dist_inf", spectral_norm_symmetric(H - H_inf_)},
      {"kernel_drift", spectral_norm_symmetric(H - H0_)},
      {"lambda_min_inf", lambda_min_inf_},
      {"bound_time", bound_time},
      {"pairs_on_boundary", static_cast<double>(on_boundary)}};
  obs.matrices.emplace_back("u", u);
  return obs;
}

Observation TwoLayerRelu::observe_at(const Eigen::VectorXd& x, double t) const {
  Observation obs = observe(x);
  append_loss_bound(obs, lambda_min_inf_, initial_residual_sq_, (predictions(x) - y_).squaredNorm(),
                    t);
  return obs;
}

}  // namespace gradflow
