#include "models/symmetric_factorisation_deep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace gradflow {

const std::shared_ptr<const MatrixLoss>& DeepFactorisation::checked_square(
    const std::shared_ptr<const MatrixLoss>& loss, int depth) {
  if (!loss) throw std::invalid_argument("a deep factorisation needs a loss");
  if (depth < 1)
    throw std::invalid_argument(fmt::format("the depth N must be >= 1, got {}", depth));
  if (loss->rows() != loss->cols()) {
    throw std::invalid_argument(
        fmt::format("a deep factorisation of a square matrix needs a square loss, got {} x {}",
                    loss->rows(), loss->cols()));
  }
  return loss;
}

DeepFactorisation::DeepFactorisation(const std::shared_ptr<const MatrixLoss>& loss, int depth,
                                     std::shared_ptr<const FactorisationMetrics> metrics)
    : MatrixFactorisation(checked_square(loss, depth), {.depth = depth}, std::move(metrics)) {}

std::string DeepFactorisation::describe() const {
  return fmt::format("deep matrix factorisation W = W_{} ⋯ W_1, widths {}, {}", depth(), cols(),
                     network().matrix_loss()->describe());
}

Observation DeepFactorisation::observe(const Eigen::VectorXd& x) const {
  Observation obs = MatrixFactorisation::observe(x);
  const Eigen::MatrixXd W = product(x);
  const auto after_balancedness =
      std::find_if(obs.scalars.begin(), obs.scalars.end(), [](const auto& scalar) {
        return !std::string_view(scalar.first).starts_with("balancedness_");
      });
  obs.scalars.emplace(after_balancedness, "symmetry_drift", (W - W.transpose()).norm());
  return obs;
}

}  // namespace gradflow
