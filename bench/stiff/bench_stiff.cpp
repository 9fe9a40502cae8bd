// The stiff-flow benchmark, gradflow's side (bench/stiff/README.md).
//
// Problem: the shipped example data/stiff_linear.json (depth-3, width-10
// linear network, input coordinate 0 scaled by 100, T = 20), read through the
// same spec machinery as `gradflow run`, so the benchmark is the example.
//
// Usage: bench_stiff SPEC OUT_DIR
// Writes to OUT_DIR what peers_stiff.py reads (X.npy, Y.npy, x0.npy, v0.npy,
// reference.npy, params.json, gradflow.json) and prints a summary:
//   - the reference: dopri5 at rtol 1e-12, atol 1e-14 (stability-bound, so its
//     error is far below its tolerance), checked against bdf at the same
//     tolerance;
//   - bdf (krylov, the default), bdf (dense), auto and dopri5 at the spec's tolerance, with
//     median times, counts and error ‖x(T) − reference‖/‖reference‖;
//   - bdf at 10× and 100× tighter tolerances (accuracy-matched comparisons);
//   - the non-stiff case (the same network, unscaled inputs, T = 2 and 200):
//     auto and bdf against dopri5.

#include "../timing.hpp"

#include "cli/experiment.hpp"
#include "io/npy.hpp"
#include "io/spec.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace {

using namespace gradflow;
using nlohmann::json;

constexpr int kRepeats = 11;
constexpr double kNonStiffEnds[] = {2.0, 200.0};

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

const Eigen::MatrixXd& exported(const ModelInstance& model, const std::string& name) {
  for (const auto& [n, m] : model.exports) {
    if (n == name) return m;
  }
  throw std::runtime_error("the model exports no " + name);
}

double relative_error(const Eigen::VectorXd& x, const Eigen::VectorXd& reference) {
  return (x - reference).norm() / reference.norm();
}

struct Measured {
  std::string name;
  RunResult result;
  bench::Timing timing;
  double error = 0.0;
};

Measured measure(const std::string& name, const Field& field, const Eigen::VectorXd& x0,
                 double t_end, MethodOptions method, const Eigen::VectorXd& reference,
                 int repeats = kRepeats) {
  const std::vector<double> times{0.0, t_end};
  StopOptions stop{.t_end = t_end};
  Measured m{name, integrate(field, x0, times, method, stop), {}, 0.0};
  m.timing =
      bench::time_median(repeats, [&] { m.result = integrate(field, x0, times, method, stop); });
  m.error = relative_error(m.result.trajectory.states.back(), reference);
  return m;
}

long counter(const RunStats& s, const std::string& name) {
  for (const auto& [n, v] : s.counters) {
    if (n == name) return v;
  }
  return 0;
}

json run_json(const Measured& m) {
  const RunStats& s = m.result.stats;
  return {{"name", m.name},
          {"seconds_median", m.timing.median_seconds},
          {"seconds_min", m.timing.min_seconds},
          {"repeats", m.timing.repeats},
          {"status", to_string(s.status)},
          {"steps", s.steps},
          {"field_evaluations", s.field_evaluations},
          {"jacobians", counter(s, "jacobians")},
          {"jacobian_vector_products", counter(s, "jacobian_vector_products")},
          {"newton_iterations", counter(s, "newton_iterations")},
          {"error", m.error},
          {"note", s.note}};
}

void print(const Measured& m, double baseline_seconds) {
  const RunStats& s = m.result.stats;
  fmt::print(
      "  {:<16} {:>10.2f} ms {:>9} steps {:>9} f-evals {:>6} Jacobians {:>9} JVPs  error {:.2e}  "
      "{:>6.2f}x\n",
      m.name, 1e3 * m.timing.median_seconds, s.steps, s.field_evaluations, counter(s, "jacobians"),
      counter(s, "jacobian_vector_products") + counter(s, "stiffness_jacobian_vector_products"),
      m.error, m.timing.median_seconds / baseline_seconds);
}

MethodOptions with(MethodOptions m, Method method, double scale = 1.0,
                   LinearSolver solver = LinearSolver::automatic) {
  m.method = method;
  m.rtol *= scale;
  m.atol *= scale;
  m.linear_solver = solver;
  return m;
}

int run(const std::filesystem::path& spec_path, const std::filesystem::path& out) {
  std::filesystem::create_directories(out);
  const ExperimentSpec spec = read_spec_file(spec_path).front();
  const PreparedExperiment stiff = prepare_experiment(spec);
  const Field& field = *stiff.targets.front().field;
  const Eigen::VectorXd& x0 = *stiff.targets.front().x0;
  const MethodOptions base = spec.runs.front().method;
  const double t_end = spec.t_end;

  write_file(out / "X.npy", npy_bytes(exported(stiff.model, "data_X")));
  write_file(out / "Y.npy", npy_bytes(exported(stiff.model, "data_Y")));
  write_file(out / "x0.npy", npy_bytes(x0));
  Eigen::VectorXd v0(field.dim());
  field.velocity(x0, 0.0, v0);
  write_file(out / "v0.npy", npy_bytes(v0));

  fmt::print("stiff case: {} (dim {}), T = {}, rtol {:g}, atol {:g}\n", field.describe(),
             field.dim(), t_end, base.rtol, base.atol);
  const MethodOptions tight{.method = Method::dopri5, .rtol = 1e-12, .atol = 1e-14};
  const std::vector<double> ends{0.0, t_end};
  const RunResult reference_run = integrate(field, x0, ends, tight, {.t_end = t_end});
  const Eigen::VectorXd reference = reference_run.trajectory.states.back();
  const RunResult check_run =
      integrate(field, x0, ends, with(tight, Method::bdf), {.t_end = t_end});
  const double reference_distance = relative_error(check_run.trajectory.states.back(), reference);
  fmt::print(
      "reference: dopri5 at 1e-12/1e-14, {} f-evals; bdf at the same tolerance differs by {:.2e}\n",
      reference_run.stats.field_evaluations, reference_distance);
  write_file(out / "reference.npy", npy_bytes(reference));

  std::vector<Measured> runs;
  runs.push_back(measure("bdf", field, x0, t_end, with(base, Method::bdf), reference));
  runs.push_back(measure("bdf_rtol/10", field, x0, t_end, with(base, Method::bdf, 0.1), reference));
  runs.push_back(
      measure("bdf_rtol/100", field, x0, t_end, with(base, Method::bdf, 0.01), reference));
  runs.push_back(measure("bdf_dense", field, x0, t_end,
                         with(base, Method::bdf, 1.0, LinearSolver::dense), reference));
  runs.push_back(measure("bdf_dense_rtol/10", field, x0, t_end,
                         with(base, Method::bdf, 0.1, LinearSolver::dense), reference));
  runs.push_back(measure("auto", field, x0, t_end, with(base, Method::automatic), reference));
  runs.push_back(measure("dopri5", field, x0, t_end, with(base, Method::dopri5), reference, 3));
  fmt::print("runs (median of {} repeats; dopri5 of 3; ratio to bdf):\n", kRepeats);
  for (const Measured& m : runs) print(m, runs.front().timing.median_seconds);
  const double fevals_ratio = static_cast<double>(runs[0].result.stats.field_evaluations) /
                              static_cast<double>(runs.back().result.stats.field_evaluations);
  fmt::print("bdf uses {:.3f}% of dopri5's field evaluations\n", 100.0 * fevals_ratio);

  // The non-stiff case: auto must not cost more than dopri5 there. Over a
  // short horizon dopri5's step stays accuracy-bound (auto pays only for its
  // checks); over a long one the flow nears its minimum, the step becomes
  // stability-bound and auto switches.
  std::vector<Measured> plain_runs;
  for (const double horizon : kNonStiffEnds) {
    ExperimentSpec plain = spec;
    plain.data.erase("input_scales");
    plain.t_end = horizon;
    plain.stop.t_end = horizon;
    const PreparedExperiment nonstiff = prepare_experiment(plain);
    const Field& smooth = *nonstiff.targets.front().field;
    const Eigen::VectorXd& start = *nonstiff.targets.front().x0;
    const Eigen::VectorXd smooth_ref =
        integrate(smooth, start, {0.0, horizon}, tight, {.t_end = horizon})
            .trajectory.states.back();
    const std::string suffix = fmt::format(" T={:g}", horizon);
    const std::size_t first = plain_runs.size();
    plain_runs.push_back(
        measure("dopri5" + suffix, smooth, start, horizon, with(base, Method::dopri5), smooth_ref));
    plain_runs.push_back(measure("auto" + suffix, smooth, start, horizon,
                                 with(base, Method::automatic), smooth_ref));
    plain_runs.push_back(
        measure("bdf" + suffix, smooth, start, horizon, with(base, Method::bdf), smooth_ref));
    fmt::print("non-stiff case (unscaled inputs, T = {}; ratio to dopri5):\n", horizon);
    for (std::size_t k = first; k < plain_runs.size(); ++k) {
      print(plain_runs[k], plain_runs[first].timing.median_seconds);
    }
    fmt::print("  {}\n", plain_runs[first + 1].result.stats.note);
  }

  json report = {{"stiff_run", "bdf"}, {"runs", json::array()}, {"non_stiff", json::array()}};
  for (const Measured& m : runs) report["runs"].push_back(run_json(m));
  for (const Measured& m : plain_runs) report["non_stiff"].push_back(run_json(m));
  report["bdf_fevals_fraction_of_dopri5"] = fevals_ratio;
  write_file(out / "gradflow.json", report.dump(2));
  json widths = json::array({exported(stiff.model, "data_X").cols()});
  for (const auto& w : spec.model.at("hidden")) widths.push_back(w);
  widths.push_back(exported(stiff.model, "data_Y").cols());
  const json params = {{"widths", widths},
                       {"t_end", t_end},
                       {"rtol", base.rtol},
                       {"atol", base.atol},
                       {"reference",
                        {{"method", "gradflow dopri5, rtol 1e-12, atol 1e-14"},
                         {"check_method", "gradflow bdf, rtol 1e-12, atol 1e-14"},
                         {"relative_distance", reference_distance}}}};
  write_file(out / "params.json", params.dump(2));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr, "usage: bench_stiff SPEC OUT_DIR\n");
    return 2;
  }
  try {
    return run(argv[1], argv[2]);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_stiff: {}\n", e.what());
    return 1;
  }
}
