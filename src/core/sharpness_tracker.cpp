#include "core/sharpness_tracker.hpp"

#include "core/rng.hpp"

#include <Spectra/SymEigsSolver.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradflow {

namespace {

// Spectra's operator concept: y = ∇²L(x) v through the field's products, counted.
class CountingHessian {
 public:
  using Scalar = double;
  CountingHessian(const Field& field, const Eigen::VectorXd& x, long& products)
      : field_(field), x_(x), products_(products), in_(x.size()), out_(x.size()) {}
  Eigen::Index rows() const { return x_.size(); }
  Eigen::Index cols() const { return x_.size(); }
  void perform_op(const double* x_in, double* y_out) const {
    in_ = Eigen::Map<const Eigen::VectorXd>(x_in, x_.size());
    field_.hessian_vector(x_, in_, out_);
    ++products_;
    Eigen::Map<Eigen::VectorXd>(y_out, x_.size()) = out_;
  }

 private:
  const Field& field_;
  const Eigen::VectorXd& x_;
  long& products_;
  mutable Eigen::VectorXd in_, out_;
};

// Weight of the fixed random vector in a warm start: enough that an
// eigenvector overtaking the previous top one is found by Lanczos' growth
// of its component, small enough not to slow the usual case.
constexpr double kRandomShare = 1e-2;

}  // namespace

SharpnessTracker::SharpnessTracker(const Field& field)
    : field_(field), lanczos_(field.dim() > kDenseSharpnessTrackerMaxDim) {
  if (!lanczos_) return;
  Rng rng(derive_seed(0, "sharpness start"));
  random_ = rng.normal_matrix(field.dim(), 1).col(0).normalized();
  eigenvector_.resize(field.dim());
  start_.resize(field.dim());
}

SharpnessResult SharpnessTracker::at(const Eigen::VectorXd& x) {
  ++solves_;
  if (!lanczos_) {
    products_ += field_.dim();
    return {hessian_extremes(field_, x).max, true};
  }
  CountingHessian op(field_, x, products_);
  const Eigen::Index n = x.size();
  auto solve = [&](Eigen::Index basis) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Spectra::SymEigsSolver<CountingHessian> eigs(op, 1, std::min(n, basis));
    try {
      eigs.init(start_.data());
      eigs.compute(Spectra::SortRule::LargestAlge, 1000, kSharpnessTolerance);
    } catch (const std::runtime_error&) {
      return nan;  // Spectra's tridiagonal eigensolver failed: a Hessian with non-finite entries
    }
    if (eigs.info() != Spectra::CompInfo::Successful) return nan;
    eigenvector_ = eigs.eigenvectors(1).col(0);
    return eigs.eigenvalues()[0];
  };
  if (have_start_) {
    start_ = eigenvector_ + kRandomShare * random_;
    const double value = solve(kWarmLanczosBasis);
    if (!std::isnan(value)) return {value, true};
  }
  // Cold start, as sharpness_lanczos: a wider basis from the random vector.
  start_ = random_;
  const double value = solve(20);
  have_start_ = !std::isnan(value);
  return {value, have_start_};
}

}  // namespace gradflow
