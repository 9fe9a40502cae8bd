#include "core/run_options.hpp"

#include "core/trajectory.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace gradflow {

namespace {
struct NamedMethod {
  Method method;
  const char* name;
};
constexpr NamedMethod kMethods[] = {
    {Method::dopri5, "dopri5"},
    {Method::cash_karp54, "cash_karp54"},
    {Method::fehlberg78, "fehlberg78"},
    {Method::bulirsch_stoer, "bulirsch_stoer"},
    {Method::rk4, "rk4"},
    {Method::euler, "euler"},
    {Method::event_driven, "event_driven"},
    {Method::exact, "exact"},
    {Method::bdf, "bdf"},
    {Method::automatic, "auto"},
    {Method::sgd, "sgd"},
    {Method::relu_windows, "relu_windows"},
};
}  // namespace

const char* to_string(Method method) {
  for (const auto& m : kMethods) {
    if (m.method == method) return m.name;
  }
  return "unknown";
}

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& m : kMethods) out.emplace_back(m.name);
    return out;
  }();
  return names;
}

Method parse_method(const std::string& name) {
  for (const auto& m : kMethods) {
    if (name == m.name) return m.method;
  }
  throw std::invalid_argument(
      fmt::format("unknown integrator '{}' (valid: {})", name, fmt::join(method_names(), ", ")));
}

const char* to_string(LinearSolver solver) {
  switch (solver) {
    case LinearSolver::automatic:
      return "auto";
    case LinearSolver::dense:
      return "dense";
    case LinearSolver::krylov:
      return "krylov";
  }
  return "unknown";
}

LinearSolver parse_linear_solver(const std::string& name) {
  if (name == "auto") return LinearSolver::automatic;
  if (name == "dense") return LinearSolver::dense;
  if (name == "krylov") return LinearSolver::krylov;
  throw std::invalid_argument(
      fmt::format("unknown linear solver '{}' (valid: auto, dense, krylov)", name));
}

bool is_fixed_step(Method method) { return method == Method::euler || method == Method::rk4; }

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::completed:
      return "completed";
    case RunStatus::loss_below:
      return "loss_below";
    case RunStatus::diverged:
      return "diverged";
    case RunStatus::step_budget:
      return "step_budget";
    case RunStatus::step_size_underflow:
      return "step_size_underflow";
    case RunStatus::interrupted:
      return "interrupted";
  }
  return "unknown";
}

}  // namespace gradflow
