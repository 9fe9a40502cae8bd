// Gradient descent at the edge of stability: where the sharpness first
// reaches 2/η (at GD-step resolution, whatever the record grid), what the run
// did afterwards, and the warm-started Lanczos sharpness behind both. Oracles
// independent of the code under test: GD iterates recomputed here from the
// gradient, sharpness from a Hessian assembled by central differences of the
// gradient and Eigen's dense eigensolver, and the constant Hessian of least
// squares.

#include "cli_support.hpp"
#include "support.hpp"

#include "cli/experiment.hpp"
#include "core/diagnostics.hpp"
#include "core/edge_of_stability.hpp"
#include "core/sharpness_tracker.hpp"
#include "integrators/integrate.hpp"
#include "io/spec.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <sstream>

using namespace gradflow;
namespace fs = std::filesystem;

namespace {

// A depth-4, width-8 linear network on the default sine data (100 samples,
// 10 inputs, one output): 216 parameters, so sharpness is found by Lanczos.
std::string deep_net(int seed, double std, double eta, long steps, const std::string& sample) {
  return fmt::format(R"({{
    "seed": {}, "data": {{"kind": "sine"}},
    "model": {{"kind": "linear_network", "depth": 4, "width": 8}},
    "init": {{"kind": "gaussian", "std": {}}},
    "t_end": {}, "sample": {},
    "runs": [{{"name": "gd", "integrator": "euler", "eta": {}}}],
    "record": {{"sharpness": true}}
  }})",
                     seed, std, eta * static_cast<double>(steps), sample, eta);
}

// Least squares ½‖Xθ − y‖² (constant Hessian XᵀX) with η = ratio·2/λ_max.
std::string least_squares(double ratio) {
  return fmt::format(R"({{
    "seed": 4, "data": {{"kind": "sine", "samples": 30, "inputs": 5}},
    "model": {{"kind": "least_squares"}},
    "init": {{"kind": "gaussian", "std": 1.0}},
    "t_end": 40, "sample": {{"kind": "linear", "count": 11}},
    "runs": [{{"name": "gd", "integrator": "euler", "eta_over_stability": {}}}],
    "record": {{"sharpness": true}}
  }})",
                     ratio);
}

PreparedExperiment prepare(const std::string& text) {
  return prepare_experiment(parse_spec(text, "spec.json", ".").front());
}

RunOutcome run_gd(const PreparedExperiment& p) {
  std::ostringstream log;
  ExperimentOutcome outcome = run_experiment(p, log);
  REQUIRE(outcome.runs.size() == 1);
  REQUIRE(outcome.runs[0].edge.has_value());
  return std::move(outcome.runs[0]);
}

// λ_max of the Hessian assembled by central differences of the gradient:
// truncation O(h²) ≈ 1e-10, round-off O(ε‖∇L‖/h) ≈ 1e-11, so ~1e-9 relative.
double fd_sharpness(const Field& field, const Eigen::VectorXd& x) {
  const Eigen::Index n = x.size();
  const double h = 1e-5;
  Eigen::MatrixXd H(n, n);
  Eigen::VectorXd gp(n), gm(n), xp = x, xm = x;
  for (Eigen::Index j = 0; j < n; ++j) {
    xp[j] += h;
    xm[j] -= h;
    field.gradient(xp, gp);
    field.gradient(xm, gm);
    H.col(j) = (gp - gm) / (2.0 * h);
    xp[j] = x[j];
    xm[j] = x[j];
  }
  const Eigen::MatrixXd S = 0.5 * (H + H.transpose());
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(S, Eigen::EigenvaluesOnly)
      .eigenvalues()
      .maxCoeff();
}

// GD recomputed from the gradient: x_{k+1} = x_k − η∇L(x_k), k = 0..steps.
std::vector<Eigen::VectorXd> gd_iterates(const Field& field, Eigen::VectorXd x, double eta,
                                         long steps) {
  std::vector<Eigen::VectorXd> xs{x};
  Eigen::VectorXd g(x.size());
  for (long k = 0; k < steps; ++k) {
    field.gradient(x, g);
    x -= eta * g;
    xs.push_back(x);
  }
  return xs;
}

}  // namespace

TEST_CASE("the first crossing of 2 over eta is found at its GD step whatever the record grid",
          "[eos]") {
  const double eta = 0.2;
  const long steps = 300;
  const PreparedExperiment p =
      prepare(deep_net(2, 0.3, eta, steps, R"({"kind": "linear", "count": 8})"));
  const Field& field = *p.targets.front().field;
  const Eigen::VectorXd& x0 = *p.targets.front().x0;

  // The oracle: the first k with λ_max(H_fd(x_k)) ≥ 2/η along GD from x0.
  const std::vector<Eigen::VectorXd> xs = gd_iterates(field, x0, eta, 20);
  long k_ref = -1;
  for (long k = 0; k <= 20 && k_ref < 0; ++k) {
    if (fd_sharpness(field, xs[static_cast<std::size_t>(k)]) >= 2.0 / eta) k_ref = k;
  }
  REQUIRE(k_ref == 5);
  // Far from the threshold on both sides, so the differences' error cannot move it.
  REQUIRE(fd_sharpness(field, xs[4]) < 0.9 * 2.0 / eta);
  REQUIRE(fd_sharpness(field, xs[5]) > 1.1 * 2.0 / eta);

  const StopOptions stop{.t_end = eta * static_cast<double>(steps)};
  const MethodOptions gd{.method = Method::euler, .dt = eta};
  const std::vector<std::vector<double>> grids{
      [&] {
        std::vector<double> t;
        for (long k = 0; k <= steps; ++k) t.push_back(static_cast<double>(k) * eta);
        return t;
      }(),
      {0.0, 8.6, 17.2, 25.8, 34.2, 42.8, 51.4, eta * static_cast<double>(steps)},
      {0.0, 1.4, eta * static_cast<double>(steps)}};
  for (const auto& times : grids) {
    INFO(times.size() << " records");
    const RunResult run = integrate(field, x0, times, gd, stop);
    REQUIRE(run.stats.status == RunStatus::completed);
    const EdgeOfStability e =
        analyse_edge_of_stability(field, run.trajectory, eta, run.stats.status);
    CHECK(e.crossing_search == "every_step");
    CHECK(e.first_crossing_step == k_ref);
    CHECK(e.first_crossing_time == Approx(static_cast<double>(k_ref) * eta).epsilon(1e-15));
    CHECK(e.sharpness_before_crossing < 2.0 / eta);
    CHECK(e.sharpness_at_crossing >= 2.0 / eta);
    CHECK(e.replay_exact);
  }
  SECTION("bisection between records finds the same step where S crosses once between them") {
    // Records at steps 0 and 7: S rises through 2/η once in between (oracle above).
    const RunResult run = integrate(field, x0, grids[2], gd, stop);
    const EdgeOfStability e = analyse_edge_of_stability(
        field, run.trajectory, eta, run.stats.status, {.every_step_budget = 0.0});
    CHECK(e.crossing_search == "bisection");
    CHECK(e.first_crossing_step == k_ref);
  }
}

TEST_CASE("meta.json gives the crossing step and time with 8 records, and the diagnostics' time",
          "[eos]") {
  const fs::path dir = gradflow::testing::fresh_temp_dir("eos", "meta");
  gradflow::testing::write_file(dir / "spec.json",
                                deep_net(2, 0.3, 0.2, 1000, R"({"kind": "linear", "count": 8})"));
  const auto r = gradflow::testing::gradflow_cli(
      {"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto meta =
      nlohmann::json::parse(gradflow::testing::read_file(dir / "out" / "spec" / "meta.json"));
  const auto& run = meta["runs"][0];
  CHECK(run["records"] == 8);
  // The oracle of the test above: step 5, t = 5η = 1 (before: t = 57.2, the
  // first record at or above 2/η, and the outcome "hovered").
  CHECK(run["edge_of_stability"]["first_crossing_step"] == 5);
  CHECK(run["edge_of_stability"]["first_crossing_time"].get<double>() ==
        Approx(1.0).epsilon(1e-15));
  CHECK(run["edge_of_stability"]["outcome"] == "period_two");
  CHECK(run["diagnostics_seconds"].get<double>() > 0.0);
  CHECK(run["wall_seconds"].get<double>() > 0.0);
  CHECK_THAT(r.out, Catch::Contains("s diagnostics") && Catch::Contains("at step 5 (t = 1,"));
}

TEST_CASE("each edge-of-stability outcome shows on a run built to show it", "[eos]") {
  const std::string sparse = R"({"kind": "linear", "count": 11})";
  SECTION("never_crossed: least squares below the threshold") {
    const PreparedExperiment p = prepare(least_squares(0.9));
    const RunOutcome r = run_gd(p);
    CHECK(r.edge->outcome == "never_crossed");
    CHECK_FALSE(r.edge->crossed);
  }
  SECTION("diverged: least squares above the threshold, crossed at step 0") {
    const PreparedExperiment p = prepare(least_squares(1.1));
    const RunOutcome r = run_gd(p);
    CHECK(r.result.stats.status == RunStatus::diverged);
    CHECK(r.edge->outcome == "diverged");
    CHECK(r.edge->first_crossing_step == 0);
    // The Hessian is XᵀX everywhere: its λ_max from the exported data.
    double lambda_max = 0.0;
    for (const auto& [name, value] : p.model.facts) {
      if (name == "lambda_max_XtX") lambda_max = value;
    }
    CHECK(r.edge->sharpness_at_crossing == Approx(lambda_max).epsilon(1e-10));
  }
  SECTION("period_two: the depth-4 net at eta 0.2") {
    const PreparedExperiment p = prepare(deep_net(2, 0.35, 0.2, 1000, sparse));
    const RunOutcome r = run_gd(p);
    CHECK(r.edge->outcome == "period_two");
    CHECK(r.edge->period == 2);
    CHECK(r.edge->tail_sharpness_min < 10.0);
    CHECK(r.edge->tail_sharpness_max > 10.0);
    // GD recomputed here: x_K returns to x_{K−2} while moving far in between.
    const auto xs = gd_iterates(*p.targets.front().field, *p.targets.front().x0, 0.2, 1000);
    CHECK((xs[1000] - xs[998]).norm() < 1e-3 * (xs[1000] - xs[999]).norm());
    CHECK((xs[1000] - xs[999]).norm() > 1e-2);
  }
  SECTION("converged_below: the same start at eta 0.125 catapults to a flatter minimum") {
    const PreparedExperiment p = prepare(deep_net(2, 0.35, 0.125, 1000, sparse));
    const RunOutcome r = run_gd(p);
    CHECK(r.edge->outcome == "converged_below");
    CHECK(r.edge->crossed);
    const auto xs = gd_iterates(*p.targets.front().field, *p.targets.front().x0, 0.125, 1000);
    const double s_end = fd_sharpness(*p.targets.front().field, xs.back());
    CHECK(s_end < 0.95 * 16.0);
    CHECK(r.edge->final_grad_norm < 1e-12);
  }
  SECTION("returned_below: back under the threshold and still converging") {
    const PreparedExperiment p = prepare(deep_net(0, 0.35, 0.2, 1000, sparse));
    const RunOutcome r = run_gd(p);
    CHECK(r.edge->outcome == "returned_below");
    CHECK(r.edge->tail_sharpness_max < 10.0);
    CHECK(r.edge->final_grad_norm > 1e-6 * r.edge->initial_grad_norm);
  }
  SECTION("hovering: sharpness oscillating around 2 over eta without a period") {
    const PreparedExperiment p = prepare(deep_net(1, 0.3, 0.2, 1000, sparse));
    const RunOutcome r = run_gd(p);
    CHECK(r.edge->outcome == "hovering");
    CHECK(r.edge->tail_sharpness_min > 0.8 * 10.0);
    CHECK(r.edge->tail_sharpness_max < 1.2 * 10.0);
    CHECK(r.edge->tail_sharpness_max >= 10.0);
    const auto xs = gd_iterates(*p.targets.front().field, *p.targets.front().x0, 0.2, 1000);
    CHECK((xs[1000] - xs[998]).norm() > 1e-3 * (xs[1000] - xs[999]).norm());
  }
}

TEST_CASE(
    "warm-started Lanczos sharpness equals the dense eigensolver along an edge-of-stability run",
    "[eos]") {
  // GD on the period-two run: the top eigenvector swings every step, the
  // hardest case for a warm start.
  const double eta = 0.2;
  const PreparedExperiment p =
      prepare(deep_net(2, 0.35, eta, 60, R"({"kind": "linear", "count": 11})"));
  const Field& field = *p.targets.front().field;
  const auto xs = gd_iterates(field, *p.targets.front().x0, eta, 60);
  SharpnessTracker tracker(field);
  REQUIRE(tracker.uses_lanczos());
  for (std::size_t k = 0; k < xs.size(); ++k) {
    INFO("step " << k);
    const SharpnessResult warm = tracker.at(xs[k]);
    REQUIRE(warm.converged);
    // Lanczos stops at a Ritz residual ≤ 1e-10·θ, which bounds |θ − λ|; the
    // dense solve of the same Hessian is exact to round-off (~1e-14).
    CHECK(warm.value == Approx(hessian_extremes(field, xs[k]).max).epsilon(2e-10));
  }
  // Cheaper than the dense method's dim products per solve.
  CHECK(tracker.hessian_vector_products() < field.dim() * tracker.solves() / 4);
}

TEST_CASE("sharpness_every computes every k-th record and the last one, NaN in between", "[eos]") {
  const PreparedExperiment p =
      prepare(deep_net(2, 0.35, 0.2, 20, R"({"kind": "grid", "spacing": 0.2})"));
  const Field& field = *p.targets.front().field;
  const RunResult run = integrate(field, *p.targets.front().x0, p.times,
                                  {.method = Method::euler, .dt = 0.2}, {.t_end = 4.0});
  REQUIRE(run.trajectory.size() == 21);
  const Diagnostics every = diagnose(field, run.trajectory, {.sharpness = true});
  const Diagnostics third =
      diagnose(field, run.trajectory, {.sharpness = true, .sharpness_every = 3});
  const auto a = every.series.column("sharpness");
  const auto b = third.series.column("sharpness");
  for (std::size_t r = 0; r < a.size(); ++r) {
    INFO("record " << r);
    if (r % 3 == 0 || r + 1 == a.size()) {
      CHECK(b[r] == Approx(a[r]).epsilon(2e-10));  // both within Lanczos' 1e-10 of λ_max
    } else {
      CHECK(std::isnan(b[r]));
    }
  }
}

TEST_CASE("sharpness_every is refused without sharpness and must be positive", "[eos]") {
  const fs::path dir = gradflow::testing::fresh_temp_dir("eos", "bad");
  std::string spec = deep_net(2, 0.35, 0.2, 10, R"({"kind": "linear", "count": 3})");
  const std::string on = R"("record": {"sharpness": true})";
  spec.replace(spec.find(on), on.size(), R"("record": {"sharpness_every": 5})");
  gradflow::testing::check_refused(dir, spec, "record.sharpness_every");
  std::string zero = deep_net(2, 0.35, 0.2, 10, R"({"kind": "linear", "count": 3})");
  zero.replace(zero.find(on), on.size(), R"("record": {"sharpness": true, "sharpness_every": 0})");
  gradflow::testing::check_refused(dir, zero, "sharpness_every");
}
