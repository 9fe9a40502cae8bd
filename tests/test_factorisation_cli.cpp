// The symmetric factorisation through the gradflow command: files and
// metrics, runs reproduced from the exported arrays, bad input refused with
// the key named. (The shipped sensing sweep is checked in test_examples.cpp.)

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
using gradflow::testing::CliResult;
using gradflow::testing::gradflow_cli;
using gradflow::testing::read_file;
using gradflow::testing::write_file;

namespace {

fs::path temp_dir(const std::string& name) {
  return testing::fresh_temp_dir("factorisation_cli", name);
}

// A spec with `data` and `init` objects spliced in; three flows from one start.
std::string spec(const std::string& data,
                 const std::string& init = R"({"kind": "gaussian", "alpha": 0.3})",
                 const std::string& t_end = "0.5") {
  return R"({
  "seed": 4,
  "data": )" +
         data + R"(,
  "model": {"kind": "symmetric_factorisation", "depth": 2, "top_singular_values": 3},
  "init": )" +
         init + R"(,
  "t_end": )" +
         t_end + R"(,
  "sample": {"kind": "grid", "spacing": 0.05},
  "runs": [{"name": "gd", "flow": "U", "integrator": "euler", "eta": 0.005},
           {"name": "gf", "flow": "U", "integrator": "dopri5", "rtol": 1e-11, "atol": 1e-13},
           {"name": "wflow", "flow": "W", "integrator": "dopri5", "rtol": 1e-11, "atol": 1e-13},
           {"name": "deep", "flow": "deep", "integrator": "dopri5", "rtol": 1e-10, "atol": 1e-12}],
  "compare": [["gd", "gf"], ["gf", "wflow"], ["gf", "deep"]]
})";
}

const char* kSensing = R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 40})";
const char* kCompletion = R"({"kind": "completion", "size": 6, "rank": 2, "observed": 20})";

CliResult run_spec(const fs::path& dir, const std::string& text, const std::string& out) {
  write_file(dir / "spec.json", text);
  return gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / out).string(), "-q"});
}

// Bad input: exit 2, the message contains `expected`, and no output directory.
void check_refused(const fs::path& dir, const std::string& text, const std::string& expected) {
  write_file(dir / "spec.json", text);
  const fs::path out = dir / "out";
  fs::remove_all(out);
  const CliResult r = gradflow_cli({"run", (dir / "spec.json").string(), "--out", out.string()});
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains(expected));
  CHECK_FALSE(fs::exists(out));
}

std::vector<std::string> csv_header(const fs::path& path) {
  std::istringstream in(read_file(path));
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> out;
  std::istringstream cells(line);
  while (std::getline(cells, cell, ',')) out.push_back(cell);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE(
    "a factorisation run writes the metrics of every flow, the comparisons in W and the exports") {
  const fs::path dir = temp_dir("run");
  for (const char* data : {kSensing, kCompletion}) {
    INFO(data);
    const CliResult r = run_spec(dir, spec(data), "out");
    INFO(r.err);
    REQUIRE(r.code == 0);
    const fs::path exp = dir / "out" / "spec";
    const auto gf = csv_header(exp / "gf.csv");
    for (const char* column :
         {"reconstruction_error", "nuclear_norm", "effective_rank", "sigma_1", "sigma_3"}) {
      CHECK(contains(gf, column));
    }
    CHECK_FALSE(contains(gf, "sigma_4"));
    CHECK(contains(gf, "unobserved_error") == (std::string(data) == kCompletion));
    CHECK(contains(csv_header(exp / "wflow.csv"), "symmetry_drift"));
    CHECK(contains(csv_header(exp / "deep.csv"), "balancedness_1"));
    CHECK(contains(csv_header(exp / "compare_gf_vs_wflow.csv"), "W_dist"));
    const auto meta = nlohmann::json::parse(read_file(exp / "meta.json"));
    REQUIRE(meta["flows"].size() == 3);
    CHECK(meta["flows"][0]["name"] == "U");
    CHECK(meta["flows"][1]["name"] == "W");
    CHECK(meta["flows"][2]["name"] == "deep");
    for (const auto& f : meta["flows"]) CHECK(f["projection"] == "W");
    CHECK(meta["spec"]["model"]["width"] == 6);
    CHECK(meta["spec"]["init"]["alpha"] == 0.3);
    // The U-flow and the W-flow are one flow in two coordinates: their W agree
    // to the solvers' tolerance (rtol 1e-11 over ~10² steps, ‖W‖ = O(1)).
    double max_w_dist = -1.0;
    for (const auto& c : meta["comparisons"]) {
      if (c["a"] == "gf" && c["b"] == "wflow") max_w_dist = c["max_W_dist"].get<double>();
    }
    CHECK(max_w_dist >= 0.0);
    CHECK(max_w_dist <= 1e-8);
    const std::vector<std::string> exports =
        std::string(data) == kSensing
            ? std::vector<std::string>{"ground_truth.npy", "sensing_measurements.npy",
                                       "sensing_targets.npy"}
            : std::vector<std::string>{"ground_truth.npy", "completion_observed.npy"};
    for (const auto& f : exports) CHECK(fs::exists(exp / f));
    CHECK(fs::exists(exp / "U0.npy"));
    CHECK(read_npy((exp / "ground_truth.npy").string()).values.rows() == 6);
  }
}

TEST_CASE("the exported ground truth, observations and U0 reproduce a run bit for bit") {
  const fs::path dir = temp_dir("repro");
  REQUIRE(run_spec(dir, spec(kSensing), "a").code == 0);
  REQUIRE(run_spec(dir, spec(kCompletion), "b").code == 0);
  const CliResult sensing =
      run_spec(dir,
               spec(R"({"kind": "sensing", "ground_truth_file": "a/spec/ground_truth.npy",
               "measurements_file": "a/spec/sensing_measurements.npy"})",
                    R"({"kind": "file", "path": "a/spec/U0.npy", "alpha": 0.3})"),
               "c");
  INFO(sensing.err);
  REQUIRE(sensing.code == 0);
  const CliResult completion =
      run_spec(dir,
               spec(R"({"kind": "completion", "ground_truth_file": "b/spec/ground_truth.npy",
               "observed_file": "b/spec/completion_observed.npy"})",
                    R"({"kind": "file", "path": "b/spec/U0.npy", "alpha": 0.3})"),
               "d");
  INFO(completion.err);
  REQUIRE(completion.code == 0);
  // The flat start x0.npy with α = 1 is the same start as U0.npy with α.
  const CliResult flat =
      run_spec(dir, spec(kSensing, R"({"kind": "file", "path": "a/spec/x0.npy"})"), "e");
  INFO(flat.err);
  REQUIRE(flat.code == 0);
  for (const char* f : {"gd.csv", "gf.csv", "wflow.csv", "deep.csv", "compare_gf_vs_wflow.csv"}) {
    INFO(f);
    CHECK(read_file(dir / "a" / "spec" / f) == read_file(dir / "c" / "spec" / f));
    CHECK(read_file(dir / "b" / "spec" / f) == read_file(dir / "d" / "spec" / f));
    CHECK(read_file(dir / "a" / "spec" / f) == read_file(dir / "e" / "spec" / f));
  }
}

TEST_CASE("bad factorisation input is refused naming the key, with nothing written") {
  const fs::path dir = temp_dir("bad");
  check_refused(dir, spec(R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 0})"),
                "key 'data.measurements': expected a positive integer, got 0");
  check_refused(dir, spec(R"({"kind": "sensing", "size": 6, "rank": 7, "measurements": 10})"),
                "key 'data.rank': expected a rank between 1 and size = 6, got 7");
  check_refused(
      dir, spec(R"({"kind": "completion", "size": 6, "rank": 2, "observed": 37})"),
      "key 'data.observed': the number of observed entries must be between 1 and d² = 36");
  check_refused(dir, spec(kSensing, R"({"kind": "gaussian", "alpha": 0})"),
                "key 'init.alpha': expected a positive number, got 0");
  check_refused(dir, spec(kSensing, R"({"kind": "identity", "alpha": -0.1})"),
                "key 'init.alpha': expected a positive number, got -0.1");
  check_refused(dir, spec(kSensing, R"({"kind": "gaussian"})"),
                "key 'init.alpha': missing required key");

  // Observed index sets from files: out of range, duplicated.
  Eigen::MatrixXd omega(3, 2);
  omega << 0, 1, 2, 6, 3, 3;
  write_file(dir / "omega_range.npy", npy_bytes(omega));
  omega << 0, 1, 2, 5, 0, 1;
  write_file(dir / "omega_twice.npy", npy_bytes(omega));
  const std::string truth_diag =
      R"({"kind": "completion", "size": 6, "rank": 2, "observed_file": ")";
  check_refused(dir, spec(truth_diag + R"(omega_range.npy"})"),
                "key 'data.observed_file': observed entry 1 is (2, 6), outside the 6 x 6 matrix "
                "(indices are 0-based");
  check_refused(
      dir, spec(truth_diag + R"(omega_twice.npy"})"),
      "key 'data.observed_file': observed entry (0, 1) is listed twice (entries 0 and 2)");
  // A count and a file of the same thing.
  check_refused(dir, spec(truth_diag + R"(omega_twice.npy", "observed": 4})"),
                "key 'data.observed': give either \"observed\" (a count to draw) or "
                "\"observed_file\", not both");
  check_refused(dir,
                spec(R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 9, )"
                     R"("measurements_file": "A.npy"})"),
                "key 'data.measurements': give either \"measurements\" (a count to draw) or "
                "\"measurements_file\", not both");

  // Ground truth from a file: not symmetric; not PSD when declared PSD.
  Eigen::MatrixXd W = Eigen::MatrixXd::Identity(6, 6);
  W(0, 1) = 0.5;
  write_file(dir / "W_asym.npy", npy_bytes(W));
  W(1, 0) = 0.5;
  W(2, 2) = -1.0;
  write_file(dir / "W_indef.npy", npy_bytes(W));
  auto from_file = [](const std::string& file, const std::string& extra = "") {
    return R"({"kind": "completion", "ground_truth_file": ")" + file + R"(", "observed": 10)" +
           extra + "}";
  };
  check_refused(dir, spec(from_file("W_asym.npy")),
                "key 'data.ground_truth_file': the ground truth W* must be symmetric");
  check_refused(dir, spec(from_file("W_asym.npy")),
                "a non-symmetric or non-square target is the model kind \"matrix_factorisation\"");
  check_refused(dir, spec(from_file("W_indef.npy")),
                "key 'data.ground_truth_file': the ground truth W* is declared positive "
                "semidefinite (\"psd\": true) "
                "but has the eigenvalue -1");
  // Declared indefinite, the same matrix is accepted.
  write_file(dir / "spec.json", spec(from_file("W_indef.npy", R"(, "psd": false)")));
  CHECK(gradflow_cli({"check", (dir / "spec.json").string()}).code == 0);
  check_refused(dir, spec(from_file("W_indef.npy", R"(, "rank": 2)")),
                "key 'data.rank': the rank is that of ground_truth_file");
  check_refused(dir, spec(from_file("W_indef.npy", R"(, "size": 5, "psd": false)")),
                "key 'data.size': W_indef.npy is 6 x 6, but size = 5");

  // Measurement matrices and U0 of the wrong shape; asymmetric measurements.
  write_file(dir / "A_shape.npy", npy_bytes(Eigen::MatrixXd(Eigen::MatrixXd::Ones(4, 35))));
  check_refused(
      dir, spec(R"({"kind": "sensing", "size": 6, "rank": 2, "measurements_file": "A_shape.npy"})"),
      "key 'data.measurements_file': A_shape.npy holds a 4 x 35 array; expected m x d² = m x 36");
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(2, 36);
  A(1, 1) = 1.0;  // A_1(1, 0) without A_1(0, 1)
  write_file(dir / "A_asym.npy", npy_bytes(A));
  check_refused(
      dir, spec(R"({"kind": "sensing", "size": 6, "rank": 2, "measurements_file": "A_asym.npy"})"),
      "key 'data.measurements_file': measurement 1 (0-based) is not symmetric");
  write_file(dir / "A_none.npy", npy_bytes(Eigen::MatrixXd(0, 36)));
  check_refused(
      dir, spec(R"({"kind": "sensing", "size": 6, "rank": 2, "measurements_file": "A_none.npy"})"),
      "key 'data.measurements_file': matrix sensing needs at least one measurement, got 0");
  write_file(dir / "U_shape.npy", npy_bytes(Eigen::MatrixXd(Eigen::MatrixXd::Ones(6, 4))));
  check_refused(dir, spec(kSensing, R"({"kind": "file", "path": "U_shape.npy"})"),
                "key 'init.path': U must be 6 x 6 (d x k), got 6 x 4");
  check_refused(
      dir, spec(R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 10, "observed": 3})"),
      "key 'data.observed': unknown key");
}

TEST_CASE("every factorisation flow writes its own start, the first record of its runs") {
  const fs::path dir = temp_dir("starts");
  const CliResult r = run_spec(dir, spec(kSensing), "out");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path exp = dir / "out" / "spec";
  const auto meta = nlohmann::json::parse(read_file(exp / "meta.json"));
  CHECK(meta["flows"][0]["start"] == "x0_U.npy");
  CHECK(meta["flows"][1]["start"] == "x0_W.npy");
  CHECK(meta["flows"][2]["start"] == "x0_deep.npy");
  // U(0) = α·U₀ with α = 0.3 (exact: one product per entry); x0.npy is the same.
  const Eigen::MatrixXd U0 = read_npy((exp / "U0.npy").string()).values;
  const Eigen::MatrixXd x0_U = read_npy((exp / "x0_U.npy").string()).values;
  REQUIRE(x0_U.size() == 36);
  CHECK(x0_U == read_npy((exp / "x0.npy").string()).values);
  const Eigen::MatrixXd U = Eigen::Map<const Eigen::MatrixXd>(x0_U.data(), 6, 6);
  CHECK(U == 0.3 * U0);
  // W(0) = U(0)U(0)ᵀ, 6 x 6 column-major, to the round-off of a 6-term sum.
  const Eigen::MatrixXd x0_W = read_npy((exp / "x0_W.npy").string()).values;
  REQUIRE(x0_W.size() == 36);
  const Eigen::MatrixXd W0 = Eigen::Map<const Eigen::MatrixXd>(x0_W.data(), 6, 6);
  const Eigen::MatrixXd UUt = U * U.transpose();
  CHECK((W0 - UUt).cwiseAbs().maxCoeff() <=
        1e-15 * (U.cwiseAbs() * U.cwiseAbs().transpose()).maxCoeff() * 6);
  CHECK(W0 == W0.transpose());
  // The deep flow's balanced layers (depth 2 here) multiply back to W(0), up to
  // the round-off of the square roots of its eigendecomposition.
  const auto& layout = meta["flows"][2]["layout"];
  REQUIRE(layout.size() == 2);
  const Eigen::MatrixXd x0_deep = read_npy((exp / "x0_deep.npy").string()).values;
  auto block = [&](const nlohmann::json& b) {
    return Eigen::Map<const Eigen::MatrixXd>(x0_deep.data() + b["offset"].get<long>(),
                                             b["rows"].get<long>(), b["cols"].get<long>());
  };
  CHECK((block(layout[1]) * block(layout[0]) - W0).norm() <= 1e-12 * W0.norm());
  // Each is the first recorded state of the runs of its flow.
  const std::vector<std::pair<std::string, Eigen::MatrixXd>> starts = {
      {"gf", x0_U}, {"gd", x0_U}, {"wflow", x0_W}, {"deep", x0_deep}};
  const std::string with_states = [&] {
    std::string text = spec(kSensing);
    text.insert(text.rfind('}'), R"(, "record": {"states": true})");
    return text;
  }();
  REQUIRE(run_spec(dir, with_states, "states").code == 0);
  for (const auto& [run, x0] : starts) {
    INFO(run);
    const Eigen::MatrixXd states =
        read_npy((dir / "states" / "spec" / (run + ".states.npy")).string()).values;
    REQUIRE(states.cols() == x0.size());
    CHECK(states.row(0).transpose() == Eigen::Map<const Eigen::VectorXd>(x0.data(), x0.size()));
  }
}

TEST_CASE(
    "sensing targets can be given as a file, e.g. noisy measurements, and bad ones are refused "
    "naming file and key") {
  const fs::path dir = temp_dir("targets");
  REQUIRE(run_spec(dir, spec(kSensing), "a").code == 0);
  const fs::path a = dir / "a" / "spec";
  // The exported targets b = A(W*) fed back: the same run, bit for bit.
  const CliResult same = run_spec(
      dir,
      spec(
          R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 40, "targets_file": "a/spec/sensing_targets.npy"})"),
      "b");
  INFO(same.err);
  REQUIRE(same.code == 0);
  for (const char* f : {"gd.csv", "gf.csv", "wflow.csv", "deep.csv"}) {
    INFO(f);
    CHECK(read_file(a / f) == read_file(dir / "b" / "spec" / f));
  }
  // Noisy targets b + ε: the loss is 1/(2m)‖A vec(W) − (b + ε)‖², computed
  // here from the exported A and the W-flow's start, and the exported targets
  // are the noisy ones.
  const Eigen::MatrixXd A = read_npy((a / "sensing_measurements.npy").string()).values;
  const Eigen::VectorXd b = read_npy((a / "sensing_targets.npy").string()).values;
  REQUIRE(b.size() == 40);
  Eigen::VectorXd noisy = b;
  for (Eigen::Index i = 0; i < noisy.size(); ++i)
    noisy[i] += 0.1 * std::sin(1.0 + 3.0 * static_cast<double>(i));
  write_file(dir / "noisy.npy", npy_bytes(noisy));
  const CliResult r = run_spec(
      dir,
      spec(
          R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 40, "targets_file": "noisy.npy"})"),
      "c");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path c = dir / "c" / "spec";
  CHECK(read_npy((c / "sensing_targets.npy").string()).values == noisy);
  const Eigen::MatrixXd x0_W = read_npy((c / "x0_W.npy").string()).values;
  const double expected = 0.5 * (A * x0_W - noisy).squaredNorm() / 40.0;
  std::istringstream csv(read_file(c / "wflow.csv"));
  std::string header, first;
  std::getline(csv, header);
  std::getline(csv, first);
  const double loss0 = std::stod(first.substr(first.find(',', first.find(',') + 1) + 1));
  // The model sums over upper triangles, this over all d² entries: round-off only.
  CHECK(loss0 == Approx(expected).epsilon(1e-12));
  const auto meta = nlohmann::json::parse(read_file(c / "meta.json"));
  CHECK(meta["spec"]["data"]["targets_file"] == "noisy.npy");
  CHECK_THAT(meta["data"]["description"].get<std::string>(),
             Catch::Contains("targets b from noisy.npy"));

  // Refused: the wrong length, a matrix, NaN, a completion task.
  write_file(dir / "short.npy", npy_bytes(Eigen::VectorXd(noisy.head(39))));
  check_refused(
      dir,
      spec(
          R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 40, "targets_file": "short.npy"})"),
      "key 'data.targets_file': short.npy holds 39 targets; expected m = 40, one per measurement");
  write_file(dir / "square.npy", npy_bytes(Eigen::MatrixXd(Eigen::MatrixXd::Ones(8, 5))));
  check_refused(
      dir,
      spec(
          R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 40, "targets_file": "square.npy"})"),
      "key 'data.targets_file': square.npy holds a 8 x 5 array; expected a vector of m = 40 "
      "targets");
  Eigen::VectorXd with_nan = noisy;
  with_nan[7] = std::numeric_limits<double>::quiet_NaN();
  write_file(dir / "nan.npy", npy_bytes(with_nan));
  check_refused(
      dir,
      spec(
          R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 40, "targets_file": "nan.npy"})"),
      "key 'data.targets_file': ");
  check_refused(
      dir,
      spec(
          R"({"kind": "sensing", "size": 6, "rank": 2, "measurements": 40, "targets_file": "nan.npy"})"),
      "nan.npy: contains NaN or Inf");
  check_refused(
      dir,
      spec(
          R"({"kind": "completion", "size": 6, "rank": 2, "observed": 20, "targets_file": "noisy.npy"})"),
      "key 'data.targets_file': unknown key");
}

TEST_CASE(
    "the deep flow starts from given layers or a given W(0), and refuses wrong counts and shapes") {
  const fs::path dir = temp_dir("deep_start");
  Rng rng(21);
  const Eigen::MatrixXd W1 = rng.normal_matrix(6, 6), W2 = rng.normal_matrix(6, 6);
  // A rank-one, non-symmetric W(0): its balanced split is zero beyond rank one.
  const Eigen::MatrixXd W0 = rng.normal_matrix(6, 1) * rng.normal_matrix(1, 6);
  write_file(dir / "W1.npy", npy_bytes(W1));
  write_file(dir / "W2.npy", npy_bytes(W2));
  write_file(dir / "W0.npy", npy_bytes(W0));
  write_file(dir / "W_5x6.npy", npy_bytes(Eigen::MatrixXd(Eigen::MatrixXd::Ones(5, 6))));
  auto with_deep = [&](const std::string& deep) {
    std::string text =
        spec(kSensing, R"({"kind": "gaussian", "alpha": 0.3, "deep": )" + deep + "}");
    const std::string runs = R"("runs": [)";
    text.replace(text.find(runs), runs.size(), R"("record": {"states": true}, "runs": [)");
    return text;
  };
  auto deep_start = [&](const std::string& out) {
    const NpyArray states = read_npy((dir / out / "spec" / "deep.states.npy").string());
    return Eigen::VectorXd(states.values.row(0).transpose());
  };

  const CliResult layers =
      run_spec(dir, with_deep(R"({"layers": ["W1.npy", "W2.npy"]})"), "layers");
  INFO(layers.err);
  REQUIRE(layers.code == 0);
  Eigen::VectorXd expected(72);
  expected << Eigen::Map<const Eigen::VectorXd>(W1.data(), 36),
      Eigen::Map<const Eigen::VectorXd>(W2.data(), 36);
  CHECK(deep_start("layers") == expected);  // the layers as given, bit for bit

  const CliResult e2e = run_spec(dir, with_deep(R"({"end_to_end": "W0.npy"})"), "e2e");
  INFO(e2e.err);
  REQUIRE(e2e.code == 0);
  const Eigen::VectorXd x = deep_start("e2e");
  const Eigen::Map<const Eigen::MatrixXd> A1(x.data(), 6, 6), A2(x.data() + 36, 6, 6);
  // An SVD and one product: round-off relative to ‖W(0)‖.
  CHECK((A2 * A1 - W0).norm() <= 1e-14 * W0.norm());
  CHECK(A1.bottomRows(5).cwiseAbs().maxCoeff() == 0.0);
  CHECK(A2.rightCols(5).cwiseAbs().maxCoeff() == 0.0);
  const auto meta = nlohmann::json::parse(read_file(dir / "e2e" / "spec" / "meta.json"));
  CHECK(meta["spec"]["init"]["deep"]["end_to_end"] == "W0.npy");

  // The other flows keep U(0): their files are those of a run without init.deep.
  REQUIRE(run_spec(dir, spec(kSensing), "plain").code == 0);
  for (const char* f : {"gf.csv", "wflow.csv", "gd.csv"}) {
    CHECK(read_file(dir / "plain" / "spec" / f) == read_file(dir / "e2e" / "spec" / f));
  }

  check_refused(
      dir, with_deep(R"({"layers": ["W1.npy"]})"),
      "key 'init.deep.layers': expected 2 paths, one per layer W1 … W2 (model.depth = 2), got 1");
  check_refused(dir, with_deep(R"({"layers": ["W1.npy", "W_5x6.npy"]})"),
                "key 'init.deep.layers': W_5x6.npy holds a 5 x 6 matrix; layer W2 of the deep flow "
                "must be d x d = 6 x 6");
  check_refused(dir, with_deep(R"({"end_to_end": "W_5x6.npy"})"),
                "key 'init.deep.end_to_end': W_5x6.npy holds a 5 x 6 matrix; W(0) of the deep flow "
                "must be d x d = 6 x 6");
  check_refused(dir, with_deep(R"({"end_to_end": "W0.npy", "layers": ["W1.npy", "W2.npy"]})"),
                "key 'init.deep.end_to_end': give either \"layers\"");
  check_refused(dir, with_deep("{}"), "key 'init.deep.layers': missing: give \"layers\"");
  check_refused(dir, with_deep(R"({"end_to_end": "W0.npy", "scale": 2})"),
                "key 'init.deep.scale': unknown key");
}
