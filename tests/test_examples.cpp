// The shipped example specs run and show what their comments claim.

#include "cli/command.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace gradflow;
namespace fs = std::filesystem;

namespace {

fs::path run_example(const std::string& spec) {
  const fs::path out = fs::temp_directory_path() / ("gradflow_example_" + fs::path(spec).stem().string());
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
std::vector<double> csv_column(const fs::path& file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::stringstream header(line);
  std::string cell;
  int index = -1;
  for (int c = 0; std::getline(header, cell, ','); ++c) {
    if (cell == name) index = c;
  }
  REQUIRE(index >= 0);
  std::vector<double> values;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    for (int c = 0; std::getline(row, cell, ','); ++c) {
      if (c == index) values.push_back(std::stod(cell));
    }
  }
  return values;
}

}  // namespace

TEST_CASE("the course example trains every depth to the least-squares optimum by GD and by the flow") {
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

TEST_CASE("the end-to-end example: balanced agrees to tolerance, the gap grows with the imbalance") {
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
    const std::size_t at_one = static_cast<std::size_t>(std::find_if(t.begin(), t.end(), [](double s) { return s >= 1.0 - 1e-12; }) - t.begin());
    CHECK(loss[at_one] < previous);
    previous = loss[at_one];
  }
}

TEST_CASE("the Saxe example: the end-to-end flow follows the logistic closed form, strongest mode first") {
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

TEST_CASE("the eta sweep example: GD is order one from the flow and order two from the modified flow") {
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
