#pragma once
// Data and norms shared by the two-layer ReLU tests.

#include "core/dataset.hpp"
#include "core/rng.hpp"

#include <Eigen/Eigenvalues>

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

// ‖A‖₂ of a symmetric matrix: its largest absolute eigenvalue.
inline double spectral_norm(const Eigen::MatrixXd& A) {
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(A, Eigen::EigenvaluesOnly)
      .eigenvalues()
      .cwiseAbs()
      .maxCoeff();
}

}  // namespace gradflow::testing
