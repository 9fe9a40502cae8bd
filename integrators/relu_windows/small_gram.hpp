#pragma once
// LU factorisation of the Gram matrix G_CC = X_CᵀX_C of a sliding set C
// (|C| ≤ d: a handful of entries), for the sliding weights v = −G_CC⁻¹X_Cᵀ T.
// Invariant: buffers are sized once for |C| ≤ capacity; factor() and solve()
// allocate nothing.

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace gradflow::detail::relu {

using Eigen::Index;
using Eigen::MatrixXd;

// Gaussian elimination with partial pivoting (LAPACK's getrf convention: whole
// rows swapped) on the Gram matrix G_CC of a sliding set, |C| ≤ d: tiny.
class SmallGram {
 public:
  explicit SmallGram(Index capacity)
      : lu_(static_cast<std::size_t>(capacity * capacity)),
        pivot_(static_cast<std::size_t>(capacity)) {}

  // False if a pivot is at round-off level: the inputs of the set are dependent.
  bool factor(const MatrixXd& G, const Index* set, std::size_t s) {
    s_ = s;
    double diag = 0.0;
    for (std::size_t j = 0; j < s; ++j) {
      for (std::size_t l = 0; l < s; ++l) at(j, l) = G(set[j], set[l]);
      diag = std::max(diag, G(set[j], set[j]));
    }
    for (std::size_t c = 0; c < s; ++c) {
      std::size_t p = c;
      for (std::size_t j = c + 1; j < s; ++j) {
        if (std::abs(at(j, c)) > std::abs(at(p, c))) p = j;
      }
      if (!(std::abs(at(p, c)) > 1e-12 * diag)) return false;
      pivot_[c] = p;
      if (p != c) {
        for (std::size_t l = 0; l < s; ++l) std::swap(at(c, l), at(p, l));
      }
      for (std::size_t j = c + 1; j < s; ++j) {
        const double f = at(j, c) / at(c, c);
        at(j, c) = f;
        for (std::size_t l = c + 1; l < s; ++l) at(j, l) -= f * at(c, l);
      }
    }
    return true;
  }

  // b ← K⁻¹ b (b has s entries, spaced by `stride`).
  void solve(double* b, std::size_t stride = 1) const {
    auto B = [&](std::size_t i) -> double& { return b[i * stride]; };
    for (std::size_t c = 0; c < s_; ++c) {
      if (pivot_[c] != c) std::swap(B(c), B(pivot_[c]));
    }
    for (std::size_t c = 0; c < s_; ++c) {
      for (std::size_t j = c + 1; j < s_; ++j) B(j) -= at(j, c) * B(c);
    }
    for (std::size_t c = s_; c-- > 0;) {
      double acc = B(c);
      for (std::size_t l = c + 1; l < s_; ++l) acc -= at(c, l) * B(l);
      B(c) = acc / at(c, c);
    }
  }

 private:
  double& at(std::size_t i, std::size_t j) { return lu_[i + s_ * j]; }
  double at(std::size_t i, std::size_t j) const { return lu_[i + s_ * j]; }
  std::vector<double> lu_;
  std::vector<std::size_t> pivot_;
  std::size_t s_ = 0;
};

}  // namespace gradflow::detail::relu
