#pragma once
// The integrators by name: every integrator is one function of the same
// signature, registered once in integrator_table.cpp with what it can
// integrate. integrate() (integrate.hpp) looks the method up, checks that it
// fits the field, and calls it; each integrator fills its own statistics,
// counters included.

#include "integrators/integrate.hpp"

#include <span>
#include <vector>

namespace gradflow {

// Integrates `field` from x0, recording at `times` (sorted, from 0 to
// stop.t_end). Arguments are validated by integrate() before the call.
using IntegratorFunction = RunResult (*)(const Field& field, const Eigen::VectorXd& x0,
                                         const std::vector<double>& times,
                                         const MethodOptions& method, const StopOptions& stop);

// How an integrator steps: adaptive methods control the local error (and, with
// fixed_step_mode, can also run their base scheme at a fixed dt); fixed-step
// methods always take steps of exactly dt.
enum class Stepping { adaptive, fixed };

struct IntegratorEntry {
  Method method;
  IntegratorFunction run;
  Stepping stepping;
  bool fixed_step_mode;  // accepts "adaptive": false (an RK method's base scheme at dt)
  // The fields it can integrate: null for any field; otherwise a test, and
  // what it does, said when it refuses a field (e.g. "integrates fields with
  // switching surfaces").
  bool (*fits)(const Field& field);
  const char* needs;
};

std::span<const IntegratorEntry> integrator_table();
// Every Method has an entry (checked by the contract tests).
const IntegratorEntry& integrator_entry(Method method);

}  // namespace gradflow
