#pragma once
// Where a run ended, in one word, for the outcome counts of an ensemble:
//
//   "diverged"        the run stopped with status diverged
//   "not_converged"   the final ‖∇L‖ exceeds the tolerance (or is not finite)
//   <name>            the model's named minimum nearest (Euclidean) to the final state
//   "converged"       a model without named minima
//
// A converged run is labelled by its nearest minimum even if it stopped at
// another stationary point (a start exactly on a maximum); with random starts
// that has probability zero.

#include "core/field.hpp"
#include "core/trajectory.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace gradflow {

std::string outcome_label(const Field& field, RunStatus status, const Eigen::VectorXd& final_state,
                          double final_grad_norm, double grad_tolerance);

// Every label outcome_label can give for this field, in reporting order.
std::vector<std::string> outcome_labels(const Field& field);

}  // namespace gradflow
