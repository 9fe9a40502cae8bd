#include "models/matrix_factorisation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace gradflow {

LinearNetworkOptions MatrixFactorisation::widths_for(const std::shared_ptr<const MatrixLoss>& loss,
                                                     const MatrixFactorisationOptions& options) {
  if (!loss) throw std::invalid_argument("a matrix factorisation needs a loss");
  if (options.depth < 1) {
    throw std::invalid_argument(
        fmt::format("the depth N must be >= 1 (N = 1 is W itself), got {}", options.depth));
  }
  if (options.width < 0) {
    throw std::invalid_argument(fmt::format(
        "the hidden width k must be positive (or 0 for min(m, n)), got {}", options.width));
  }
  const Eigen::Index k = options.width == 0 ? std::min(loss->rows(), loss->cols()) : options.width;
  std::vector<Eigen::Index> widths{loss->cols()};
  for (int j = 1; j < options.depth; ++j) widths.push_back(k);
  widths.push_back(loss->rows());
  return {.widths = std::move(widths)};
}

MatrixFactorisation::MatrixFactorisation(const std::shared_ptr<const MatrixLoss>& loss,
                                         MatrixFactorisationOptions options,
                                         std::shared_ptr<const FactorisationMetrics> metrics)
    : net_(loss, widths_for(loss, options)), metrics_(std::move(metrics)) {}

Eigen::Index MatrixFactorisation::width() const {
  return depth() >= 2 ? net_.widths()[1] : std::min(rows(), cols());
}

std::string MatrixFactorisation::describe() const {
  return fmt::format("matrix factorisation W = W_{} ⋯ W_1 of a {} x {} matrix, hidden width {}, {}",
                     depth(), rows(), cols(), width(), net_.matrix_loss()->describe());
}

Observation MatrixFactorisation::observe(const Eigen::VectorXd& x) const {
  Observation obs;
  // The network's balancedness only; its e2e matrix, norm and singular values
  // are the metrics' W, nuclear norm and sigma_k.
  for (auto& [name, value] : net_.observe(x).scalars) {
    if (std::string_view(name).starts_with("balancedness_")) obs.scalars.emplace_back(name, value);
  }
  observe_factorised(net_.end_to_end(x), metrics_.get(), obs);
  return obs;
}

Eigen::VectorXd MatrixFactorisation::init_gaussian(double alpha, Rng& rng) const {
  return net_.init_gaussian(alpha, rng);
}

Eigen::VectorXd MatrixFactorisation::init_balanced(double alpha, Rng& rng) const {
  return net_.init_balanced(alpha, rng);
}

Eigen::VectorXd MatrixFactorisation::init_balanced_from(const Eigen::MatrixXd& W0) const {
  return net_.init_balanced_from(W0);
}

Eigen::VectorXd MatrixFactorisation::init_identity(double alpha) const {
  return net_.init_identity(alpha);
}

}  // namespace gradflow
