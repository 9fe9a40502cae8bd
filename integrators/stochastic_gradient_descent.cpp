#include "integrators/stochastic_gradient_descent.hpp"

#include "core/diagnostics.hpp"
#include "core/rng.hpp"
#include "integrators/stop_monitor.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace gradflow {

double resolve_beta(const Field& field, const Eigen::VectorXd& x0, const SgdOptions& options) {
  if (options.beta > 0.0) return options.beta;
  const double s = sharpness(field, x0).value;
  if (!(s > 0.0) || !std::isfinite(s)) {
    throw std::invalid_argument(
        fmt::format("the capped schedule's beta defaults to the sharpness lambda_max(Hessian of L "
                    "at x0), which "
                    "is {} at this start (not a positive number): give beta explicitly",
                    s));
  }
  return s;
}

long sgd_final_step(double eta, StepSchedule schedule, double beta, double t_end, long limit) {
  if (schedule == StepSchedule::constant) {
    const double k = std::round(t_end / eta);
    return k > static_cast<double>(limit) ? -1 : static_cast<long>(k);
  }
  // The first k with t_end < t_k + η_k/2 (t_k + η_k/2 grows with k): bisection.
  auto reached = [&](long k) {
    return t_end < schedule_time(schedule, eta, beta, k) + 0.5 * step_size(schedule, eta, beta, k);
  };
  if (!reached(limit)) return -1;
  long lo = -1, hi = limit;  // reached(hi), !reached(lo) (lo = -1: nothing before step 0)
  while (hi - lo > 1) {
    const long mid = lo + (hi - lo) / 2;
    (reached(mid) ? hi : lo) = mid;
  }
  return hi;
}

RunResult stochastic_gradient_descent(const Field& field, const Eigen::VectorXd& x0, double eta,
                                      const std::vector<double>& times, const SgdOptions& options,
                                      const StopOptions& stop) {
  if (!(eta > 0.0) || !std::isfinite(eta)) {
    throw std::invalid_argument(fmt::format("sgd needs a step eta > 0, got {}", eta));
  }
  if (!(options.sigma >= 0.0) || !std::isfinite(options.sigma)) {
    throw std::invalid_argument(
        fmt::format("sgd needs a noise scale sigma >= 0, got {}", options.sigma));
  }
  if (x0.size() != field.dim()) {
    throw std::invalid_argument(fmt::format(
        "the initial state has {} entries but the model's state has {} (the two should be equal)",
        x0.size(), field.dim()));
  }
  const StepSchedule schedule = options.schedule;
  const bool constant = schedule == StepSchedule::constant;
  const double beta =
      schedule == StepSchedule::inverse_time_capped ? resolve_beta(field, x0, options) : 0.0;

  RunResult result;
  RunStats& stats = result.stats;
  detail::FieldSystem system{&field, &stats.field_evaluations};
  const detail::StopMonitor monitor(field, stop);
  const auto start = std::chrono::steady_clock::now();

  Eigen::VectorXd x = x0;
  Eigen::VectorXd v(field.dim());
  Rng rng(options.seed);
  // ξ ~ N(0, σ²I/dim): each coordinate has standard deviation σ/√dim.
  const double noise_std = options.sigma / std::sqrt(static_cast<double>(field.dim()));
  std::size_t next = 0;  // the next requested time to record
  double t = 0.0;
  long k = 0;
  for (;; ++k) {
    const double eta_k = step_size(schedule, eta, beta, k);
    // Iterate k is the nearest to `target` once target lies before the
    // midpoint of t_k and t_{k+1} (a tie goes on to k + 1). For the constant
    // schedule this is GD's test, lround(target/η) ≤ k, in the same arithmetic.
    auto nearest_is_here = [&](double target) {
      return constant ? std::lround(target / eta) <= k : target < t + 0.5 * eta_k;
    };
    const bool last = nearest_is_here(stop.t_end);
    bool record = last;
    while (next < times.size() && nearest_is_here(times[next])) {
      record = true;
      ++next;
    }
    if (record) result.trajectory.record(t, k, x);
    if (last) break;
    if (monitor.out_of_budget(k, t, stats)) {
      if (!record) result.trajectory.record(t, k, x);
      break;
    }
    system(x, v, t);
    if (noise_std > 0.0) {
      for (Eigen::Index i = 0; i < v.size(); ++i) v[i] -= noise_std * rng.normal();
    }
    x += eta_k * v;
    // A product for the constant schedule (t = kη exactly as GD), else the sum.
    const double t_new = constant ? static_cast<double>(k + 1) * eta : t + eta_k;
    t = t_new;
    if (monitor.should_stop(x, t, k + 1, stats)) {
      result.trajectory.record(t, k + 1, x);
      ++k;
      break;
    }
  }
  stats.steps = k;
  stats.stop_time = t;
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

RunResult run_stochastic_gradient_descent(const Field& field, const Eigen::VectorXd& x0,
                                          const std::vector<double>& times,
                                          const MethodOptions& method, const StopOptions& stop) {
  return stochastic_gradient_descent(field, x0, method.dt, times, method.sgd, stop);
}

}  // namespace gradflow
