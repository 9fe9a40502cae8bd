// The least-squares and 1-D landscape models, SGD runs and ensembles through
// the gradflow command: the stability threshold by a relative step, and bad
// input refused with file, key and reason, exit status 2 and no files.

#include "cli_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace gradflow::testing;
using nlohmann::json;

namespace {

json read_meta(const std::filesystem::path& dir) {
  std::ifstream in(dir / "meta.json");
  return json::parse(in);
}

const char* kLeastSquares = R"({
  "seed": 3,
  "data": {"kind": "sine", "samples": 20, "inputs": 5},
  "model": {"kind": "least_squares"},
  "init": {"kind": "gaussian", "std": 1.0},
  "t_end": 400,
  "sample": {"kind": "linear", "count": 5},
  "stop": {"max_abs_state": 1e8},
  "compare": [],
  "runs": [
    {"name": "below", "integrator": "euler", "eta_over_stability": 0.995},
    {"name": "above", "integrator": "euler", "eta_over_stability": 1.005}
  ]
})";

}  // namespace

TEST_CASE(
    "least squares by GD converges at 1.99 over lambda max and diverges at 2.01, both given "
    "relative to the threshold") {
  const auto dir = fresh_temp_dir("landscapes", "ls_threshold");
  write_file(dir / "ls.json", kLeastSquares);
  const CliResult r =
      gradflow_cli({"run", (dir / "ls.json").string(), "--out", (dir / "out").string()});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  // The log names λ_max(XᵀX) and the threshold.
  CHECK_THAT(r.out,
             Catch::Contains("lambda_max_XtX = ") && Catch::Contains("two_over_lambda_max = "));
  const json meta = read_meta(dir / "out" / "ls");
  const double lambda = meta["model_facts"]["lambda_max_XtX"].get<double>();
  CHECK(meta["model_facts"]["two_over_lambda_max"].get<double>() ==
        Approx(2.0 / lambda).epsilon(1e-15));
  const json& below = meta["runs"][0];
  const json& above = meta["runs"][1];
  // The Hessian XᵀX is constant, so the sharpness at x0 is λ_max exactly (to
  // the eigensolver's round-off).
  CHECK(below["sharpness_at_x0"].get<double>() == Approx(lambda).epsilon(1e-12));
  CHECK(below["eta"].get<double>() == Approx(1.99 / lambda).epsilon(1e-12));
  CHECK(above["eta"].get<double>() == Approx(2.01 / lambda).epsilon(1e-12));
  // |1 − ηλ| = 0.99 for the top mode and less for the others (λ_max ≈ 25, so
  // η ≈ 0.08): after t_end/η ≈ 5000 steps 0.99^5000 ≈ 2e-22 of the start is left.
  CHECK(below["status"] == "completed");
  std::ifstream csv(dir / "out" / "ls" / "below.csv");
  std::string header, line, last;
  std::getline(csv, header);
  while (std::getline(csv, line)) last = line;
  const double final_grad = std::stod(last.substr(last.rfind(',') + 1));
  CHECK(header.substr(header.rfind(',') + 1) == "grad_norm");
  CHECK(final_grad < 1e-9);
  // The top mode grows by 1.01 a step: from O(0.1) past 1e8 after ≈ 2100 steps.
  CHECK(above["status"] == "diverged");
  CHECK_THAT(above["message"].get<std::string>(),
             Catch::Contains("diverged at step") && Catch::Contains("(t = "));
  CHECK(above["steps"].get<long>() > 1000);
  CHECK(above["stop_time"].get<double>() ==
        Approx(above["steps"].get<double>() * above["eta"].get<double>()).epsilon(1e-12));
  // t_end is not a whole number of such steps: GD takes ⌈t_end/η⌉.
  CHECK(below["t_end_of_run"].get<double>() >= 400.0);
  CHECK(below["t_end_of_run"].get<double>() < 400.0 + below["eta"].get<double>());
}

TEST_CASE(
    "bad landscape, sgd and ensemble input is refused naming the file and key, with no files "
    "written") {
  const auto dir = fresh_temp_dir("landscapes", "refused");
  auto spec = [](const std::string& init, const std::string& runs, const std::string& extra = "") {
    return R"({"model": {"kind": "wide_sharp_1d"}, "init": )" + init + R"(, "t_end": 1, )" + extra +
           R"("runs": [)" + runs + "]}";
  };
  const std::string point = R"({"kind": "point", "value": 1})";
  const std::string uniform = R"({"kind": "uniform", "low": -5, "high": 20})";
  const std::string file = "spec.json: key '";
  check_refused(dir, spec(point, R"({"integrator": "euler", "eta": 0})"),
                file + "runs[0].eta': expected a positive number, got 0");
  check_refused(dir, spec(point, R"({"integrator": "euler", "eta": -0.1})"),
                file + "runs[0].eta': expected a positive number, got -0.1");
  check_refused(dir, spec(point, R"({"integrator": "sgd", "eta": 0.1, "sigma": -1})"),
                file + "runs[0].sigma': expected a noise scale >= 0");
  check_refused(
      dir, spec(point, R"({"integrator": "sgd", "eta": 0.1, "sigma": 1, "ensemble": {"size": 0}})"),
      file + "runs[0].ensemble.size': expected a positive integer, got 0");
  check_refused(
      dir, spec(point, R"({"integrator": "sgd", "eta": 0.1, "sigma": 1, "schedule": "cosine"})"),
      file +
          "runs[0].schedule': unknown value \"cosine\" (valid: constant, inverse_time, "
          "inverse_time_capped)");
  check_refused(
      dir,
      spec(R"({"kind": "uniform", "low": 3, "high": 3})", R"({"integrator": "euler", "eta": 0.1})"),
      file + "init.high': expected a number above low = 3");
  check_refused(dir,
                spec(R"({"kind": "uniform", "low": 5, "high": -5})",
                     R"({"integrator": "euler", "eta": 0.1})"),
                file + "init.high': expected a number above low = 5");
  check_refused(dir, spec(point, R"({"integrator": "sgd", "sigma": 1})"),
                file + "runs[0].eta': missing required key");
  check_refused(dir,
                spec(point, R"({"integrator": "euler", "eta": 0.1, "eta_over_stability": 0.5})"),
                file + "runs[0].eta': give either \"eta\" or \"eta_over_stability\", not both");
  check_refused(dir, spec(point, R"({"integrator": "sgd", "eta": 0.1, "sigma": 1, "beta": 2})"),
                file + "runs[0].beta': beta caps the step of the inverse_time_capped schedule");
  check_refused(
      dir,
      spec(uniform,
           R"({"integrator": "euler", "eta": 0.1, "ensemble": {"size": 3, "vary": "noise"}})"),
      file + "runs[0].ensemble.vary': \"noise\" varies the noise of sgd runs only");
  check_refused(dir, spec(point, R"({"integrator": "euler", "eta": 0.1, "ensemble": {"size": 3}})"),
                file +
                    "runs[0].ensemble.vary': every member draws its own start, but the start of "
                    "flow \"theta\" "
                    "(init.kind = \"point\") cannot be redrawn per member");
  check_refused(
      dir,
      spec(uniform,
           R"({"integrator": "euler", "eta": 0.1, "ensemble": {"size": 3, "grad_tolerance": -1}})"),
      file + "runs[0].ensemble.grad_tolerance': expected a positive number");
  check_refused(
      dir,
      spec(
          uniform,
          R"({"name": "a", "integrator": "euler", "eta": 0.1, "ensemble": {"size": 3}}, {"name": "b"})",
          R"("compare": [["a", "b"]], )"),
      file + "compare[0]': run \"a\" is an ensemble");
  check_refused(
      dir,
      spec(point, R"({"integrator": "sgd", "eta": 0.01, "sigma": 1, "schedule": "inverse_time"})",
           R"("stop": {"max_steps": 1000}, )"),
      file + "runs[0].schedule': reaching t_end = 1 with the inverse_time schedule");
  check_refused(dir, spec(point, R"({"integrator": "dopri5", "eta": 0.1})"),
                file + "runs[0].eta': unknown key");
  check_refused(
      dir,
      R"({"model": {"kind": "wide_sharp_1d"}, "data": {"kind": "sine"}, "init": {"kind": "point", "value": 1}, "t_end": 1, "runs": [{}]})",
      file + "data': wide_sharp_1d is a fixed function");
  check_refused(
      dir,
      R"({"model": {"kind": "least_squares"}, "data": {"outputs": 2}, "init": {"kind": "point", "value": 0}, "t_end": 1, "runs": [{}]})",
      file + "data.outputs': least squares fits one output");
  check_refused(
      dir,
      R"({"model": {"kind": "least_squares"}, "init": {"kind": "point", "value": [1, 2]}, "t_end": 1, "runs": [{}]})",
      file + "init.value': expected 10 numbers");
}

TEST_CASE(
    "an sgd run and its ensemble report their schedule, noise seed and capped step in meta.json") {
  const auto dir = fresh_temp_dir("landscapes", "sgd_meta");
  write_file(dir / "sgd.json", R"({
    "seed": 1,
    "data": {"kind": "sine", "samples": 20, "inputs": 5},
    "model": {"kind": "least_squares"},
    "init": {"kind": "gaussian"},
    "t_end": 1,
    "runs": [
      {"name": "single", "integrator": "sgd", "eta": 1, "sigma": 0.5, "schedule": "inverse_time_capped"},
      {"name": "many", "integrator": "sgd", "eta": 1, "sigma": 0.5, "schedule": "inverse_time_capped", "ensemble": {"size": 4}},
      {"name": "gf"}
    ]
  })");
  const CliResult r =
      gradflow_cli({"run", (dir / "sgd.json").string(), "--out", (dir / "out").string()});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const json meta = read_meta(dir / "out" / "sgd");
  const double lambda = meta["model_facts"]["lambda_max_XtX"].get<double>();
  const json& single = meta["runs"][0];
  CHECK(single["sgd"]["schedule"] == "inverse_time_capped");
  CHECK(single["sgd"]["beta"].get<double>() == Approx(lambda).epsilon(1e-12));
  CHECK_THAT(single["sgd"]["beta_source"].get<std::string>(), Catch::Contains("sharpness"));
  CHECK(single["sgd"].contains("noise_seed"));
  const json& many = meta["runs"][1];
  CHECK(many["status"] == "ensemble");
  CHECK(many["ensemble"]["size"] == 4);
  CHECK(many["ensemble"]["vary"] == "noise");
  CHECK(many["ensemble"]["outcomes"]["not_converged"].get<long>() +
            many["ensemble"]["outcomes"]["minimum"].get<long>() ==
        4);
  // Only the single runs are compared.
  REQUIRE(meta["comparisons"].size() == 1);
  CHECK(meta["comparisons"][0]["a"] == "single");
  CHECK(std::filesystem::exists(dir / "out" / "sgd" / "many.ensemble.csv"));
  CHECK(std::filesystem::exists(dir / "out" / "sgd" / "many.members.csv"));
  CHECK_THAT(r.out, Catch::Contains("outcomes: "));
}

TEST_CASE(
    "a gradient-descent horizon beyond the step budget is refused before any work, by run and by "
    "check") {
  const auto dir = fresh_temp_dir("landscapes", "horizon");
  // t_end 1e20 overflowed the integer step count (a segfault, while check said valid).
  const std::string overflow =
      R"({"data": {"kind": "sine", "samples": 20, "inputs": 5}, "model": {"kind": "least_squares"},
          "init": {"kind": "point", "value": 0.0}, "t_end": 1e20,
          "runs": [{"name": "gd", "integrator": "euler", "eta_over_stability": 0.5}]})";
  check_refused(dir, overflow, "spec.json: key 'runs[0].eta_over_stability'");
  check_refused(dir, overflow, "more than stop.max_steps = 10000000");
  const CliResult checked = gradflow_cli({"check", (dir / "spec.json").string()});
  CHECK(checked.code == 2);
  CHECK_THAT(checked.err, Catch::Contains("more than stop.max_steps"));
  // The same with a step of 1e-300 of the threshold, and with a plain eta.
  check_refused(
      dir,
      R"({"data": {"kind": "sine", "samples": 20, "inputs": 5}, "model": {"kind": "least_squares"},
                    "init": {"kind": "point", "value": 0.0}, "t_end": 1,
                    "runs": [{"name": "gd", "integrator": "euler", "eta_over_stability": 1e-300}]})",
      "more than stop.max_steps");
  check_refused(
      dir,
      R"({"model": {"kind": "wide_sharp_1d"}, "init": {"kind": "point", "value": 1}, "t_end": 1e12, "sample": {"kind": "grid", "spacing": 1e11},
                    "runs": [{"name": "gd", "integrator": "euler", "eta": 0.5}]})",
      "spec.json: key 'runs[0].eta': t_end / step = 2e+12 steps is more than stop.max_steps");
}
