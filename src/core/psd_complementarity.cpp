#include "core/psd_complementarity.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gradflow {

namespace {
const double kSqrt2 = std::sqrt(2.0);
constexpr int kMaxIterations = 200000;
constexpr double kStepTolerance = 1e-14;

PairVector project_psd(const PairVector& c, int k) {
  const SmallSymmetric C = smat(c, k);
  Eigen::SelfAdjointEigenSolver<SmallSymmetric> eig(C);
  const SmallSymmetric& V = eig.eigenvectors();
  SmallSymmetric P = V * eig.eigenvalues().cwiseMax(0.0).asDiagonal() * V.transpose();
  return svec(0.5 * (P + P.transpose()));
}

double objective(const PairMatrix& G, const PairVector& a, const PairVector& c) {
  return 0.25 * c.dot(G * c) - a.dot(c);
}
}  // namespace

PairVector svec(const SmallSymmetric& C) {
  const int k = static_cast<int>(C.rows());
  PairVector c(k * (k + 1) / 2);
  for (int j = 0; j < k; ++j) {
    for (int i = 0; i <= j; ++i) c[pair_index(i, j)] = i == j ? C(i, j) : kSqrt2 * C(i, j);
  }
  return c;
}

SmallSymmetric smat(const PairVector& c, int k) {
  SmallSymmetric C(k, k);
  for (int j = 0; j < k; ++j) {
    for (int i = 0; i <= j; ++i) {
      const double v = i == j ? c[pair_index(i, j)] : c[pair_index(i, j)] / kSqrt2;
      C(i, j) = v;
      C(j, i) = v;
    }
  }
  return C;
}

ComplementarityResult solve_psd_complementarity(const PairMatrix& G, const PairVector& a, int k) {
  const int q = k * (k + 1) / 2;
  if (k < 1 || k > kMaxComplementaritySize || G.rows() != q || G.cols() != q || a.size() != q) {
    throw std::invalid_argument(fmt::format(
        "PSD complementarity: k = {} must lie in [1, {}] with G {} x {} and a of size {} equal to "
        "k(k+1)/2 = {}",
        k, kMaxComplementaritySize, G.rows(), G.cols(), a.size(), q));
  }
  ComplementarityResult out;
  // The unconstrained minimiser, when it exists and is PSD.
  const Eigen::LDLT<PairMatrix> ldlt(G);
  const double scale = std::max(G.cwiseAbs().maxCoeff(), 1e-300);
  PairVector start = PairVector::Zero(q);
  if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
    const PairVector c = 2.0 * ldlt.solve(a);
    const bool solves =
        c.allFinite() && (0.5 * (G * c) - a).norm() <= 1e-10 * (scale * c.norm() + a.norm());
    if (solves) {
      Eigen::SelfAdjointEigenSolver<SmallSymmetric> eig(smat(c, k), Eigen::EigenvaluesOnly);
      if (eig.eigenvalues().minCoeff() >= 0.0) {
        out.C = smat(c, k);
        return out;
      }
      start = project_psd(c, k);
    }
  }
  // FISTA on f(c) = ¼cᵀGc − aᵀc over the PSD cone; ∇f = ½Gc − a is Lipschitz
  // with constant ½λ_max(G).
  Eigen::SelfAdjointEigenSolver<PairMatrix> geig(G, Eigen::EigenvaluesOnly);
  const double lipschitz = 0.5 * std::max(geig.eigenvalues().maxCoeff(), 1e-300);
  PairVector c = start, y = start, previous = start;
  double momentum = 1.0;
  double f_prev = objective(G, a, c);
  out.converged = false;
  for (int it = 1; it <= kMaxIterations; ++it) {
    previous = c;
    c = project_psd(y - (0.5 * (G * y) - a) / lipschitz, k);
    out.iterations = it;
    const double step = (c - previous).norm();
    if (step <= kStepTolerance * std::max(c.norm(), 1e-300)) {
      out.converged = true;
      break;
    }
    const double f = objective(G, a, c);
    if (f > f_prev) {  // adaptive restart: drop the momentum
      momentum = 1.0;
      y = c;
    } else {
      const double next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * momentum * momentum));
      y = c + ((momentum - 1.0) / next) * (c - previous);
      momentum = next;
    }
    f_prev = f;
  }
  out.C = smat(c, k);
  return out;
}

}  // namespace gradflow
