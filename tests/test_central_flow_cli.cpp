// Central-flow runs through the gradflow command: the run keys, the columns of
// the run and of its comparison with GD, meta.json, and bad input refused with
// file, key and reason, exit status 2 and no files.

#include "cli_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace gradflow::testing;
using nlohmann::json;

namespace {

json read_meta(const std::filesystem::path& dir) {
  std::ifstream in(dir / "meta.json");
  return json::parse(in);
}

std::vector<std::string> header(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> names;
  for (std::stringstream s(line); std::getline(s, cell, ',');) names.push_back(cell);
  return names;
}

std::vector<double> last_row(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::string line, last, cell;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  std::vector<double> values;
  for (std::stringstream s(last); std::getline(s, cell, ',');) values.push_back(std::stod(cell));
  return values;
}

// From θ = 3.1 (near the local maximum) gradient flow runs into the sharp
// basin, where the curvature f'' rises past 2/η = 13.3: in one dimension the
// central flow then stops where f'' = 2/η (∇S = f''' spans the whole space),
// with σ² = −2f'/f'''. GD at the same step leaves for the wide minimum.
const char* kLandscape = R"({
  "model": {"kind": "wide_sharp_1d"},
  "init": {"kind": "point", "value": 3.1},
  "t_end": 6,
  "runs": [
    {"name": "gd", "integrator": "euler", "eta": 0.15},
    {"name": "cf", "central_eta": 0.15}
  ]
})";

}  // namespace

TEST_CASE("a central-flow run on the 1-D landscape stops where the curvature is 2 over eta") {
  const auto dir = fresh_temp_dir("central_cli", "landscape");
  write_file(dir / "ws.json", kLandscape);
  const CliResult r =
      gradflow_cli({"run", (dir / "ws.json").string(), "--out", (dir / "out").string()});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("central flow (eta = 0.15): on the edge 2/eta = 13.3333"));
  const auto out = dir / "out" / "ws";
  const json meta = read_meta(out);
  const json& cf = meta["runs"][1];
  CHECK(cf["integrator"] == "event_driven");
  CHECK(meta["spec"]["runs"][1]["integrator"] == "event_driven");
  CHECK(meta["spec"]["runs"][1]["central_eta"].get<double>() == 0.15);
  const json& c = cf["central_flow"];
  INFO(c.dump(1));
  CHECK(c["two_over_eta"].get<double>() == Approx(2.0 / 0.15));
  CHECK(c["entries"] == 1);
  CHECK(c["exits"] == 0);
  CHECK(c["events"].size() == 1);
  CHECK(cf["counters"]["slides_started"] == 1);
  CHECK(c["counters"]["hessian_vector_products"].get<long>() > 0);
  CHECK(c["per_unit_time"]["hessian_vector_products"].get<double>() ==
        Approx(c["counters"]["hessian_vector_products"].get<double>() / 6.0));
  CHECK_THAT(c["grad_S_method"].get<std::string>(),
             Catch::Contains("analytic Hessian-vector product"));

  const auto names = header(out / "cf.csv");
  CHECK(names == std::vector<std::string>{"t", "step", "loss", "grad_norm", "S", "two_over_eta",
                                          "sigma2", "edge_count", "predicted_mean_loss", "theta",
                                          "curvature"});
  const auto end = last_row(out / "cf.csv");
  // f'' = 2/η where it stopped (S held to the solver's tolerance, rtol 1e-8).
  CHECK(end[10] == Approx(2.0 / 0.15).epsilon(1e-7));
  CHECK(end[4] == Approx(2.0 / 0.15).epsilon(1e-7));
  CHECK(end[7] == 1.0);
  CHECK(end[6] > 0.0);
  CHECK(end[8] == Approx(end[2] + end[6] / 0.15).epsilon(1e-12));

  // GD beside its own central flow: the time-average columns (default window 2).
  CHECK(header(out / "compare_gd_vs_cf.csv") ==
        std::vector<std::string>{"t", "step_a", "step_b", "loss_a", "loss_b", "loss_diff",
                                 "state_dist", "avg_state_dist", "sigma2_predicted",
                                 "sigma2_observed", "mean_loss_predicted", "mean_loss_observed"});
  CHECK(meta["comparisons"][0]["average_window"].get<double>() == 2.0);
}

TEST_CASE(
    "a GD run's average window adds the time-average distance to its comparisons with any flow") {
  const auto dir = fresh_temp_dir("central_cli", "window");
  json spec = json::parse(kLandscape);
  spec["runs"] = {{{"name", "gd"}, {"integrator", "euler"}, {"eta", 0.15}, {"average_window", 3}},
                  {{"name", "gf"}}};
  write_file(dir / "ws.json", spec.dump());
  const CliResult r =
      gradflow_cli({"run", (dir / "ws.json").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto out = dir / "out" / "ws";
  CHECK(header(out / "compare_gd_vs_gf.csv").back() == "avg_state_dist");
  CHECK(read_meta(out)["comparisons"][0]["average_window"].get<double>() == 3.0);
  // The last GD iterate has no successor: its window is incomplete.
  CHECK(std::isnan(last_row(out / "compare_gd_vs_gf.csv").back()));
}

TEST_CASE("bad central-flow input is refused naming the file and key, with no files written") {
  const auto dir = fresh_temp_dir("central_cli", "bad");
  auto with_runs = [](const json& runs, const json& model = json{{"kind", "wide_sharp_1d"}},
                      const json& init = json{{"kind", "point"}, {"value", 3.1}},
                      const json& data = json::object()) {
    return json{{"model", model}, {"init", init}, {"data", data}, {"t_end", 1}, {"runs", runs}}
        .dump();
  };
  SECTION("another integrator") {
    check_refused(
        dir, with_runs(json::array({{{"central_eta", 0.15}, {"integrator", "dopri5"}}})),
        "key 'runs[0].integrator': the central flow switches between gradient flow and the edge");
  }
  SECTION("with the modified flow") {
    check_refused(dir, with_runs(json::array({{{"central_eta", 0.15}, {"modified_eta", 0.15}}})),
                  "key 'runs[0].central_eta': give either \"central_eta\"");
  }
  SECTION("an ensemble") {
    check_refused(dir,
                  with_runs(json::array({{{"central_eta", 0.15}, {"ensemble", {{"size", 2}}}}})),
                  "key 'runs[0].ensemble': the central flow is deterministic");
  }
  SECTION("a start beyond the edge") {
    // f''(−1) = 20 > 2/η = 13.3.
    check_refused(
        dir,
        with_runs(json::array({{{"central_eta", 0.15}}}), json{{"kind", "wide_sharp_1d"}},
                  json{{"kind", "point"}, {"value", -1.0}}),
        "key 'runs[0].central_eta': GD with step 0.15 starts beyond the edge of stability: the "
        "sharpness at the start is 20");
  }
  SECTION("an average window on a flow") {
    check_refused(
        dir, with_runs(json::array({{{"average_window", 2}}})),
        "key 'runs[0].average_window': average_window sets the window of GD's time average");
  }
  SECTION("a window of zero") {
    check_refused(
        dir,
        with_runs(json::array({{{"integrator", "euler"}, {"eta", 0.1}, {"average_window", 0}}})),
        "runs[0].average_window");
  }
  const json sine = {{"kind", "sine"}, {"samples", 8}, {"inputs", 3}, {"unit_norm_inputs", true}};
  SECTION("the ReLU network, whose Hessian jumps") {
    check_refused(
        dir,
        with_runs(json::array({{{"central_eta", 0.1}}}),
                  json{{"kind", "two_layer_relu"}, {"width", 4}}, json{{"kind", "gaussian"}}, sine),
        "key 'runs[0].central_eta': the central flow needs a twice differentiable loss");
  }
  SECTION("the end-to-end flow, which is not a gradient flow") {
    check_refused(dir,
                  with_runs(json::array({{{"central_eta", 0.1}, {"flow", "end_to_end"}}}),
                            json{{"kind", "linear_network"}, {"hidden", {2}}},
                            json{{"kind", "gaussian"}}, sine),
                  "key 'runs[0].central_eta': the central flow models gradient descent on a loss");
  }
}
