// data/central_flow.json shows what its header claims (data/README.md). The
// test runs the shipped spec with per-record sharpness off (a dense 216 × 216
// eigensolve per record of every run would cost seconds) and GD's states on,
// and computes the few sharpness values it needs itself.

#include "cli/registry.hpp"
#include "io/matrix_file.hpp"
#include "io/spec.hpp"

#include "cli_support.hpp"
#include "support.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

using namespace gradflow;
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, true, /*ignore_comments=*/true);
}

// Column name → values of a CSV written by gradflow.
std::map<std::string, std::vector<double>> read_csv(const fs::path& file) {
  std::ifstream in(file);
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> names;
  for (std::stringstream header(line); std::getline(header, cell, ',');) names.push_back(cell);
  std::map<std::string, std::vector<double>> columns;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    for (const auto& name : names) {
      std::getline(row, cell, ',');
      columns[name].push_back(std::stod(cell));
    }
  }
  return columns;
}

double dense_sharpness(const Field& f, const Eigen::VectorXd& x) {
  const Eigen::Index n = x.size();
  Eigen::MatrixXd H(n, n);
  Eigen::VectorXd e = Eigen::VectorXd::Zero(n), hv;
  for (Eigen::Index j = 0; j < n; ++j) {
    e[j] = 1.0;
    f.hessian_vector(x, e, hv);
    H.col(j) = hv;
    e[j] = 0.0;
  }
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(0.5 * (H + H.transpose()),
                                                        Eigen::EigenvaluesOnly)
      .eigenvalues()
      .maxCoeff();
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Example {
  fs::path spec, out;
  std::vector<ExperimentSpec> experiments;
};

const Example& example() {
  static const Example ex = [] {
    const fs::path dir = testing::fresh_temp_dir("central_example", "run");
    nlohmann::json spec = read_json(testing::source_dir() / "data" / "central_flow.json");
    spec["record"] = {{"sharpness", false}, {"states", true}};
    Example e{dir / "central_flow.json", dir / "out", {}};
    testing::write_file(e.spec, spec.dump(2));
    const testing::CliResult r =
        testing::gradflow_cli({"run", e.spec.string(), "--out", e.out.string(), "-q"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    e.experiments = read_spec_file(e.spec);
    return e;
  }();
  return ex;
}

const ExperimentSpec& experiment(const std::string& name) {
  for (const auto& e : example().experiments) {
    if (e.name == name) return e;
  }
  FAIL("no experiment " << name);
  throw std::logic_error("unreachable");
}

nlohmann::json run_meta(const nlohmann::json& meta, const std::string& name) {
  for (const auto& r : meta["runs"]) {
    if (r["name"] == name) return r;
  }
  FAIL("no run " << name);
  return {};
}

void check_edge() {
  const fs::path dir = example().out / "edge_eta0.2";
  const nlohmann::json meta = read_json(dir / "meta.json");
  const nlohmann::json cf = run_meta(meta, "cf")["central_flow"];
  INFO(cf.dump(1));
  // It enters the edge from below, and a second eigenvalue joins it.
  CHECK(cf["first_entry_time"].get<double>() == Approx(0.54).margin(0.01));
  CHECK(cf["most_eigenvalues_at_edge"].get<int>() == 2);
  CHECK(cf["several_eigenvalues_first_time"].get<double>() == Approx(1.56).margin(0.01));
  CHECK(cf["counters"]["unconverged_eigensolves"].get<long>() == 0);

  // S held at 2/η on the edge (rtol 1e-10 over 40 time units: measured 6e-10
  // relative), σ² ≥ 0 everywhere.
  const auto series = read_csv(dir / "cf.csv");
  for (std::size_t i = 0; i < series.at("t").size(); ++i) {
    CHECK(series.at("sigma2")[i] >= 0.0);
    if (series.at("edge_count")[i] > 0) CHECK(std::abs(series.at("S")[i] - 10.0) <= 1e-7 * 10.0);
  }

  // When GD's sharpness first reaches 2/η = 10, from its own iterates.
  const ExperimentSpec& spec = experiment("edge_eta0.2");
  const ModelInstance model = build_model(spec);
  const Eigen::MatrixXd states = read_matrix_file(dir / "gd.states.npy", "test", "gd.states");
  const auto gd = read_csv(dir / "gd.csv");
  double t_edge = NAN;
  for (Eigen::Index k = 0; k < states.rows(); ++k) {
    if (dense_sharpness(*model.flows.front().field, states.row(k).transpose()) >= 10.0) {
      t_edge = gd.at("t")[static_cast<std::size_t>(k)];
      break;
    }
  }
  REQUIRE(std::isfinite(t_edge));
  INFO("GD reaches the edge at t = " << t_edge);
  CHECK(t_edge == Approx(0.8).margin(1e-9));

  // Over the window after GD reaches the edge (rows whose centred window is complete).
  std::map<std::string, std::map<std::string, std::vector<double>>> after;
  for (const char* flow : {"gf", "mf", "cf"}) {
    const auto c = read_csv(dir / fmt::format("compare_gd_vs_{}.csv", flow));
    for (std::size_t i = 0; i < c.at("t").size(); ++i) {
      if (c.at("t")[i] < t_edge || !std::isfinite(c.at("avg_state_dist")[i])) continue;
      for (const auto& [name, column] : c) after[flow][name].push_back(column[i]);
    }
  }
  const double to_gf = mean(after["gf"]["avg_state_dist"]);
  const double to_mf = mean(after["mf"]["avg_state_dist"]);
  const double to_cf = mean(after["cf"]["avg_state_dist"]);
  // Mean loss: the central flow's L + σ²/η against GD's running mean, and
  // gradient flow's loss against the same.
  std::vector<double> cf_loss_error, gf_loss_error, sigma_ratio;
  for (std::size_t i = 0; i < after["cf"]["t"].size(); ++i) {
    const double observed = after["cf"]["mean_loss_observed"][i];
    cf_loss_error.push_back(std::abs(after["cf"]["mean_loss_predicted"][i] - observed) / observed);
    gf_loss_error.push_back(std::abs(after["gf"]["loss_b"][i] - observed) / observed);
    sigma_ratio.push_back(after["cf"]["sigma2_observed"][i] / after["cf"]["sigma2_predicted"][i]);
  }
  INFO("mean distance to GD's time average: gf "
       << to_gf << ", mf " << to_mf << ", cf " << to_cf << " (factors " << to_gf / to_cf << ", "
       << to_mf / to_cf << "); mean relative error of the "
       << "mean loss: cf " << mean(cf_loss_error) << ", gf " << mean(gf_loss_error)
       << "; median observed/predicted sigma2 " << median(sigma_ratio));
  // Measured: factors 4.4 (gf) and 4.2 (mf). The claim is "markedly closer":
  // a factor 3 fails if the central flow loses most of its advantage.
  CHECK(to_cf * 3.0 <= to_gf);
  CHECK(to_cf * 3.0 <= to_mf);
  // Measured: 4.5 % against 17 % (the first few time units, while GD's
  // oscillation builds up, carry most of the error).
  CHECK(mean(cf_loss_error) <= 0.08);
  CHECK(mean(cf_loss_error) * 2.0 <= mean(gf_loss_error));
  // Measured: 1.06.
  CHECK(median(sigma_ratio) == Approx(1.0).margin(0.2));
}

void check_stable() {
  const fs::path dir = example().out / "stable_eta0.125";
  const nlohmann::json meta = read_json(dir / "meta.json");
  const nlohmann::json cf = run_meta(meta, "cf")["central_flow"];
  CHECK(cf["events"].empty());
  CHECK(cf["time_on_edge"].get<double>() == 0.0);
  // Below the edge the central flow is gradient flow: cf runs the same dopri5
  // steps as gf, so their numbers are the same bits for as long as gf (`auto`)
  // is dopri5. Once gf's step is stability-bound, auto goes on with bdf; from
  // there the two differ by the integrators' errors at rtol 1e-10, atol 1e-12.
  const nlohmann::json values = run_meta(meta, "gf")["values"];
  const double switched = values.contains("switch_time") ? values["switch_time"].get<double>()
                                                         : std::numeric_limits<double>::infinity();
  const auto gf = read_csv(dir / "compare_gd_vs_gf.csv");
  const auto central = read_csv(dir / "compare_gd_vs_cf.csv");
  const auto& t = gf.at("t");
  REQUIRE(central.at("t") == t);
  for (const std::string column : {"state_dist", "avg_state_dist"}) {
    const auto& a = gf.at(column);
    const auto& b = central.at(column);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO(column << " at t = " << t[i] << ", gf switched at t = " << switched);
      if (std::isnan(a[i]) || std::isnan(b[i])) {
        CHECK((std::isnan(a[i]) && std::isnan(b[i])));  // an incomplete window in both
      } else if (t[i] <= switched) {
        CHECK(a[i] == b[i]);
      } else {
        // |‖x_gd − x_gf‖ − ‖x_gd − x_cf‖| ≤ ‖x_gf − x_cf‖: two solutions of one
        // contracting flow at rtol 1e-10 with ‖x‖ ≈ 3 (measured: 4.2e-14).
        CHECK(std::abs(a[i] - b[i]) <= 1e-9);
      }
    }
  }
}

void check_beyond() {
  const ExperimentSpec& spec = experiment("beyond_edge");
  const ModelInstance model = build_model(spec);
  const double s0 = dense_sharpness(*model.flows.front().field, model.flows.front().x0);
  CHECK(s0 == Approx(16.29).margin(0.01));
  // GD at η = 0.125 ends flatter than gradient flow (same loss).
  const fs::path dir = example().out / "beyond_edge";
  const Eigen::MatrixXd gd = read_matrix_file(dir / "gd.states.npy", "test", "gd.states");
  const Eigen::MatrixXd gf = read_matrix_file(dir / "gf.states.npy", "test", "gf.states");
  const double s_gd = dense_sharpness(*model.flows.front().field, gd.bottomRows(1).transpose());
  const double s_gf = dense_sharpness(*model.flows.front().field, gf.bottomRows(1).transpose());
  INFO("final sharpness: GD " << s_gd << ", gradient flow " << s_gf);
  CHECK(s_gd < 16.0);
  CHECK(s_gf > 20.0);
  // Adding the central flow there is refused before any work, naming why.
  nlohmann::json patched = read_json(example().spec);
  for (auto& e : patched["experiments"]) {
    if (e["name"] == "beyond_edge") {
      e["runs"].push_back({{"name", "cf"}, {"central_eta", 0.125}});
    }
  }
  const fs::path file = example().spec.parent_path() / "beyond.json";
  testing::write_file(file, patched.dump(2));
  const testing::CliResult r = testing::gradflow_cli({"check", file.string()});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("runs[4].central_eta") &&
                        Catch::Contains("starts beyond the edge") && Catch::Contains("16.29"));
}

}  // namespace

// One test case (the example runs once per process, and ctest runs each case
// in its own process), three claims.
TEST_CASE("the central-flow example shows what its header claims") {
  SECTION("past the edge the central flow follows GD's time average") { check_edge(); }
  SECTION("below the edge the central flow is gradient flow") { check_stable(); }
  SECTION("beyond the edge at the start the central flow is refused") { check_beyond(); }
}
