#include "integrators/cvode_bdf.hpp"

#include "integrators/cvode_eigen_solver.hpp"
#include "integrators/cvode_fast_vector.hpp"
#include "integrators/stop_monitor.hpp"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace gradflow::detail {

LinearSolver resolved_linear_solver(LinearSolver requested, Eigen::Index /*dim*/) {
  if (requested != LinearSolver::automatic) return requested;
  return LinearSolver::krylov;
}

namespace {

// CVODE controls the local error of each step; the flows here carry that error
// on along directions they do not contract (a linear net's balancedness
// W_{j+1}ᵀW_{j+1} − W_jW_jᵀ is conserved, so an error in it never decays), and
// over ~10³ steps the global error reached 20× the local tolerance on stiff
// linear networks (likewise scipy's BDF). CVODE is therefore asked for
// rtol·kLocalToleranceShare and atol·kLocalToleranceShare, which kept the
// global error within 4.3× rtol on those cases (tests/test_bdf_accuracy.cpp)
// for ~25% more steps (the step count grows like tol^(−1/(q+1))).
constexpr double kLocalToleranceShare = 0.2;

// GMRES's Krylov dimension before a restart: gradient flows' Newton matrices
// I + γ∇²L are symmetric positive definite, so GMRES converges like CG, in
// O(√cond) iterations; CVODE's default of 5 restarts too often once γλ_max is
// large.
constexpr int kKrylovDimension = 30;

using EigenMap = Eigen::Map<Eigen::VectorXd>;

// What the C callbacks see: the field, scratch vectors (allocated once) and
// the counts CVODE does not keep itself.
struct Problem {
  const Field& field;
  Eigen::VectorXd x, v, out;
  Eigen::MatrixXd jacobian;  // dense linear solver only
  long evaluations = 0;
  long jacobians = 0;
  long jacobian_vector_products = 0;
  std::string last_error;

  explicit Problem(const Field& f) : field(f), x(f.dim()), v(f.dim()), out(f.dim()) {}
  void load(N_Vector from, Eigen::VectorXd& to) const {
    to = EigenMap(N_VGetArrayPointer(from), to.size());
  }
};

Problem& problem_of(void* user) { return *static_cast<Problem*>(user); }

int velocity(sunrealtype t, N_Vector y, N_Vector ydot, void* user) {
  Problem& p = problem_of(user);
  p.load(y, p.x);
  p.field.velocity(p.x, t, p.out);
  ++p.evaluations;
  // Recoverable (> 0): CVODE retries with a smaller step.
  if (!p.out.allFinite()) return 1;
  EigenMap(N_VGetArrayPointer(ydot), p.out.size()) = p.out;
  return 0;
}

// J column by column, J e_j, into p.jacobian.
bool assemble_jacobian(Problem& p, sunrealtype t, N_Vector y) {
  p.load(y, p.x);
  const Eigen::Index n = p.x.size();
  p.v.setZero();
  for (Eigen::Index j = 0; j < n; ++j) {
    p.v[j] = 1.0;
    p.field.velocity_jacobian_vector(p.x, t, p.v, p.out);
    p.v[j] = 0.0;
    if (!p.out.allFinite()) return false;
    p.jacobian.col(j) = p.out;
  }
  p.jacobian_vector_products += n;
  ++p.jacobians;
  return true;
}

// CVODE's Newton matrix A = I − γJ, with J rebuilt whenever CVODE asks (jok
// false), which attach_linear_solver makes every step. Forming A here,
// vectorised, replaces CVODE's own copy-and-scale of a saved Jacobian (two
// unvectorised passes).
int newton_matrix(sunrealtype t, N_Vector y, N_Vector /*fy*/, SUNMatrix A, booleantype jok,
                  booleantype* jcur, sunrealtype gamma, void* user, N_Vector, N_Vector, N_Vector) {
  Problem& p = problem_of(user);
  *jcur = jok ? SUNFALSE : SUNTRUE;
  if (!jok && !assemble_jacobian(p, t, y)) return 1;  // recoverable: a smaller step
  const Eigen::Index n = p.jacobian.rows();
  Eigen::Map<Eigen::MatrixXd> a(SUNDenseMatrix_Data(A), n, n);
  a.noalias() = -gamma * p.jacobian;
  a.diagonal().array() += 1.0;
  return 0;
}

int jacobian_times(N_Vector v, N_Vector Jv, sunrealtype t, N_Vector y, N_Vector /*fy*/, void* user,
                   N_Vector /*tmp*/) {
  Problem& p = problem_of(user);
  p.load(y, p.x);
  p.load(v, p.v);
  p.field.velocity_jacobian_vector(p.x, t, p.v, p.out);
  ++p.jacobian_vector_products;
  if (!p.out.allFinite()) return 1;
  EigenMap(N_VGetArrayPointer(Jv), p.out.size()) = p.out;
  return 0;
}

void keep_error(int /*code*/, const char* /*module*/, const char* function, char* message,
                void* user) {
  problem_of(user).last_error = fmt::format("{}: {}", function, message);
}

// Owners of the SUNDIALS objects, freed in reverse order of creation.
struct Sundials {
  SUNContext context = nullptr;
  N_Vector y = nullptr;
  N_Vector interpolated = nullptr;
  SUNMatrix matrix = nullptr;
  SUNLinearSolver solver = nullptr;
  void* cvode = nullptr;

  Sundials() {
    if (SUNContext_Create(nullptr, &context) != 0)
      throw std::runtime_error("SUNContext_Create failed");
  }
  Sundials(const Sundials&) = delete;
  Sundials& operator=(const Sundials&) = delete;
  ~Sundials() {
    if (cvode != nullptr) CVodeFree(&cvode);
    if (solver != nullptr) SUNLinSolFree(solver);
    if (matrix != nullptr) SUNMatDestroy(matrix);
    if (interpolated != nullptr) N_VDestroy(interpolated);
    if (y != nullptr) N_VDestroy(y);
    if (context != nullptr) SUNContext_Free(&context);
  }
};

// Setup calls fail only on programming errors (bad arguments), never on data.
void check(int flag, const char* call) {
  if (flag < 0) {
    throw std::logic_error(
        fmt::format("CVODE setup call {} failed: {}", call, CVodeGetReturnFlagName(flag)));
  }
}

template <class Getter>
long cvode_count(void* cvode, Getter getter) {
  long value = 0;
  getter(cvode, &value);
  return value;
}

void attach_linear_solver(Sundials& s, LinearSolver solver, const Field& field) {
  if (solver == LinearSolver::dense) {
    const sunindextype n = N_VGetLength(s.y);
    s.matrix = SUNDenseMatrix(n, n, s.context);
    s.solver = make_eigen_dense_solver(n, field.is_gradient_flow(), s.context);
    check(CVodeSetLinearSolver(s.cvode, s.solver, s.matrix), "CVodeSetLinearSolver");
    check(CVodeSetLinSysFn(s.cvode, newton_matrix), "CVodeSetLinSysFn");
    // A new Newton matrix at every step, from the Jacobian at that step's
    // predicted state. CVODE's defaults (Newton matrix kept up to 20 steps,
    // J up to 51) assume a slowly changing J; a gradient flow's stiff Hessian
    // directions turn as the weights move, and a turn by θ changes J by
    // λ_max·θ between stiff and non-stiff directions, so modified Newton's
    // contraction factor is ≈ γλ_max·θ with γλ_max in the hundreds: measured
    // > 1 after a few steps on a stiff linear net, i.e. Newton diverging, 49
    // convergence failures and a global error of 80× rtol at rtol 1e-8. The
    // price is dim Jacobian-vector products a step: `dense` suits small states.
    check(CVodeSetLSetupFrequency(s.cvode, 1), "CVodeSetLSetupFrequency");
    check(CVodeSetJacEvalFrequency(s.cvode, 1), "CVodeSetJacEvalFrequency");
    return;
  }
  s.solver = SUNLinSol_SPGMR(s.y, SUN_PREC_NONE, kKrylovDimension, s.context);
  check(CVodeSetLinearSolver(s.cvode, s.solver, nullptr), "CVodeSetLinearSolver");
  check(CVodeSetJacTimes(s.cvode, nullptr, jacobian_times), "CVodeSetJacTimes");
}

void fill_statistics(const Sundials& s, const Problem& p, LinearSolver solver, RunStats& stats) {
  void* cvode = s.cvode;
  const long error_test_failures = cvode_count(cvode, CVodeGetNumErrTestFails);
  const long convergence_failures = cvode_count(cvode, CVodeGetNumNonlinSolvConvFails);
  stats.field_evaluations = p.evaluations;
  stats.rejected_steps = error_test_failures + convergence_failures;
  stats.counters = {
      {"jacobian_vector_products", p.jacobian_vector_products},
      {"jacobians", p.jacobians},
      {"linear_solver_setups", cvode_count(cvode, CVodeGetNumLinSolvSetups)},
      {"newton_iterations", cvode_count(cvode, CVodeGetNumNonlinSolvIters)},
      {"error_test_failures", error_test_failures},
      {"newton_convergence_failures", convergence_failures},
  };
  if (solver == LinearSolver::krylov) {
    stats.counters.emplace_back("krylov_iterations", cvode_count(cvode, CVodeGetNumLinIters));
  } else {
    const EigenSolverCounts counts = eigen_solver_counts(s.solver);
    stats.counters.emplace_back("factorisations", counts.factorisations);
    stats.counters.emplace_back("lu_fallbacks", counts.lu_fallbacks);
  }
  int order = 0;
  CVodeGetLastOrder(cvode, &order);
  stats.counters.emplace_back("last_order", order);
}

}  // namespace

RunResult integrate_bdf(const Field& field, const Eigen::VectorXd& x0, double t0,
                        const std::vector<double>& times, const MethodOptions& method,
                        const StopOptions& stop, long first_step) {
  const auto start = std::chrono::steady_clock::now();
  const Eigen::Index n = field.dim();
  const LinearSolver solver = resolved_linear_solver(method.linear_solver, n);
  Problem p(field);
  if (solver == LinearSolver::dense) p.jacobian.resize(n, n);
  Sundials s;
  s.y = make_fast_serial_vector(n, s.context);
  s.interpolated = N_VClone(s.y);
  EigenMap(N_VGetArrayPointer(s.y), n) = x0;
  s.cvode = CVodeCreate(CV_BDF, s.context);
  if (s.cvode == nullptr) throw std::runtime_error("CVodeCreate failed");
  check(CVodeInit(s.cvode, velocity, t0, s.y), "CVodeInit");
  check(CVodeSetUserData(s.cvode, &p), "CVodeSetUserData");
  check(CVodeSetErrHandlerFn(s.cvode, keep_error, &p), "CVodeSetErrHandlerFn");
  check(CVodeSStolerances(s.cvode, kLocalToleranceShare * method.rtol,
                          kLocalToleranceShare * method.atol),
        "CVodeSStolerances");
  check(CVodeSetStopTime(s.cvode, stop.t_end), "CVodeSetStopTime");
  if (method.max_dt > 0.0) check(CVodeSetMaxStep(s.cvode, method.max_dt), "CVodeSetMaxStep");
  if (method.initial_dt > 0.0)
    check(CVodeSetInitStep(s.cvode, method.initial_dt), "CVodeSetInitStep");
  attach_linear_solver(s, solver, field);

  RunResult result;
  RunStats& stats = result.stats;
  const StopMonitor monitor(field, stop);
  Eigen::VectorXd x = x0;
  std::size_t next = 0;
  if (!times.empty() && times.front() == t0) {
    result.trajectory.record(t0, first_step, x0);
    next = 1;
  }
  // Records the requested times before t (and t itself if `inclusive`) from
  // the interpolant of the last step.
  auto record_before = [&](double t, bool inclusive, long step) {
    while (next < times.size() && (times[next] < t || (inclusive && times[next] == t))) {
      CVodeGetDky(s.cvode, times[next], 0, s.interpolated);
      p.load(s.interpolated, x);
      result.trajectory.record(times[next++], step, x);
    }
  };
  double t = t0;
  long step = 0;
  while (next < times.size()) {
    if (monitor.out_of_budget(first_step + step, t, stats)) break;
    const int flag = CVode(s.cvode, stop.t_end, s.y, &t, CV_ONE_STEP);
    if (flag < 0) {
      stats.status = RunStatus::step_size_underflow;
      stats.message = fmt::format("bdf (CVODE) failed at step {} (t = {:.6g}): {}: {}",
                                  first_step + step, t, CVodeGetReturnFlagName(flag), p.last_error);
      break;
    }
    ++step;
    p.load(s.y, x);
    if (monitor.should_stop(x, t, first_step + step, stats)) {
      const Eigen::VectorXd at_stop = x;
      record_before(t, false, first_step + step);
      result.trajectory.record(t, first_step + step, at_stop);
      break;
    }
    record_before(t, true, first_step + step);
  }
  fill_statistics(s, p, solver, stats);
  stats.note = fmt::format("bdf: {} linear solver, Jacobian-vector products {}", to_string(solver),
                           field.velocity_jacobian_method());
  stats.steps = step;
  stats.stop_time = t;
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

RunResult run_bdf(const Field& field, const Eigen::VectorXd& x0, const std::vector<double>& times,
                  const MethodOptions& method, const StopOptions& stop) {
  return integrate_bdf(field, x0, 0.0, times, method, stop);
}

}  // namespace gradflow::detail
