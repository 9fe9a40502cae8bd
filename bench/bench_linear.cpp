// The linear-network benchmark, gradflow's side (see bench/README.md).
//
// Problem: the course data y = wᵀ sin(x) + ε, n = 100, x ∈ R¹⁰, and a
// depth-3 linear network of widths {10, 10, 10, 1} (dim 210) with loss
// 1/(2n)‖W3 W2 W1 X − Y‖_F², started from init_gaussian(0.3).
//
// Usage: bench_linear OUT_DIR
// Writes to OUT_DIR the problem, so that the Python peers start from the very
// same numbers, and gradflow's results:
//   X.npy (n × d0, samples as rows), Y.npy (n × dN), x0.npy (flat, layout order)
//   v0.npy            the field at x0 (the peers check their field against it)
//   x_flow.npy        dopri5 at rtol = atol = 1e-8, state at T = 200
//   x_reference.npy   dopri5 at rtol = atol = 1e-12 (the accuracy yardstick)
//   x_reference_check.npy  fehlberg78 at 1e-12 (says how good the yardstick is)
//   x_gd.npy          gradient descent, 10 000 steps of η = 0.01
//   gradflow.json     medians, counts and allocation checks
// and prints a short summary.

#include "allocation_counter.hpp"  // tests/allocation_counter.hpp
#include "timing.hpp"

#include "core/dataset.hpp"
#include "core/rng.hpp"
#include "integrators/integrate.hpp"
#include "io/npy.hpp"
#include "models/linear_network.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using namespace gradflow;
using nlohmann::json;

constexpr std::uint64_t kSeed =
    2;  // data: derive_seed(kSeed, "data"), start: derive_seed(kSeed, "init")
constexpr double kInitStd = 0.3;
constexpr double kFlowEnd = 200.0;
constexpr double kFlowTolerance = 1e-8;
constexpr double kReferenceTolerance = 1e-12;
constexpr double kEta = 0.01;
constexpr long kGdSteps = 10'000;

// Sub-microsecond calls are timed in batches so the clock's resolution and
// call overhead vanish; the batch is a few milliseconds long.
constexpr int kCallsPerBatch = 20'000;
constexpr int kFieldRepeats = 31;
constexpr int kRunRepeats = 21;
constexpr int kAllocationCheckCalls = 100'000;

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

json stats_json(const RunStats& s) {
  return {{"status", to_string(s.status)},
          {"steps", s.steps},
          {"rejected_steps", s.rejected_steps},
          {"field_evaluations", s.field_evaluations}};
}

json timing_json(const bench::Timing& t) {
  return {
      {"median_seconds", t.median_seconds}, {"min_seconds", t.min_seconds}, {"repeats", t.repeats}};
}

// One field evaluation through the Field interface, as every integrator calls it.
json measure_field(const Field& field, const Eigen::VectorXd& x) {
  Eigen::VectorXd v(field.dim());
  volatile double observed = 0.0;  // the result is used, so no call can be optimised away
  const bench::Timing batch = bench::time_median(kFieldRepeats, [&] {
    for (int i = 0; i < kCallsPerBatch; ++i) field.velocity(x, 0.0, v);
    observed = v[0];
  });
  // Warmed up by the timing above; any allocation from here on is per call.
  const long before = testing::heap_allocations_so_far();
  for (int i = 0; i < kAllocationCheckCalls; ++i) field.velocity(x, 0.0, v);
  const long allocations = testing::heap_allocations_so_far() - before;
  return {{"seconds_per_call", batch.median_seconds / kCallsPerBatch},
          {"min_seconds_per_call", batch.min_seconds / kCallsPerBatch},
          {"calls_per_batch", kCallsPerBatch},
          {"repeats", batch.repeats},
          {"allocation_check_calls", kAllocationCheckCalls},
          {"heap_allocations", allocations}};
}

RunResult run_flow(const Field& field, const Eigen::VectorXd& x0, Method method, double tol) {
  return integrate(field, x0, {0.0, kFlowEnd}, {.method = method, .rtol = tol, .atol = tol},
                   {.t_end = kFlowEnd});
}

void require_completed(const RunResult& r, const char* what) {
  if (r.stats.status != RunStatus::completed) {
    throw std::runtime_error(fmt::format("{} did not complete: {}", what, r.stats.message));
  }
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 2) {
    fmt::print(stderr, "usage: {} OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);

  Rng data_rng(derive_seed(kSeed, "data"));
  const Dataset data = make_sine_dataset(
      {.samples = 100, .input_dim = 10, .output_dim = 1, .noise_std = 0.1}, data_rng);
  const LinearNetwork net(data, {.widths = {10, 10, 10, 1}});
  Rng init_rng(derive_seed(kSeed, "init"));
  const Eigen::VectorXd x0 = net.init_gaussian(kInitStd, init_rng);
  write_file(out / "X.npy", npy_bytes(Eigen::MatrixXd(data.X.transpose())));
  write_file(out / "Y.npy", npy_bytes(Eigen::MatrixXd(data.Y.transpose())));
  write_file(out / "x0.npy", npy_bytes(x0));
  Eigen::VectorXd v0(net.dim());
  net.velocity(x0, 0.0, v0);
  write_file(out / "v0.npy", npy_bytes(v0));

  json report;
  report["problem"] = {{"seed", kSeed},    {"samples", data.samples()}, {"widths", net.widths()},
                       {"dim", net.dim()}, {"init_std", kInitStd},      {"loss_x0", net.loss(x0)}};

  // 1. One field evaluation.
  report["field"] = measure_field(net, x0);

  // 2. The whole gradient-flow run. Its allocations are counted once to show
  //    they do not grow with the number of steps (they come from recording).
  RunResult flow;
  const bench::Timing flow_timing = bench::time_median(
      kRunRepeats, [&] { flow = run_flow(net, x0, Method::dopri5, kFlowTolerance); });
  require_completed(flow, "dopri5 at 1e-8");
  const long before_flow = testing::heap_allocations_so_far();
  run_flow(net, x0, Method::dopri5, kFlowTolerance);
  const long flow_allocations = testing::heap_allocations_so_far() - before_flow;
  const Eigen::VectorXd& x_flow = flow.trajectory.states.back();
  write_file(out / "x_flow.npy", npy_bytes(x_flow));

  const RunResult reference = run_flow(net, x0, Method::dopri5, kReferenceTolerance);
  const RunResult check = run_flow(net, x0, Method::fehlberg78, kReferenceTolerance);
  require_completed(reference, "dopri5 at 1e-12");
  require_completed(check, "fehlberg78 at 1e-12");
  const Eigen::VectorXd& x_ref = reference.trajectory.states.back();
  const Eigen::VectorXd& x_check = check.trajectory.states.back();
  write_file(out / "x_reference.npy", npy_bytes(x_ref));
  write_file(out / "x_reference_check.npy", npy_bytes(x_check));

  report["flow"] = {{"method", "dopri5"},
                    {"t_end", kFlowEnd},
                    {"rtol", kFlowTolerance},
                    {"atol", kFlowTolerance},
                    {"timing", timing_json(flow_timing)},
                    {"stats", stats_json(flow.stats)},
                    {"heap_allocations_per_run", flow_allocations},
                    {"loss_at_t_end", net.loss(x_flow)},
                    {"error_to_reference", (x_flow - x_ref).norm()}};
  report["reference"] = {{"method", "dopri5"},
                         {"tolerance", kReferenceTolerance},
                         {"stats", stats_json(reference.stats)},
                         {"check_method", "fehlberg78"},
                         {"check_stats", stats_json(check.stats)},
                         {"distance_to_check", (x_ref - x_check).norm()},
                         {"state_norm", x_ref.norm()}};

  // 3. Gradient descent: forward Euler on the same field.
  const double gd_end = kEta * static_cast<double>(kGdSteps);
  RunResult gd;
  const bench::Timing gd_timing = bench::time_median(kRunRepeats, [&] {
    gd = gradient_descent(net, x0, kEta, {0.0, gd_end}, {.t_end = gd_end});
  });
  require_completed(gd, "gradient descent");
  if (gd.stats.steps != kGdSteps) {
    throw std::runtime_error(
        fmt::format("gradient descent took {} steps, expected {}", gd.stats.steps, kGdSteps));
  }
  write_file(out / "x_gd.npy", npy_bytes(gd.trajectory.states.back()));
  report["gd"] = {{"eta", kEta},
                  {"steps", kGdSteps},
                  {"timing", timing_json(gd_timing)},
                  {"seconds_per_step", gd_timing.median_seconds / static_cast<double>(kGdSteps)},
                  {"loss_at_end", net.loss(gd.trajectory.states.back())}};

  write_file(out / "gradflow.json", report.dump(2));
  fmt::print(
      "gradflow: field {:.3f} us/call ({} heap allocations in {} calls), "
      "dopri5 T={} {:.3f} ms ({} field evaluations), GD {:.3f} us/step\n",
      report["field"]["seconds_per_call"].get<double>() * 1e6,
      report["field"]["heap_allocations"].get<long>(), kAllocationCheckCalls, kFlowEnd,
      flow_timing.median_seconds * 1e3, flow.stats.field_evaluations,
      gd_timing.median_seconds / static_cast<double>(kGdSteps) * 1e6);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "bench_linear: {}\n", e.what());
  return 1;
}
