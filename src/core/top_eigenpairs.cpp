#include "core/top_eigenpairs.hpp"

#include "core/rng.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradflow {

namespace {
// A fixed seed: the probes are part of the method, not of an experiment.
constexpr std::uint64_t kProbeSeed = 0x7ea5eed5ULL;
// Extra probes beyond one per block column, to replace Krylov vectors that
// carry nothing new (an invariant subspace was found).
constexpr Eigen::Index kSpareProbes = 4;
// Below this fraction of its length before orthogonalisation, a vector lies in
// the span of the basis to round-off.
constexpr double kDeflation = 1e-12;
}  // namespace

TopEigenpairs::TopEigenpairs(Eigen::Index dim, TopEigenpairsOptions options)
    : dim_(dim), options_(options), max_block_(options.pairs + 1) {
  if (dim < 1 || options.pairs < 1 || options.block_steps < 2 || !(options.tolerance > 0.0) ||
      options.max_cycles < 1) {
    throw std::invalid_argument(fmt::format(
        "top eigenpairs need dim >= 1, pairs >= 1, block_steps >= 2, tolerance > 0 and "
        "max_cycles >= 1; got dim {}, pairs {}, block_steps {}, tolerance {}, max_cycles {}",
        dim, options.pairs, options.block_steps, options.tolerance, options.max_cycles));
  }
  const Eigen::Index capacity = static_cast<Eigen::Index>(max_block_) * options.block_steps;
  if (capacity > kMaxRayleighRitz) {
    throw std::invalid_argument(fmt::format(
        "top eigenpairs: (pairs + 1) * block_steps = {} exceeds the projected size limit {}",
        capacity, kMaxRayleighRitz));
  }
  options_.dense_max_dim = std::min(std::max(options.dense_max_dim, capacity), kMaxRayleighRitz);
  in_.resize(dim);
  out_.resize(dim);
  values_ = Eigen::VectorXd::Constant(max_block_, -std::numeric_limits<double>::infinity());
  ritz_vectors_ = Eigen::MatrixXd::Zero(dim, max_block_);
  if (dim <= options_.dense_max_dim) {
    dense_.resize(dim, dim);
    return;
  }
  Rng rng(kProbeSeed);
  probes_ = rng.normal_matrix(dim, max_block_ + kSpareProbes);
  for (Eigen::Index j = 0; j < probes_.cols(); ++j) probes_.col(j).normalize();
  basis_.resize(dim, capacity);
  images_.resize(dim, capacity);

  coefficients_.resize(capacity);
  ritz_images_.resize(dim, max_block_);
  solvers_.reserve(static_cast<std::size_t>(options.pairs));
  for (int p = 1; p <= options.pairs; ++p) {
    solvers_.emplace_back(static_cast<Eigen::Index>(p + 1) * options.block_steps);
  }
}

void TopEigenpairs::reset() { warm_ = false; }

void TopEigenpairs::apply(const Field& field, const Eigen::VectorXd& x, Eigen::Index col) {
  in_ = basis_.col(col);
  field.hessian_vector(x, in_, out_);
  images_.col(col) = out_;
  ++products_;
}

void TopEigenpairs::orthonormalise(Eigen::Index c) {
  for (Eigen::Index attempt = 0; attempt <= probes_.cols(); ++attempt) {
    const double before = basis_.col(c).norm();
    // Classical Gram–Schmidt twice is enough (Giraud et al. 2005).
    for (int pass = 0; pass < 2 && c > 0; ++pass) {
      coefficients_.head(c).noalias() = basis_.leftCols(c).transpose() * basis_.col(c);
      basis_.col(c).noalias() -= basis_.leftCols(c) * coefficients_.head(c);
    }
    const double after = basis_.col(c).norm();
    if (after > kDeflation * before && after > 0.0) {
      basis_.col(c) /= after;
      return;
    }
    basis_.col(c) = probes_.col(next_probe_);
    next_probe_ = (next_probe_ + 1) % probes_.cols();
  }
  throw std::logic_error("top eigenpairs: no probe is independent of the basis");
}

bool TopEigenpairs::dense_solve(const Field& field, const Eigen::VectorXd& x, int pairs) {
  for (Eigen::Index j = 0; j < dim_; ++j) {
    in_.setZero();
    in_[j] = 1.0;
    field.hessian_vector(x, in_, out_);
    dense_.col(j) = out_;
    ++products_;
  }
  // Symmetrise: the asymmetry is the round-off of the products.
  for (Eigen::Index j = 0; j < dim_; ++j) {
    for (Eigen::Index i = 0; i < j; ++i) {
      const double mean = 0.5 * (dense_(i, j) + dense_(j, i));
      dense_(i, j) = mean;
      dense_(j, i) = mean;
    }
  }
  dense_solver_.compute(dense_);
  ++cycles_;
  pairs_ = static_cast<int>(std::min<Eigen::Index>(pairs, dim_));
  for (Eigen::Index i = 0; i < max_block_; ++i) {
    if (i < dim_) {
      values_[i] = dense_solver_.eigenvalues()[dim_ - 1 - i];
      ritz_vectors_.col(i) = dense_solver_.eigenvectors().col(dim_ - 1 - i);
    } else {
      values_[i] = -std::numeric_limits<double>::infinity();
      ritz_vectors_.col(i).setZero();
    }
  }
  warm_ = true;
  if (dense_solver_.info() != Eigen::Success) {
    ++unconverged_;
    return false;
  }
  return true;
}

bool TopEigenpairs::compute(const Field& field, const Eigen::VectorXd& x, int pairs) {
  if (pairs < 1 || pairs > options_.pairs) {
    throw std::invalid_argument(fmt::format(
        "top eigenpairs: asked for {} pairs, between 1 and {} allowed", pairs, options_.pairs));
  }
  if (dim_ <= options_.dense_max_dim) return dense_solve(field, x, pairs);

  const Eigen::Index b = pairs + 1;
  const Eigen::Index m = options_.block_steps;
  const Eigen::Index s = b * m;
  auto& solver = solvers_[static_cast<std::size_t>(pairs - 1)];
  // The start block: the previous Ritz vectors, and a probe in the last slot.
  next_probe_ = 0;
  for (Eigen::Index c = 0; c < b; ++c) {
    if (warm_ && c + 1 < b) {
      basis_.col(c) = ritz_vectors_.col(c);
    } else {
      basis_.col(c) = probes_.col(next_probe_);
      next_probe_ = (next_probe_ + 1) % probes_.cols();
    }
  }
  bool converged = false;
  for (int cycle = 0; cycle < options_.max_cycles && !converged; ++cycle) {
    ++cycles_;
    for (Eigen::Index c = 0; c < b; ++c) orthonormalise(c);
    for (Eigen::Index j = 0; j < m; ++j) {
      for (Eigen::Index c = j * b; c < (j + 1) * b; ++c) apply(field, x, c);
      if (j + 1 == m) break;
      for (Eigen::Index c = j * b; c < (j + 1) * b; ++c) {
        basis_.col(c + b) = images_.col(c);
        orthonormalise(c + b);
      }
    }
    projected_.resize(s, s);
    projected_.noalias() = basis_.leftCols(s).transpose() * images_.leftCols(s);
    for (Eigen::Index j = 0; j < s; ++j) {
      for (Eigen::Index i = 0; i < j; ++i) {
        const double mean = 0.5 * (projected_(i, j) + projected_(j, i));
        projected_(i, j) = mean;
        projected_(j, i) = mean;
      }
    }
    solver.compute(projected_);
    const auto& theta = solver.eigenvalues();  // ascending
    const double scale = std::max(std::abs(theta[0]), std::abs(theta[s - 1]));
    converged = true;
    for (Eigen::Index i = 0; i < b; ++i) {
      values_[i] = theta[s - 1 - i];
      ritz_vectors_.col(i).noalias() = basis_.leftCols(s) * solver.eigenvectors().col(s - 1 - i);
      ritz_images_.col(i).noalias() = images_.leftCols(s) * solver.eigenvectors().col(s - 1 - i);
      if (i < pairs) {
        const double residual = (ritz_images_.col(i) - values_[i] * ritz_vectors_.col(i)).norm();
        if (residual > options_.tolerance * scale) converged = false;
      }
    }
    // Restart from the Ritz vectors (the probe's contribution is in them).
    basis_.leftCols(b) = ritz_vectors_.leftCols(b);
  }
  pairs_ = pairs;
  warm_ = true;
  if (!converged) ++unconverged_;
  return converged;
}

}  // namespace gradflow
