#pragma once
// Helpers shared by the tests: small data sets and finite-difference oracles.
// Nothing here uses gradflow's own derivative code.

#include "core/dataset.hpp"
#include "core/field.hpp"
#include "core/rng.hpp"
#include "models/matrix_loss.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

namespace gradflow::testing {

inline Dataset random_dataset(Eigen::Index inputs, Eigen::Index outputs, Eigen::Index samples,
                              std::uint64_t seed) {
  Rng rng(seed);
  Dataset d;
  d.X = rng.normal_matrix(inputs, samples);
  d.Y = rng.normal_matrix(outputs, samples);
  return d;
}

// Data with XXᵀ/n = I exactly and Y = M X, so Σyx = YXᵀ/n = M.
inline Dataset whitened_dataset(const Eigen::MatrixXd& M, Eigen::Index samples,
                                std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd X = rng.normal_matrix(M.cols(), samples);
  const Eigen::MatrixXd cov = X * X.transpose() / static_cast<double>(samples);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  X = eig.operatorInverseSqrt() * X;
  Dataset d;
  d.X = X;
  d.Y = M * X;
  return d;
}

// y(t) for ẏ = f(y), y(0) = y0, by classical RK4 at the step nearest h that
// divides t: an independent oracle for scalar mode equations (global error
// O(h⁴) plus t/h steps of round-off).
template <class Rate>
double scalar_rk4(const Rate& f, double y0, double t, double h) {
  const long steps = std::max(1L, std::lround(t / h));
  const double dt = t / static_cast<double>(steps);
  double y = y0;
  for (long n = 0; n < steps; ++n) {
    const double k1 = f(y), k2 = f(y + 0.5 * dt * k1), k3 = f(y + 0.5 * dt * k2),
                 k4 = f(y + dt * k3);
    y += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
  }
  return y;
}

// Central difference of the loss: (L(x + h e_i) − L(x − h e_i)) / 2h per coordinate.
inline Eigen::VectorXd finite_difference_gradient(const Field& f, const Eigen::VectorXd& x,
                                                  double h) {
  Eigen::VectorXd g(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Eigen::VectorXd xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    g[i] = (f.loss(xp) - f.loss(xm)) / (2.0 * h);
  }
  return g;
}

// Central differences of a matrix loss, entry by entry.
inline Eigen::MatrixXd finite_difference_matrix_gradient(const MatrixLoss& loss,
                                                         const Eigen::MatrixXd& W, double h) {
  Eigen::MatrixXd G(W.rows(), W.cols());
  for (Eigen::Index j = 0; j < W.cols(); ++j) {
    for (Eigen::Index i = 0; i < W.rows(); ++i) {
      Eigen::MatrixXd Wp = W, Wm = W;
      Wp(i, j) += h;
      Wm(i, j) -= h;
      G(i, j) = (loss.value(Wp) - loss.value(Wm)) / (2.0 * h);
    }
  }
  return G;
}

inline double relative_error(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

inline std::filesystem::path source_dir() {
  const char* dir = std::getenv("GRADFLOW_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

}  // namespace gradflow::testing
