#pragma once
// How a run is integrated and when it stops: plain option structs shared by
// the spec reader and the integrators.

#include "core/sgd_options.hpp"

#include <limits>
#include <string>
#include <vector>

namespace gradflow {

// event_driven: dopri5 with event location for switched fields (core/switched_field.hpp);
// exact: the closed-form solution of a linear field (core/linear_relaxation_field.hpp);
// bdf: SUNDIALS CVODE's implicit BDF for stiff flows (integrators/cvode_bdf.hpp);
// automatic ("auto"): dopri5 until the step is stability-bound, then bdf;
// sgd: stochastic gradient descent (core/sgd_options.hpp);
// relu_windows: windows of exact neuron-wise integration for one-hidden-layer ReLU
// networks (core/shallow_relu_field.hpp), for widths with many switches.
enum class Method {
  dopri5,
  cash_karp54,
  fehlberg78,
  bulirsch_stoer,
  rk4,
  euler,
  event_driven,
  exact,
  bdf,
  automatic,
  sgd,
  relu_windows
};

// How bdf solves its Newton systems (I − γJ)δ = r, J the velocity's Jacobian:
// dense builds J from dim Jacobian-vector products and factorises it; krylov
// runs GMRES on Jacobian-vector products alone; automatic: see
// integrators/cvode_bdf.hpp.
enum class LinearSolver { automatic, dense, krylov };
const char* to_string(LinearSolver solver);
LinearSolver parse_linear_solver(const std::string& name);  // throws std::invalid_argument

const char* to_string(Method method);
// Throws std::invalid_argument listing the valid names.
Method parse_method(const std::string& name);
const std::vector<std::string>& method_names();
bool is_fixed_step(Method method);  // euler, rk4

struct MethodOptions {
  Method method = Method::dopri5;
  double rtol = 1e-8;
  double atol = 1e-10;
  double max_dt = 0.0;      // adaptive: largest step (0: unbounded)
  double initial_dt = 0.0;  // adaptive: first trial step (0: Hairer's heuristic)
  double dt = 0.0;          // fixed step (η for gradient descent)
  bool adaptive = true;     // false: run an RK method's base scheme at fixed dt
  LinearSolver linear_solver = LinearSolver::automatic;  // bdf and auto
  SgdOptions sgd;  // sgd: schedule, noise and seed (dt is the base step η)
};

struct StopOptions {
  double t_end = 1.0;
  double loss_below = -std::numeric_limits<double>::infinity();  // off by default
  double max_abs_state = 1e30;  // a state entry beyond this counts as divergence
  long max_steps = 10'000'000;  // step budget: a blow-up can never loop forever
};

}  // namespace gradflow
