#pragma once
// Stochastic gradient descent on any field (DESIGN.md §5):
//
//   x_{k+1} = x_k + η_k(v(x_k) − ξ_k),   ξ_k ~ N(0, σ²I/dim),
//
// i.e. x_{k+1} = x_k − η_k(∇L(x_k) + ξ_k) for a gradient flow v = −∇L: noisy
// forward Euler, so with σ = 0 and a constant step it is gradient descent
// bit for bit. The schedules η_k are those of core/sgd_options.hpp.
//
// Time: iterate k lives at t_k = Σ_{j<k} η_j, a running sum in step order;
// for the constant schedule t_k = kη, the product GD uses. The run records
// the iterates nearest the requested times (ties go to the later iterate, as
// for GD) and ends at the iterate nearest t_end. Noise: one N(0, 1) draw per
// coordinate per step, in coordinate order, from our own sampler on
// std::mt19937_64 seeded with options.seed (core/rng.hpp), so a seed gives
// the same run on every machine. No allocation per step once warmed up.

#include "core/field.hpp"
#include "core/run_options.hpp"
#include "integrators/integrate.hpp"

#include <Eigen/Core>

#include <vector>

namespace gradflow {

// `times` sorted in [0, t_end]; throws std::invalid_argument for eta ≤ 0,
// sigma < 0 or a capped schedule whose β cannot be resolved (see below).
// Numerical outcomes (divergence, step budget) are stats.status.
RunResult stochastic_gradient_descent(const Field& field, const Eigen::VectorXd& x0, double eta,
                                      const std::vector<double>& times, const SgdOptions& options,
                                      const StopOptions& stop);

// sgd's entry in the integrator table: η is method.dt, the rest method.sgd.
RunResult run_stochastic_gradient_descent(const Field& field, const Eigen::VectorXd& x0,
                                          const std::vector<double>& times,
                                          const MethodOptions& method, const StopOptions& stop);

// β of the capped schedule: options.beta when > 0, else the sharpness
// λ_max(∇²L(x0)) (core/diagnostics.hpp). Throws std::invalid_argument when that
// is not a positive finite number (a start where L is not convex upwards in
// any direction has no curvature scale to cap by).
double resolve_beta(const Field& field, const Eigen::VectorXd& x0, const SgdOptions& options);

// The index of the iterate nearest t_end under the schedule, or -1 when it is
// beyond `limit` steps (an inverse-time schedule reaches t only after about
// e^{t/η} steps).
long sgd_final_step(double eta, StepSchedule schedule, double beta, double t_end, long limit);

}  // namespace gradflow
