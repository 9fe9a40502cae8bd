#include "models/symmetric_factorisation_deep.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string_view>

namespace gradflow {

LinearNetworkOptions DeepFactorisation::square_widths(const std::shared_ptr<const MatrixLoss>& loss,
                                                      int depth) {
  if (!loss) throw std::invalid_argument("a deep factorisation needs a loss");
  if (depth < 1)
    throw std::invalid_argument(fmt::format("the depth N must be >= 1, got {}", depth));
  if (loss->rows() != loss->cols()) {
    throw std::invalid_argument(
        fmt::format("a deep factorisation of a square matrix needs a square loss, got {} x {}",
                    loss->rows(), loss->cols()));
  }
  return {.widths = std::vector<Eigen::Index>(static_cast<std::size_t>(depth) + 1, loss->rows())};
}

DeepFactorisation::DeepFactorisation(const std::shared_ptr<const MatrixLoss>& loss, int depth,
                                     std::shared_ptr<const FactorisationMetrics> metrics)
    : net_(loss, square_widths(loss, depth)), metrics_(std::move(metrics)) {}

std::string DeepFactorisation::describe() const {
  return fmt::format("deep matrix factorisation W = W_{} ⋯ W_1, widths {}, {}", depth(),
                     net_.widths().front(), net_.matrix_loss()->describe());
}

Observation DeepFactorisation::observe(const Eigen::VectorXd& x) const {
  Observation obs;
  // Keep the network's balancedness; its e2e matrix and norm are replaced by W.
  for (auto& [name, value] : net_.observe(x).scalars) {
    if (std::string_view(name).starts_with("balancedness_")) obs.scalars.emplace_back(name, value);
  }
  const Eigen::MatrixXd W = net_.end_to_end(x);
  obs.scalars.emplace_back("symmetry_drift", (W - W.transpose()).norm());
  observe_factorised(W, metrics_.get(), obs);
  return obs;
}

}  // namespace gradflow
