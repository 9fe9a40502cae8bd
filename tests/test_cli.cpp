// The gradflow command end to end: files written, reproducibility, and every
// kind of bad input ending in a clear message, exit status 2 and no files.

#include "cli/command.hpp"

#include "io/npy.hpp"
#include "cli_support.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace gradflow;
namespace fs = std::filesystem;
using gradflow::testing::check_refused;
using gradflow::testing::CliResult;
using gradflow::testing::gradflow_cli;
using gradflow::testing::read_file;
using gradflow::testing::write_file;

namespace {

fs::path temp_dir(const std::string& name) { return testing::fresh_temp_dir("cli", name); }

const char* kSpec = R"({
  "seed": 3,
  "data": {"kind": "sine", "samples": 30, "inputs": 4},
  "model": {"kind": "linear_network", "hidden": [3]},
  "init": {"kind": "gaussian", "std": 0.5},
  "t_end": 0.5,
  "runs": [{"name": "gd", "integrator": "euler", "eta": 0.01},
           {"name": "gf", "integrator": "dopri5", "rtol": 1e-10, "atol": 1e-12}],
  "record": {"hessian": true, "states": true, "projection": true}
})";

// kSpec with each `from` replaced by its `to`.
std::string spec_with(std::vector<std::pair<std::string, std::string>> edits) {
  std::string s = kSpec;
  for (const auto& [from, to] : edits) {
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
  }
  return s;
}
std::string spec_with(const std::string& from, const std::string& to) {
  return spec_with({{from, to}});
}

// Bad input: exit 2, the message contains `expected`, and `out` stays absent.
}  // namespace

TEST_CASE("a run writes series, states, comparisons and meta.json") {
  const fs::path dir = temp_dir("run");
  write_file(dir / "spec.json", kSpec);
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("gd vs gf: 51 matched times"));
  const fs::path exp = dir / "out" / "spec";
  for (const char* f : {"gd.csv", "gf.csv", "gd.states.npy", "gf.e2e.npy", "compare_gd_vs_gf.csv",
                        "data_X.npy", "data_Y.npy", "x0.npy", "meta.json"}) {
    CHECK(fs::exists(exp / f));
  }
  CHECK(fs::exists(dir / "out" / "summary_runs.csv"));
  const auto meta = nlohmann::json::parse(read_file(exp / "meta.json"));
  CHECK(meta["status"] == "complete");
  CHECK(meta["runs"][0]["status"] == "completed");
  CHECK(meta["runs"][1]["field_evaluations"].get<long>() > 0);
  CHECK(meta["flows"][0]["layout"][1]["name"] == "W2");
  CHECK(meta["flows"][0]["hessian_method"] == "analytic Hessian-vector products");
  CHECK(meta["spec"]["runs"][1]["max_dt"] == 0.0);
  CHECK(meta["spec"]["init"]["std"] == 0.5);
  CHECK(meta["spec"]["data"]["noise_std"] == 0.1);
  CHECK(meta["runs"][0]["flow"] == "layers");
  CHECK(meta["flows"][0]["dim"] == 15);
  const NpyArray states = read_npy((exp / "gd.states.npy").string());
  CHECK(states.values.rows() == 51);
  CHECK(states.values.cols() == 15);
  const std::string header = read_file(exp / "gd.csv").substr(0, 60);
  CHECK_THAT(header, Catch::StartsWith("t,step,loss,grad_norm,hess_min,hess_max,balancedness_1"));
}

TEST_CASE("the same spec and seed give identical files, and exported data reproduce the run") {
  const fs::path dir = temp_dir("repro");
  write_file(dir / "spec.json", kSpec);
  REQUIRE(gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "a").string(), "-q"})
              .code == 0);
  REQUIRE(gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "b").string(), "-q"})
              .code == 0);
  for (const char* f : {"gd.csv", "gf.csv", "compare_gd_vs_gf.csv", "gd.states.npy"}) {
    CHECK(read_file(dir / "a" / "spec" / f) == read_file(dir / "b" / "spec" / f));
  }
  // The summaries too: wall time lives in meta.json only.
  for (const char* f : {"summary_runs.csv", "summary_comparisons.csv"}) {
    CHECK(read_file(dir / "a" / f) == read_file(dir / "b" / f));
    CHECK_THAT(read_file(dir / "a" / f), !Catch::Contains("seconds"));
  }
  // Feed the exported data and start back in from files: same numbers.
  const fs::path a = dir / "a" / "spec";
  write_file(
      dir / "spec.json",
      spec_with(
          {{R"("data": {"kind": "sine", "samples": 30, "inputs": 4})",
            R"("data": {"kind": "files", "x": "a/spec/data_X.npy", "y": "a/spec/data_Y.npy"})"},
           {R"("init": {"kind": "gaussian", "std": 0.5})",
            R"("init": {"kind": "file", "path": "a/spec/x0.npy"})"}}));
  REQUIRE(gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "c").string(), "-q"})
              .code == 0);
  CHECK(read_file(a / "gd.csv") == read_file(dir / "c" / "spec" / "gd.csv"));
  CHECK(read_file(a / "gf.csv") == read_file(dir / "c" / "spec" / "gf.csv"));
}

TEST_CASE(
    "a run can integrate the modified flow of a GD step, and GD is closer to it than to the flow") {
  const fs::path dir = temp_dir("modified");
  write_file(
      dir / "spec.json",
      spec_with(
          "{\"name\": \"gf\",",
          R"({"name": "mf", "integrator": "dopri5", "modified_eta": 0.01, "rtol": 1e-10, "atol": 1e-12},
           {"name": "gf",)"));
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto meta = nlohmann::json::parse(read_file(dir / "out" / "spec" / "meta.json"));
  REQUIRE(meta["runs"][1]["name"] == "mf");
  CHECK_THAT(meta["runs"][1]["field"].get<std::string>(),
             Catch::StartsWith("modified flow of GD with eta = 0.01"));
  double to_flow = 0.0, to_modified = 0.0;
  for (const auto& c : meta["comparisons"]) {
    if (c["a"] == "gd" && c["b"] == "gf") to_flow = c["max_state_dist"];
    if (c["a"] == "gd" && c["b"] == "mf") to_modified = c["max_state_dist"];
  }
  CHECK(to_modified > 0.0);
  CHECK(to_modified < 0.2 * to_flow);
}

TEST_CASE(
    "sharpness is recorded beside 2 over eta, and the edge-of-stability outcome is reported") {
  // Depth 1 is least squares: the sharpness is λ_max(XXᵀ/n) at every state,
  // so GD with 2/η below it crosses at t = 0 and diverges; above it, never.
  const fs::path dir = temp_dir("sharpness");
  const std::string base = R"({
    "data": {"kind": "sine", "samples": 30, "inputs": 4},
    "model": {"kind": "linear_network", "hidden": []},
    "init": {"kind": "gaussian", "std": 0.5},
    "t_end": 250.0,
    "runs": [{"name": "gd", "integrator": "euler", "eta": ETA}],
    "record": {"sharpness": true}
  })";
  auto run_with = [&](const std::string& eta) {
    std::string text = base;
    text.replace(text.find("ETA"), 3, eta);
    write_file(dir / "spec.json", text);
    const CliResult r = gradflow_cli(
        {"run", (dir / "spec.json").string(), "--out", (dir / ("out" + eta)).string(), "-q"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    return nlohmann::json::parse(read_file(dir / ("out" + eta) / "spec" / "meta.json"));
  };
  const auto unstable = run_with("2.5");
  CHECK(unstable["runs"][0]["edge_of_stability"]["outcome"] == "diverged");
  CHECK(unstable["runs"][0]["edge_of_stability"]["first_crossing_time"] == 0.0);
  CHECK(unstable["flows"][0]["sharpness_method"] == "dense eigensolver of the assembled Hessian");
  const auto stable = run_with("0.1");
  CHECK(stable["runs"][0]["edge_of_stability"]["outcome"] == "never_crossed");
  const std::string csv = read_file(dir / "out0.1" / "spec" / "gd.csv");
  CHECK_THAT(csv.substr(0, csv.find('\n')), Catch::Contains("sharpness,two_over_eta"));
}

TEST_CASE("initial layers can come from csv files and are used exactly") {
  const fs::path dir = temp_dir("csv_init");
  write_file(dir / "W1.csv", "w11,w12,w13,w14\n0.1,0.2,0.3,0.4\n-0.1,0.5,0.25,0\n1,2,3,4\n");
  write_file(dir / "W2.csv", "0.5,-0.5,0.125\n");
  write_file(dir / "spec.json",
             spec_with("\"init\": {\"kind\": \"gaussian\", \"std\": 0.5}",
                       "\"init\": {\"kind\": \"file\", \"layers\": [\"W1.csv\", \"W2.csv\"]}"));
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const Eigen::MatrixXd x0 = read_npy((dir / "out" / "spec" / "x0.npy").string()).values;
  REQUIRE(x0.size() == 15);
  CHECK(x0(1, 0) == -0.1);    // W1 column-major: (1,0) is the second entry
  CHECK(x0(3, 0) == 0.2);     // W1(0,1)
  CHECK(x0(14, 0) == 0.125);  // W2(0,2), the last entry
}

TEST_CASE("a diverging gradient descent is a result: status diverged, files written, exit 0") {
  const fs::path dir = temp_dir("diverge");
  write_file(dir / "spec.json", spec_with({{R"("eta": 0.01})", R"("eta": 5.0})"},
                                           {"\"t_end\": 0.5", "\"t_end\": 500"}}));
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("diverged at step"));
  const auto meta = nlohmann::json::parse(read_file(dir / "out" / "spec" / "meta.json"));
  CHECK(meta["runs"][0]["status"] == "diverged");
  CHECK(meta["runs"][1]["status"] == "completed");
}

TEST_CASE("bad input is refused with file, key, expected and got, and nothing is written") {
  const fs::path dir = temp_dir("bad");
  check_refused(dir, spec_with("\"t_end\": 0.5", "\"t_end\": 0.5, \"tmax\": 1"),
                "key 'tmax': unknown key (valid keys here:");
  check_refused(dir, spec_with("\"hidden\": [3]", "\"hidden\": [3], \"widht\": 2"),
                "key 'model.widht': unknown key, did you mean \"width\"? (valid keys here: depth, "
                "hidden, kind");
  check_refused(dir, spec_with("\"kind\": \"linear_network\"", "\"kind\": \"mlp\""),
                "key 'model.kind': unknown value \"mlp\" (valid: linear_network");
  check_refused(dir, spec_with("\"std\": 0.5", "\"std\": \"big\""),
                "key 'init.std': expected a number, got the string \"big\"");
  check_refused(dir, spec_with("\"t_end\": 0.5,", ""), "key 't_end': missing required key");
  check_refused(dir, spec_with("\"kind\": \"sine\"", "\"kind\": \"mnist\""),
                "key 'data.kind': unknown value \"mnist\" (valid: sine, files, spectrum)");
  check_refused(
      dir, spec_with("\"name\": \"gf\",", "\"name\": \"gf\", \"flow\": \"e2e\","),
      "key 'runs[1].flow': unknown flow \"e2e\" for this model (valid: layers, end_to_end)");
  check_refused(
      dir,
      spec_with("\"hidden\": [3]", "\"hidden\": [3], \"loss\": {\"kind\": \"lp\", \"p\": 1.5}"),
      "key 'model.loss.p': the lp loss needs p >= 2");
  check_refused(
      dir,
      spec_with("\"hidden\": [3]",
                "\"hidden\": [3, 3], \"saxe_oracle\": true, \"loss\": {\"kind\": \"lp\"}"),
      "key 'model.saxe_oracle': the closed form needs the square loss");
  check_refused(dir, spec_with("\"hidden\": [3]", "\"hidden\": [3], \"saxe_oracle\": true"),
                "key 'model.saxe_oracle': the closed form needs whitened inputs");
  check_refused(dir,
                spec_with({{"\"hidden\": [3]", "\"hidden\": [3], \"saxe_oracle\": true"},
                           {"\"inputs\": 4}", "\"inputs\": 4, \"whiten_inputs\": true}"}}),
                "needs a start W(0) = U diag(u0) Vᵀ aligned with the SVD of YXᵀ/n");
  check_refused(dir,
                spec_with("\"t_end\": 0.5,", "\"t_end\": 0.5, \"eta_sweep\": {\"values\": []},"),
                "key 'eta_sweep.values': expected at least two step sizes");
  check_refused(
      dir,
      spec_with("\"t_end\": 0.5,", "\"t_end\": 0.5, \"eta_sweep\": {\"values\": [0.01, 0.025]},"),
      "every step must be a whole multiple of the smallest (0.01)");
  check_refused(
      dir,
      spec_with("\"t_end\": 0.5,", "\"t_end\": 0.5, \"eta_sweep\": {\"values\": [0.01, -0.02]},"),
      "key 'eta_sweep.values': expected step sizes > 0, got -0.02");
  check_refused(dir, spec_with("\"hidden\": [3]", "\"depth\": 0"),
                "key 'model.depth': expected a positive integer, got 0");
  check_refused(dir, spec_with("\"eta\": 0.01", "\"eta\": -0.01"),
                "key 'runs[0].eta': expected a positive number, got -0.01");
  check_refused(dir, spec_with("\"rtol\": 1e-10", "\"rtol\": 1e-10, \"modified_eta\": -1"),
                "key 'runs[1].modified_eta': expected a positive number, got -1");
  check_refused(
      dir, spec_with("\"rtol\": 1e-10", "\"rtl\": 1e-10"),
      "key 'runs[1].rtl': unknown key, did you mean \"rtol\"? (valid keys here: adaptive, atol, "
      "average_window, central_eta, ensemble, flow, initial_dt, integrator, max_dt, modified_eta, "
      "name, rtol)");
  check_refused(dir, spec_with("\"std\": 0.5", "\"std\": 0.5, \"sdt\": 1"),
                "key 'init.sdt': unknown key, did you mean \"std\"?");
  check_refused(dir, spec_with("\"samples\": 30", "\"sampels\": 30"),
                "key 'data.sampels': unknown key, did you mean \"samples\"?");
  check_refused(dir, spec_with("\"hidden\": [3]", "\"hidden\": [3], \"loss\": {\"knd\": \"lp\"}"),
                "key 'model.loss.knd': unknown key, did you mean \"kind\"?");
  check_refused(dir, spec_with("\"integrator\": \"dopri5\"", "\"integrator\": \"event_driven\""),
                "key 'runs[1].integrator': event_driven integrates fields with switching surfaces");
  check_refused(dir, spec_with("\"rtol\": 1e-10", "\"rtol\": 0"),
                "key 'runs[1].rtol': expected a positive number, got 0");
  check_refused(dir, spec_with("\"eta\": 0.01", "\"eta\": 0.03"),
                "key 'runs[0].eta': t_end = 0.5 must be a whole number of steps of 0.03");

  // Data files: missing, malformed, NaN inside, dimension mismatch.
  Eigen::MatrixXd X = Eigen::MatrixXd::Ones(20, 4), Y = Eigen::MatrixXd::Ones(20, 1),
                  Y19 = Eigen::MatrixXd::Ones(19, 1);
  std::ofstream(dir / "X.npy", std::ios::binary) << npy_bytes(X);
  std::ofstream(dir / "Y.npy", std::ios::binary) << npy_bytes(Y);
  std::ofstream(dir / "Y19.npy", std::ios::binary) << npy_bytes(Y19);
  Eigen::MatrixXd Xnan = X;
  Xnan(3, 2) = std::numeric_limits<double>::quiet_NaN();
  std::ofstream(dir / "Xnan.npy", std::ios::binary) << npy_bytes(Xnan);
  write_file(dir / "Xbad.npy", "not an npy file");
  const std::string sine = R"("data": {"kind": "sine", "samples": 30, "inputs": 4})";
  auto files = [&](const std::string& x, const std::string& y) {
    return spec_with(sine,
                     "\"data\": {\"kind\": \"files\", \"x\": \"" + x + "\", \"y\": \"" + y + "\"}");
  };
  check_refused(dir, files("absent.npy", "Y.npy"), "absent.npy: cannot open the file");
  check_refused(dir, files("Xbad.npy", "Y.npy"), "Xbad.npy: not a valid .npy file");
  check_refused(dir, files("Xnan.npy", "Y.npy"), "Xnan.npy: contains NaN or Inf");
  check_refused(dir, files("X.npy", "Y19.npy"), "has 20 samples but Y");
  check_refused(dir, files("X.npy", "Y.txt.gz"), "expected a .npy or .csv file");
  // Widths against data: the network's input must be the data's.
  std::ofstream(dir / "X5.npy", std::ios::binary)
      << npy_bytes(Eigen::MatrixXd(Eigen::MatrixXd::Ones(20, 5)));
  check_refused(dir,
                spec_with("\"init\": {\"kind\": \"gaussian\", \"std\": 0.5}",
                          "\"init\": {\"kind\": \"file\", \"path\": \"X5.npy\"}"),
                "X5.npy holds a 20 x 5 array; expected a flat vector of 15 entries");
  check_refused(dir,
                spec_with("\"init\": {\"kind\": \"gaussian\", \"std\": 0.5}",
                          "\"init\": {\"kind\": \"file\", \"layers\": [\"X5.npy\", \"Y.npy\"]}"),
                "layer W1 must be 3 x 4 (d1 x d0), got 20 x 5");
  check_refused(dir,
                spec_with("\"init\": {\"kind\": \"gaussian\", \"std\": 0.5}",
                          "\"init\": {\"kind\": \"gaussian\", \"end_to_end\": \"X5.npy\"}"),
                "key 'init.end_to_end': X5.npy holds a 20 x 5 matrix; the end-to-end matrix must "
                "be dN x d0 = 1 x 4");
}

TEST_CASE("an output directory that cannot be written is refused before any integration") {
  const fs::path dir = temp_dir("unwritable");
  write_file(dir / "spec.json", kSpec);
  write_file(dir / "blocker", "a file where a directory should go");
  const CliResult r = gradflow_cli(
      {"run", (dir / "spec.json").string(), "--out", (dir / "blocker" / "out").string()});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("cannot create the output directory"));
  CHECK_THAT(r.out, !Catch::Contains("running"));
}

TEST_CASE("help and usage errors come from the option parser") {
  const CliResult help = gradflow_cli({"--help"});
  CHECK(help.code == 0);
  CHECK_THAT(help.out, Catch::Contains("run") && Catch::Contains("check"));
  const CliResult run_help = gradflow_cli({"run", "--help"});
  CHECK_THAT(run_help.out, Catch::Contains("--out"));
  CHECK(gradflow_cli({}).code == 2);
  CHECK(gradflow_cli({"run"}).code == 2);
  CHECK(gradflow_cli({"fly"}).code == 2);
}

TEST_CASE("every shipped example spec is valid") {
  const fs::path data = gradflow::testing::source_dir() / "data";
  REQUIRE(fs::exists(data));
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(data)) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path());
    const CliResult r = gradflow_cli({"check", entry.path().string()});
    INFO(r.err);
    CHECK(r.code == 0);
    ++checked;
  }
  CHECK(checked >= 1);
}

TEST_CASE(
    "both linear-network flows write their e2e matrix per record and every flow's start is "
    "written") {
  const fs::path dir = temp_dir("e2e_export");
  write_file(dir / "spec.json",
             spec_with("{\"name\": \"gf\",",
                       R"({"name": "e2e", "flow": "end_to_end", "rtol": 1e-10, "atol": 1e-12},
           {"name": "gf",)"));
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path exp = dir / "out" / "spec";
  const auto meta = nlohmann::json::parse(read_file(exp / "meta.json"));
  REQUIRE(meta["runs"][1]["name"] == "e2e");
  CHECK(meta["runs"][1]["e2e"]["file"] == "e2e.e2e.npy");
  CHECK(meta["runs"][1]["e2e"]["rows"] == 1);
  CHECK(meta["runs"][1]["e2e"]["cols"] == 4);
  // The end-to-end flow's state is its matrix W (1 x 4): the projection per
  // record is the recorded state.
  REQUIRE(fs::exists(exp / "e2e.e2e.npy"));
  const Eigen::MatrixXd e2e = read_npy((exp / "e2e.e2e.npy").string()).values;
  const Eigen::MatrixXd e2e_states = read_npy((exp / "e2e.states.npy").string()).values;
  CHECK(e2e.rows() == 51);
  CHECK(e2e == e2e_states);

  // Starts: x0.npy is the layers' start; x0_layers.npy the same; the
  // end-to-end flow starts at the product W2·W1 of the layers, computed here
  // from the layout (W1 3 x 4 then W2 1 x 3, column-major).
  const Eigen::MatrixXd x0 = read_npy((exp / "x0.npy").string()).values;
  CHECK(read_npy((exp / "x0_layers.npy").string()).values == x0);
  const Eigen::Map<const Eigen::MatrixXd> W1(x0.data(), 3, 4), W2(x0.data() + 12, 1, 3);
  const Eigen::MatrixXd product = W2 * W1;
  const Eigen::MatrixXd start_e2e = read_npy((exp / "x0_end_to_end.npy").string()).values;
  REQUIRE(start_e2e.size() == 4);
  // The flow's start is this product up to the round-off of a sum of 3
  // products, at most 3ε·Σ|W2_k||W1_kj| per entry (summation order may differ).
  const Eigen::MatrixXd roundoff =
      3.0 * std::numeric_limits<double>::epsilon() * (W2.cwiseAbs() * W1.cwiseAbs());
  for (Eigen::Index j = 0; j < 4; ++j)
    CHECK(std::abs(start_e2e(j) - product(0, j)) <= roundoff(0, j));
  // ... and it is the first recorded state of the end-to-end run.
  CHECK(e2e_states.row(0).transpose() == Eigen::Map<const Eigen::VectorXd>(start_e2e.data(), 4));
  CHECK(meta["flows"][0]["start"] == "x0_layers.npy");
  CHECK(meta["flows"][1]["start"] == "x0_end_to_end.npy");
  for (const char* f : {"x0_layers.npy", "x0_end_to_end.npy"}) {
    CHECK(std::find(meta["files"].begin(), meta["files"].end(), f) != meta["files"].end());
  }
}
