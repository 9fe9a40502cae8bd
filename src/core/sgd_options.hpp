#pragma once
// Options of stochastic gradient descent (DESIGN.md §5):
//
//   x_{k+1} = x_k − η_k(∇L(x_k) + ξ_k),   ξ_k ~ N(0, σ²I/dim),
//
// on a field v (= −∇L for a gradient flow) it is noisy forward Euler,
// x_{k+1} = x_k + η_k(v(x_k) − ξ_k). Iterate k lives at t_k = Σ_{j<k} η_j.
// Step schedules, with η the base step:
//
//   constant              η_k = η                (t_k = kη, as for GD)
//   inverse_time          η_k = η/(k + 1)        (t_k = η·H_k ≈ η(ln k + 0.577))
//   inverse_time_capped   η_k = min(η/(k + 1), 1/β), β e.g. the sharpness
//                         λ_max(∇²L(x0)), so no early step exceeds 2/λ_max

#include <cstdint>
#include <string>
#include <vector>

namespace gradflow {

enum class StepSchedule { constant, inverse_time, inverse_time_capped };

const char* to_string(StepSchedule schedule);
// Throws std::invalid_argument listing the valid names.
StepSchedule parse_schedule(const std::string& name);
const std::vector<std::string>& schedule_names();

struct SgdOptions {
  StepSchedule schedule = StepSchedule::constant;
  double sigma = 0.0;      // noise scale: ξ ~ N(0, σ²I/dim); 0 is plain GD
  double beta = 0.0;       // inverse_time_capped: the cap is 1/β (0: β = λ_max(∇²L(x0)))
  std::uint64_t seed = 0;  // the noise generator's seed
};

// η_k of the schedule with base step `eta` (beta must be > 0 when capped).
double step_size(StepSchedule schedule, double eta, double beta, long k);

// t_K = Σ_{j<K} η_j without taking the steps: exact sums for small K, the
// asymptotic series of the harmonic numbers for large K (relative error
// < 1e-15). For planning (how many steps reach t_end), not for time stamps.
double schedule_time(StepSchedule schedule, double eta, double beta, long steps);

}  // namespace gradflow
