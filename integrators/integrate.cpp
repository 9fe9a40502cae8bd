#include "integrators/integrate.hpp"

#include "integrators/integrator_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace gradflow {

void check_method_fits(const Field& field, const MethodOptions& m) {
  const IntegratorEntry& entry = integrator_entry(m.method);
  if (!m.adaptive && !entry.fixed_step_mode) {
    throw std::invalid_argument(
        fmt::format("{} has no fixed-step mode (drop \"adaptive\": false)", to_string(m.method)));
  }
  if (entry.fits != nullptr && !entry.fits(field)) {
    throw std::invalid_argument(fmt::format("{} {}; this flow ({}) is not one: use dopri5",
                                            to_string(m.method), entry.needs, field.describe()));
  }
}

namespace {
void validate(const Field& field, const Eigen::VectorXd& x0, const std::vector<double>& times,
              const MethodOptions& m, const StopOptions& stop) {
  if (x0.size() != field.dim()) {
    throw std::invalid_argument(fmt::format(
        "the initial state has {} entries but the model's state has {} (the two should be equal)",
        x0.size(), field.dim()));
  }
  if (!x0.allFinite()) throw std::invalid_argument("the initial state contains NaN or Inf");
  if (!(stop.t_end > 0.0) || !std::isfinite(stop.t_end)) {
    throw std::invalid_argument(fmt::format("t_end must be > 0, got {}", stop.t_end));
  }
  if (times.empty() || times.front() != 0.0 || times.back() != stop.t_end ||
      !std::is_sorted(times.begin(), times.end())) {
    throw std::invalid_argument("sample times must be sorted, start at 0 and end at t_end");
  }
  if (stop.max_steps <= 0) {
    throw std::invalid_argument(fmt::format("max_steps must be > 0, got {}", stop.max_steps));
  }
  check_method_fits(field, m);
  const bool fixed = integrator_entry(m.method).stepping == Stepping::fixed || !m.adaptive;
  if (fixed) {
    if (!(m.dt > 0.0)) {
      throw std::invalid_argument(
          fmt::format("fixed-step {} needs dt > 0, got {}", to_string(m.method), m.dt));
    }
  } else {
    if (!(m.rtol > 0.0))
      throw std::invalid_argument(fmt::format("rtol must be > 0, got {}", m.rtol));
    if (!(m.atol > 0.0))
      throw std::invalid_argument(fmt::format("atol must be > 0, got {}", m.atol));
    if (m.max_dt < 0.0)
      throw std::invalid_argument(fmt::format("max_dt must be >= 0, got {}", m.max_dt));
    if (m.initial_dt < 0.0) {
      throw std::invalid_argument(fmt::format("initial_dt must be >= 0, got {}", m.initial_dt));
    }
  }
}
}  // namespace

RunResult integrate(const Field& field, const Eigen::VectorXd& x0, const std::vector<double>& times,
                    const MethodOptions& method, const StopOptions& stop) {
  validate(field, x0, times, method, stop);
  return integrator_entry(method.method).run(field, x0, times, method, stop);
}

}  // namespace gradflow
