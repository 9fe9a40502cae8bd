#include "integrators/stiffness_detector.hpp"

#include <cmath>

namespace gradflow::detail {

StiffnessDetector::StiffnessDetector(const Field& field)
    : field_(field), direction_(field.dim()), image_(field.dim()) {
  // A fixed start with no special alignment to coordinate axes, so runs are
  // reproducible and the start is unlikely to be orthogonal to the top
  // eigenvector.
  for (Eigen::Index i = 0; i < direction_.size(); ++i) {
    direction_[i] = std::sin(1.0 + 2.3 * static_cast<double>(i));
  }
  direction_.normalize();
}

double StiffnessDetector::spectral_radius(const Eigen::VectorXd& x, double t) {
  double rho = 0.0;
  for (int k = 0; k < kIterations; ++k) {
    field_.velocity_jacobian_vector(x, t, direction_, image_);
    ++products_;
    rho = image_.norm();
    if (!(rho > 0.0) || !std::isfinite(rho)) return 0.0;  // J v = 0: nothing to learn here
    direction_ = image_ / rho;
  }
  return rho;
}

bool StiffnessDetector::stiff_after_step(const Eigen::VectorXd& x, double t, double h) {
  if (++steps_since_check_ < kCheckEvery) return false;
  steps_since_check_ = 0;
  ++checks_;
  last_h_rho_ = h * spectral_radius(x, t);
  stiff_in_a_row_ = last_h_rho_ > kBoundFraction * kDopri5StabilityBound ? stiff_in_a_row_ + 1 : 0;
  return stiff_in_a_row_ >= kStiffChecksInARow;
}

}  // namespace gradflow::detail
