#pragma once
// Gradient descent at the edge of stability (Cohen, Kaur, Li, Kolter &
// Talwalkar, ICLR 2021): GD with step η is stable along a direction of
// curvature λ iff λ < 2/η. When the sharpness S = λ_max(∇²L) reaches 2/η, GD
// may diverge, catapult to a flatter region and converge there, settle on a
// periodic orbit around the threshold, or hover near it without a period.
//
// This tells, from a GD run's records, when the sharpness first reached 2/η
// (to the GD step, not the record) and what the run did afterwards. GD is
// deterministic, so the iterates between two records are recomputed from the
// earlier record (x_{k+1} = x_k + η v(x_k), the same arithmetic as the run);
// each recomputed segment is checked to land bit for bit on the next record.
//
// First crossing: the first step k with S(x_k) ≥ 2/η.
//   every_step  S at every step from step 0 (warm-started Lanczos, cheap for
//               small models), when steps × dim ≤ every_step_budget;
//   bisection   above that budget: S at the records only, then bisection
//               between the last record below 2/η and the first at or above
//               it (the first crossing if S crosses once in that interval).
//
// Outcome, decided on the last `tail_steps` GD steps of the run (the tail), in
// this order:
//   diverged         the run's status is diverged;
//   never_crossed    S < 2/η at every step examined;
//   converged_below  ‖∇L‖ at the end ≤ converged_gradient·‖∇L(x0)‖ and the
//                    final S < 2/η (e.g. a catapult to a flatter minimum);
//   period_two, period_<p>
//                    the tail repeats with period p (smallest p ≤ max_period):
//                    ‖x_{k+p} − x_k‖ ≤ cycle_tolerance·max_k ‖x_{k+1} − x_k‖
//                    over the tail's second half, the run not converged;
//   returned_below   every tail S < 2/η and ‖∇L‖ falling over the tail: back
//                    under the threshold (so locally stable), still converging
//                    when the run ended;
//   hovering         not periodic, not converged, some tail S ≥ 2/η and every
//                    tail S within [1 − hover_band, 1 + hover_band]·2/η;
//   unclassified     none of these.

#include "core/field.hpp"
#include "core/trajectory.hpp"

#include <Eigen/Core>

#include <limits>
#include <string>

namespace gradflow {

struct EdgeOfStabilityOptions {
  long tail_steps = 64;
  int max_period = 8;
  double cycle_tolerance = 1e-3;
  double hover_band = 0.2;
  double converged_gradient = 1e-6;
  double every_step_budget = 2e8;  // steps × dim
};

struct EdgeOfStability {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  double two_over_eta = nan;
  bool crossed = false;
  long first_crossing_step = -1;
  double first_crossing_time = nan;
  double sharpness_at_crossing = nan;
  double sharpness_before_crossing = nan;  // at the step before (NaN at step 0)
  std::string crossing_search;             // "every_step" or "bisection"

  std::string outcome;
  int period = 0;  // p of period_<p>
  long tail_first_step = 0, tail_last_step = 0;
  double tail_sharpness_min = nan, tail_sharpness_max = nan;
  double initial_grad_norm = nan, final_grad_norm = nan;

  long hessian_vector_products = 0;  // spent by the sharpness solves
  long replayed_steps = 0;           // GD steps recomputed between records
  bool replay_exact = true;          // every recomputed segment met its record bit for bit
};

// `gd` is the trajectory of gradient descent with step `eta` on `field`
// (records at steps k, times kη), `status` how that run ended.
EdgeOfStability analyse_edge_of_stability(const Field& field, const Trajectory& gd, double eta,
                                          RunStatus status,
                                          const EdgeOfStabilityOptions& options = {});

}  // namespace gradflow
