#pragma once
// The keys of a run that belong to the central flow and to GD's time average
// (docs/spec.md "Run option central_eta"), read by spec.cpp.

#include "io/json_reader.hpp"
#include "io/spec.hpp"

namespace gradflow {

// "central_eta" (> 0): integrate the central flow of GD with this step
// (not with "modified_eta"; integrator event_driven, its default then).
// "average_window" (integer ≥ 1): GD runs (euler) only, the window of GD's
// time average in comparisons.
void read_central_keys(JsonReader& r, RunSpec& run);

}  // namespace gradflow
