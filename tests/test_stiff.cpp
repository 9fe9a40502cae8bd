// The stiff integrator (CVODE BDF) and the automatic explicit→implicit switch
// against oracles that share none of their code: dopri5 at a tight
// tolerance, the closed-form solution of a linear flow, and dopri5 itself for
// an `auto` run that never switches.

#include "cli_support.hpp"
#include "support.hpp"

#include "cli/experiment.hpp"
#include "integrators/integrate.hpp"
#include "io/spec.hpp"
#include "models/end_to_end_flow.hpp"
#include "models/kernel_flow.hpp"
#include "models/linear_network.hpp"
#include "models/regression_losses.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>

using namespace gradflow;
using gradflow::testing::relative_error;

namespace {

long counter(const RunStats& s, const std::string& name) {
  for (const auto& [n, v] : s.counters) {
    if (n == name) return v;
  }
  FAIL("no counter " << name);
  return 0;
}

double value(const RunStats& s, const std::string& name) {
  for (const auto& [n, v] : s.values) {
    if (n == name) return v;
  }
  FAIL("no value " << name);
  return 0.0;
}

MethodOptions bdf(double rtol, double atol, LinearSolver solver = LinearSolver::automatic) {
  return {.method = Method::bdf, .rtol = rtol, .atol = atol, .linear_solver = solver};
}

// The shipped stiff example: depth-3, width-10 linear network, input
// coordinate 0 scaled by 100 (the Hessian's spectrum spans > 10⁴), T = 20.
const PreparedExperiment& stiff_example() {
  static const PreparedExperiment prepared = prepare_experiment(
      read_spec_file(gradflow::testing::source_dir() / "data" / "stiff_linear.json").front());
  return prepared;
}

// A symmetric positive definite H with eigenvalues spread log-uniformly over
// [λ_min, λ_max]: the linear flow u̇ = −H(u − y) is stiff when λ_max/λ_min is large.
Eigen::MatrixXd spread_spd(Eigen::Index n, double lambda_min, double lambda_max,
                           std::uint64_t seed) {
  Rng rng(seed);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(rng.normal_matrix(n, n));
  const Eigen::MatrixXd Q = qr.householderQ();
  Eigen::VectorXd lambda(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double s = static_cast<double>(i) / static_cast<double>(n - 1);
    lambda[i] = lambda_min * std::pow(lambda_max / lambda_min, s);
  }
  Eigen::MatrixXd H = Q * lambda.asDiagonal() * Q.transpose();
  return 0.5 * (H + H.transpose());
}

}  // namespace

TEST_CASE("bdf matches a tight dopri5 reference on the stiff example, krylov with < 1% of its work",
          "[stiff]") {
  const PreparedExperiment& p = stiff_example();
  const Field& field = *p.targets.front().field;
  const Eigen::VectorXd& x0 = *p.targets.front().x0;
  const double T = p.spec.t_end;
  const std::vector<double> times{0.0, 5.0, T};
  const StopOptions stop{.t_end = T};
  // dopri5 is stability-bound here (h·λ_max ≈ 3.3), so at rtol 1e-10 its
  // error is far below the tolerance; it is the independent yardstick.
  const RunResult reference =
      integrate(field, x0, times, {.method = Method::dopri5, .rtol = 1e-10, .atol = 1e-12}, stop);
  REQUIRE(reference.stats.status == RunStatus::completed);

  for (const LinearSolver solver : {LinearSolver::dense, LinearSolver::krylov}) {
    INFO("linear solver " << to_string(solver));
    const RunResult run = integrate(field, x0, times, bdf(1e-10, 1e-12, solver), stop);
    REQUIRE(run.stats.status == RunStatus::completed);
    REQUIRE(run.trajectory.times == reference.trajectory.times);
    // A BDF run's global error is a modest multiple of its local tolerance
    // (measured: 3e-10 relative at rtol 1e-10); 100× rtol bounds it.
    for (std::size_t k = 1; k < times.size(); ++k) {
      CHECK(relative_error(run.trajectory.states[k], reference.trajectory.states[k]) < 1e-8);
    }
    // Every Jacobian-vector product counted as a field evaluation, too.
    const long work = run.stats.field_evaluations + counter(run.stats, "jacobian_vector_products");
    const double dopri5_work = static_cast<double>(reference.stats.field_evaluations);
    if (solver == LinearSolver::krylov) {
      CHECK(static_cast<double>(work) < 0.01 * dopri5_work);
    } else {
      // dense rebuilds J at every step (cvode_bdf.cpp): dim = 210 products a
      // step on top of ~1.3 evaluations, measured 5.3% of dopri5's work.
      CHECK(counter(run.stats, "jacobians") >= run.stats.steps);
      CHECK(static_cast<double>(work) < 0.1 * dopri5_work);
    }
  }
}

TEST_CASE("bdf follows the closed-form solution of a stiff linear flow", "[stiff]") {
  const Eigen::Index n = 40;
  Rng rng(11);
  // λ from 1e-1 to 1e4: dopri5 would need h ≲ 3.3e-4 all the way to t = 20.
  const KernelFlow flow(spread_spd(n, 1e-1, 1e4, 3), rng.normal_matrix(n, 1).col(0),
                        "stiff quadratic");
  const Eigen::VectorXd u0 = rng.normal_matrix(n, 1).col(0);
  const std::vector<double> times{0.0, 1e-3, 0.1, 1.0, 20.0};
  const StopOptions stop{.t_end = 20.0};
  const RunResult exact = integrate(flow, u0, times, {.method = Method::exact}, stop);
  for (const LinearSolver solver : {LinearSolver::dense, LinearSolver::krylov}) {
    INFO("linear solver " << to_string(solver));
    const RunResult run = integrate(flow, u0, times, bdf(1e-10, 1e-12, solver), stop);
    REQUIRE(run.stats.status == RunStatus::completed);
    for (std::size_t k = 1; k < times.size(); ++k) {
      INFO("t = " << times[k]);
      // Absolute: u − y decays to ~1e-1 of its start and the atol is 1e-12.
      CHECK((run.trajectory.states[k] - exact.trajectory.states[k]).norm() < 1e-8 * u0.norm());
    }
    // dopri5 would need ≥ 20·10⁴/3.3 ≈ 60 000 steps. Measured 1.5 k when CVODE
    // was given rtol itself, 2.1 k with the local share rtol/5 (cvode_bdf.cpp).
    CHECK(run.stats.steps < 2500);
  }
}

TEST_CASE("bdf on a field that is not a gradient flow uses differences of the velocity",
          "[stiff]") {
  // The end-to-end flow's velocity is not −∇ of its loss; its Jacobian comes
  // from central differences of the velocity, and bdf still converges to the
  // same solution as dopri5.
  const Dataset data = gradflow::testing::random_dataset(4, 3, 50, 5);
  const EndToEndFlow flow(std::make_shared<SquareLoss>(data), 3);
  Rng rng(6);
  const Eigen::VectorXd w0 = rng.normal_matrix(flow.dim(), 1).col(0);
  REQUIRE_FALSE(flow.is_gradient_flow());
  REQUIRE_FALSE(flow.has_analytic_velocity_jacobian());
  const std::vector<double> times{0.0, 1.0, 4.0};
  const StopOptions stop{.t_end = 4.0};
  const RunResult reference =
      integrate(flow, w0, times, {.method = Method::dopri5, .rtol = 1e-12, .atol = 1e-14}, stop);
  for (const LinearSolver solver : {LinearSolver::dense, LinearSolver::krylov}) {
    INFO("linear solver " << to_string(solver));
    const RunResult run = integrate(flow, w0, times, bdf(1e-10, 1e-12, solver), stop);
    REQUIRE(run.stats.status == RunStatus::completed);
    CHECK(run.stats.note.find("central finite differences of the velocity") != std::string::npos);
    for (std::size_t k = 1; k < times.size(); ++k) {
      CHECK(relative_error(run.trajectory.states[k], reference.trajectory.states[k]) < 1e-8);
    }
  }
}

TEST_CASE("auto switches to bdf on the stiff example and says when", "[stiff]") {
  const PreparedExperiment& p = stiff_example();
  const Field& field = *p.targets.front().field;
  const Eigen::VectorXd& x0 = *p.targets.front().x0;
  const double T = p.spec.t_end;
  const std::vector<double> times = p.times;
  const StopOptions stop{.t_end = T};
  const RunResult run = integrate(
      field, x0, times, {.method = Method::automatic, .rtol = 1e-10, .atol = 1e-12}, stop);
  REQUIRE(run.stats.status == RunStatus::completed);
  REQUIRE(run.trajectory.times == times);
  const double switch_time = value(run.stats, "switch_time");
  CHECK(switch_time > 0.0);
  CHECK(switch_time < T);
  CHECK(counter(run.stats, "switch_step") > 0);
  CHECK(value(run.stats, "switch_h_rho") > 0.7 * 3.3);
  CHECK(run.stats.note.find("then bdf") != std::string::npos);
  // Steps are numbered on through the switch.
  CHECK(std::is_sorted(run.trajectory.steps.begin(), run.trajectory.steps.end()));

  const RunResult reference =
      integrate(field, x0, {0.0, T}, {.method = Method::bdf, .rtol = 1e-12, .atol = 1e-14}, stop);
  CHECK(relative_error(run.trajectory.states.back(), reference.trajectory.states.back()) < 1e-8);
  // The explicit part ended where dopri5 became stability-bound, long before T.
  CHECK(counter(run.stats, "explicit_field_evaluations") < 100'000);
}

TEST_CASE("auto that never becomes stiff is dopri5, bit for bit", "[stiff]") {
  // A depth-2 net on whitened data over a short horizon: accuracy, not
  // stability, bounds dopri5's step throughout.
  const Eigen::MatrixXd M = Eigen::MatrixXd::Identity(3, 3) * 2.0;
  const LinearNetwork net(gradflow::testing::whitened_dataset(M, 30, 2), {.widths = {3, 3, 3}});
  Rng rng(4);
  const Eigen::VectorXd x0 = net.init_gaussian(0.3, rng);
  const std::vector<double> times{0.0, 0.5, 1.0};
  const StopOptions stop{.t_end = 1.0};
  const RunResult a =
      integrate(net, x0, times, {.method = Method::automatic, .rtol = 1e-8, .atol = 1e-10}, stop);
  const RunResult b =
      integrate(net, x0, times, {.method = Method::dopri5, .rtol = 1e-8, .atol = 1e-10}, stop);
  REQUIRE(a.stats.values.empty());
  CHECK(a.stats.note.find("dopri5 throughout") != std::string::npos);
  CHECK(a.stats.steps == b.stats.steps);
  CHECK(a.stats.field_evaluations == b.stats.field_evaluations);
  for (std::size_t k = 0; k < times.size(); ++k)
    CHECK(a.trajectory.states[k] == b.trajectory.states[k]);
}

TEST_CASE("bdf honours the stop conditions", "[stiff]") {
  const Eigen::Index n = 10;
  Rng rng(12);
  const Eigen::VectorXd y = rng.normal_matrix(n, 1).col(0);
  const KernelFlow flow(spread_spd(n, 1.0, 1e3, 8), y, "quadratic");
  const Eigen::VectorXd u0 = y + rng.normal_matrix(n, 1).col(0);
  const std::vector<double> times{0.0, 10.0};
  SECTION("loss threshold") {
    // The loss is ½‖u − y‖², which decays at least like e^{−2t}.
    const RunResult run =
        integrate(flow, u0, times, bdf(1e-8, 1e-10), {.t_end = 10.0, .loss_below = 1e-6});
    CHECK(run.stats.status == RunStatus::loss_below);
    CHECK(flow.loss(run.trajectory.states.back()) < 1e-6);
    CHECK(run.stats.stop_time < 10.0);
  }
  SECTION("step budget") {
    const RunResult run =
        integrate(flow, u0, times, bdf(1e-8, 1e-10), {.t_end = 10.0, .max_steps = 5});
    CHECK(run.stats.status == RunStatus::step_budget);
    CHECK(run.stats.steps == 5);
  }
}

TEST_CASE(
    "the velocity Jacobian-vector product of every kind of field matches differences of the "
    "velocity",
    "[stiff]") {
  const Dataset data = gradflow::testing::random_dataset(4, 2, 30, 9);
  const LinearNetwork net(data, {.widths = {4, 3, 2}});
  const EndToEndFlow e2e(std::make_shared<SquareLoss>(data), 2);
  const KernelFlow kernel(spread_spd(5, 0.5, 5.0, 2), Eigen::VectorXd::Ones(5), "kernel");
  Rng rng(10);
  for (const Field* field : std::vector<const Field*>{&net, &e2e, &kernel}) {
    INFO(field->describe());
    const Eigen::VectorXd x = rng.normal_matrix(field->dim(), 1).col(0);
    const Eigen::VectorXd v = rng.normal_matrix(field->dim(), 1).col(0);
    Eigen::VectorXd jv(field->dim()), fp(field->dim()), fm(field->dim());
    field->velocity_jacobian_vector(x, 0.0, v, jv);
    // Central difference with h = 1e-5: truncation O(h²‖∂³v‖) ≈ 1e-10,
    // round-off O(ε‖v‖/h) ≈ 1e-11, relative to ‖Jv‖ = O(1).
    const double h = 1e-5;
    field->velocity(x + h * v, 0.0, fp);
    field->velocity(x - h * v, 0.0, fm);
    CHECK(relative_error(jv, (fp - fm) / (2.0 * h)) < 1e-6);
  }
}

namespace {

namespace fs = std::filesystem;
using gradflow::testing::gradflow_cli;

const char* kSmallSpec = R"({
  "data": {"kind": "sine", "samples": 20, "inputs": 3},
  "model": {"kind": "linear_network", "hidden": [2]},
  "init": {"kind": "gaussian", "std": 0.5},
  "t_end": 1.0,
  "runs": [RUNS]
})";

gradflow::testing::CliResult run_small(const std::string& scope, const std::string& runs) {
  const fs::path dir = gradflow::testing::fresh_temp_dir("stiff", scope);
  std::string spec = kSmallSpec;
  spec.replace(spec.find("RUNS"), 4, runs);
  gradflow::testing::write_file(dir / "spec.json", spec);
  gradflow::testing::CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  if (r.code != 0) CHECK_FALSE(fs::exists(dir / "out"));
  return r;
}

}  // namespace

TEST_CASE("the shipped stiff example: bdf and auto agree, and meta.json says when auto switched",
          "[stiff]") {
  const fs::path dir = gradflow::testing::fresh_temp_dir("stiff", "example");
  const auto r = gradflow_cli(
      {"run", (gradflow::testing::source_dir() / "data" / "stiff_linear.json").string(), "--out",
       dir.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("auto: dopri5 until t ="));
  std::ifstream in(dir / "stiff_linear" / "meta.json");
  const auto meta = nlohmann::json::parse(in);
  const auto& bdf_run = meta["runs"][0];
  const auto& auto_run = meta["runs"][1];
  CHECK(bdf_run["status"] == "completed");
  CHECK(auto_run["status"] == "completed");
  CHECK(bdf_run["counters"]["jacobian_vector_products"].get<long>() > 0);
  CHECK(auto_run["values"]["switch_time"].get<double>() > 0.0);
  CHECK(auto_run["values"]["switch_time"].get<double>() < 20.0);
  // Both at rtol 1e-8 on a state of norm O(10): 1e-6 is 100× the tolerance.
  CHECK(meta["comparisons"][0]["max_state_dist"].get<double>() < 1e-6);
}

TEST_CASE("bad input for the stiff integrators: clear messages, exit 2, nothing written",
          "[stiff]") {
  SECTION("an unknown linear solver") {
    const auto r = run_small("solver", R"({"integrator": "bdf", "linear_solver": "lu"})");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("linear_solver") && Catch::Contains("auto, dense, krylov"));
  }
  SECTION("a linear solver for an explicit method") {
    const auto r = run_small("explicit", R"({"integrator": "dopri5", "linear_solver": "dense"})");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("linear_solver"));
  }
  SECTION("bdf at a fixed step") {
    const auto r = run_small("fixed", R"({"integrator": "bdf", "adaptive": false, "dt": 0.1})");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("bdf has no fixed-step mode"));
  }
}

TEST_CASE("bdf on a flow without an analytic Jacobian runs and says how it differentiates",
          "[stiff]") {
  // The modified flow's velocity is not −∇ of its loss: central differences
  // of the velocity stand in for its Jacobian, and the log says so.
  const auto r = run_small("notice", R"({"integrator": "bdf", "modified_eta": 0.01})");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("central finite differences of the velocity"));
}
