#include "core/diagnostics.hpp"

#include "core/sharpness_tracker.hpp"

#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsSolver.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace gradflow {

std::size_t Table::column_index(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  throw std::out_of_range("table has no column '" + name + "'");
}

std::vector<double> Table::column(const std::string& name) const {
  const std::size_t c = column_index(name);
  std::vector<double> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row[c]);
  return out;
}

Eigen::MatrixXd assemble_hessian(const Field& field, const Eigen::VectorXd& x) {
  const Eigen::Index n = field.dim();
  if (n > kDenseHessianMaxDim) {
    throw std::invalid_argument(fmt::format(
        "dense Hessian asked for a state of dimension {}; at most {}", n, kDenseHessianMaxDim));
  }
  Eigen::MatrixXd H(n, n);
  Eigen::VectorXd e = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd hv(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    e[j] = 1.0;
    field.hessian_vector(x, e, hv);
    H.col(j) = hv;
    e[j] = 0.0;
  }
  return 0.5 * (H + H.transpose());
}

HessianExtremes hessian_extremes(const Field& field, const Eigen::VectorXd& x) {
  const Eigen::MatrixXd H = assemble_hessian(field, x);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(H, Eigen::EigenvaluesOnly);
  if (solver.info() != Eigen::Success) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  return {solver.eigenvalues().minCoeff(), solver.eigenvalues().maxCoeff()};
}

namespace {
// Spectra's operator concept: y = ∇²L(x) v through the field's products.
class HessianOperator {
 public:
  using Scalar = double;
  HessianOperator(const Field& field, const Eigen::VectorXd& x)
      : field_(field), x_(x), in_(x.size()), out_(x.size()) {}
  Eigen::Index rows() const { return x_.size(); }
  Eigen::Index cols() const { return x_.size(); }
  void perform_op(const double* x_in, double* y_out) const {
    in_ = Eigen::Map<const Eigen::VectorXd>(x_in, x_.size());
    field_.hessian_vector(x_, in_, out_);
    Eigen::Map<Eigen::VectorXd>(y_out, x_.size()) = out_;
  }

 private:
  const Field& field_;
  const Eigen::VectorXd& x_;
  mutable Eigen::VectorXd in_, out_;
};
}  // namespace

SharpnessResult sharpness_lanczos(const Field& field, const Eigen::VectorXd& x) {
  HessianOperator op(field, x);
  const Eigen::Index n = x.size();
  if (n < 3) return {hessian_extremes(field, x).max, true};  // Lanczos needs ncv > nev + 1
  Spectra::SymEigsSolver<HessianOperator> eigs(op, 1, std::min<Eigen::Index>(n, 20));
  eigs.init();
  eigs.compute(Spectra::SortRule::LargestAlge, 1000, 1e-10);
  if (eigs.info() != Spectra::CompInfo::Successful) {
    return {std::numeric_limits<double>::quiet_NaN(), false};
  }
  return {eigs.eigenvalues()[0], true};
}

SharpnessResult sharpness(const Field& field, const Eigen::VectorXd& x) {
  if (x.size() <= kDenseSharpnessMaxDim) return {hessian_extremes(field, x).max, true};
  return sharpness_lanczos(field, x);
}

Diagnostics diagnose(const Field& field, const Trajectory& trajectory,
                     const DiagnosticOptions& options) {
  Diagnostics out;
  auto& columns = out.series.columns;
  columns = {"t", "step", "loss", "grad_norm"};
  if (options.hessian_eigenvalues) {
    columns.push_back("hess_min");
    columns.push_back("hess_max");
  }
  if (options.sharpness) columns.push_back("sharpness");
  Eigen::VectorXd g(field.dim());
  SharpnessTracker tracker(field);
  const auto every = static_cast<std::size_t>(std::max(1L, options.sharpness_every));
  for (std::size_t r = 0; r < trajectory.size(); ++r) {
    const Eigen::VectorXd& x = trajectory.states[r];
    std::vector<double> row{trajectory.times[r], static_cast<double>(trajectory.steps[r]),
                            field.loss(x)};
    field.gradient(x, g);
    row.push_back(g.norm());
    if (options.hessian_eigenvalues) {
      const HessianExtremes h = hessian_extremes(field, x);
      row.push_back(h.min);
      row.push_back(h.max);
    }
    if (options.sharpness) {
      const bool due = r % every == 0 || r + 1 == trajectory.size();
      row.push_back(due ? tracker.at(x).value : std::numeric_limits<double>::quiet_NaN());
    }
    const Observation obs = field.observe_at(x, trajectory.times[r]);
    if (r == 0) {
      for (const auto& [name, value] : obs.scalars) columns.push_back(name);
      for (const auto& [name, m] : obs.matrices) {
        out.stacked_matrices.emplace_back(
            name, Eigen::MatrixXd(static_cast<Eigen::Index>(trajectory.size()), m.size()));
        out.matrix_shapes.emplace_back(m.rows(), m.cols());
      }
    }
    for (const auto& [name, value] : obs.scalars) row.push_back(value);
    for (std::size_t m = 0; m < obs.matrices.size(); ++m) {
      const Eigen::MatrixXd& mat = obs.matrices[m].second;
      out.stacked_matrices[m].second.row(static_cast<Eigen::Index>(r)) =
          Eigen::Map<const Eigen::RowVectorXd>(mat.data(), mat.size());
    }
    out.series.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace gradflow
