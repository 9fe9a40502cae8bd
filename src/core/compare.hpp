#pragma once
// Two runs compared at matched times: GD's step k (t = kη) against the flow's
// record at t = kη. Times match when they agree to 1e-9 relative, which k·η
// computed by both sides always does.

#include "core/field.hpp"
#include "core/table.hpp"
#include "core/trajectory.hpp"

#include <string>
#include <utility>
#include <vector>

namespace gradflow {

struct RunView {
  const Field& field;
  const Trajectory& trajectory;
};

struct Comparison {
  // t, step_a, step_b, loss_a, loss_b, loss_diff, state_dist (same layout:
  // the same named blocks), <projection>_dist (both runs with the same projection).
  Table series;
  double max_state_dist = 0.0;
  double max_projection_dist = 0.0;
  bool has_state_dist = false;
  bool has_projection_dist = false;
  std::string projection_name;
  // Further numbers for meta.json added by whoever appends columns (e.g. GD's
  // time average against a central flow, src/cli/time_average.hpp).
  std::vector<std::pair<std::string, double>> summary;
};

Comparison compare_runs(const RunView& a, const RunView& b);

}  // namespace gradflow
