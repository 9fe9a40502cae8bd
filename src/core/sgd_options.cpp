#include "core/sgd_options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gradflow {

namespace {
struct NamedSchedule {
  StepSchedule schedule;
  const char* name;
};
constexpr NamedSchedule kSchedules[] = {
    {StepSchedule::constant, "constant"},
    {StepSchedule::inverse_time, "inverse_time"},
    {StepSchedule::inverse_time_capped, "inverse_time_capped"},
};

// H_n = Σ_{j=1..n} 1/j: summed for n ≤ 1000, else ln n + γ + 1/(2n) − 1/(12n²)
// + 1/(120n⁴) (Euler–Maclaurin; the next term is below 1/(252n⁶) < 1e-20).
double harmonic(long n) {
  if (n <= 1000) {
    double h = 0.0;
    for (long j = n; j >= 1; --j) h += 1.0 / static_cast<double>(j);
    return h;
  }
  const double x = static_cast<double>(n);
  constexpr double gamma = 0.57721566490153286061;
  return std::log(x) + gamma + 1.0 / (2.0 * x) - 1.0 / (12.0 * x * x) +
         1.0 / (120.0 * x * x * x * x);
}
}  // namespace

const char* to_string(StepSchedule schedule) {
  for (const auto& s : kSchedules) {
    if (s.schedule == schedule) return s.name;
  }
  return "unknown";
}

const std::vector<std::string>& schedule_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& s : kSchedules) out.emplace_back(s.name);
    return out;
  }();
  return names;
}

StepSchedule parse_schedule(const std::string& name) {
  for (const auto& s : kSchedules) {
    if (name == s.name) return s.schedule;
  }
  throw std::invalid_argument(fmt::format("unknown step schedule '{}' (valid: {})", name,
                                          fmt::join(schedule_names(), ", ")));
}

double step_size(StepSchedule schedule, double eta, double beta, long k) {
  switch (schedule) {
    case StepSchedule::constant:
      return eta;
    case StepSchedule::inverse_time:
      return eta / static_cast<double>(k + 1);
    case StepSchedule::inverse_time_capped:
      return std::min(eta / static_cast<double>(k + 1), 1.0 / beta);
  }
  return eta;
}

double schedule_time(StepSchedule schedule, double eta, double beta, long steps) {
  switch (schedule) {
    case StepSchedule::constant:
      return static_cast<double>(steps) * eta;
    case StepSchedule::inverse_time:
      return eta * harmonic(steps);
    case StepSchedule::inverse_time_capped: {
      // η/(k+1) ≥ 1/β for the first ⌊ηβ⌋ steps: those take the cap.
      const double capped_steps = std::floor(eta * beta);
      if (static_cast<double>(steps) <= capped_steps) return static_cast<double>(steps) / beta;
      const long c = static_cast<long>(capped_steps);
      return capped_steps / beta + eta * (harmonic(steps) - harmonic(c));
    }
  }
  return 0.0;
}

}  // namespace gradflow
