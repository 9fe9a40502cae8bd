// Stiffness handled by default: `auto` is the integrator of a run that names
// none; an explicit dopri5 run whose step becomes stability-bound goes on
// unchanged (bit for bit the plain dense-output loop) but says so once, in the
// log and meta.json; a run out of its step budget is reported loudly at the end.

#include "cli_support.hpp"
#include "support.hpp"

#include "integrators/integrate.hpp"
#include "integrators/odeint_runs.hpp"
#include "io/spec.hpp"
#include "models/kernel_flow.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <Eigen/QR>

#include <fstream>

using namespace gradflow;
namespace fs = std::filesystem;

namespace {

// u̇ = −H(u − y) with the eigenvalues of H spread from 1 to 1e4: dopri5's step
// is bound by h·λ_max ≲ 3.3, about 3e-4, long before accuracy asks for it.
KernelFlow stiff_linear_flow() {
  const Eigen::Index n = 6;
  Rng rng(3);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(rng.normal_matrix(n, n));
  const Eigen::MatrixXd Q = qr.householderQ();
  Eigen::VectorXd lambda(n);
  for (Eigen::Index i = 0; i < n; ++i) lambda[i] = std::pow(10.0, 4.0 * static_cast<double>(i) / 5);
  const Eigen::MatrixXd H = Q * lambda.asDiagonal() * Q.transpose();
  return KernelFlow(0.5 * (H + H.transpose()), Eigen::VectorXd::Ones(n), "kernel");
}

std::vector<double> grid(double t_end, int count) {
  std::vector<double> t;
  for (int k = 0; k < count; ++k) t.push_back(t_end * k / (count - 1));
  return t;
}

double value_of(const RunStats& s, const std::string& name) {
  for (const auto& [n, v] : s.values) {
    if (n == name) return v;
  }
  FAIL("no value " << name);
  return 0.0;
}

const char* kSmallSpec = R"({
  "data": {"kind": "sine", "samples": 20, "inputs": 3, "input_scales": SCALES},
  "model": {"kind": "linear_network", "hidden": [2]},
  "init": {"kind": "gaussian", "std": 0.5},
  "t_end": T_END,
  STOP
  "runs": [RUNS]
})";

struct SmallRun {
  gradflow::testing::CliResult cli;
  fs::path out;
};

SmallRun run_small(const std::string& scope, const std::string& runs, const std::string& scales,
                   const std::string& t_end, const std::string& stop = "") {
  const fs::path dir = gradflow::testing::fresh_temp_dir("stiffness_default", scope);
  std::string spec = kSmallSpec;
  spec.replace(spec.find("SCALES"), 6, scales);
  spec.replace(spec.find("T_END"), 5, t_end);
  spec.replace(spec.find("STOP"), 4, stop);
  spec.replace(spec.find("RUNS"), 4, runs);
  gradflow::testing::write_file(dir / "spec.json", spec);
  return {gradflow::testing::gradflow_cli(
              {"run", (dir / "spec.json").string(), "--out", (dir / "out").string()}),
          dir / "out" / "spec"};
}

nlohmann::json meta_of(const fs::path& folder) {
  std::ifstream in(folder / "meta.json");
  return nlohmann::json::parse(in);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a run that names no integrator is integrated by auto") {
  const auto specs = parse_spec(R"({
    "model": {"kind": "linear_network", "hidden": [2]}, "init": {"kind": "gaussian"},
    "t_end": 1.0,
    "runs": [{"name": "a"}, {"name": "b", "adaptive": false, "dt": 0.1},
             {"name": "c", "central_eta": 0.1}, {}]})",
                                "spec.json", ".");
  const std::vector<RunSpec>& runs = specs.front().runs;
  CHECK(runs[0].method.method == Method::automatic);
  CHECK(specs.front().resolved["runs"][0]["integrator"] == "auto");
  // auto has no fixed-step mode: a fixed step keeps dopri5's scheme.
  CHECK(runs[1].method.method == Method::dopri5);
  CHECK_FALSE(runs[1].method.adaptive);
  CHECK(runs[2].method.method == Method::event_driven);
  CHECK(runs[3].name == "auto");
}

TEST_CASE("explicit dopri5 on a stiff flow says once that its step became stability-bound") {
  const KernelFlow flow = stiff_linear_flow();
  const Eigen::VectorXd x0 = Eigen::VectorXd::Zero(flow.dim());
  const std::vector<double> times = grid(1.0, 11);
  const StopOptions stop{.t_end = 1.0};
  const MethodOptions dopri5{.method = Method::dopri5, .rtol = 1e-8, .atol = 1e-10};
  const RunResult watched = integrate(flow, x0, times, dopri5, stop);
  REQUIRE(watched.stats.status == RunStatus::completed);
  CHECK_THAT(watched.stats.warning, Catch::Contains("stability-bound") &&
                                        Catch::Contains("\"auto\"") && Catch::Contains("\"bdf\""));
  const double when = value_of(watched.stats, "stability_bound_time");
  CHECK(when > 0.0);
  CHECK(when < 1.0);
  // h·ρ at the detection is above 0.7 × dopri5's stability limit 3.3 and at
  // most about the limit (the controller keeps it there; power iteration
  // approaches ρ from below).
  CHECK(value_of(watched.stats, "stability_bound_h_rho") > 0.7 * 3.3);
  CHECK(value_of(watched.stats, "stability_bound_h_rho") < 4.0);

  // The watch only looks: the same steps and states as the plain loop.
  const RunResult plain = detail::run_dense_output(flow, x0, times, dopri5, stop);
  CHECK(watched.stats.steps == plain.stats.steps);
  CHECK(watched.stats.field_evaluations == plain.stats.field_evaluations);
  REQUIRE(watched.trajectory.size() == plain.trajectory.size());
  for (std::size_t k = 0; k < plain.trajectory.size(); ++k)
    CHECK(watched.trajectory.states[k] == plain.trajectory.states[k]);
  CHECK(plain.stats.warning.empty());
}

TEST_CASE("explicit dopri5 on a flow that is not stiff gives no warning") {
  const Eigen::MatrixXd H = Eigen::Vector3d(1.0, 2.0, 3.0).asDiagonal();
  const KernelFlow flow(H, Eigen::VectorXd::Ones(3), "kernel");
  const RunResult run =
      integrate(flow, Eigen::VectorXd::Zero(3), grid(2.0, 5),
                {.method = Method::dopri5, .rtol = 1e-8, .atol = 1e-10}, {.t_end = 2.0});
  CHECK(run.stats.warning.empty());
  CHECK(run.stats.values.empty());
}

TEST_CASE("a stiff spec run by explicit dopri5 warns once in the log and in meta.json") {
  // Input coordinate 0 scaled by 100: the Hessian's spectrum spans ~10⁴.
  const SmallRun r =
      run_small("stiff_dopri5", R"({"name": "explicit", "integrator": "dopri5"}, {"name": "dflt"})",
                "[100, 1, 1]", "5.0");
  INFO(r.cli.err);
  REQUIRE(r.cli.code == 0);
  CHECK(occurrences(r.cli.out, "warning: dopri5's step became stability-bound") == 1);
  const auto meta = meta_of(r.out);
  CHECK_THAT(meta["runs"][0]["warning"].get<std::string>(), Catch::Contains("stability-bound"));
  CHECK(meta["runs"][0]["values"]["stability_bound_time"].get<double>() > 0.0);
  // The run without an integrator is auto, which switched to bdf and warns of nothing.
  CHECK(meta["runs"][1]["integrator"] == "auto");
  CHECK(meta["runs"][1]["values"]["switch_time"].get<double>() > 0.0);
  CHECK_FALSE(meta["runs"][1].contains("warning"));
  // auto took far fewer evaluations, products included, than dopri5.
  CHECK(meta["runs"][1]["field_evaluations_with_products"].get<long>() * 5 <
        meta["runs"][0]["field_evaluations"].get<long>());
}

TEST_CASE("a run out of its step budget is reported loudly at the end of the output") {
  const SmallRun r = run_small("budget", R"({"name": "short", "integrator": "dopri5"})",
                               "[1, 1, 1]", "5.0", R"("stop": {"max_steps": 3},)");
  INFO(r.cli.err);
  REQUIRE(r.cli.code == 0);
  const std::string tail = r.cli.out.substr(r.cli.out.rfind("wrote "));
  CHECK_THAT(tail, Catch::Contains("WARNING: 1 run(s) ran out of their step budget") &&
                       Catch::Contains("run \"short\" (dopri5): 3 steps") &&
                       Catch::Contains("Raise \"stop.max_steps\""));
  const SmallRun fine =
      run_small("no_budget", R"({"name": "long", "integrator": "dopri5"})", "[1, 1, 1]", "1.0");
  REQUIRE(fine.cli.code == 0);
  CHECK_THAT(fine.cli.out, !Catch::Contains("WARNING"));
}
