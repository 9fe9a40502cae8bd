// model.kind = "two_layer_relu": a two-layer ReLU network with its first layer
// trained (flow "network"), and the kernel flows it is compared with, all from
// the network's initial predictions u(0): "kernel" (the infinite-width NTK
// H∞) and "kernel_init" (the network's own kernel at initialisation H(0), the
// linearised network). All three project to the predictions "u".

#include "cli/factory_support.hpp"
#include "core/rng.hpp"
#include "io/errors.hpp"
#include "io/matrix_file.hpp"
#include "io/regression_data.hpp"
#include "models/kernel_flow.hpp"
#include "models/two_layer_relu.hpp"

#include <fmt/format.h>

namespace gradflow {

namespace {

// The NTK analysis assumes ‖x_i‖ = 1 (Du et al. 2019): normalise with a notice
// in the model's description, or refuse when the spec asks for that.
void ensure_unit_inputs(Dataset& data, JsonReader& m, const std::string& policy) {
  const Eigen::RowVectorXd norms = data.X.colwise().norm();
  Eigen::Index worst = 0;
  const double deviation = (norms.array() - 1.0).abs().maxCoeff(&worst);
  if (deviation <= 1e-10) return;
  if (policy == "refuse") {
    m.fail(
        "non_unit_inputs",
        fmt::format("input {} has norm {} (expected 1: the NTK analysis assumes unit-norm inputs); "
                    "set data.unit_norm_inputs to true, or model.non_unit_inputs to \"normalise\"",
                    worst, norms[worst]));
  }
  if ((norms.array() == 0.0).any())
    m.fail("non_unit_inputs", "an input x_i is zero and cannot be normalised");
  data.X = data.X.array().rowwise() / norms.array();
  data.description +=
      ", inputs normalised to unit norm by the two_layer_relu model (the NTK "
      "analysis assumes ||x_i|| = 1)";
}

TwoLayerReluStart read_start(const ExperimentSpec& spec, JsonReader& i, Eigen::Index width,
                             Eigen::Index input_dim) {
  const std::string kind = i.choice("kind", {"gaussian", "file"});
  if (kind == "gaussian") {
    const double kappa = i.positive_number("std", 1.0);
    Rng rng(derive_seed(spec.seed, "init"));
    return TwoLayerRelu::draw_start(width, input_dim, kappa, rng);
  }
  TwoLayerReluStart start;
  const std::string weights_path = i.string("weights");
  const std::string signs_path = i.string("signs");
  start.weights = read_matrix_file(spec.base_dir / weights_path, spec.file, i.key_path("weights"));
  const Eigen::MatrixXd signs =
      read_matrix_file(spec.base_dir / signs_path, spec.file, i.key_path("signs"));
  if (start.weights.rows() != width || start.weights.cols() != input_dim) {
    i.fail("weights",
           fmt::format("{} holds a {} x {} array; expected m x d = {} x {} (one row w_r "
                       "per neuron; m = model.width, d = the data's input dimension)",
                       weights_path, start.weights.rows(), start.weights.cols(), width, input_dim));
  }
  if (signs.size() != width || (signs.rows() != 1 && signs.cols() != 1)) {
    i.fail("signs", fmt::format("{} holds a {} x {} array; expected a vector of m = {} signs",
                                signs_path, signs.rows(), signs.cols(), width));
  }
  start.signs = Eigen::Map<const Eigen::VectorXd>(signs.data(), signs.size());
  for (Eigen::Index r = 0; r < width; ++r) {
    if (start.signs[r] != 1.0 && start.signs[r] != -1.0) {
      i.fail("signs", fmt::format("{}: entry {} is {}; every output sign a_r must be +1 or -1",
                                  signs_path, r, start.signs[r]));
    }
  }
  return start;
}

// event_driven and relu_windows need switching surfaces and exact a linear flow: say so now,
// naming the run, rather than when the run starts.
void check_runs(const ExperimentSpec& spec) {
  for (std::size_t r = 0; r < spec.runs.size(); ++r) {
    const RunSpec& run = spec.runs[r];
    const bool network = run.flow.empty() || run.flow == "network";
    if (run.method.method == Method::exact && network) {
      throw_input_error(
          spec.file, fmt::format("runs[{}].integrator", r),
          "\"exact\" solves the linear kernel flows (flow \"kernel\" or \"kernel_init\"); "
          "the network's flow is nonlinear: use \"relu_windows\" or \"event_driven\"");
    }
    const bool switched =
        run.method.method == Method::event_driven || run.method.method == Method::relu_windows;
    if (switched && !network) {
      throw_input_error(spec.file, fmt::format("runs[{}].integrator", r),
                        fmt::format("\"{}\" is for the network's non-smooth flow; flow \"{}\" "
                                    "is smooth and linear: use \"exact\" or \"dopri5\"",
                                    to_string(run.method.method), run.flow));
    }
  }
}

}  // namespace

ModelInstance build_two_layer_relu(const ExperimentSpec& spec) {
  ModelInstance out;
  JsonReader d(spec.data, spec.file, "data");
  Dataset data = read_regression_data(d, {.seed = spec.seed, .base_dir = spec.base_dir});
  out.resolved_data = d.resolved();
  if (data.output_dim() != 1) {
    d.fail(
        spec.data.value("kind", "sine") == "files" ? "y" : "outputs",
        fmt::format("a two-layer ReLU network has one output per sample (labels y_i, e.g. +1/-1); "
                    "the targets have {} outputs per sample",
                    data.output_dim()));
  }

  JsonReader m(spec.model, spec.file, "model");
  m.string("kind");
  const long width = m.positive_integer("width");
  const std::string policy = m.choice("non_unit_inputs", {"normalise", "refuse"}, "normalise");
  // Threads change no bit of any result (models/two_layer_relu.hpp), so the
  // key is in meta.json's spec only when given.
  long threads = 1;
  if (m.has("threads")) {
    threads = m.positive_integer("threads");
    if (threads > 1024) {
      m.fail("threads", fmt::format("expected an integer in [1, 1024], got {}", threads));
    }
  }
  m.finish();
  ensure_unit_inputs(data, m, policy);
  out.resolved_model = m.resolved();
  out.data_description = data.description;
  // Samples as rows, as "files" data reads them by default.
  out.exports.emplace_back("data_X", data.X.transpose());
  out.exports.emplace_back("data_Y", data.Y.transpose());

  JsonReader i(spec.init, spec.file, "init");
  const TwoLayerReluStart start = read_start(spec, i, width, data.input_dim());
  i.finish();
  out.resolved_init = i.resolved();
  out.exports.emplace_back("init_weights", start.weights);
  out.exports.emplace_back("init_signs", start.signs);

  auto net = checked(m, "width", [&] {
    return std::make_unique<TwoLayerRelu>(data, start, static_cast<int>(threads));
  });
  const Eigen::VectorXd u0 = net->initial_predictions();
  auto kernel = std::make_unique<KernelFlow>(net->infinite_width_kernel(), net->targets(),
                                             "infinite-width NTK H_inf", u0);
  auto kernel_init = std::make_unique<KernelFlow>(net->initial_kernel(), net->targets(),
                                                  "network's kernel at initialisation H(0)", u0);
  check_runs(spec);
  Eigen::VectorXd x0 = net->initial_state();
  out.flows.push_back({"network", std::move(net), std::move(x0)});
  out.flows.push_back({"kernel", std::move(kernel), u0});
  out.flows.push_back({"kernel_init", std::move(kernel_init), u0});
  return out;
}

}  // namespace gradflow
