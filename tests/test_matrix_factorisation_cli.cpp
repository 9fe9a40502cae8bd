// model.kind = "matrix_factorisation" through the command: the recorded
// metrics against an independent computation from the recorded W, the
// shipped examples' claims (data/README.md), and bad input refused.

#include "io/matrix_file.hpp"

#include "cli_support.hpp"
#include "support.hpp"

#include <Eigen/SVD>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>

using namespace gradflow;
using gradflow::testing::check_refused;
using gradflow::testing::csv_column;
using gradflow::testing::fresh_temp_dir;
using gradflow::testing::gradflow_cli;
using gradflow::testing::write_file;
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// Row r of a records × (m·n) array of matrices flattened column-major.
Eigen::MatrixXd record(const Eigen::MatrixXd& rows, Eigen::Index r, Eigen::Index m,
                       Eigen::Index n) {
  const Eigen::RowVectorXd row = rows.row(r);
  return Eigen::Map<const Eigen::MatrixXd>(row.data(), m, n);
}

std::set<std::pair<long, long>> entry_set(const Eigen::MatrixXd& omega) {
  std::set<std::pair<long, long>> out;
  for (Eigen::Index e = 0; e < omega.rows(); ++e)
    out.insert({std::lround(omega(e, 0)), std::lround(omega(e, 1))});
  return out;
}

fs::path run_spec(const fs::path& spec, const std::string& scope) {
  const fs::path out = fs::temp_directory_path() / ("gradflow_mf_" + scope);
  fs::remove_all(out);
  const auto r = gradflow_cli({"run", spec.string(), "--out", out.string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  return out;
}

}  // namespace

TEST_CASE(
    "the recorded factorisation metrics match an independent computation from the "
    "recorded W") {
  const fs::path dir = fresh_temp_dir("mf", "metrics");
  write_file(dir / "spec.json", R"({
    "seed": 3,
    "data": {"rows": 6, "cols": 5, "rank": 2, "observed": 14},
    "model": {"kind": "matrix_factorisation", "depth": 2, "top_singular_values": 5},
    "init": {"kind": "gaussian", "alpha": 0.3},
    "t_end": 200, "sample": {"kind": "linear", "count": 6},
    "record": {"projection": true},
    "runs": [{"name": "gf"}, {"name": "e2e", "flow": "end_to_end"}]
  })");
  const fs::path out = run_spec(dir / "spec.json", "metrics");
  const Eigen::MatrixXd truth = read_matrix_file(out / "spec" / "ground_truth.npy", "", "");
  const auto omega = entry_set(read_matrix_file(out / "spec" / "completion_observed.npy", "", ""));
  REQUIRE(truth.rows() == 6);
  REQUIRE(truth.cols() == 5);
  REQUIRE(omega.size() == 14);
  // W* = BCᵀ of rank 2: the third singular value is round-off.
  const Eigen::VectorXd st = Eigen::JacobiSVD<Eigen::MatrixXd>(truth).singularValues();
  CHECK(st[2] <= 1e-13 * st[0]);
  for (const std::string run : {"gf", "e2e"}) {
    INFO(run);
    const fs::path csv = out / "spec" / (run + ".csv");
    const Eigen::MatrixXd Ws = read_matrix_file(out / "spec" / (run + ".W.npy"), "", "");
    const auto rec = csv_column(csv, "reconstruction_error");
    const auto unobs = csv_column(csv, "unobserved_error");
    const auto obs = csv_column(csv, "observed_error");
    const auto nuclear = csv_column(csv, "nuclear_norm");
    const auto erank = csv_column(csv, "effective_rank");
    REQUIRE(static_cast<Eigen::Index>(rec.size()) == Ws.rows());
    for (Eigen::Index r = 0; r < Ws.rows(); ++r) {
      INFO("record " << r);
      const Eigen::MatrixXd W = record(Ws, r, 6, 5);
      const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(W).singularValues();
      double entropy = 0.0;
      for (Eigen::Index k = 0; k < s.size(); ++k) {
        const double p = s[k] / s.sum();
        if (p > 0.0) entropy -= p * std::log(p);
      }
      double on2 = 0.0, on_truth2 = 0.0, off2 = 0.0, off_truth2 = 0.0;
      for (Eigen::Index j = 0; j < 5; ++j) {
        for (Eigen::Index i = 0; i < 6; ++i) {
          const double e = W(i, j) - truth(i, j), t = truth(i, j);
          if (omega.count({i, j}) != 0) {
            on2 += e * e;
            on_truth2 += t * t;
          } else {
            off2 += e * e;
            off_truth2 += t * t;
          }
        }
      }
      // Two backward-stable SVDs (BDC in the model, Jacobi here) agree to a
      // few ε·σ₁; the errors are sums of the same squares in another order.
      CHECK(nuclear[r] == Approx(s.sum()).epsilon(1e-12));
      CHECK(erank[r] == Approx(std::exp(entropy)).epsilon(1e-10));
      for (int k = 1; k <= 5; ++k) {
        CHECK(csv_column(csv, "sigma_" + std::to_string(k))[r] ==
              Approx(s[k - 1]).margin(1e-13 * s[0]));
      }
      CHECK(rec[r] == Approx((W - truth).norm() / truth.norm()).epsilon(1e-12));
      CHECK(unobs[r] == Approx(std::sqrt(off2 / off_truth2)).epsilon(1e-12));
      CHECK(obs[r] == Approx(std::sqrt(on2 / on_truth2)).epsilon(1e-12));
    }
    // The flow moved: the fit on Ω improved.
    CHECK(obs.back() < 0.5 * obs.front());
  }
}

TEST_CASE("sensing a non-square matrix records the error to the ground truth") {
  const fs::path dir = fresh_temp_dir("mf", "sensing");
  write_file(dir / "spec.json", R"({
    "seed": 2,
    "data": {"kind": "sensing", "rows": 4, "cols": 6, "rank": 1, "measurements": 40},
    "model": {"kind": "matrix_factorisation", "depth": 2},
    "init": {"kind": "gaussian", "alpha": 0.05},
    "t_end": 2000, "sample": {"kind": "log", "count": 6, "start": 10},
    "record": {"projection": true}, "runs": [{"name": "gf"}]
  })");
  const fs::path out = run_spec(dir / "spec.json", "sensing");
  const Eigen::MatrixXd truth = read_matrix_file(out / "spec" / "ground_truth.npy", "", "");
  const Eigen::MatrixXd A = read_matrix_file(out / "spec" / "sensing_measurements.npy", "", "");
  REQUIRE(A.rows() == 40);
  REQUIRE(A.cols() == 24);
  const Eigen::MatrixXd Ws = read_matrix_file(out / "spec" / "gf.W.npy", "", "");
  const auto rec = csv_column(out / "spec" / "gf.csv", "reconstruction_error");
  const auto loss = csv_column(out / "spec" / "gf.csv", "loss");
  const Eigen::VectorXd y = A * Eigen::Map<const Eigen::VectorXd>(truth.data(), truth.size());
  for (Eigen::Index r = 0; r < Ws.rows(); ++r) {
    const Eigen::MatrixXd W = record(Ws, r, 4, 6);
    const auto k = static_cast<std::size_t>(r);
    CHECK(rec[k] == Approx((W - truth).norm() / truth.norm()).epsilon(1e-12));
    // loss = 1/(2m') ‖A vec W − y‖², the residual's cancellation costs ~ε‖y‖/‖res‖.
    const Eigen::VectorXd res = A * Eigen::Map<const Eigen::VectorXd>(W.data(), W.size()) - y;
    CHECK(loss[k] == Approx(res.squaredNorm() / 80.0).epsilon(1e-6).margin(1e-20));
  }
  const std::string header = gradflow::testing::read_file(out / "spec" / "gf.csv").substr(0, 300);
  CHECK_THAT(header, !Catch::Contains("observed_error"));
  // 40 generic measurements of the 24 entries determine W*: the flow goes
  // there, the start's small components off W*'s rank decaying slowly at
  // depth 2 (measured: error 2.1e-3 at t = 240, 2.9e-4 at t = 2000).
  CHECK(rec.back() < 1e-3);
  CHECK(rec.back() < 0.5 * rec[rec.size() - 2]);
}

TEST_CASE(
    "a ground truth with unknown entries trains on the known ones and reports no error "
    "that needs the unknown") {
  const fs::path dir = fresh_temp_dir("mf", "unknown");
  write_file(dir / "truth.csv", "1,nan,2\nnan,3,-1\n");
  write_file(dir / "spec.json", R"({
    "data": {"ground_truth_file": "truth.csv"},
    "model": {"kind": "matrix_factorisation", "depth": 2},
    "init": {"kind": "gaussian", "alpha": 0.1},
    "t_end": 50, "runs": [{"name": "gf"}]
  })");
  const fs::path out = run_spec(dir / "spec.json", "unknown");
  const auto meta = read_json(out / "spec" / "meta.json");
  CHECK(meta["model_facts"]["unknown_truth_entries"].get<double>() == 2.0);
  CHECK(meta["model_facts"]["observed_entries"].get<double>() == 4.0);
  const std::string header = gradflow::testing::read_file(out / "spec" / "gf.csv").substr(0, 400);
  CHECK_THAT(header, !Catch::Contains("reconstruction_error"));
  CHECK_THAT(header, !Catch::Contains("unobserved_error"));
  CHECK_THAT(header, Catch::Contains("observed_error"));
  CHECK(csv_column(out / "spec" / "gf.csv", "loss").back() < 1e-8);
  // The same problem with numbers in place of NaN, observed on the same four
  // entries through a file, trains to the same bits.
  write_file(dir / "filled.csv", "1,500,2\n-700,3,-1\n");
  write_file(dir / "omega.csv", "0,0\n0,2\n1,1\n1,2\n");
  write_file(dir / "spec2.json", R"({
    "data": {"ground_truth_file": "filled.csv", "observed_file": "omega.csv"},
    "model": {"kind": "matrix_factorisation", "depth": 2},
    "init": {"kind": "gaussian", "alpha": 0.1},
    "t_end": 50, "runs": [{"name": "gf"}]
  })");
  const fs::path out2 = run_spec(dir / "spec2.json", "filled");
  CHECK(csv_column(out / "spec" / "gf.csv", "loss") ==
        csv_column(out2 / "spec2" / "gf.csv", "loss"));
}

TEST_CASE("bad factorisation input is refused with exit 2 naming the key") {
  const fs::path dir = fresh_temp_dir("mf", "bad");
  write_file(dir / "truth.csv", "nan,1\n1,0\n");
  write_file(dir / "omega_nan.csv", "0,0\n0,1\n");
  write_file(dir / "inf.csv", "inf,1\n1,0\n");
  write_file(dir / "w0.csv", "1,0,0\n0,1,0\n");
  const std::string tail = R"(, "t_end": 1, "runs": [{"name": "gf"}]})";
  const std::string good_model = R"("model": {"kind": "matrix_factorisation", "depth": 2})";
  const std::string gaussian = R"("init": {"kind": "gaussian", "alpha": 0.1})";
  // An observed entry whose ground truth is NaN.
  check_refused(
      dir,
      R"({"data": {"ground_truth_file": "truth.csv", "observed_file": "omega_nan.csv"}, )" +
          good_model + ", " + gaussian + tail,
      "key 'data.observed_file': omega_nan.csv: observed entry 0 is (0, 0), where the "
      "ground truth is NaN");
  // Inf is never an unknown entry.
  check_refused(
      dir, R"({"data": {"ground_truth_file": "inf.csv"}, )" + good_model + ", " + gaussian + tail,
      "data.ground_truth_file");
  // Shapes: a file of another shape than rows/cols say, a start of the wrong shape.
  check_refused(dir,
                R"({"data": {"ground_truth_file": "truth.csv", "rows": 3}, )" + good_model + ", " +
                    gaussian + tail,
                "key 'data.rows': truth.csv is 2 x 2, but rows = 3");
  check_refused(dir,
                R"({"data": {"ground_truth_file": "truth.csv"}, )" + good_model +
                    R"(, "init": {"kind": "balanced", "end_to_end": "w0.csv"})" + tail,
                "key 'init.end_to_end': w0.csv holds a 2 x 3 matrix; expected W(0) of the ground "
                "truth's shape, 2 x 2");
  // Depth 0, and more observations than known entries.
  check_refused(
      dir,
      R"({"data": {"rows": 3, "cols": 4, "rank": 1, "observed": 5}, "model": {"kind": "matrix_factorisation", "depth": 0}, )" +
          gaussian + tail,
      "model.depth");
  check_refused(dir,
                R"({"data": {"ground_truth_file": "truth.csv", "observed": 4}, )" + good_model +
                    ", " + gaussian + tail,
                "key 'data.observed': expected between 1 and the 3 known entries");
  check_refused(dir,
                R"({"data": {"rows": 3, "cols": 4, "rank": 4, "observed": 5}, )" + good_model +
                    ", " + gaussian + tail,
                "key 'data.rank': expected a rank between 1 and min(rows, cols) = 3, got 4");
  // Sensing measures every entry: an unknown one is refused.
  check_refused(
      dir,
      R"({"data": {"kind": "sensing", "ground_truth_file": "truth.csv", "measurements": 5}, )" +
          good_model + ", " + gaussian + tail,
      "key 'data.ground_truth_file': sensing measures every entry of W*, but 1 of them "
      "are NaN");
}

TEST_CASE(
    "the deep completion example: deeper factorisations end at lower effective rank and "
    "depth 3 recovers the target") {
  const fs::path out =
      run_spec(gradflow::testing::source_dir() / "data" / "deep_matrix_completion.json", "deep");
  const std::vector<long> counts{90, 150, 250, 400};
  std::map<std::pair<long, int>, double> erank, error, unobserved;
  std::set<std::pair<long, long>> smaller;
  for (long count : counts) {
    const fs::path first = out / ("observed" + std::to_string(count) + "_depth1");
    // Nested observations: each set holds the smaller ones.
    const auto omega = entry_set(read_matrix_file(first / "completion_observed.npy", "", ""));
    CHECK(static_cast<long>(omega.size()) == count);
    for (const auto& e : smaller) CHECK(omega.count(e) == 1);
    smaller = omega;
    for (int depth = 1; depth <= 3; ++depth) {
      const std::string name =
          "observed" + std::to_string(count) + "_depth" + std::to_string(depth);
      INFO(name);
      const fs::path csv = out / name / "gf.csv";
      // Every run fits its observations (measured: 6e-9 at most, depth 3, |Ω| = 250).
      CHECK(csv_column(csv, "loss").back() < 1e-7);
      erank[{count, depth}] = csv_column(csv, "effective_rank").back();
      error[{count, depth}] = csv_column(csv, "reconstruction_error").back();
      unobserved[{count, depth}] = csv_column(csv, "unobserved_error").back();
      const double e = error[{count, depth}], rank = erank[{count, depth}];
      WARN(name << ": reconstruction error " << e << ", effective rank " << rank);
    }
  }
  const Eigen::MatrixXd truth =
      read_matrix_file(out / "observed90_depth1" / "ground_truth.npy", "", "");
  const Eigen::VectorXd st = Eigen::JacobiSVD<Eigen::MatrixXd>(truth).singularValues();
  CHECK(st[3] <= 1e-12 * st[0]);  // rank 3
  for (long count : counts) {
    INFO("observed " << count);
    // Deeper, lower effective rank, at every count.
    CHECK(erank[{count, 2}] < erank[{count, 1}]);
    CHECK(erank[{count, 3}] < erank[{count, 2}]);
    // Depth 1 is gradient flow on W: the gradient vanishes off Ω, so the
    // unobserved entries keep their start (~α²·√30 ≈ 5e-4 against entries ~1).
    CHECK(unobserved[{count, 1}] == Approx(1.0).margin(1e-2));
    CHECK(erank[{count, 1}] > 15.0);
  }
  // Few observations (below the 3·(30 + 30 − 3) = 171 degrees of freedom of a
  // rank-3 matrix): depth 3 still ends near rank 3 or below.
  CHECK(erank[{90, 3}] < 3.0);
  CHECK(erank[{150, 3}] < 3.0);
  // Enough observations: depth 3 recovers W*, depth 2 improves with |Ω|.
  CHECK(error[{250, 3}] < 1e-2);
  CHECK(error[{400, 3}] < 1e-3);
  CHECK(error[{400, 2}] < error[{250, 2}]);
  CHECK(error[{250, 2}] < error[{150, 2}]);
  CHECK(error[{400, 1}] > 0.5);
}

TEST_CASE(
    "the Razin-Cohen example: |W11| grows without bound while the effective rank tends to "
    "1") {
  const fs::path out =
      run_spec(gradflow::testing::source_dir() / "data" / "razin_cohen_2x2.json", "razin");
  for (int depth : {2, 3, 4}) {
    const std::string name = "depth" + std::to_string(depth);
    INFO(name);
    const fs::path dir = out / name;
    const Eigen::MatrixXd Ws = read_matrix_file(dir / "gf.W.npy", "", "");
    const auto t = csv_column(dir / "gf.csv", "t");
    const auto erank = csv_column(dir / "gf.csv", "effective_rank");
    const auto nuclear = csv_column(dir / "gf.csv", "nuclear_norm");
    REQUIRE(t.back() == 1e6);
    double previous_w11 = 0.0;
    for (Eigen::Index r = 0; r < Ws.rows(); ++r) {
      const Eigen::MatrixXd W = record(Ws, r, 2, 2);
      // det W keeps the sign of det W(0) = α^{2N} > 0, so no completion
      // (det = −W12·W21 = −1 for W22 = 0) is ever reached. det W → 0⁺ (at
      // depth 2 to ~1e-16), where W11·W22 − W12·W21 cancels to ~ε of its terms.
      const double terms = std::abs(W(0, 0) * W(1, 1)) + std::abs(W(0, 1) * W(1, 0));
      CHECK(W.determinant() > -4.0 * std::numeric_limits<double>::epsilon() * terms);
      // |W11| grows along the whole run (a small tolerance for round-off in
      // the early, flat records).
      CHECK(std::abs(W(0, 0)) >= previous_w11 - 1e-12);
      previous_w11 = std::abs(W(0, 0));
    }
    const Eigen::MatrixXd W_end = record(Ws, Ws.rows() - 1, 2, 2);
    // The record nearest t = 1e4 (log-spaced times are not exact decades).
    std::size_t k4 = 0;
    for (std::size_t k = 0; k < t.size(); ++k) {
      if (std::abs(std::log(t[k] / 1e4)) < std::abs(std::log(t[k4] / 1e4)) || t[k4] == 0.0) k4 = k;
    }
    REQUIRE(std::abs(t[k4] / 1e4 - 1.0) < 0.3);
    WARN(name << ": |W11| = " << std::abs(W_end(0, 0)) << " at t = 1e6 ("
              << std::abs(record(Ws, static_cast<Eigen::Index>(k4), 2, 2)(0, 0))
              << " at 1e4), effective rank " << erank.back() << ", nuclear norm "
              << nuclear.back());
    // Without bound: still growing by a factor > 1.5 over the last two decades.
    CHECK(std::abs(W_end(0, 0)) > 100.0);
    CHECK(nuclear.back() > 1.5 * nuclear[k4]);
    // The observed entries are fitted, ever more closely.
    CHECK(std::abs(W_end(0, 1) - 1.0) < 1e-3);
    CHECK(std::abs(W_end(1, 0) - 1.0) < 1e-3);
    CHECK(std::abs(W_end(1, 1)) < 1e-2);
    // Effective rank → 1 (from 2 at the start, W(0) = α^N·I).
    CHECK(erank.front() == Approx(2.0).epsilon(1e-12));
    CHECK(erank.back() < 1.0 + 1e-6);
    CHECK(erank.back() <= erank[k4]);
  }
}
