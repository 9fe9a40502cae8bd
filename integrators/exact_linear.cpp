#include "integrators/exact_linear.hpp"

#include "integrators/stop_monitor.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

namespace gradflow {

RunResult integrate_exact_linear(const LinearRelaxationField& field, const Eigen::VectorXd& x0,
                                 const std::vector<double>& times, const StopOptions& stop) {
  const auto start = std::chrono::steady_clock::now();
  const Eigen::MatrixXd& A = field.rate_matrix();
  const Eigen::VectorXd& b = field.fixed_point();
  if (A.rows() != x0.size() || A.cols() != x0.size() || b.size() != x0.size()) {
    throw std::invalid_argument(fmt::format(
        "exact: the rate matrix is {} x {} and the fixed point has {} entries; the state has {}",
        A.rows(), A.cols(), b.size(), x0.size()));
  }
  const double scale = std::max(A.cwiseAbs().maxCoeff(), std::numeric_limits<double>::min());
  if ((A - A.transpose()).cwiseAbs().maxCoeff() > 1e-12 * scale) {
    throw std::invalid_argument("exact: the rate matrix A of dx/dt = -A(x - b) must be symmetric");
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(0.5 * (A + A.transpose()));
  if (eig.info() != Eigen::Success) {
    throw std::invalid_argument("exact: the eigendecomposition of the rate matrix failed");
  }
  const Eigen::MatrixXd& V = eig.eigenvectors();
  const Eigen::ArrayXd lambda = eig.eigenvalues().array();
  const Eigen::ArrayXd coefficients = (V.transpose() * (x0 - b)).array();

  RunResult result;
  RunStats& stats = result.stats;
  const detail::StopMonitor monitor(field, stop);
  Eigen::VectorXd x(x0.size());
  long record = 0;
  for (double t : times) {
    x = b + V * ((-lambda * t).exp() * coefficients).matrix();
    result.trajectory.record(t, record, x);
    stats.stop_time = t;
    if (record > 0 && monitor.should_stop(x, t, record, stats)) break;
    ++record;
  }
  stats.steps = static_cast<long>(result.trajectory.size()) - 1;
  stats.rejected_steps = 0;
  if (stats.status == RunStatus::completed) {
    stats.message = fmt::format(
        "exact solution from one eigendecomposition (n = {}, eigenvalues in [{:.6g}, {:.6g}])",
        x0.size(), lambda.minCoeff(), lambda.maxCoeff());
  }
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

bool is_linear_relaxation_field(const Field& field) {
  return dynamic_cast<const LinearRelaxationField*>(&field) != nullptr;
}

RunResult run_exact_linear(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& /*method*/,
                           const StopOptions& stop) {
  return integrate_exact_linear(dynamic_cast<const LinearRelaxationField&>(field), x0, times, stop);
}

}  // namespace gradflow
