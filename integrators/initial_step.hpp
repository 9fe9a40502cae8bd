#pragma once
// The first trial step of an adaptive method (Hairer, Nørsett & Wanner 1993,
// II.4): h0 = 0.01‖x0‖/‖f(x0)‖ in the error-weighted norm, 1e-6 when either is
// tiny or not finite; capped by max_dt and t_end. An explicit initial_dt wins.

#include "core/run_options.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace gradflow::detail {

// `system(x, dxdt, t)` is evaluated once at x0 unless initial_dt is given.
template <class System>
double initial_step(const System& system, const Eigen::VectorXd& x0, const MethodOptions& m,
                    double t_end) {
  if (m.initial_dt > 0.0) return std::min(m.initial_dt, t_end);
  Eigen::VectorXd f0(x0.size());
  system(x0, f0, 0.0);
  const Eigen::ArrayXd scale = m.atol + m.rtol * x0.array().abs();
  const double n = std::sqrt(static_cast<double>(x0.size()));
  const double d0 = (x0.array() / scale).matrix().norm() / n;
  const double d1 = (f0.array() / scale).matrix().norm() / n;
  // A velocity that is not finite at x0 (an overflowing product of deep
  // layers) makes d1 Inf or NaN, and 0.01·d0/d1 a step of 0 or NaN: the run
  // would then report "diverged at t = nan". The fallback 1e-6 is a finite
  // first step, after which the divergence check sees the non-finite state
  // and names that step and time.
  const bool usable = std::isfinite(d0) && std::isfinite(d1) && d0 >= 1e-5 && d1 >= 1e-5;
  double h0 = usable ? 0.01 * d0 / d1 : 1e-6;
  if (m.max_dt > 0.0) h0 = std::min(h0, m.max_dt);
  return std::min(h0, t_end);
}

}  // namespace gradflow::detail
