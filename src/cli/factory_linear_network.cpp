// model.kind = "linear_network": the per-layer flow of a deep linear network.

#include "cli/factory_support.hpp"
#include "core/rng.hpp"
#include "io/regression_data.hpp"
#include "models/linear_network.hpp"

#include <fmt/format.h>

namespace gradflow {

ModelInstance build_linear_network(const ExperimentSpec& spec) {
  ModelInstance out;
  JsonReader d(spec.data, spec.file, "data");
  const Dataset data = read_regression_data(d, {.seed = spec.seed, .base_dir = spec.base_dir});
  out.resolved_data = d.resolved();
  out.data_description = data.description;
  // Samples as rows, the orientation "files" data reads by default, so the
  // exported files can be fed straight back in.
  out.exports.emplace_back("data_X", data.X.transpose());
  out.exports.emplace_back("data_Y", data.Y.transpose());

  JsonReader m(spec.model, spec.file, "model");
  m.string("kind");
  std::vector<Eigen::Index> widths{data.input_dim()};
  if (m.has("depth") || m.has("width")) {
    if (m.has("hidden")) m.fail("hidden", "give either \"hidden\" or \"depth\" and \"width\", not both");
    const long depth = m.positive_integer("depth");
    const long width = m.positive_integer("width", depth == 1 ? 1 : std::optional<long>());
    for (long j = 1; j < depth; ++j) widths.push_back(width);
  } else {
    m.skip("depth");  // listed among the valid keys of an error message
    m.skip("width");
    for (long w : m.positive_integers("hidden")) widths.push_back(w);
  }
  widths.push_back(data.output_dim());
  const LinearNetworkOptions options{.widths = widths, .residual = m.boolean("residual", false)};
  m.finish();
  auto net = checked(m, "hidden", [&] { return std::make_unique<LinearNetwork>(data, options); });
  out.resolved_model = m.resolved();
  out.resolved_model["widths"] = widths;

  JsonReader i(spec.init, spec.file, "init");
  const std::string kind = i.choice("kind", {"gaussian", "balanced", "identity", "file"});
  Rng rng(derive_seed(spec.seed, "init"));
  Eigen::VectorXd x0;
  if (kind == "gaussian") {
    x0 = net->init_gaussian(i.positive_number("std", 0.1), rng);
  } else if (kind == "balanced") {
    const double scale = i.positive_number("scale", 1.0);
    x0 = checked(i, "kind", [&] { return net->init_balanced(scale, rng); });
  } else if (kind == "identity") {
    x0 = net->init_identity(i.number("scale", 1.0));
  } else if (i.has("layers")) {
    std::vector<Eigen::MatrixXd> layers;
    for (const auto& path : i.strings("layers")) layers.push_back(read_spec_npy(spec, path));
    x0 = checked(i, "layers", [&] { return net->pack(layers); });
  } else {
    const std::string path = i.string("path");
    const Eigen::MatrixXd flat = read_spec_npy(spec, path);
    if (flat.size() != net->dim() || (flat.rows() != 1 && flat.cols() != 1)) {
      i.fail("path", fmt::format(
          "{} holds a {} x {} array; expected a flat vector of {} entries (the layers W1..W{} in "
          "column-major order, as x0.npy is written), or give \"layers\": [W1.npy, ...]",
          path, flat.rows(), flat.cols(), net->dim(), net->depth()));
    }
    x0 = Eigen::Map<const Eigen::VectorXd>(flat.data(), flat.size());
  }
  i.finish();
  out.resolved_init = i.resolved();
  out.flows.push_back({"layers", std::move(net), std::move(x0)});
  return out;
}

}  // namespace gradflow
