#include "core/sample_times.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gradflow {

std::vector<double> sample_times(const SampleGrid& grid, double t_end) {
  if (!(t_end > 0.0) || !std::isfinite(t_end)) {
    throw std::invalid_argument(fmt::format("t_end must be a positive number, got {}", t_end));
  }
  std::vector<double> times;
  switch (grid.kind) {
    case SampleGrid::Kind::grid: {
      if (!(grid.spacing > 0.0)) {
        throw std::invalid_argument(
            fmt::format("sample spacing must be > 0, got {}", grid.spacing));
      }
      // k·spacing, computed as a product (not a running sum) so that it equals
      // the time k·η that gradient descent assigns to its k-th iterate.
      const double steps = std::floor(t_end / grid.spacing * (1.0 + 1e-12));
      if (steps > 1e8) {
        throw std::invalid_argument(
            fmt::format("sample spacing {} gives {} records over t_end = {}; at most 1e8",
                        grid.spacing, steps, t_end));
      }
      for (long k = 0; k <= static_cast<long>(steps); ++k) {
        times.push_back(static_cast<double>(k) * grid.spacing);
      }
      break;
    }
    case SampleGrid::Kind::linear: {
      if (grid.count < 2) {
        throw std::invalid_argument(fmt::format("sample count must be >= 2, got {}", grid.count));
      }
      for (int k = 0; k < grid.count; ++k) {
        times.push_back(t_end * static_cast<double>(k) / static_cast<double>(grid.count - 1));
      }
      break;
    }
    case SampleGrid::Kind::log: {
      if (grid.count < 2) {
        throw std::invalid_argument(fmt::format("sample count must be >= 2, got {}", grid.count));
      }
      if (!(grid.log_start > 0.0 && grid.log_start < t_end)) {
        throw std::invalid_argument(fmt::format(
            "log sampling needs 0 < start < t_end = {}, got start = {}", t_end, grid.log_start));
      }
      times.push_back(0.0);
      const double ratio = std::log(t_end / grid.log_start);
      for (int k = 0; k < grid.count; ++k) {
        times.push_back(grid.log_start * std::exp(ratio * static_cast<double>(k) /
                                                  static_cast<double>(grid.count - 1)));
      }
      break;
    }
    case SampleGrid::Kind::list: {
      times.push_back(0.0);
      for (double t : grid.times) {
        if (!(t >= 0.0 && t <= t_end)) {
          throw std::invalid_argument(
              fmt::format("sample time {} lies outside [0, t_end = {}]", t, t_end));
        }
        times.push_back(t);
      }
      break;
    }
  }
  std::sort(times.begin(), times.end());
  // A last time within round-off of t_end is t_end; otherwise t_end is added.
  if (std::abs(times.back() - t_end) <= 1e-12 * t_end) {
    times.back() = t_end;
  } else if (times.back() < t_end) {
    times.push_back(t_end);
  }
  times.erase(std::unique(times.begin(), times.end()), times.end());
  return times;
}

}  // namespace gradflow
