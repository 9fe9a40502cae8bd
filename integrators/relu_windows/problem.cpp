#include "integrators/relu_windows/problem.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace gradflow::detail::relu {

Problem make_problem(const ShallowReluField& field) {
  Problem p;
  p.X = field.inputs();
  p.y = field.targets();
  p.c = field.output_weights();
  p.m = p.c.size();
  p.n = p.X.cols();
  p.d = p.X.rows();
  if (field.dim() != p.m * p.d) {
    throw std::invalid_argument(
        fmt::format("relu_windows: the state has {} entries; a {} x {} first layer W was expected",
                    field.dim(), p.m, p.d));
  }
  p.kappa = p.m > 0 ? std::abs(p.c[0]) : 0.0;
  for (Index r = 0; r < p.m; ++r) {
    if (std::abs(p.c[r]) != p.kappa || p.c[r] == 0.0) {
      throw std::invalid_argument(fmt::format(
          "relu_windows needs output weights of one magnitude (a_r/sqrt(m)); c_0 = {}, c_{} = {}",
          p.c[0], r, p.c[r]));
    }
  }
  p.G = p.X.transpose() * p.X;
  p.gram_row = p.G.rowwise().norm();
  p.input_norm = p.X.colwise().norm().transpose();
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(p.G, Eigen::EigenvaluesOnly);
  // A relative margin covers the eigensolver's round-off: Λ̄ must be an upper bound.
  p.gram_max = eig.eigenvalues().maxCoeff() * (1.0 + 1e-12) + 1e-300;
  p.x_norm = std::sqrt(p.gram_max);
  return p;
}

}  // namespace gradflow::detail::relu
