#include "cli/registry.hpp"

#include "cli/factory_support.hpp"
#include "io/errors.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gradflow {

namespace {
struct Factory {
  const char* kind;
  ModelInstance (*build)(const ExperimentSpec&);
  // Small instances that together reach every flow and variant of the kind
  // (a JSON array of {data, model, init}); the contract tests check each one.
  const char* examples;
};
const Factory kFactories[] = {
    {"linear_network", build_linear_network, R"([
      {"data": {"samples": 9, "inputs": 3, "outputs": 2},
       "model": {"hidden": [4, 3]}, "init": {"kind": "gaussian", "std": 0.6}},
      {"data": {"samples": 7, "inputs": 3, "outputs": 1},
       "model": {"hidden": [2], "loss": {"kind": "lp", "p": 4}}, "init": {"kind": "gaussian", "std": 0.6}},
      {"data": {"samples": 8, "inputs": 3, "outputs": 3},
       "model": {"depth": 3, "width": 3, "residual": true}, "init": {"kind": "gaussian", "std": 0.3}},
      {"data": {"samples": 6, "inputs": 4, "outputs": 2},
       "model": {"hidden": []}, "init": {"kind": "gaussian", "std": 0.5}}
    ])"},
    {"symmetric_factorisation", build_symmetric_factorisation, R"([
      {"data": {"kind": "sensing", "size": 4, "rank": 2, "measurements": 12},
       "model": {"width": 3, "depth": 3}, "init": {"kind": "gaussian", "alpha": 0.7}},
      {"data": {"kind": "completion", "size": 4, "rank": 1, "observed": 9},
       "model": {"depth": 2}, "init": {"kind": "gaussian", "alpha": 0.7}}
    ])"},
    {"matrix_factorisation", build_matrix_factorisation, R"([
      {"data": {"rows": 4, "cols": 3, "rank": 2, "observed": 8},
       "model": {"depth": 3}, "init": {"kind": "gaussian", "alpha": 0.6}},
      {"data": {"rows": 3, "cols": 5, "rank": 1, "observed": 10},
       "model": {"depth": 2, "width": 4}, "init": {"kind": "balanced", "alpha": 0.7}},
      {"data": {"rows": 3, "cols": 3, "rank": 2, "observed": 6},
       "model": {"depth": 1}, "init": {"kind": "identity", "alpha": 0.5}},
      {"data": {"kind": "sensing", "rows": 3, "cols": 4, "rank": 1, "measurements": 9},
       "model": {"depth": 2, "width": 2}, "init": {"kind": "gaussian", "alpha": 0.6}}
    ])"},
    {"two_layer_relu", build_two_layer_relu, R"([
      {"data": {"samples": 6, "inputs": 3, "unit_norm_inputs": true},
       "model": {"width": 10}, "init": {"kind": "gaussian", "std": 1.0}}
    ])"},
    {"least_squares", build_least_squares, R"([
      {"data": {"samples": 8, "inputs": 3}, "init": {"kind": "gaussian", "std": 1.0}}
    ])"},
    {"wide_sharp_1d", build_wide_sharp_1d, R"([
      {"init": {"kind": "point", "value": 1.5}},
      {"init": {"kind": "point", "value": 8.0}}
    ])"},
};
}  // namespace

const nlohmann::json& model_examples(const std::string& kind) {
  static const std::vector<nlohmann::json> parsed = [] {
    std::vector<nlohmann::json> out;
    for (const Factory& f : kFactories) out.push_back(nlohmann::json::parse(f.examples));
    return out;
  }();
  for (std::size_t i = 0; i < std::size(kFactories); ++i) {
    if (kind == kFactories[i].kind) return parsed[i];
  }
  throw std::invalid_argument(fmt::format("no model kind '{}'", kind));
}

const std::vector<std::string>& model_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (const Factory& f : kFactories) out.emplace_back(f.kind);
    return out;
  }();
  return kinds;
}

ModelInstance build_model(const ExperimentSpec& spec) {
  JsonReader m(spec.model, spec.file, "model");
  const std::string kind = m.choice("kind", model_kinds());
  for (const Factory& f : kFactories) {
    if (kind == f.kind) return f.build(spec);
  }
  m.fail("kind", "no factory registered");
}

const Flow& ModelInstance::flow(const std::string& name, const std::string& file,
                                const std::string& key) const {
  if (name.empty()) return flows.front();
  std::vector<std::string> names;
  for (const Flow& f : flows) {
    if (f.name == name) return f;
    names.push_back(f.name);
  }
  throw_input_error(
      file, key,
      fmt::format("unknown flow \"{}\" for this model (valid: {})", name, fmt::join(names, ", ")));
}

}  // namespace gradflow
