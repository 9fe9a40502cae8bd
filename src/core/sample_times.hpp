#pragma once
// The times at which a run records its state. Integrators with dense output
// interpolate at these times without extra steps; fixed-step runs record the
// steps whose times t = k·dt are nearest.

#include <vector>

namespace gradflow {

struct SampleGrid {
  enum class Kind { grid, linear, log, list };
  Kind kind = Kind::linear;
  double spacing =
      0.0;          // grid: a record every `spacing` time units (set it to η for every GD step)
  int count = 101;  // linear, log: number of records
  double log_start = 1e-3;    // log: first positive time
  std::vector<double> times;  // list: explicit times
};

// Sorted, duplicate-free times in [0, t_end]; always includes 0 and t_end.
// Throws std::invalid_argument for a non-positive spacing, count < 2, a log
// start outside (0, t_end), or a listed time outside [0, t_end].
std::vector<double> sample_times(const SampleGrid& grid, double t_end);

}  // namespace gradflow
