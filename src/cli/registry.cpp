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
};
const Factory kFactories[] = {
    {"linear_network", build_linear_network},
    {"symmetric_factorisation", build_symmetric_factorisation},
    {"two_layer_relu", build_two_layer_relu},
    {"least_squares", build_least_squares},
    {"wide_sharp_1d", build_wide_sharp_1d},
};
}  // namespace

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
  throw_input_error(file, key, fmt::format("unknown flow \"{}\" for this model (valid: {})", name,
                                           fmt::join(names, ", ")));
}

}  // namespace gradflow
