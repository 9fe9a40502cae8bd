#include "integrators/integrator_table.hpp"

#include "integrators/auto_switch.hpp"
#include "integrators/cvode_bdf.hpp"
#include "integrators/event_driven.hpp"
#include "integrators/exact_linear.hpp"
#include "integrators/odeint_runs.hpp"
#include "integrators/relu_windows.hpp"
#include "integrators/stability_watch.hpp"
#include "integrators/stochastic_gradient_descent.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

namespace {
using enum Stepping;
// A constant table: looking a method up allocates nothing.
constexpr IntegratorEntry kTable[] = {
    // method                  function                     stepping  fixed-step mode, fits, needs
    {Method::dopri5, detail::run_runge_kutta_watched, adaptive, true, nullptr, ""},
    {Method::cash_karp54, detail::run_runge_kutta, adaptive, true, nullptr, ""},
    {Method::fehlberg78, detail::run_runge_kutta, adaptive, true, nullptr, ""},
    {Method::bulirsch_stoer, detail::run_runge_kutta, adaptive, false, nullptr, ""},
    {Method::rk4, detail::run_runge_kutta, fixed, true, nullptr, ""},
    {Method::euler, run_gradient_descent, fixed, true, nullptr, ""},
    {Method::sgd, run_stochastic_gradient_descent, fixed, true, nullptr, ""},
    {Method::bdf, detail::run_bdf, adaptive, false, nullptr, ""},
    {Method::automatic, detail::integrate_auto, adaptive, false, nullptr, ""},
    {Method::exact, run_exact_linear, adaptive, false, is_linear_relaxation_field,
     "solves linear flows dx/dt = -A(x - b) (e.g. a kernel flow)"},
    {Method::event_driven, run_event_driven, adaptive, false, is_switched_field,
     "integrates fields with switching surfaces (e.g. the two-layer ReLU network)"},
    {Method::relu_windows, run_relu_windows, adaptive, false, is_shallow_relu_field,
     "integrates one-hidden-layer ReLU networks (two_layer_relu, flow \"network\")"},
};
}  // namespace

std::span<const IntegratorEntry> integrator_table() { return kTable; }

const IntegratorEntry& integrator_entry(Method method) {
  for (const IntegratorEntry& e : integrator_table()) {
    if (e.method == method) return e;
  }
  throw std::logic_error(
      fmt::format("integrator '{}' is not registered in integrator_table.cpp", to_string(method)));
}

}  // namespace gradflow
