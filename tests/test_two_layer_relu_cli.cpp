// The two_layer_relu model kind through the gradflow command: the shipped
// example runs and writes the NTK comparison, a user's own inputs, labels and
// weights (.npy) are used exactly, and bad input ends with a clear message.

#include "cli/command.hpp"

#include "io/npy.hpp"
#include "cli_support.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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

fs::path temp_dir(const std::string& name) { return testing::fresh_temp_dir("relu_cli", name); }

// A user's own data set: n = 12 inputs in R^3 (rows, not unit norm), labels
// ±1, and a start of width 8.
struct OwnFiles {
  Eigen::MatrixXd X, W0;
  Eigen::VectorXd y, a;
};

OwnFiles write_own_files(const fs::path& dir) {
  Rng rng(5);
  OwnFiles f;
  f.X = rng.normal_matrix(12, 3, 2.0);
  f.y = Eigen::VectorXd(12);
  for (Eigen::Index i = 0; i < 12; ++i) f.y[i] = f.X(i, 0) > 0 ? 1.0 : -1.0;
  f.W0 = rng.normal_matrix(8, 3);
  f.a = Eigen::VectorXd(8);
  for (Eigen::Index r = 0; r < 8; ++r) f.a[r] = r % 2 == 0 ? 1.0 : -1.0;
  write_file(dir / "X.npy", npy_bytes(f.X));
  write_file(dir / "y.npy", npy_bytes(f.y));
  write_file(dir / "W0.npy", npy_bytes(f.W0));
  write_file(dir / "a.npy", npy_bytes(f.a));
  return f;
}

const char* kOwnSpec = R"({
  "data": {"kind": "files", "x": "X.npy", "y": "y.npy"},
  "model": {"kind": "two_layer_relu", "width": 8},
  "init": {"kind": "file", "weights": "W0.npy", "signs": "a.npy"},
  "t_end": 0.5,
  "runs": [{"name": "gf", "integrator": "event_driven"},
           {"name": "gd", "integrator": "euler", "eta": 0.05},
           {"name": "kernel", "flow": "kernel", "integrator": "exact"}],
  "record": {"projection": true}
})";

std::string own_spec_with(const std::string& from, const std::string& to) {
  std::string s = kOwnSpec;
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("the shipped small NTK spec runs and writes the network-versus-kernel comparison") {
  const fs::path dir = temp_dir("small");
  const fs::path spec = gradflow::testing::source_dir() / "data" / "ntk_small.json";
  const CliResult r = gradflow_cli({"run", spec.string(), "--out", dir.string(), "--quiet"});
  INFO(r.err << r.out);
  REQUIRE(r.code == 0);
  const fs::path exp = dir / "ntk_small";
  const std::string csv = read_file(exp / "net_gf.csv");
  const std::string header = csv.substr(0, csv.find('\n'));
  for (const char* column : {"weight_change", "pattern_changed", "kernel_dist_inf", "kernel_drift",
                             "lambda_min_inf", "bound_time", "loss_bound", "under_bound"}) {
    CHECK_THAT(header, Catch::Contains(column));
  }
  CHECK_THAT(read_file(exp / "compare_net_gf_vs_kernel_gf.csv"), Catch::Contains("u_dist"));
  const auto meta = nlohmann::json::parse(read_file(exp / "meta.json"));
  bool found = false;
  for (const auto& run : meta["runs"]) {
    if (run["name"] == "net_gf") {
      found = true;
      CHECK(run["status"] == "completed");
      // The event-driven run reports its switching events.
      CHECK(run["counters"]["crossings"].get<long>() > 0);
      CHECK(run["counters"]["events"].get<long>() >= run["counters"]["crossings"].get<long>());
      CHECK_THAT(run["message"].get<std::string>(), Catch::Contains("crossings"));
    }
  }
  CHECK(found);
}

TEST_CASE("a run uses the user's own inputs, labels, weights and signs exactly") {
  const fs::path dir = temp_dir("own");
  const OwnFiles f = write_own_files(dir);
  write_file(dir / "spec.json", kOwnSpec);
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path exp = dir / "out" / "spec";
  // The start is W0 itself (flattened column-major, as x0.npy always is).
  const Eigen::MatrixXd x0 = read_npy((exp / "x0.npy").string()).values;
  CHECK((Eigen::Map<const Eigen::VectorXd>(x0.data(), x0.size()) -
         Eigen::Map<const Eigen::VectorXd>(f.W0.data(), f.W0.size()))
            .norm() == 0.0);
  // The predictions at t = 0, from the files by the definition (inputs
  // normalised, as the model announces in the data description).
  const Eigen::MatrixXd u = read_npy((exp / "gf.u.npy").string()).values;  // records × n
  for (Eigen::Index i = 0; i < 12; ++i) {
    const Eigen::RowVectorXd xi = f.X.row(i) / f.X.row(i).norm();
    double sum = 0.0;
    for (Eigen::Index k = 0; k < 8; ++k) sum += f.a[k] * std::max(0.0, f.W0.row(k).dot(xi));
    INFO("sample " << i);
    CHECK(u(0, i) == Approx(sum / std::sqrt(8.0)).margin(1e-14));
  }
  const auto meta = nlohmann::json::parse(read_file(exp / "meta.json"));
  CHECK_THAT(meta["data"]["description"].get<std::string>(),
             Catch::Contains("normalised to unit norm"));
}

TEST_CASE("bad two-layer ReLU input ends with a message naming the key, exit 2 and no files") {
  const fs::path dir = temp_dir("bad");
  write_own_files(dir);
  SECTION("inputs not of unit norm, when asked to refuse them") {
    check_refused(
        dir, own_spec_with("\"width\": 8", "\"width\": 8, \"non_unit_inputs\": \"refuse\""),
        "model.non_unit_inputs': input 10 has norm 3.29");  // the input farthest from norm 1
  }
  SECTION("labels of the wrong length") {
    write_file(dir / "y5.npy", npy_bytes(Eigen::VectorXd(Eigen::VectorXd::Ones(5))));
    check_refused(dir, own_spec_with("\"y.npy\"", "\"y5.npy\""), "has 12 samples but Y");
  }
  SECTION("width 0") {
    check_refused(dir, own_spec_with("\"width\": 8", "\"width\": 0"), "model.width");
  }
  SECTION("weights that do not match the width") {
    check_refused(dir, own_spec_with("\"width\": 8", "\"width\": 9"),
                  "init.weights': W0.npy holds a 8 x 3 array; expected m x d = 9 x 3");
  }
  SECTION("signs other than plus or minus one") {
    write_file(dir / "a.npy", npy_bytes(Eigen::VectorXd(Eigen::VectorXd::Constant(8, 0.5))));
    check_refused(dir, kOwnSpec, "init.signs': a.npy: entry 0 is 0.5");
  }
  SECTION("the exact solver asked for the network's nonlinear flow") {
    check_refused(dir,
                  own_spec_with("\"integrator\": \"event_driven\"", "\"integrator\": \"exact\""),
                  "runs[0].integrator");
  }
}

TEST_CASE("a network run that names no integrator is event_driven and its kernel run auto") {
  // dopri5 (or auto) stepping across the activation surfaces crawled for
  // minutes where event_driven takes a fraction of a second.
  const fs::path dir = temp_dir("default_integrator");
  write_file(dir / "spec.json", R"({"seed": 3,
    "data": {"kind": "sine", "samples": 8, "inputs": 3, "unit_norm_inputs": true},
    "model": {"kind": "two_layer_relu", "width": 20}, "init": {"kind": "gaussian"},
    "t_end": 0.5, "runs": [{"name": "net"}, {"name": "kernel", "flow": "kernel"}]})");
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto meta = nlohmann::json::parse(read_file(dir / "out" / "spec" / "meta.json"));
  CHECK(meta["runs"][0]["integrator"] == "event_driven");
  CHECK(meta["runs"][1]["integrator"] == "auto");
}

TEST_CASE(
    "the network records its relative and per-neuron weight change, as computed from its states") {
  const fs::path dir = temp_dir("weight_change");
  const OwnFiles f = write_own_files(dir);
  write_file(dir / "spec.json",
             own_spec_with(R"("record": {"projection": true})", R"("record": {"states": true})"));
  const CliResult r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path exp = dir / "out" / "spec";
  for (const std::string run : {"gf", "gd"}) {
    INFO(run);
    const Eigen::MatrixXd states = read_npy((exp / (run + ".states.npy")).string()).values;
    const fs::path csv = exp / (run + ".csv");
    const auto relative = testing::csv_column(csv, "relative_weight_change");
    const auto largest = testing::csv_column(csv, "neuron_change_max");
    const auto mean = testing::csv_column(csv, "neuron_change_mean");
    REQUIRE(relative.size() == static_cast<std::size_t>(states.rows()));
    double moved_at_end = 0.0;
    for (Eigen::Index i = 0; i < states.rows(); ++i) {
      // W (8 × 3) column-major in the state; W(0) is the file's.
      const Eigen::MatrixXd W =
          Eigen::Map<const Eigen::MatrixXd>(states.row(i).eval().data(), 8, 3);
      const Eigen::MatrixXd D = W - f.W0;
      double top = 0.0, sum = 0.0;
      for (Eigen::Index k = 0; k < 8; ++k) {
        top = std::max(top, D.row(k).norm());
        sum += D.row(k).norm();
      }
      const auto at = static_cast<std::size_t>(i);
      // Norms of the same differences summed in another order: round-off.
      CHECK(relative[at] == Approx(D.norm() / f.W0.norm()).margin(1e-15));
      CHECK(largest[at] == Approx(top).margin(1e-15));
      CHECK(mean[at] == Approx(sum / 8.0).margin(1e-15));
      moved_at_end = D.norm();
    }
    CHECK(moved_at_end > 1e-3);  // the comparison saw the weights move
  }
}
