#include "models/mode_strengths.hpp"

#include <fmt/format.h>

namespace gradflow {

void ModeBasis::observe(const Eigen::MatrixXd& W, Observation& obs) const {
  for (Eigen::Index k = 0; k < U.cols(); ++k) {
    obs.scalars.emplace_back(fmt::format("mode_{}", k + 1), U.col(k).dot(W * V.col(k)));
  }
}

}  // namespace gradflow
