#include "cli/registry.hpp"

#include "core/rng.hpp"
#include "io/errors.hpp"
#include "io/json_reader.hpp"
#include "io/npy.hpp"
#include "models/linear_network.hpp"

#include <fmt/format.h>

namespace gradflow {

const std::vector<std::string>& model_kinds() {
  static const std::vector<std::string> kinds{"linear_network"};
  return kinds;
}

namespace {

Eigen::MatrixXd read_npy_matrix(const ExperimentSpec& spec, const std::string& relative) {
  const auto path = spec.base_dir / relative;
  Eigen::MatrixXd m = read_npy(path.string()).values;
  if (!m.allFinite()) throw_input_error(path.string(), "", "contains NaN or Inf");
  return m;
}

// Turns a model's std::invalid_argument into an InputError on `key`.
template <class F>
auto checked(const JsonReader& r, const std::string& key, F&& make) {
  try {
    return make();
  } catch (const std::invalid_argument& e) {
    r.fail(key, e.what());
  }
}

ModelInstance build_linear_network(const ExperimentSpec& spec, const Dataset& data) {
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
  LinearNetworkOptions options{.widths = widths, .residual = m.boolean("residual", false)};
  m.finish();
  ModelInstance out;
  auto net = checked(m, "hidden", [&] { return std::make_unique<LinearNetwork>(data, options); });
  out.resolved_model = m.resolved();
  out.resolved_model["widths"] = widths;

  JsonReader i(spec.init, spec.file, "init");
  const std::string kind = i.choice("kind", {"gaussian", "balanced", "identity", "file"});
  Rng rng(derive_seed(spec.seed, "init"));
  if (kind == "gaussian") {
    out.x0 = net->init_gaussian(i.positive_number("std", 0.1), rng);
  } else if (kind == "balanced") {
    const double scale = i.positive_number("scale", 1.0);
    out.x0 = checked(i, "kind", [&] { return net->init_balanced(scale, rng); });
  } else if (kind == "identity") {
    out.x0 = net->init_identity(i.number("scale", 1.0));
  } else if (i.has("layers")) {
    std::vector<Eigen::MatrixXd> layers;
    for (const auto& path : i.strings("layers")) layers.push_back(read_npy_matrix(spec, path));
    out.x0 = checked(i, "layers", [&] { return net->pack(layers); });
  } else {
    const std::string path = i.string("path");
    const Eigen::MatrixXd flat = read_npy_matrix(spec, path);
    if (flat.size() != net->dim() || (flat.rows() != 1 && flat.cols() != 1)) {
      i.fail("path", fmt::format(
          "{} holds a {} x {} array; expected a flat vector of {} entries (the layers W1..W{} in "
          "column-major order, as x0.npy is written), or give \"layers\": [W1.npy, ...]",
          path, flat.rows(), flat.cols(), net->dim(), net->depth()));
    }
    out.x0 = Eigen::Map<const Eigen::VectorXd>(flat.data(), flat.size());
  }
  i.finish();
  out.resolved_init = i.resolved();
  out.field = std::move(net);
  return out;
}

}  // namespace

ModelInstance build_model(const ExperimentSpec& spec, const Dataset& data) {
  JsonReader m(spec.model, spec.file, "model");
  const std::string kind = m.choice("kind", model_kinds());
  if (kind == "linear_network") return build_linear_network(spec, data);
  m.fail("kind", "no factory registered");
}

}  // namespace gradflow
