#include "integrators/fixed_step_loop.hpp"
#include "integrators/integrate.hpp"

namespace gradflow {

RunResult gradient_descent(const Field& field, const Eigen::VectorXd& x0, double eta,
                           const std::vector<double>& times, const StopOptions& stop) {
  Eigen::VectorXd velocity(field.dim());
  return detail::fixed_step_loop(
      field, x0, eta, times, stop,
      [&velocity](const detail::FieldSystem& system, Eigen::VectorXd& x, double t, double dt) {
        system(x, velocity, t);
        x += dt * velocity;
      });
}

RunResult run_gradient_descent(const Field& field, const Eigen::VectorXd& x0,
                               const std::vector<double>& times, const MethodOptions& method,
                               const StopOptions& stop) {
  return gradient_descent(field, x0, method.dt, times, stop);
}

}  // namespace gradflow
