#pragma once
// A run with "central_eta": its flow wrapped in the central flow of GD with
// that step (models/central_flow.hpp), checked before any work, and what the
// run reports about it (log line, meta.json → runs[i].central_flow).

#include "cli/experiment.hpp"
#include "models/central_flow.hpp"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace gradflow {

// Throws InputError naming runs[r].central_eta when the flow cannot have a
// central flow (not a gradient flow, a switched field such as the ReLU
// network) or GD would start beyond the edge (S(x0) > 2/η).
std::unique_ptr<Field> wrap_central_flow(const ExperimentSpec& spec, std::size_t r,
                                         const Field& field, const Eigen::VectorXd& x0);

// The edge entries and exits, the time on the edge, and the work per unit
// time (field evaluations, Hessian-vector products).
nlohmann::json central_flow_json(const CentralFlow& flow, const RunOutcome& run);
std::string central_flow_log(const CentralFlow& flow, const RunOutcome& run);

}  // namespace gradflow
