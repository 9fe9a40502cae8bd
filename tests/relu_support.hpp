#pragma once
// Data and norms shared by the two-layer ReLU tests.

#include "core/dataset.hpp"
#include "core/rng.hpp"
#include "models/two_layer_relu.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>

namespace gradflow::testing {

// Inputs on the unit sphere (as the NTK analysis assumes), targets N(0, 1).
inline Dataset unit_sphere_data(Eigen::Index d, Eigen::Index n, std::uint64_t seed) {
  Rng rng(seed);
  Dataset data;
  data.X = rng.normal_matrix(d, n);
  data.X.colwise().normalize();
  data.Y = rng.normal_matrix(1, n);
  return data;
}

// Inputs on the unit sphere, labels ±1 with probability ½ each.
inline Dataset signed_label_data(Eigen::Index d, Eigen::Index n, std::uint64_t seed) {
  Rng rng(seed);
  Dataset data;
  data.X = rng.normal_matrix(d, n);
  data.X.colwise().normalize();
  data.Y.resize(1, n);
  for (Eigen::Index i = 0; i < n; ++i) data.Y(0, i) = rng.below(2) == 0 ? 1.0 : -1.0;
  return data;
}

// Gradient descent on f(x) = (1/√m) Σ_r a_r relu(w_rᵀx), L = ½‖u − y‖², written
// from the definitions with no code of the model: relu'(0) = 1 (the gradient
// counts w_rᵀx_i = 0 as active), W (m × d) after `steps` steps of size eta.
inline Eigen::MatrixXd reference_gradient_descent(const Eigen::MatrixXd& X,
                                                  const Eigen::VectorXd& y,
                                                  const Eigen::VectorXd& a, Eigen::MatrixXd W,
                                                  double eta, long steps) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(W.rows()));
  Eigen::MatrixXd grad(W.rows(), W.cols());
  for (long k = 0; k < steps; ++k) {
    grad.setZero();
    for (Eigen::Index i = 0; i < X.cols(); ++i) {
      double u = 0.0;
      for (Eigen::Index r = 0; r < W.rows(); ++r)
        u += scale * a[r] * std::max(0.0, W.row(r).dot(X.col(i)));
      const double e = u - y[i];
      for (Eigen::Index r = 0; r < W.rows(); ++r) {
        if (W.row(r).dot(X.col(i)) >= 0.0) grad.row(r) += scale * a[r] * e * X.col(i).transpose();
      }
    }
    W -= eta * grad;
  }
  return W;
}

// A network in R⁴ whose inputs and weights are dyadic, so that w_rᵀx_i = 0 holds
// exactly for many pairs at the start: 8 inputs, distinct and none the
// opposite of another (so no two surfaces of a neuron coincide), drawn from
// (±½, ±½, ±½, ±½) and ±e_k; weights with entries in {−1, −½, 0, ½, 1}.
inline TwoLayerRelu dyadic_network(Eigen::Index m, std::uint64_t seed, long* on_surface) {
  Rng rng(seed);
  Dataset data;
  const Eigen::Index n = 8;
  data.X.resize(4, n);
  for (Eigen::Index i = 0; i < n;) {
    Eigen::Vector4d x = Eigen::Vector4d::Zero();
    if (rng.below(3) != 0) {
      for (Eigen::Index k = 0; k < 4; ++k) x[k] = rng.below(2) == 0 ? 0.5 : -0.5;
    } else {
      x[static_cast<Eigen::Index>(rng.below(4))] = rng.below(2) == 0 ? 1.0 : -1.0;
    }
    bool coincides = false;
    for (Eigen::Index j = 0; j < i; ++j)
      coincides = coincides || std::abs(data.X.col(j).dot(x)) == 1.0;
    if (coincides) continue;
    data.X.col(i++) = x;
  }
  data.Y = rng.normal_matrix(1, n);
  TwoLayerReluStart start{Eigen::VectorXd(m), Eigen::MatrixXd(m, 4)};
  for (Eigen::Index r = 0; r < m; ++r) {
    start.signs[r] = rng.below(2) == 0 ? 1.0 : -1.0;
    for (Eigen::Index k = 0; k < 4; ++k)
      start.weights(r, k) = 0.5 * (static_cast<double>(rng.below(5)) - 2.0);
  }
  *on_surface = ((start.weights * data.X).array() == 0.0).count();
  return TwoLayerRelu(data, start);
}

// ‖A‖₂ of a symmetric matrix: its largest absolute eigenvalue.
inline double spectral_norm(const Eigen::MatrixXd& A) {
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(A, Eigen::EigenvaluesOnly)
      .eigenvalues()
      .cwiseAbs()
      .maxCoeff();
}

}  // namespace gradflow::testing
