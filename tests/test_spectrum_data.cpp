// Data with a chosen spectrum (data.kind "spectrum"): whitened inputs and a
// correlation YXᵀ/n with the listed singular values; the mode strengths
// u_kᵀ W(t) v_k that linear networks record on it, checked against the states
// recomputed by hand and, from an aligned start, against Saxe's scalar mode ODE
// u̇ = N u^{2−2/N}(s − u) integrated by a plain RK4 in this file.

#include "cli_support.hpp"
#include "support.hpp"

#include "core/spectrum_dataset.hpp"
#include "io/matrix_file.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <Eigen/SVD>

#include <cmath>
#include <fstream>

using namespace gradflow;
namespace fs = std::filesystem;

using gradflow::testing::csv_column;

namespace {

Eigen::VectorXd values(std::initializer_list<double> v) {
  return Eigen::Map<const Eigen::VectorXd>(v.begin(), static_cast<Eigen::Index>(v.size()));
}

Eigen::MatrixXd read_npy(const fs::path& path) { return read_matrix_file(path, "test", "npy"); }

// Saxe's mode ODE u̇ = N u^{2−2/N}(s − u) by classical RK4 at step h: its
// error O(h⁴) is far below the flows' tolerance for the h used below.
double saxe_mode(double u0, double s, int N, double t, double h) {
  return gradflow::testing::scalar_rk4(
      [&](double u) { return N * std::pow(u, 2.0 - 2.0 / N) * (s - u); }, u0, t, h);
}

}  // namespace

TEST_CASE("spectrum data have whitened inputs and the listed singular values to 1e-12") {
  struct Shape {
    Eigen::Index inputs, outputs, samples;
    Eigen::VectorXd s;
  };
  const std::vector<Shape> shapes = {{3, 3, 100, values({5, 3, 1})},
                                     {6, 2, 40, values({0.5, 2.0})},
                                     {4, 5, 4, values({7.0})},
                                     {8, 8, 1000, values({1e3, 1, 1e-3, 4, 4})}};
  for (const Shape& shape : shapes) {
    INFO(shape.inputs << " x " << shape.outputs << ", n = " << shape.samples);
    Rng rng(11);
    const SpectrumDataset d = make_spectrum_dataset({.samples = shape.samples,
                                                     .inputs = shape.inputs,
                                                     .outputs = shape.outputs,
                                                     .singular_values = shape.s},
                                                    rng);
    const double n = static_cast<double>(shape.samples);
    const Eigen::MatrixXd sxx = d.data.X * d.data.X.transpose() / n;
    // Orthonormal rows by Householder QR: entries of XXᵀ/n − I are O(d0·ε).
    CHECK((sxx - Eigen::MatrixXd::Identity(shape.inputs, shape.inputs)).cwiseAbs().maxCoeff() <
          1e-12);
    const Eigen::MatrixXd syx = d.data.Y * d.data.X.transpose() / n;
    Eigen::VectorXd wanted = Eigen::VectorXd::Zero(std::min(shape.inputs, shape.outputs));
    wanted.head(shape.s.size()) = shape.s;
    std::sort(wanted.data(), wanted.data() + wanted.size(), std::greater<>());
    const Eigen::VectorXd got = Eigen::JacobiSVD<Eigen::MatrixXd>(syx).singularValues();
    // Round-off of the products: O(ε·s_max·d), below 1e-12 for s_max ≤ 1e3.
    CHECK((got - wanted).cwiseAbs().maxCoeff() < 1e-12 * std::max(1.0, wanted[0]));
    // The singular vectors handed out are the ones of Σyx.
    CHECK((syx - d.U * d.s.asDiagonal() * d.V.transpose()).cwiseAbs().maxCoeff() <
          1e-12 * std::max(1.0, wanted[0]));
  }
}

TEST_CASE("spectrum data use singular vectors given to them") {
  const Eigen::MatrixXd U = Eigen::MatrixXd::Identity(3, 2);
  Eigen::MatrixXd V = Eigen::MatrixXd::Zero(4, 2);
  V(3, 0) = 1.0;
  V(1, 1) = -1.0;
  Rng rng(2);
  const SpectrumDataset d = make_spectrum_dataset({.samples = 50,
                                                   .inputs = 4,
                                                   .outputs = 3,
                                                   .singular_values = values({2, 1}),
                                                   .left = U,
                                                   .right = V},
                                                  rng);
  const Eigen::MatrixXd syx = d.data.Y * d.data.X.transpose() / 50.0;
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(3, 4);
  expected(0, 3) = 2.0;
  expected(1, 1) = -1.0;
  CHECK((syx - expected).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("spectrum data refuse sizes, values and vectors that do not fit") {
  Rng rng(1);
  const auto refusal = [&](const SpectrumDataOptions& o) {
    try {
      make_spectrum_dataset(o, rng);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK_THAT(
      refusal({.samples = 10, .inputs = 2, .outputs = 3, .singular_values = values({3, 2, 1})}),
      Catch::Contains("expected 1 to min(inputs, outputs) = 2 singular values, got 3"));
  CHECK_THAT(refusal({.samples = 2, .inputs = 3, .outputs = 3, .singular_values = values({1})}),
             Catch::Contains("at least as many samples as inputs, got 2 samples for 3 inputs"));
  CHECK_THAT(refusal({.samples = 10, .inputs = 3, .outputs = 3, .singular_values = values({1, 0})}),
             Catch::Contains("finite and > 0, got 0 at index 1"));
  CHECK_THAT(refusal({.samples = 10,
                      .inputs = 3,
                      .outputs = 3,
                      .singular_values = values({1, 2}),
                      .left = Eigen::MatrixXd::Ones(3, 2)}),
             Catch::Contains("the columns of U must be orthonormal"));
  CHECK_THAT(refusal({.samples = 10,
                      .inputs = 3,
                      .outputs = 3,
                      .singular_values = values({1, 2}),
                      .right = Eigen::MatrixXd::Identity(3, 3)}),
             Catch::Contains("V must be 3 x 2"));
}

TEST_CASE("a spectrum spec that does not fit is refused naming the key") {
  const auto dir = gradflow::testing::fresh_temp_dir("spectrum", "refused");
  const std::string base = R"({"data": {"kind": "spectrum", "inputs": 3, "outputs": 3, DATA},
    "model": {"kind": "linear_network", "depth": 2, "width": 3}, "init": {"kind": "gaussian"},
    "t_end": 1, "runs": [{"integrator": "dopri5"}]})";
  const auto with = [&](const std::string& data) {
    std::string s = base;
    return s.replace(s.find("DATA"), 4, data);
  };
  gradflow::testing::check_refused(dir, with(R"("singular_values": [1, 2, 3, 4])"),
                                   "key 'data.singular_values': expected 1 to min(inputs, "
                                   "outputs) = 3 singular values, got 4");
  gradflow::testing::check_refused(dir, with(R"("samples": 2, "singular_values": [1])"),
                                   "key 'data.samples'");
  gradflow::testing::check_refused(
      dir,
      R"({"data": {"kind": "spectrum", "singular_values": [1]}, "model": {"kind": "least_squares"},
          "init": {"kind": "point", "value": 0}, "t_end": 1, "runs": [{"integrator": "dopri5"}]})",
      "unknown value \"spectrum\" (valid: sine, files)");
}

TEST_CASE("the recorded mode strengths are u_kᵀ W v_k of the recorded states") {
  const auto dir = gradflow::testing::fresh_temp_dir("spectrum", "modes");
  gradflow::testing::write_file(dir / "modes.json", R"({
    "seed": 4,
    "data": {"kind": "spectrum", "inputs": 4, "outputs": 3, "samples": 30,
             "singular_values": [3, 2, 0.5]},
    "model": {"kind": "linear_network", "hidden": [5, 2]},
    "init": {"kind": "gaussian", "std": 0.4},
    "t_end": 2,
    "runs": [{"name": "gf", "integrator": "dopri5"},
             {"name": "e2e", "integrator": "dopri5", "flow": "end_to_end"},
             {"name": "gd", "integrator": "euler", "eta": 0.1}],
    "record": {"states": true}
  })");
  const auto r = gradflow::testing::gradflow_cli(
      {"run", (dir / "modes.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path folder = dir / "out" / "modes";
  const Eigen::MatrixXd U = read_npy(folder / "spectrum_U.npy");
  const Eigen::MatrixXd V = read_npy(folder / "spectrum_V.npy");
  REQUIRE(U.rows() == 3);
  REQUIRE(V.rows() == 4);
  REQUIRE(U.cols() == 3);
  for (const std::string run : {"gf", "e2e", "gd"}) {
    INFO(run);
    const Eigen::MatrixXd states = read_npy(folder / (run + ".states.npy"));
    for (Eigen::Index k = 0; k < 3; ++k) {
      const std::vector<double> recorded =
          csv_column(folder / (run + ".csv"), "mode_" + std::to_string(k + 1));
      REQUIRE(static_cast<Eigen::Index>(recorded.size()) == states.rows());
      for (Eigen::Index i = 0; i < states.rows(); ++i) {
        const Eigen::VectorXd x = states.row(i).transpose();
        Eigen::MatrixXd W;
        if (run == "e2e") {
          W = Eigen::Map<const Eigen::MatrixXd>(x.data(), 3, 4);
        } else {
          // Layers W1 (5 × 4), W2 (2 × 5), W3 (3 × 2), column-major one after another.
          const Eigen::Map<const Eigen::MatrixXd> W1(x.data(), 5, 4), W2(x.data() + 20, 2, 5),
              W3(x.data() + 30, 3, 2);
          W = W3 * W2 * W1;
        }
        // The same products in another order: round-off of O(ε‖W‖).
        CHECK(std::abs(recorded[static_cast<std::size_t>(i)] - U.col(k).dot(W * V.col(k))) <
              1e-13 * std::max(1.0, W.norm()));
      }
    }
  }
}

TEST_CASE("from an aligned start each mode strength follows Saxe's mode ODE at depth 3") {
  const auto dir = gradflow::testing::fresh_temp_dir("spectrum", "aligned");
  gradflow::testing::write_file(dir / "aligned.json", R"({
    "data": {"kind": "spectrum", "inputs": 3, "outputs": 3, "singular_values": [5, 3, 1]},
    "model": {"kind": "linear_network", "depth": 3, "width": 3},
    "init": {"kind": "aligned", "scale": 0.05},
    "t_end": 4,
    "runs": [{"name": "gf", "integrator": "dopri5", "rtol": 1e-11, "atol": 1e-13},
             {"name": "e2e", "integrator": "dopri5", "flow": "end_to_end", "rtol": 1e-11,
              "atol": 1e-13}],
    "sample": {"kind": "linear", "count": 9}
  })");
  const auto r = gradflow::testing::gradflow_cli(
      {"run", (dir / "aligned.json").string(), "--out", (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const double s[] = {5, 3, 1};
  for (const std::string run : {"gf", "e2e"}) {
    const fs::path csv = dir / "out" / "aligned" / (run + ".csv");
    const std::vector<double> t = csv_column(csv, "t");
    for (int k = 0; k < 3; ++k) {
      const std::vector<double> u = csv_column(csv, "mode_" + std::to_string(k + 1));
      for (std::size_t i = 0; i < t.size(); ++i) {
        INFO(run << " mode " << k + 1 << " at t = " << t[i]);
        const double oracle = saxe_mode(0.05, s[k], 3, t[i], 1e-4);
        // Global error of dopri5 at rtol 1e-11 over a logistic-like rise
        // (amplification ≲ 1e3): well under 1e-7 of s.
        CHECK(std::abs(u[i] - oracle) < 1e-7 * s[k]);
      }
    }
  }
}

TEST_CASE("the Saxe spectrum example learns its modes one after the other, strongest first") {
  const auto dir = gradflow::testing::fresh_temp_dir("spectrum", "example");
  const auto r = gradflow::testing::gradflow_cli(
      {"run", (gradflow::testing::source_dir() / "data" / "saxe_spectrum.json").string(), "--out",
       (dir / "out").string(), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const double s[] = {5, 3, 1};
  for (const std::string run : {"gf", "gd"}) {
    INFO(run);
    const fs::path csv = dir / "out" / "saxe_spectrum" / (run + ".csv");
    const std::vector<double> t = csv_column(csv, "t");
    double previous_rise = 0.0;
    for (int k = 0; k < 3; ++k) {
      INFO("mode " << k + 1);
      const std::vector<double> u = csv_column(csv, "mode_" + std::to_string(k + 1));
      // A plateau first: the mode starts far below its strength.
      CHECK(std::abs(u.front()) < 0.01 * s[k]);
      // Its rise: the first record at half its strength, after the stronger modes'.
      const auto half = std::find_if(u.begin(), u.end(), [&](double v) { return v > 0.5 * s[k]; });
      REQUIRE(half != u.end());
      const double rise = t[static_cast<std::size_t>(half - u.begin())];
      CHECK(rise > previous_rise + 1.0);
      previous_rise = rise;
      // Learnt by the end: at the flow's fixed point u_k = s_k.
      CHECK(u.back() == Approx(s[k]).epsilon(1e-3));
    }
  }
}
