#pragma once
// The loop of every fixed-step method: steps of exactly dt, the k-th state at
// t = k·dt (a product, never a running sum, so it matches a grid sampled at dt).

#include "integrators/stop_monitor.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace gradflow::detail {

// Number of steps in [0, t_end]; t_end must be a whole number of steps.
inline long whole_steps(double t_end, double dt) {
  if (!(dt > 0.0) || !std::isfinite(dt)) {
    throw std::invalid_argument(fmt::format("the step dt (or eta) must be > 0, got {}", dt));
  }
  const double ratio = t_end / dt;
  const double k = std::round(ratio);
  if (std::abs(ratio - k) > 1e-9 * std::max(1.0, ratio) || k < 1) {
    throw std::invalid_argument(
        fmt::format("t_end = {} is not a whole number of steps of dt = {} (t_end / dt = {})", t_end,
                    dt, ratio));
  }
  // A step count beyond any budget would overflow the integer below.
  if (!(k < 0x1p62)) {
    throw std::invalid_argument(fmt::format("t_end / dt = {:.6g} steps is too many", ratio));
  }
  return static_cast<long>(k);
}

// step(system, x, t, dt) advances x in place by one step.
template <class Step>
RunResult fixed_step_loop(const Field& field, const Eigen::VectorXd& x0, double dt,
                          const std::vector<double>& times, const StopOptions& stop, Step&& step) {
  const long K = whole_steps(stop.t_end, dt);
  // Record the steps nearest the requested times.
  std::vector<long> record_at;
  record_at.reserve(times.size() + 1);
  for (double t : times) record_at.push_back(std::lround(t / dt));
  record_at.push_back(K);
  std::sort(record_at.begin(), record_at.end());
  record_at.erase(std::unique(record_at.begin(), record_at.end()), record_at.end());

  RunResult result;
  RunStats& stats = result.stats;
  FieldSystem system{&field, &stats.field_evaluations};
  const StopMonitor monitor(field, stop);
  const auto start = std::chrono::steady_clock::now();

  Eigen::VectorXd x = x0;
  std::size_t next = 0;
  long k = 0;
  for (;; ++k) {
    const double t = static_cast<double>(k) * dt;
    if (next < record_at.size() && record_at[next] == k) {
      result.trajectory.record(t, k, x);
      ++next;
    }
    if (k == K) break;
    if (monitor.out_of_budget(k, t, stats)) {
      if (result.trajectory.steps.back() != k) result.trajectory.record(t, k, x);
      break;
    }
    step(system, x, t, dt);
    const double t_new = static_cast<double>(k + 1) * dt;
    if (monitor.should_stop(x, t_new, k + 1, stats)) {
      result.trajectory.record(t_new, k + 1, x);
      ++k;
      break;
    }
  }
  stats.steps = k;
  stats.stop_time = static_cast<double>(k) * dt;
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace gradflow::detail
