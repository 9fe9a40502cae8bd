// The switches of the network's flow as the two integrators report them: the
// counters describe the run as recorded (nothing past t_end, the same in both
// integrators, whatever the sample grid), and the event log lists each switch
// once, in time order, the same in both; the CLI writes it as <run>.events.csv.

#include "core/sample_times.hpp"
#include "integrators/event_driven.hpp"
#include "integrators/integrate.hpp"
#include "integrators/relu_windows.hpp"
#include "models/two_layer_relu.hpp"

#include "cli_support.hpp"
#include "relu_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>
#include <sstream>

using namespace gradflow;

using gradflow::testing::signed_label_data;
using gradflow::testing::unit_sphere_data;

namespace {

MethodOptions event_driven(double tol, bool log = false) {
  return {.method = Method::event_driven, .rtol = tol, .atol = 0.1 * tol, .record_switches = log};
}
MethodOptions windows(double tol, bool log = false) {
  return {.method = Method::relu_windows, .rtol = tol, .atol = 0.1 * tol, .record_switches = log};
}

struct Counts {
  long events, crossings, slides_started, slides_ended, sliding_at_end;
};
Counts counts_of(const EventCounts& c) {
  return {c.events, c.crossings, c.slides_started, c.slides_ended, c.sliding_at_end};
}
Counts counts_of(const ReluWindowCounts& c) {
  return {c.events, c.crossings, c.slides_started, c.slides_ended, c.sliding_at_end};
}
void check_equal(const Counts& a, const Counts& b) {
  CHECK(a.events == b.events);
  CHECK(a.crossings == b.crossings);
  CHECK(a.slides_started == b.slides_started);
  CHECK(a.slides_ended == b.slides_ended);
  CHECK(a.sliding_at_end == b.sliding_at_end);
}

// Pairs on their surface in a state (|w_rᵀx_i| ≤ 1e-12‖w_r‖, as pairs_on_boundary).
long pairs_on_boundary(const TwoLayerRelu& net, const Eigen::VectorXd& x) {
  return static_cast<long>(net.observe(x).scalars.back().second);
}

}  // namespace

TEST_CASE("switches located past t_end are neither taken nor counted") {
  // dopri5's last step overshoots t_end; a switch inside the overshoot is not
  // part of the run: at t_end the pairs that slide are exactly those on their
  // surfaces in the last record, and both integrators count the same.
  long cases_with_sliding = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    Rng rng(seed + 100);
    const TwoLayerRelu net(unit_sphere_data(5, 20, seed),
                           TwoLayerRelu::draw_start(200, 5, 1.0, rng));
    const double T = 4.0;
    const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = 0.1}, T);
    const EventDrivenResult ed = integrate_event_driven(net, net.initial_state(), times,
                                                        event_driven(1e-8, true), {.t_end = T});
    const ReluWindowsResult rw =
        integrate_relu_windows(net, net.initial_state(), times, windows(1e-8, true), {.t_end = T});
    INFO("seed " << seed << "; event_driven: " << ed.run.stats.message
                 << "; relu_windows: " << rw.run.stats.message);
    REQUIRE(ed.run.stats.status == RunStatus::completed);
    REQUIRE(rw.run.stats.status == RunStatus::completed);
    CHECK(ed.events.sliding_at_end == pairs_on_boundary(net, ed.run.trajectory.states.back()));
    CHECK(rw.counts.sliding_at_end == pairs_on_boundary(net, rw.run.trajectory.states.back()));
    check_equal(counts_of(ed.events), counts_of(rw.counts));
    for (const auto& s : ed.run.switches) CHECK(s.t <= T);
    cases_with_sliding += ed.events.sliding_at_end > 0;
  }
  CHECK(cases_with_sliding >= 3);
}

TEST_CASE("both integrators count the pairs that start on their surfaces alike") {
  // A start with pairs exactly on their surfaces (inputs and weights dyadic):
  // each pair that slides or leaves to the inactive side switches at t = 0
  // against the convention relu'(0) = 1.
  long on_surface = 0;
  const TwoLayerRelu net = gradflow::testing::dyadic_network(16, 36, &on_surface);
  REQUIRE(on_surface >= 6);
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 5}, 1.0);
  const EventDrivenResult ed = integrate_event_driven(net, net.initial_state(), times,
                                                      event_driven(1e-10, true), {.t_end = 1.0});
  const ReluWindowsResult rw =
      integrate_relu_windows(net, net.initial_state(), times, windows(1e-10, true), {.t_end = 1.0});
  INFO("event_driven: " << ed.run.stats.message << "; relu_windows: " << rw.run.stats.message);
  REQUIRE(ed.run.stats.status == RunStatus::completed);
  REQUIRE(rw.run.stats.status == RunStatus::completed);
  check_equal(counts_of(ed.events), counts_of(rw.counts));
  long at_start = 0;
  for (const auto& s : ed.run.switches) at_start += s.t == 0.0;
  CHECK(at_start > 0);
}

TEST_CASE("relu_windows counts the same switches whatever the sample grid") {
  // The windows end at sample times; the switches of the flow do not move.
  for (std::uint64_t seed : {2, 20}) {
    Rng rng(seed + 100);
    const TwoLayerRelu net(signed_label_data(6, 11, seed),
                           TwoLayerRelu::draw_start(50, 6, 1.0, rng));
    const double T = 2.0;
    std::vector<Counts> counts;
    std::vector<Eigen::VectorXd> ends;
    for (double spacing : {2.0, 0.25, 0.01, 0.001}) {
      const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = spacing}, T);
      const ReluWindowsResult rw =
          integrate_relu_windows(net, net.initial_state(), times, windows(1e-11), {.t_end = T});
      INFO("seed " << seed << ", spacing " << spacing << ": " << rw.run.stats.message);
      REQUIRE(rw.run.stats.status == RunStatus::completed);
      counts.push_back(counts_of(rw.counts));
      ends.push_back(rw.run.trajectory.states.back());
    }
    for (std::size_t k = 1; k < counts.size(); ++k) {
      INFO("seed " << seed << ", grid " << k);
      check_equal(counts[k], counts[0]);
      // The trajectory too, to the fixed point's tolerance (rtol 1e-11 per window).
      CHECK((ends[k] - ends[0]).norm() < 1e-9 * ends[0].norm());
    }
  }
}

TEST_CASE("the event log lists each switch once, in time order, the same for both integrators") {
  Rng rng(120);
  const TwoLayerRelu net(signed_label_data(6, 11, 20), TwoLayerRelu::draw_start(50, 6, 1.0, rng));
  const double T = 2.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = 0.5}, T);
  const EventDrivenResult ed = integrate_event_driven(net, net.initial_state(), times,
                                                      event_driven(1e-11, true), {.t_end = T});
  const ReluWindowsResult rw =
      integrate_relu_windows(net, net.initial_state(), times, windows(1e-11, true), {.t_end = T});
  REQUIRE(ed.run.stats.status == RunStatus::completed);
  REQUIRE(rw.run.stats.status == RunStatus::completed);
  const auto& a = ed.run.switches;
  const auto& b = rw.run.switches;
  CHECK(static_cast<long>(a.size()) ==
        ed.events.crossings + ed.events.slides_started + ed.events.slides_ended);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() > 20);
  std::set<std::pair<double, Eigen::Index>> instants;
  long ends_alone = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    INFO("switch " << k << ": t = " << a[k].t << " and " << b[k].t << ", neuron " << a[k].neuron
                   << ", sample " << a[k].sample << ", " << to_string(a[k].kind) << " and "
                   << to_string(b[k].kind));
    CHECK(a[k].neuron == b[k].neuron);
    CHECK(a[k].sample == b[k].sample);
    CHECK(a[k].kind == b[k].kind);
    // Event times: dopri5's dense output at rtol 1e-11 against relu_windows' exact law.
    CHECK(std::abs(a[k].t - b[k].t) < 1e-8);
    if (k > 0) CHECK(a[k].t >= a[k - 1].t);
    CHECK(a[k].t >= 0.0);
    CHECK(a[k].t <= T);
    instants.insert({a[k].t, a[k].neuron});
    switch (a[k].kind) {
      case SwitchedField::SwitchKind::crossing_in:
        CHECK(a[k].alpha == 1.0);
        break;
      case SwitchedField::SwitchKind::crossing_out:
        CHECK(a[k].alpha == 0.0);
        break;
      case SwitchedField::SwitchKind::slide_start:
        CHECK(a[k].alpha >= 0.0);
        CHECK(a[k].alpha <= 1.0);
        CHECK(b[k].alpha == Approx(a[k].alpha).margin(1e-6));
        break;
      case SwitchedField::SwitchKind::slide_end: {
        // The weight when the slide ended: 0 or 1 (up to the event's location)
        // when it reached it, anywhere in [0, 1] when another switch of the
        // neuron at the same instant released the pair.
        const bool alone =
            (k == 0 || a[k - 1].t != a[k].t || a[k - 1].neuron != a[k].neuron) &&
            (k + 1 == a.size() || a[k + 1].t != a[k].t || a[k + 1].neuron != a[k].neuron);
        if (alone) {
          CHECK(std::min(std::abs(a[k].alpha), std::abs(a[k].alpha - 1.0)) < 1e-6);
          ++ends_alone;
        }
        CHECK(a[k].alpha >= -1e-6);
        CHECK(a[k].alpha <= 1.0 + 1e-6);
        CHECK(b[k].alpha == Approx(a[k].alpha).margin(1e-6));
        break;
      }
    }
  }
  CHECK(static_cast<long>(instants.size()) == ed.events.events);
  CHECK(ends_alone > 3);
  // Without record_switches the runs keep no log.
  const EventDrivenResult quiet =
      integrate_event_driven(net, net.initial_state(), times, event_driven(1e-11), {.t_end = T});
  CHECK(quiet.run.switches.empty());
}

TEST_CASE("a spec with record.events writes each switching run's events.csv") {
  namespace fs = std::filesystem;
  using gradflow::testing::gradflow_cli;
  const fs::path dir = gradflow::testing::fresh_temp_dir("relu_events", "spec");
  const std::string spec = R"({
  "seed": 3,
  "data": { "kind": "sine", "samples": 12, "inputs": 4, "unit_norm_inputs": true },
  "model": { "kind": "two_layer_relu", "width": 40 },
  "init": { "kind": "gaussian", "std": 1.0 },
  "t_end": 1.0,
  "sample": { "kind": "grid", "spacing": 0.25 },
  "runs": [ { "name": "ed", "flow": "network", "integrator": "event_driven", "rtol": 1e-10, "atol": 1e-12 },
            { "name": "rw", "flow": "network", "integrator": "relu_windows", "rtol": 1e-10, "atol": 1e-12 },
            { "name": "gd", "flow": "network", "integrator": "euler", "eta": 0.01 } ],
  "record": { "events": true }
})";
  gradflow::testing::write_file(dir / "spec.json", spec);
  const gradflow::testing::CliResult r = gradflow_cli(
      {"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "--quiet"});
  INFO(r.err << r.out);
  REQUIRE(r.code == 0);
  const fs::path run_dir = dir / "out" / "spec";
  const auto meta = nlohmann::json::parse(gradflow::testing::read_file(run_dir / "meta.json"));
  std::vector<std::vector<std::string>> tables;
  for (const auto& run : meta["runs"]) {
    const std::string name = run["name"];
    if (name == "gd") {
      CHECK_FALSE(run.contains("events"));
      CHECK_FALSE(fs::exists(run_dir / "gd.events.csv"));
      continue;
    }
    REQUIRE(run["events"] == name + ".events.csv");
    std::istringstream csv(gradflow::testing::read_file(run_dir / (name + ".events.csv")));
    std::string line;
    std::getline(csv, line);
    CHECK(line == "t,neuron,sample,kind,alpha");
    std::vector<std::string> rows;
    while (std::getline(csv, line)) rows.push_back(line.substr(line.find(',') + 1));  // without t
    const auto& c = run["counters"];
    CHECK(static_cast<long>(rows.size()) == c["crossings"].get<long>() +
                                                c["slides_started"].get<long>() +
                                                c["slides_ended"].get<long>());
    CHECK(rows.size() > 5);
    tables.push_back(rows);
  }
  REQUIRE(tables.size() == 2);
  // The same switches (neuron, sample, kind) in the same order; α to the tolerance.
  REQUIRE(tables[0].size() == tables[1].size());
  for (std::size_t k = 0; k < tables[0].size(); ++k) {
    const auto cut = [](const std::string& s) { return s.substr(0, s.rfind(',')); };
    CHECK(cut(tables[0][k]) == cut(tables[1][k]));
  }
  // Without the key, no events.csv.
  std::string quiet = spec;
  quiet.replace(quiet.find(R"("record": { "events": true })"), 28,
                R"("record": { "events": false })");
  gradflow::testing::write_file(dir / "quiet.json", quiet);
  REQUIRE(gradflow_cli(
              {"run", (dir / "quiet.json").string(), "--out", (dir / "out2").string(), "--quiet"})
              .code == 0);
  CHECK_FALSE(fs::exists(dir / "out2" / "quiet" / "ed.events.csv"));
}

TEST_CASE("a record.events that is not a boolean is refused with the key named") {
  const auto dir = gradflow::testing::fresh_temp_dir("relu_events", "bad");
  gradflow::testing::check_refused(dir, R"({
  "data": { "kind": "sine", "samples": 8, "inputs": 3, "unit_norm_inputs": true },
  "model": { "kind": "two_layer_relu", "width": 10 },
  "t_end": 1.0,
  "runs": [ { "name": "ed", "flow": "network", "integrator": "event_driven" } ],
  "record": { "events": "yes" }
})",
                                   "events");
}
