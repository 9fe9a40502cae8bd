#pragma once
// GD's time average beside a flow at matched times.
//
// Past the edge of stability GD oscillates along the top Hessian eigenvectors
// (a period-2 orbit at its simplest), so its iterates stay O(oscillation) from
// any flow; the central flow (models/central_flow.hpp) models their time
// average instead. At GD's step k the average is the centred moving average of
// `window` = w iterates:
//   w odd:  the mean of x_{k−h}, …, x_{k+h}, h = (w − 1)/2;
//   w even: the 2×w moving average, x_{k−h}, …, x_{k+h} with h = w/2 and the
//           two ends weighted ½ (total weight w),
// both centred at k (no lag) and exact on a linear trend; the even one cancels
// a period-w, hence period-2, oscillation exactly: over a period-2 orbit both
// w = 2 and w = 1 + 2j give its midpoint (w = 2: ¼x_{k−1} + ½x_k + ¼x_{k+1}).
//
// A comparison of a GD run (euler) with a flow recorded at GD's iterates gets
//   avg_state_dist       ‖x_flow(t) − x̄_GD(t)‖ (states in the same layout),
// and, when the flow is the central flow of GD's own step, also
//   sigma2_predicted     σ²(x_cf) = tr Σ, the central flow's oscillation variance,
//   sigma2_observed      Σ_j w_j ‖Uᵀ(x_j − x̄)‖², U the central flow's eigenvectors at
//                        the edge at x_cf (u, the top one, when one eigenvalue or
//                        none is there): GD's variance where Σ predicts it,
//   mean_loss_predicted  L(x_cf) + σ²/η,
//   mean_loss_observed   Σ_j w_j L(x_j), GD's time-averaged loss.
// Rows whose window reaches beyond GD's recorded iterates get NaN.
//
// The window is the GD run's "average_window"; without it, comparisons with a
// central flow use 2 and other comparisons get no such columns.

#include "cli/experiment.hpp"

#include <vector>

namespace gradflow {

inline constexpr long kDefaultAverageWindow = 2;

// The 2h + 1 weights of the centred window over x_{k−h}, …, x_{k+h}, summing to 1.
std::vector<double> centred_weights(long window);

// Appends the columns above to comparison `c` of runs ia, ib (when one is a
// GD run and the other a flow, and a window applies); summary values go to
// c.summary (meta.json).
void add_time_average(const PreparedExperiment& p, const ExperimentOutcome& outcome, std::size_t ia,
                      std::size_t ib, Comparison& c);

}  // namespace gradflow
