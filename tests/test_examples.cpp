// The shipped example specs run and show what their comments claim.

#include "cli/command.hpp"
#include "io/matrix_file.hpp"

#include "support.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include "cli_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

using namespace gradflow;
namespace fs = std::filesystem;

using gradflow::testing::csv_column;

namespace {

fs::path run_example(const std::string& spec) {
  const fs::path out =
      fs::temp_directory_path() / ("gradflow_example_" + fs::path(spec).stem().string());
  fs::remove_all(out);
  std::ostringstream log, err;
  const int code = run_command({"gradflow", "run", (testing::source_dir() / "data" / spec).string(),
                                "--out", out.string(), "-q"},
                               log, err);
  INFO(err.str());
  REQUIRE(code == 0);
  return out;
}

// Column `name` of a CSV written by gradflow (header row, then numbers).
}  // namespace

TEST_CASE(
    "the course example trains every depth to the least-squares optimum by GD and by the flow") {
  const fs::path out = run_example("course_linear.json");
  double first = 0.0;
  for (const char* depth : {"depth2", "depth3", "depth4"}) {
    INFO(depth);
    const double gd = csv_column(out / depth / "gd.csv", "loss").back();
    const double gf = csv_column(out / depth / "gf.csv", "loss").back();
    if (first == 0.0) first = gd;
    // A depth-N linear net realises every linear map: all depths reach the same
    // optimum; 1e-5 relative is what 500 steps leave of the slowest mode.
    CHECK(gd == Approx(first).epsilon(1e-5));
    CHECK(gf == Approx(first).epsilon(1e-5));
    // The Hessian at convergence is PSD up to the flat directions of the product.
    CHECK(csv_column(out / depth / "gd.csv", "hess_min").back() > -1e-3);
  }
}

TEST_CASE(
    "the end-to-end example: balanced agrees to tolerance, the gap grows with the imbalance") {
  const fs::path out = run_example("e2e_comparison.json");
  auto gap = [&](const std::string& e) {
    const auto d = csv_column(out / e / "compare_gf_vs_e2e.csv", "e2e_dist");
    return *std::max_element(d.begin(), d.end());
  };
  CHECK(gap("balanced") < 1e-9);
  double previous = gap("balanced");
  for (const char* e : {"perturb_1e-4", "perturb_1e-3", "perturb_1e-2", "perturb_1e-1"}) {
    INFO(e);
    const double delta = csv_column(out / e / "gf.csv", "balancedness_max").front();
    CHECK(gap(e) > 3.0 * previous);
    CHECK(gap(e) < 10.0 * delta);  // the gap scales with δ, not beyond it
    previous = gap(e);
  }
}

TEST_CASE("the lp example: deeper networks reach lower l4 loss at the same time and eta") {
  const fs::path out = run_example("lp_regression.json");
  double previous = std::numeric_limits<double>::infinity();
  for (const char* depth : {"depth1", "depth2", "depth3"}) {
    INFO(depth);
    const auto t = csv_column(out / depth / "gd.csv", "t");
    const auto loss = csv_column(out / depth / "gd.csv", "loss");
    const std::size_t at_one = static_cast<std::size_t>(
        std::find_if(t.begin(), t.end(), [](double s) { return s >= 1.0 - 1e-12; }) - t.begin());
    CHECK(loss[at_one] < previous);
    previous = loss[at_one];
  }
}

TEST_CASE(
    "the Saxe example: the end-to-end flow follows the logistic closed form, strongest mode "
    "first") {
  const fs::path out = run_example("saxe_depth2.json");
  const auto gap = csv_column(out / "saxe_depth2" / "e2e.csv", "saxe_gap");
  const auto norm = csv_column(out / "saxe_depth2" / "e2e.csv", "e2e_norm");
  for (std::size_t k = 0; k < gap.size(); ++k) {
    // rtol 1e-12 per step, amplified by at most s/u0 ≈ 2e3 through the sigmoid.
    CHECK(gap[k] <= 1e-8 * std::max(norm[k], 1e-3));
  }
  // Half of each target is reached in order of the singular values.
  const auto t = csv_column(out / "saxe_depth2" / "e2e.csv", "t");
  auto half_time = [&](const std::string& column) {
    const auto u = csv_column(out / "saxe_depth2" / "e2e.csv", column);
    for (std::size_t k = 0; k < u.size(); ++k) {
      if (u[k] >= 0.5 * u.back()) return t[k];
    }
    return t.back();
  };
  CHECK(half_time("sv_1") < half_time("sv_2"));
  CHECK(half_time("sv_2") < half_time("sv_3"));
}

TEST_CASE(
    "the eta sweep example: GD is order one from the flow and order two from the modified flow") {
  const fs::path out = run_example("eta_sweep.json");
  std::ifstream in(out / "eta_sweep" / "meta.json");
  const auto meta = nlohmann::json::parse(in);
  const auto& sweep = meta["eta_sweep"];
  INFO(sweep.dump());
  // Fitted over η = 0.04 … 0.005: the next order shifts the slope by O(η/T).
  CHECK(sweep["slope_max_dist_flow"].get<double>() == Approx(1.0).margin(0.1));
  CHECK(sweep["slope_max_dist_modified"].get<double>() == Approx(2.0).margin(0.2));
  CHECK(csv_column(out / "eta_sweep" / "eta_sweep.csv", "eta").size() == 4);
}

namespace {

// The rows of a members CSV as column name → text.
std::vector<std::map<std::string, std::string>> csv_rows(const fs::path& file) {
  std::ifstream in(file);
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> names;
  for (std::stringstream header(line); std::getline(header, cell, ',');) names.push_back(cell);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> row;
    std::stringstream cells(line);
    for (const auto& name : names) {
      std::getline(cells, cell, ',');
      row[name] = cell;
    }
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json read_meta(const fs::path& dir) {
  std::ifstream in(dir / "meta.json");
  return nlohmann::json::parse(in);
}

// f as DESIGN.md §4 writes it (fine away from the overflow at θ ≳ 240).
double wide_sharp(double t) {
  const double e = std::exp(3.0 * (t - 3.0));
  return (10.0 * t * t + e * ((t - 10.0) * (t - 10.0) / 2.0 + 50.0)) / (1.0 + e);
}

}  // namespace

TEST_CASE(
    "the least-squares example: GD converges at 1.99 over lambda max, diverges at 2.01, the flow "
    "converges") {
  const fs::path out = run_example("least_squares_stability.json") / "least_squares_stability";
  const auto meta = read_meta(out);
  const double lambda = meta["model_facts"]["lambda_max_XtX"].get<double>();
  const double minimum = meta["model_facts"]["minimum_loss"].get<double>();
  const auto& runs = meta["runs"];
  CHECK(runs[0]["eta"].get<double>() == Approx(1.99 / lambda).epsilon(1e-12));
  CHECK(runs[1]["eta"].get<double>() == Approx(2.01 / lambda).epsilon(1e-12));
  CHECK(runs[0]["status"] == "completed");
  // The slowest contraction is 0.99 a step: ≈ 5000 steps leave ~1e-22 of the start.
  CHECK(csv_column(out / "gd_1.99.csv", "grad_norm").back() < 1e-9);
  CHECK(runs[1]["status"] == "diverged");
  CHECK_THAT(runs[1]["message"].get<std::string>(),
             Catch::Contains("diverged at step") && Catch::Contains("(t = "));
  CHECK(runs[2]["status"] == "completed");
  // The flow reaches the minimum to its tolerances (rtol 1e-10).
  CHECK(csv_column(out / "gf.csv", "loss").back() == Approx(minimum).epsilon(1e-9));
}

TEST_CASE(
    "the wide/sharp example: eta 0.3 ends wide, eta 4 nowhere, eta 0.01 in both, the flow in each "
    "start's basin") {
  const fs::path out = run_example("wide_sharp_1d.json") / "wide_sharp_1d";
  const auto meta = read_meta(out);
  auto count = [](const std::vector<std::map<std::string, std::string>>& rows,
                  const std::string& label) {
    return std::count_if(rows.begin(), rows.end(),
                         [&](const auto& r) { return r.at("outcome") == label; });
  };
  // The outcome counts of meta.json are those of the members' rows.
  for (const auto& run : meta["runs"]) {
    const auto rows = csv_rows(out / run["ensemble"]["members"].get<std::string>());
    INFO(run["name"]);
    REQUIRE(rows.size() == 200);
    for (const auto& [label, n] : run["ensemble"]["outcomes"].items())
      CHECK(count(rows, label) == n.get<long>());
  }
  const auto gd03 = csv_rows(out / "gd_0.3.members.csv");
  // Every converged run sits in the wide minimum, and most runs converged.
  CHECK(count(gd03, "sharp") == 0);
  CHECK(count(gd03, "wide") >= 180);
  const auto gd4 = csv_rows(out / "gd_4.members.csv");
  CHECK(count(gd4, "not_converged") + count(gd4, "diverged") >= 180);
  const auto gd001 = csv_rows(out / "gd_0.01.members.csv");
  CHECK(count(gd001, "sharp") >= 20);
  CHECK(count(gd001, "wide") >= 20);
  CHECK(count(gd001, "sharp") + count(gd001, "wide") == 200);

  // The basin boundary is the local maximum of f between the minima, found
  // here by bisection on a central difference of f written as in DESIGN.md §4
  // (f' changes sign from + to − on [1, 8]); 60 halvings pin it to ~1e-15.
  double lo = 1.0, hi = 8.0;
  auto slope = [](double t) { return (wide_sharp(t + 1e-6) - wide_sharp(t - 1e-6)) / 2e-6; };
  REQUIRE(slope(lo) > 0.0);
  REQUIRE(slope(hi) < 0.0);
  for (int i = 0; i < 60; ++i) (slope(0.5 * (lo + hi)) > 0.0 ? lo : hi) = 0.5 * (lo + hi);
  const double boundary = 0.5 * (lo + hi);
  INFO("basin boundary " << boundary);
  CHECK(boundary == Approx(3.175).margin(0.01));
  long checked = 0;
  for (const auto& row : csv_rows(out / "gf.members.csv")) {
    const double start = std::stod(row.at("start_1"));
    // The central difference moves the boundary by O(h²f''') ≈ 1e-10: skip starts that close.
    if (std::abs(start - boundary) < 1e-6) continue;
    INFO("start " << start);
    CHECK(row.at("outcome") == (start < boundary ? "sharp" : "wide"));
    CHECK((start >= -5.0 && start < 20.0));
    ++checked;
  }
  CHECK(checked >= 199);
}

TEST_CASE(
    "the sgd example: a constant-step noise floor as theory says, the uncapped decay overshoots, "
    "the capped one does not") {
  const fs::path out = run_example("sgd_schedules.json") / "sgd_schedules";
  const auto meta = read_meta(out);
  const double minimum = meta["model_facts"]["minimum_loss"].get<double>();
  CHECK(csv_column(out / "gf.csv", "loss").back() == Approx(minimum).epsilon(1e-9));
  const double start_loss = csv_column(out / "gf.csv", "loss").front();

  // Constant step: each mode e_i of θ − θ* follows e ← (1 − ηλ_i)e − ηξ, whose
  // stationary variance is ησ²/(dim·λ_i(2 − ηλ_i)); so E[L] − L* =
  // Σ_i ησ²/(2·dim·(2 − ηλ_i)). The eigenvalues come from the exported data.
  const Eigen::MatrixXd X = read_matrix_file(out / "data_X.npy", "", "");
  const Eigen::VectorXd lambdas =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(X.transpose() * X).eigenvalues();
  const auto& constant = meta["runs"][0];
  const double eta = constant["eta"].get<double>(), sigma = constant["sgd"]["sigma"].get<double>();
  const double dim = static_cast<double>(X.cols());
  double floor = 0.0;
  for (Eigen::Index i = 0; i < lambdas.size(); ++i)
    floor += eta * sigma * sigma / (2.0 * dim * (2.0 - eta * lambdas[i]));
  // Average of the ensemble mean over t ≥ 3 (the transient e^{−2λ_min t} is
  // gone by t = 1): 20 members × 31 records 0.1 apart, nearly independent
  // (the excess decorrelates at rate 2λ_min ≈ 14), each a weighted χ² with
  // 5 degrees of freedom (relative sd ≈ √(2/5)): a relative standard error of
  // ≈ 0.63/√620 ≈ 3%, so 15% is five of them.
  const auto t = csv_column(out / "constant.ensemble.csv", "t");
  const auto mean = csv_column(out / "constant.ensemble.csv", "loss_mean");
  double sum = 0.0;
  int n = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k] >= 3.0) {
      sum += mean[k] - minimum;
      ++n;
    }
  }
  INFO("constant-step floor " << sum / n << ", theory " << floor);
  CHECK(sum / n == Approx(floor).epsilon(0.15));

  // η_k = 1/(k+1) exceeds 2/λ_max for the first steps: a transient far above the start.
  const auto inverse = csv_column(out / "inverse_time.ensemble.csv", "loss_mean");
  CHECK(*std::max_element(inverse.begin(), inverse.end()) > 1e6 * start_loss);
  CHECK(inverse.back() - minimum < floor);
  // The cap 1/λ_max(∇²L(x0)) keeps every step stable: after the start no
  // member is ever above it, and the decaying steps end far below the
  // constant floor.
  const auto capped_max = csv_column(out / "capped.ensemble.csv", "loss_max");
  CHECK(*std::max_element(capped_max.begin() + 1, capped_max.end()) < start_loss);
  CHECK(csv_column(out / "capped.ensemble.csv", "loss_mean").back() - minimum < 0.1 * floor);
  CHECK(meta["runs"][2]["sgd"]["beta"].get<double>() ==
        Approx(meta["model_facts"]["lambda_max_XtX"].get<double>()).epsilon(1e-12));
  CHECK(csv_column(out / "capped.ensemble.csv", "members").back() == 20);
}

namespace {

// Matrix sensing seen from outside gradflow: A is m × d² (row i = A_i
// flattened, A_i symmetric), so A(W) = A·vec(W) and A*(y) = mat(Aᵀy).
struct Sensing {
  Eigen::MatrixXd A;
  Eigen::VectorXd b;
  Eigen::Index d = 0;
  Eigen::LLT<Eigen::MatrixXd> gram;  // of A·Aᵀ (m × m, well conditioned for Gaussian A_i)

  Eigen::VectorXd residual(const Eigen::MatrixXd& W) const {
    return A * Eigen::Map<const Eigen::VectorXd>(W.data(), W.size()) - b;
  }
  Eigen::MatrixXd adjoint(const Eigen::VectorXd& y) const {
    const Eigen::VectorXd v = A.transpose() * y;
    return Eigen::Map<const Eigen::MatrixXd>(v.data(), d, d);
  }
  // The nearest W' (Frobenius) with A(W') = b exactly: W − A⁺(A(W) − b).
  Eigen::MatrixXd fit_exactly(const Eigen::MatrixXd& W) const {
    const Eigen::MatrixXd P = W - adjoint(gram.solve(residual(W)));
    return 0.5 * (P + P.transpose());
  }
};

double min_eigenvalue(const Eigen::MatrixXd& M) {
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(0.5 * (M + M.transpose()),
                                                        Eigen::EigenvaluesOnly)
      .eigenvalues()
      .minCoeff();
}

struct TraceBounds {
  double lower = 0.0, upper = 0.0;  // lower ≤ min{tr W : A(W) = b, W ⪰ 0} ≤ upper
  double dual_norm = 0.0;           // ‖y‖ of the dual point behind `lower`
  Eigen::MatrixXd minimiser;        // a PSD exact fit whose trace is `upper`
};

// The smallest trace of a PSD matrix that fits, min tr W s.t. A(W) = b, W ⪰ 0,
// by ADMM on the split W = Z, Z ⪰ 0 (Boyd et al. 2011, §5; the W-step is a
// projection onto A(W) = b, the Z-step one onto the PSD cone), with both
// bounds certified afterwards:
//  - lower: the W-step's multiplier y makes S = I − A*(y) nearly PSD; scaled
//    by 1/(1 + δ), δ = max(0, −λ_min(S)), it is dual feasible, and weak duality
//    tr W = ⟨S, W⟩ + yᵀA(W) ≥ bᵀy holds for every PSD fit W;
//  - upper: the PSD iterate made an exact fit, mixed with just enough of the
//    strictly positive definite exact fit `interior` to be PSD again.
TraceBounds min_trace_psd_fit(const Sensing& s, const Eigen::MatrixXd& interior) {
  const Eigen::Index d = s.d;
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(d, d);
  const double rho = 1.0;
  Eigen::MatrixXd Z = Eigen::MatrixXd::Zero(d, d), Lambda = Eigen::MatrixXd::Zero(d, d);
  Eigen::VectorXd multiplier;
  for (int k = 0; k < 20000; ++k) {
    const Eigen::MatrixXd X = Z - Lambda - I / rho;
    const Eigen::VectorXd r = s.gram.solve(s.residual(X));
    multiplier = -rho * r;
    Eigen::MatrixXd W = X - s.adjoint(r);
    W = 0.5 * (W + W.transpose());
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(W + Lambda);
    const Eigen::MatrixXd Znew = eig.eigenvectors() * eig.eigenvalues().cwiseMax(0.0).asDiagonal() *
                                 eig.eigenvectors().transpose();
    Lambda += W - Znew;
    const double primal = (W - Znew).norm(), dual = rho * (Znew - Z).norm();
    Z = Znew;
    if (primal < 1e-12 && dual < 1e-12) break;
  }
  TraceBounds out;
  const double delta = std::max(0.0, -min_eigenvalue(I - s.adjoint(multiplier)));
  out.lower = s.b.dot(multiplier) / (1.0 + delta);
  out.dual_norm = multiplier.norm() / (1.0 + delta);
  const Eigen::MatrixXd fit = s.fit_exactly(Z);
  const double lambda_fit = min_eigenvalue(fit), lambda_interior = min_eigenvalue(interior);
  const double mix = lambda_fit >= 0.0 ? 0.0 : -lambda_fit / (lambda_interior - lambda_fit);
  out.minimiser = (1.0 - mix) * fit + mix * interior;
  out.upper = out.minimiser.trace();
  return out;
}

Eigen::MatrixXd last_matrix(const fs::path& stacked, Eigen::Index d) {
  const Eigen::MatrixXd rows = read_matrix_file(stacked, "", "");
  REQUIRE(rows.cols() == d * d);
  const Eigen::RowVectorXd last = rows.bottomRows(1);
  return Eigen::Map<const Eigen::MatrixXd>(last.data(), d, d);
}

}  // namespace

TEST_CASE(
    "the sensing sweep: many PSD matrices fit, and at convergence a smaller alpha gives a smaller "
    "nuclear norm") {
  const fs::path out = run_example("factorisation_sensing_sweep.json");
  const std::vector<std::pair<std::string, double>> experiments = {
      {"alpha_1", 1.0}, {"alpha_0.3", 0.3}, {"alpha_0.1", 0.1}, {"alpha_0.05", 0.05}};
  Sensing s;
  s.A = read_matrix_file(out / "alpha_1" / "sensing_measurements.npy", "", "");
  s.b = read_matrix_file(out / "alpha_1" / "sensing_targets.npy", "", "");
  const Eigen::MatrixXd truth = read_matrix_file(out / "alpha_1" / "ground_truth.npy", "", "");
  s.d = truth.rows();
  s.gram.compute(s.A * s.A.transpose());
  REQUIRE(s.A.rows() == 100);
  REQUIRE(s.d == 30);

  std::vector<double> nuclear, gd_nuclear, error;
  std::vector<Eigen::MatrixXd> final_W;
  for (const auto& [name, alpha] : experiments) {
    INFO(name);
    const auto meta = read_meta(out / name);
    REQUIRE(meta["spec"]["init"]["alpha"].get<double>() == alpha);
    // Converged, not still moving: every run's final loss is below 1e-10.
    for (const char* run : {"gf", "gd", "wflow"}) {
      INFO(run);
      CHECK(csv_column(out / name / (std::string(run) + ".csv"), "loss").back() < 1e-10);
    }
    nuclear.push_back(csv_column(out / name / "gf.csv", "nuclear_norm").back());
    gd_nuclear.push_back(csv_column(out / name / "gd.csv", "nuclear_norm").back());
    error.push_back(csv_column(out / name / "gf.csv", "reconstruction_error").back());
    final_W.push_back(last_matrix(out / name / "gf.W.npy", s.d));
    // W = UUᵀ is PSD, so its nuclear norm is its trace.
    CHECK(nuclear.back() == Approx(final_W.back().trace()).epsilon(1e-12));
    // The U-flow and the W-flow integrate one flow at rtol 1e-10 (‖W‖_F ≲ 20,
    // ~10³ steps): their W agree far below the differences between α.
    for (const auto& c : meta["comparisons"]) {
      if (c["a"] == "gf" && c["b"] == "wflow") CHECK(c["max_W_dist"].get<double>() < 1e-8);
    }
    WARN(name << ": nuclear norm " << nuclear.back() << " (gd " << gd_nuclear.back()
              << "), error to W* " << error.back());
  }

  // Many PSD fits: the α = 1 run ends at W₁ ≠ W*; made an exact fit (a change
  // of the size of its residual, ~1e-11), it is still positive definite. W* and
  // W₁' both fit, so does every point of the segment between them, all PSD.
  const Eigen::MatrixXd other = s.fit_exactly(final_W.front());
  CHECK(s.residual(other).norm() <= 1e-12 * s.b.norm());
  CHECK(s.residual(truth).norm() <= 1e-12 * s.b.norm());
  const double other_min_eigenvalue = min_eigenvalue(other);
  INFO("lambda_min of the alpha = 1 fit " << other_min_eigenvalue);
  CHECK(other_min_eigenvalue > 1e-6);
  CHECK((other - truth).norm() > 0.5 * truth.norm());

  // Smaller α, smaller nuclear norm (and error), for GD as for the flow.
  for (std::size_t k = 1; k < nuclear.size(); ++k) {
    INFO(experiments[k - 1].first << " -> " << experiments[k].first);
    CHECK(nuclear[k] < nuclear[k - 1]);
    CHECK(gd_nuclear[k] < gd_nuclear[k - 1]);
    CHECK(error[k] < error[k - 1]);
  }
  // GD (η = 2e-3) is O(η) from the flow along the way and ends at a fit of
  // nearly the same nuclear norm (0.2% measured; the α-to-α steps are ≥ 2%).
  for (std::size_t k = 0; k < nuclear.size(); ++k)
    CHECK(gd_nuclear[k] == Approx(nuclear[k]).epsilon(5e-3));

  // ... toward the smallest trace of any PSD fit, bracketed independently.
  const TraceBounds bounds = min_trace_psd_fit(s, other);
  INFO("min trace in [" << bounds.lower << ", " << bounds.upper << "], tr W* = " << truth.trace());
  // Both bounds are certified; ADMM stopped at residuals 1e-12, so they meet.
  CHECK(bounds.upper - bounds.lower <= 1e-8 * bounds.lower);
  // PSD up to the eigensolver's round-off, ~ε‖W‖₂ per eigenvalue.
  CHECK(min_eigenvalue(bounds.minimiser) >= -1e-13 * bounds.upper);
  CHECK(s.residual(bounds.minimiser).norm() <= 1e-12 * s.b.norm());
  // At m = 100 the minimum is not W* itself (the gap, ~0.05, is 10⁹ times the bounds' slack).
  CHECK(bounds.upper < truth.trace() - 1e-3);
  for (std::size_t k = 0; k < nuclear.size(); ++k) {
    // A run's W fits only to its residual r: weak duality gives tr W ≥ bᵀy − ‖y‖‖r‖.
    const double slack = bounds.dual_norm * s.residual(final_W[k]).norm();
    CHECK(nuclear[k] >= bounds.lower - slack);
  }
  // From α = 1 to α = 0.05 the excess over the minimum shrinks more than tenfold.
  CHECK(nuclear.back() - bounds.lower < 0.1 * (nuclear.front() - bounds.lower));
  WARN("minimum trace of a PSD fit " << bounds.lower << ", tr W* " << truth.trace()
                                     << ", its distance to W* "
                                     << (bounds.minimiser - truth).norm() / truth.norm());
}
