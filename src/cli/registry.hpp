#pragma once
// The only place that knows every model by name: spec "model.kind" -> the
// model's flows, their common start, and the data it used.
//
// A model offers one or more flows, each a field with its own state: the
// parameter flow first (the default), then induced flows in function space
// (e.g. the end-to-end flow of a linear network), started from the projection
// of the parameter start. A run picks one by name ("flow" in the spec).

#include "core/field.hpp"
#include "io/spec.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gradflow {

struct Flow {
  std::string name;
  std::unique_ptr<Field> field;
  Eigen::VectorXd x0;
  // Set when the init draws at random: a fresh start from a seed (x0 is
  // draw_start(spec seed)), so an ensemble can give every member its own.
  std::function<Eigen::VectorXd(std::uint64_t seed)> draw_start;
};

struct ModelInstance {
  std::vector<Flow> flows;  // flows[0] is the default
  // Arrays the experiment used, written as <name>.npy when record.data is on
  // (e.g. data_X, data_Y), so a run can be reproduced outside gradflow.
  std::vector<std::pair<std::string, Eigen::MatrixXd>> exports;
  std::string data_description;
  nlohmann::json resolved_data, resolved_model, resolved_init;
  // Numbers worth a line in the log and meta.json → model_facts (e.g. λ_max(XᵀX)).
  std::vector<std::pair<std::string, double>> facts;

  // Throws InputError listing the valid names.
  const Flow& flow(const std::string& name, const std::string& file, const std::string& key) const;
};

const std::vector<std::string>& model_kinds();
// Small instances of a kind that together reach each of its flows and
// variants: a JSON array of {data, model, init} objects (the model's "kind" is
// implied). The contract tests (tests/test_model_contract.cpp) check each one.
const nlohmann::json& model_examples(const std::string& kind);

// Reads spec.data, spec.model and spec.init; throws InputError naming the key.
ModelInstance build_model(const ExperimentSpec& spec);

}  // namespace gradflow
