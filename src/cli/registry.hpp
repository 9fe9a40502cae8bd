#pragma once
// The only place that knows every model by name: spec "model.kind" -> a field
// and its initial state.

#include "core/dataset.hpp"
#include "core/field.hpp"
#include "io/spec.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace gradflow {

struct ModelInstance {
  std::unique_ptr<Field> field;
  Eigen::VectorXd x0;
  nlohmann::json resolved_model;
  nlohmann::json resolved_init;
};

const std::vector<std::string>& model_kinds();

// Reads spec.model and spec.init; throws InputError naming the key.
ModelInstance build_model(const ExperimentSpec& spec, const Dataset& data);

}  // namespace gradflow
