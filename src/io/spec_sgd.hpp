#pragma once
// The keys of a run that belong to step sizes, SGD and ensembles (docs/spec.md
// "runs[]", "sgd", "ensemble"), read by spec.cpp.

#include "io/json_reader.hpp"
#include "io/spec.hpp"

namespace gradflow {

// euler and sgd: "eta" (> 0) or "eta_over_stability" (> 0), exactly one.
void read_step_size(JsonReader& r, RunSpec& run);
// sgd: "sigma" (≥ 0, required), "schedule", "beta" (capped schedule only).
void read_sgd_keys(JsonReader& r, RunSpec& run);
// "ensemble" (optional object): size, vary, grad_tolerance.
void read_ensemble(JsonReader& r, RunSpec& run);

}  // namespace gradflow
