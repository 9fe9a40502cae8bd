// The symmetric factorisation benchmark.
//
// 1. Field evaluations per second, each through the Field interface as an
//    integrator calls it, with a heap-allocation count over many calls:
//      completion, d = 100, r = 5, |Ω| = 2 000, full width k = 100: the U-field
//      on the sparse factor path (O(|Ω|·k)) and, for contrast, on the dense
//      path through W = UUᵀ (O(d²k)); the W-field; the deep (N = 3) field;
//      sensing, d = 30, r = 2, m = 300: the U-field and the W-field.
// 2. The shipped α-sweep data/factorisation_sensing_sweep.json end to end as
//    `gradflow run` does it (model, runs, diagnostics, comparisons; files not
//    written), with the final nuclear norm and reconstruction error per α.
//
// Usage: bench_factorisation [SPEC]   (default: the shipped sweep)
// Prints a summary. Field times are medians over repeated batches, in thread
// CPU time (robust on a shared machine) and wall time.

#include "allocation_counter.hpp"  // tests/allocation_counter.hpp

#include "cli/experiment.hpp"
#include "core/rng.hpp"
#include "io/spec.hpp"
#include "models/induced_w_flow.hpp"
#include "models/matrix_completion.hpp"
#include "models/matrix_sensing.hpp"
#include "models/psd_ground_truth.hpp"
#include "models/symmetric_factorisation.hpp"
#include "models/symmetric_factorisation_deep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace {

using namespace gradflow;

constexpr int kRepeats = 15;
constexpr int kAllocationCheckCalls = 1000;

// Completion seen through MatrixLoss only: the U-model's dense path on the
// same numbers, for contrast with the sparse factor path.
class DenseOnly final : public MatrixLoss {
 public:
  explicit DenseOnly(std::shared_ptr<const MatrixLoss> inner) : inner_(std::move(inner)) {}
  Eigen::Index rows() const override { return inner_->rows(); }
  Eigen::Index cols() const override { return inner_->cols(); }
  double value(const ConstMatrixRef& W) const override { return inner_->value(W); }
  void gradient(const ConstMatrixRef& W, MatrixRef G) const override { inner_->gradient(W, G); }
  void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V,
                      MatrixRef D) const override {
    inner_->hessian_action(W, V, D);
  }
  std::string describe() const override { return inner_->describe() + " (dense path)"; }

 private:
  std::shared_ptr<const MatrixLoss> inner_;
};

// CPU time of this thread: on a shared machine the wall clock also counts the
// time other processes held the core, the CPU clock does not.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : 0.5 * (v[mid - 1] + v[mid]);
}

// Calls per timed batch so that a batch lasts ≳ 20 ms.
int batch_size(const Field& field, const Eigen::VectorXd& x) {
  Eigen::VectorXd v(field.dim());
  const auto start = std::chrono::steady_clock::now();
  int calls = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 0.02) {
    field.velocity(x, 0.0, v);
    ++calls;
  }
  return std::max(calls, 1);
}

void measure_field(const char* label, const Field& field, const Eigen::VectorXd& x) {
  Eigen::VectorXd v(field.dim());
  const int calls = batch_size(field, x);  // also the warm-up
  double sink = 0.0;
  std::vector<double> wall, cpu;
  for (int r = 0; r < kRepeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    for (int i = 0; i < calls; ++i) {
      field.velocity(x, 0.0, v);
      sink += v[0];
    }
    cpu.push_back((thread_cpu_seconds() - cpu_start) / calls);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
                   calls);
  }
  const long before = testing::heap_allocations_so_far();
  for (int i = 0; i < kAllocationCheckCalls; ++i) field.velocity(x, 0.0, v);
  const long allocations = testing::heap_allocations_so_far() - before;
  const double per_call = median(cpu);
  fmt::print(
      "  {:<50} {:>8.1f} us/eval (cpu) {:>8.0f} evals/s {:>8.1f} us/eval (wall)   {} allocations "
      "in {} calls{}\n",
      label, per_call * 1e6, 1.0 / per_call, median(wall) * 1e6, allocations, kAllocationCheckCalls,
      std::isfinite(sink) ? "" : " (non-finite field)");
}

void field_benchmarks() {
  fmt::print("field evaluations (median of {} batches; thread CPU time and wall time):\n",
             kRepeats);
  {
    const Eigen::Index d = 100, r = 5, observed = 2000;
    Rng data(derive_seed(1, "data"));
    const Eigen::MatrixXd truth = make_psd_ground_truth({.size = d, .rank = r}, data);
    auto loss = std::make_shared<const MatrixCompletionLoss>(
        truth, sample_observed_entries(d, observed, data));
    Rng init(derive_seed(1, "init"));
    const Eigen::MatrixXd U0 = 1e-3 * gaussian_direction(d, d, init);
    const SymmetricFactorisation sparse(loss), dense(std::make_shared<DenseOnly>(loss));
    const InducedWFlow w_flow(loss);
    const DeepFactorisation deep(loss, 3);
    const Eigen::MatrixXd W0 = U0 * U0.transpose();
    measure_field("completion d=100 |Ω|=2000 U-field (sparse, k=100)", sparse, sparse.pack(U0));
    measure_field("completion d=100 |Ω|=2000 U-field (dense, k=100)", dense, dense.pack(U0));
    measure_field("completion d=100 |Ω|=2000 W-field", w_flow, w_flow.pack(W0));
    measure_field("completion d=100 |Ω|=2000 deep field (N=3)", deep, deep.balanced_start(W0));
  }
  {
    const Eigen::Index d = 30, r = 2, m = 300;
    Rng data(derive_seed(1, "data"));
    const Eigen::MatrixXd truth = make_psd_ground_truth({.size = d, .rank = r}, data);
    const Eigen::MatrixXd A = draw_symmetric_gaussian_measurements(d, m, data);
    auto loss = std::make_shared<const MatrixSensingLoss>(A, sensing_targets(A, truth));
    Rng init(derive_seed(1, "init"));
    const Eigen::MatrixXd U0 = 1e-3 * gaussian_direction(d, d, init);
    const SymmetricFactorisation u_flow(loss);
    const InducedWFlow w_flow(loss);
    measure_field("sensing d=30 m=300 U-field (k=30)", u_flow, u_flow.pack(U0));
    measure_field("sensing d=30 m=300 W-field", w_flow, w_flow.pack(U0 * U0.transpose()));
  }
}

double final_value(const RunOutcome& r, const std::string& column) {
  const Table& t = r.diagnostics.series;
  return t.rows.back()[t.column_index(column)];
}

void sweep_benchmark(const std::filesystem::path& spec_path) {
  fmt::print("\nsweep {} (model, runs, diagnostics and comparisons; no files):\n",
             spec_path.string());
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  std::vector<PreparedExperiment> prepared;
  for (const ExperimentSpec& spec : read_spec_file(spec_path))
    prepared.push_back(prepare_experiment(spec));
  std::vector<ExperimentOutcome> outcomes;
  std::ostringstream log;
  for (const PreparedExperiment& p : prepared) outcomes.push_back(run_experiment(p, log));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds = thread_cpu_seconds() - cpu_start;
  fmt::print("  {:<12} {:<6} {:>9} {:>8} {:>12} {:>14} {:>14} {:>9} {:>8}\n", "experiment", "run",
             "status", "evals", "final loss", "nuclear norm", "recon. error", "eff.rank",
             "seconds");
  for (std::size_t e = 0; e < prepared.size(); ++e) {
    for (const RunOutcome& r : outcomes[e].runs) {
      const RunStats& s = r.result.stats;
      fmt::print("  {:<12} {:<6} {:>9} {:>8} {:>12.4e} {:>14.8f} {:>14.4e} {:>9.4f} {:>8.3f}\n",
                 prepared[e].spec.name, r.spec.name, to_string(s.status), s.field_evaluations,
                 final_value(r, "loss"), final_value(r, "nuclear_norm"),
                 final_value(r, "reconstruction_error"), final_value(r, "effective_rank"),
                 s.wall_seconds);
    }
    for (const ComparisonOutcome& c : outcomes[e].comparisons) {
      if (c.comparison.has_projection_dist) {
        fmt::print("  {:<12} {} vs {}: max ‖W_a − W_b‖_F = {:.3e}\n", prepared[e].spec.name, c.a,
                   c.b, c.comparison.max_projection_dist);
      }
    }
  }
  fmt::print("  whole sweep: {:.2f} s CPU, {:.2f} s wall, one thread\n", cpu_seconds, seconds);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc > 2) {
    fmt::print(stderr, "usage: {} [SPEC]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path spec = argc == 2 ? std::filesystem::path(argv[1])
                                               : std::filesystem::path(GRADFLOW_SOURCE_DIR) /
                                                     "data" / "factorisation_sensing_sweep.json";
  field_benchmarks();
  sweep_benchmark(spec);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "bench_factorisation: {}\n", e.what());
  return 1;
}
