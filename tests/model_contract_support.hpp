#pragma once
// The instances the contract tests check: every registered model kind's
// examples (cli/registry.hpp model_examples), built as the CLI builds them.

#include "cli/registry.hpp"
#include "io/spec.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

namespace gradflow::testing {

// Every instance of every registered kind, with the flows it offers.
struct Instance {
  std::string label;
  ModelInstance model;
};

inline std::vector<Instance> every_registered_instance() {
  std::vector<Instance> out;
  for (const std::string& kind : model_kinds()) {
    const nlohmann::json& examples = model_examples(kind);
    INFO("model kind " << kind);
    REQUIRE(examples.is_array());
    REQUIRE(!examples.empty());
    for (std::size_t i = 0; i < examples.size(); ++i) {
      nlohmann::json spec = {{"seed", 5}, {"t_end", 1.0}, {"runs", {{{"name", "gf"}}}}};
      for (const char* key : {"data", "model", "init"}) {
        if (examples[i].contains(key)) spec[key] = examples[i][key];
      }
      spec["model"]["kind"] = kind;
      const std::string label = fmt::format("{} example {}", kind, i);
      auto specs = parse_spec(spec.dump(), label, ".");
      REQUIRE(specs.size() == 1);
      out.push_back({label, build_model(specs.front())});
    }
  }
  return out;
}

// A point near the flow's start but off any special set (a balanced or
// aligned start, a surface of the ReLU network): the checks below must hold
// at a generic state. Deterministic, so a failure reproduces.
inline Eigen::VectorXd generic_point(const Flow& flow) {
  Eigen::VectorXd x = flow.x0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    x[i] += 1e-2 * std::sin(1.0 + 0.7 * static_cast<double>(i)) * std::max(1.0, std::abs(x[i]));
  }
  return x;
}

// A fixed direction of unit norm.
inline Eigen::VectorXd direction(Eigen::Index n) {
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = std::cos(0.3 + 1.3 * static_cast<double>(i));
  return v / v.norm();
}

template <class F>
void for_each_flow(F&& check) {
  for (Instance& inst : every_registered_instance()) {
    for (const Flow& flow : inst.model.flows) {
      INFO(inst.label << ", flow " << flow.name << " (" << flow.field->describe() << ")");
      check(*flow.field, flow);
    }
  }
}

}  // namespace gradflow::testing
