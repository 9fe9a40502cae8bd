// model.kind = "least_squares": L(θ) = ½‖Xθ − y‖² (not divided by n) on the
// regression data of linear_network with one output: X = data_X (n × d, rows
// are samples), y = data_Y. One flow, "theta". The log and meta.json report
// λ_max(XᵀX) and the stability threshold 2/λ_max of gradient descent.

#include "cli/factory_support.hpp"
#include "cli/vector_init.hpp"
#include "io/regression_data.hpp"
#include "models/least_squares.hpp"

#include <fmt/format.h>

namespace gradflow {

ModelInstance build_least_squares(const ExperimentSpec& spec) {
  ModelInstance out;
  JsonReader d(spec.data, spec.file, "data");
  const Dataset data = read_regression_data(d, {.seed = spec.seed, .base_dir = spec.base_dir});
  if (data.output_dim() != 1) {
    d.fail(d.has("y") ? "y" : "outputs",
           fmt::format("least squares fits one output (y ∈ Rⁿ); the data have {} outputs",
                       data.output_dim()));
  }
  out.resolved_data = d.resolved();
  out.data_description = data.description;
  JsonReader m(spec.model, spec.file, "model");
  m.string("kind");
  m.finish();
  out.resolved_model = m.resolved();

  const Eigen::MatrixXd X = data.X.transpose();  // n × d
  const Eigen::VectorXd y = data.Y.row(0).transpose();
  auto ls = checked(m, "kind", [&] { return std::make_unique<LeastSquares>(X, y); });
  out.exports.emplace_back("data_X", X);
  out.exports.emplace_back("data_Y", y);
  out.facts = {{"lambda_max_XtX", ls->lambda_max()},
               {"two_over_lambda_max", ls->stability_threshold()},
               {"lambda_min_XtX", ls->lambda_min()},
               {"minimum_loss", ls->minimum_loss()}};

  VectorInit init = read_vector_init(spec, ls->dim());
  out.resolved_init = init.resolved;
  out.flows.push_back({"theta", std::move(ls), std::move(init.x0), std::move(init.draw_start)});
  return out;
}

}  // namespace gradflow
