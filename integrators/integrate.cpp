#include "integrators/integrate.hpp"

#include "integrators/auto_switch.hpp"
#include "integrators/cvode_bdf.hpp"
#include "integrators/event_driven.hpp"
#include "integrators/exact_linear.hpp"
#include "integrators/odeint_runs.hpp"
#include "integrators/stochastic_gradient_descent.hpp"
#include "integrators/relu_windows.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace gradflow {

void check_method_fits(const Field& field, const MethodOptions& m) {
  const bool adaptive_only = m.method == Method::event_driven || m.method == Method::exact ||
                             m.method == Method::relu_windows || m.method == Method::bdf ||
                             m.method == Method::automatic;
  if (adaptive_only && !m.adaptive) {
    throw std::invalid_argument(
        fmt::format("{} has no fixed-step mode (drop \"adaptive\": false)", to_string(m.method)));
  }
  if (m.method == Method::event_driven && dynamic_cast<const SwitchedField*>(&field) == nullptr) {
    throw std::invalid_argument(fmt::format(
        "event_driven integrates fields with switching surfaces (e.g. the two-layer ReLU network); "
        "this flow ({}) has none: use dopri5", field.describe()));
  }
  if (m.method == Method::relu_windows && dynamic_cast<const ShallowReluField*>(&field) == nullptr) {
    throw std::invalid_argument(fmt::format(
        "relu_windows integrates one-hidden-layer ReLU networks (two_layer_relu, flow \"network\"); "
        "this flow ({}) is not one: use dopri5", field.describe()));
  }
  if (m.method == Method::exact && dynamic_cast<const LinearRelaxationField*>(&field) == nullptr) {
    throw std::invalid_argument(fmt::format(
        "exact solves linear flows dx/dt = -A(x - b) (e.g. a kernel flow); this flow ({}) is not "
        "one: use dopri5", field.describe()));
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
  const bool fixed = is_fixed_step(m.method) || !m.adaptive;
  if (fixed) {
    if (!(m.dt > 0.0)) {
      throw std::invalid_argument(
          fmt::format("fixed-step {} needs dt > 0, got {}", to_string(m.method), m.dt));
    }
  } else {
    if (!(m.rtol > 0.0)) throw std::invalid_argument(fmt::format("rtol must be > 0, got {}", m.rtol));
    if (!(m.atol > 0.0)) throw std::invalid_argument(fmt::format("atol must be > 0, got {}", m.atol));
    if (m.max_dt < 0.0) throw std::invalid_argument(fmt::format("max_dt must be >= 0, got {}", m.max_dt));
    if (m.initial_dt < 0.0) {
      throw std::invalid_argument(fmt::format("initial_dt must be >= 0, got {}", m.initial_dt));
    }
  }
}
}  // namespace

RunResult integrate(const Field& field, const Eigen::VectorXd& x0, const std::vector<double>& times,
                    const MethodOptions& method, const StopOptions& stop) {
  validate(field, x0, times, method, stop);
  if (method.method == Method::euler) return gradient_descent(field, x0, method.dt, times, stop);
  if (method.method == Method::sgd) {
    return stochastic_gradient_descent(field, x0, method.dt, times, method.sgd, stop);
  }
  if (method.method == Method::event_driven) {
    EventDrivenResult r =
        integrate_event_driven(dynamic_cast<const SwitchedField&>(field), x0, times, method, stop);
    r.run.stats.counters = {{"events", r.events.events},
                            {"crossings", r.events.crossings},
                            {"slides_started", r.events.slides_started},
                            {"slides_ended", r.events.slides_ended},
                            {"spurious_zeros_muted", r.events.spurious},
                            {"sliding_at_end", r.events.sliding_at_end}};
    return r.run;
  }
  if (method.method == Method::relu_windows) {
    ReluWindowsResult r =
        integrate_relu_windows(dynamic_cast<const ShallowReluField&>(field), x0, times, method, stop);
    const ReluWindowCounts& c = r.counts;
    r.run.stats.counters = {{"windows", c.windows},         {"windows_redone", c.window_retries},
                            {"sweeps", c.sweeps},           {"neuron_runs", c.neuron_runs},
                            {"max_active_neurons", c.max_active}, {"events", c.events},
                            {"crossings", c.crossings},     {"slides_started", c.slides_started},
                            {"slides_ended", c.slides_ended}, {"spurious_zeros_muted", c.spurious},
                            {"sliding_at_end", c.sliding_at_end}};
    return r.run;
  }
  if (method.method == Method::exact) {
    return integrate_exact_linear(dynamic_cast<const LinearRelaxationField&>(field), x0, times, stop);
  }
  if (method.method == Method::bdf) return detail::integrate_bdf(field, x0, 0.0, times, method, stop);
  if (method.method == Method::automatic) return detail::integrate_auto(field, x0, times, method, stop);
  if (method.method == Method::rk4 || !method.adaptive) {
    return detail::run_fixed_runge_kutta(field, x0, times, method, stop);
  }
  switch (method.method) {
    case Method::dopri5:
    case Method::bulirsch_stoer: return detail::run_dense_output(field, x0, times, method, stop);
    default: return detail::run_controlled(field, x0, times, method, stop);
  }
}

}  // namespace gradflow
