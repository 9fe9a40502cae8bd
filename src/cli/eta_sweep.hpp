#pragma once
// The summary of an eta_sweep: per step size η, the max and final distance of
// GD to the gradient-flow reference and to its own modified flow, and the
// slopes of log(distance) against log(η) fitted by least squares (theory:
// ≈ 1 to the flow, ≈ 2 to the modified flow; Barrett & Dherin 2021).

#include "cli/experiment.hpp"
#include "core/table.hpp"

#include <nlohmann/json.hpp>

namespace gradflow {

struct EtaSweepSummary {
  Table table;  // eta, max_dist_flow, final_dist_flow[, max_dist_modified, final_dist_modified]
  double slope_max_flow = 0.0, slope_final_flow = 0.0;
  double slope_max_modified = 0.0, slope_final_modified = 0.0;
  bool modified = false;

  nlohmann::json to_json() const;
};

EtaSweepSummary summarise_eta_sweep(const PreparedExperiment& p, const ExperimentOutcome& outcome);

// Least-squares slope of log(y) against log(x).
double log_log_slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace gradflow
