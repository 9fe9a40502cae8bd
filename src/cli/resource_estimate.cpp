#include "cli/resource_estimate.hpp"

#include "cli/experiment.hpp"
#include "io/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradflow {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kBytesPerEntry = sizeof(double);
// Per-record columns of a run's series (loss, gradient norm, the model's
// observations, sharpness...): generous, the states dominate any large run.
constexpr double kColumnsPerRecord = 32.0;
// A CSV cell: up to 17 significant digits, sign, exponent and separator.
constexpr double kBytesPerCsvCell = 24.0;
// Columns a run's CSV has at least (t, loss, gradient norm, ...).
constexpr double kCsvColumns = 8.0;

std::string gib(double bytes) { return fmt::format("{:.3g} GiB", bytes / kGiB); }

// Records a run keeps: one per sample time, except that a fixed-step run
// records the steps nearest the sample times, at most one per step
// (integrators/fixed_step_loop.hpp): exact when the sample times are at least
// a step apart, an upper bound otherwise.
double recorded(const RunTarget& target) {
  const auto times = static_cast<double>(target.plan.times.size());
  const MethodOptions& m = target.plan.method;
  if ((is_fixed_step(m.method) || !m.adaptive) && m.dt > 0.0) {
    return std::min(times, std::ceil(target.plan.stop.t_end / m.dt) + 1.0);
  }
  return times;
}

}  // namespace

void require_memory(const ExperimentSpec& spec, const std::string& key, double bytes,
                    const std::string& what) {
  if (!(bytes > spec.max_memory_bytes)) return;
  throw_input_error(
      spec.file, key,
      fmt::format("experiment \"{}\": {} does not fit in memory: it needs about {}, more than "
                  "the limit of {} (max_memory_gib; by default this machine's memory). Make the "
                  "run smaller, or raise max_memory_gib if the estimate is too cautious",
                  spec.name, what, gib(bytes), gib(spec.max_memory_bytes)));
}

double ensemble_member_bytes(double dim, double records) {
  return 2.0 * (2.0 * dim + kColumnsPerRecord * records) * kBytesPerEntry + 512.0;
}

void require_experiment_memory(const PreparedExperiment& p) {
  const ExperimentSpec& spec = p.spec;
  double total = 0.0, largest = 0.0;
  std::size_t largest_run = 0;
  for (std::size_t r = 0; r < p.targets.size(); ++r) {
    const RunTarget& target = p.targets[r];
    const auto dim = static_cast<double>(target.field->dim());
    const double records = recorded(target);
    double bytes = 0.0;
    if (spec.runs[r].ensemble.size > 0) {
      bytes = static_cast<double>(spec.runs[r].ensemble.size) * ensemble_member_bytes(dim, records);
    } else {
      const double copies = spec.record.states ? 3.0 : 1.0;
      bytes = records * (copies * dim + kColumnsPerRecord) * kBytesPerEntry;
    }
    total += bytes;
    if (bytes > largest) {
      largest = bytes;
      largest_run = r;
    }
  }
  if (p.targets.empty()) return;
  const RunTarget& big = p.targets[largest_run];
  require_memory(
      spec, spec.record.states ? "record.states" : "sample", total,
      fmt::format("its {} run(s) (the largest, \"{}\", keeps {} records of {} entries{}: {})",
                  p.targets.size(), spec.runs[largest_run].name, recorded(big), big.field->dim(),
                  spec.record.states ? ", three copies while record.states writes them" : "",
                  gib(largest)));
}

}  // namespace gradflow

namespace gradflow {

double experiment_states_bytes(const PreparedExperiment& p) {
  const RecordSpec& record = p.spec.record;
  if (!record.states && !record.final_state) return 0.0;
  double bytes = 0.0;
  for (std::size_t r = 0; r < p.targets.size(); ++r) {
    if (p.spec.runs[r].ensemble.size > 0) continue;  // ensembles write no states
    const auto dim = static_cast<double>(p.targets[r].field->dim());
    double rows = record.final_state ? 1.0 : 0.0;
    if (record.states) {
      rows += record.max_records > 0
                  ? std::min(recorded(p.targets[r]), static_cast<double>(record.max_records))
                  : recorded(p.targets[r]);
    }
    bytes += rows * dim * kBytesPerEntry;
  }
  return bytes;
}

std::string states_size_warning(const PreparedExperiment& p) {
  const double bytes = experiment_states_bytes(p);
  if (!(bytes > p.spec.warn_states_bytes)) return "";
  return fmt::format(
      "the recorded states of experiment \"{}\" will take about {} on disk, more than "
      "warn_states_gib = {:.6g}: keep fewer (record.max_records, record.final_state instead of "
      "record.states, a coarser sample) or raise warn_states_gib",
      p.spec.name, gib(bytes), p.spec.warn_states_bytes / kGiB);
}

double experiment_output_bytes(const PreparedExperiment& p) {
  double bytes = experiment_states_bytes(p);
  for (const RunTarget& target : p.targets) {
    bytes += recorded(target) * kCsvColumns * kBytesPerCsvCell;
  }
  return bytes;
}

void require_output_space(const std::vector<PreparedExperiment>& prepared,
                          const std::filesystem::path& dir) {
  double bytes = 0.0, states = 0.0;
  for (const PreparedExperiment& p : prepared) {
    bytes += experiment_output_bytes(p);
    states += experiment_states_bytes(p);
  }
  std::error_code ec;
  const std::filesystem::space_info space = std::filesystem::space(dir, ec);
  if (ec || !(bytes > static_cast<double>(space.available))) return;
  throw_input_error(
      dir.string(), "",
      fmt::format("the output needs about {} ({} of it recorded states), but only "
                  "{} is free there: free space, write elsewhere (--out), or record "
                  "fewer states",
                  gib(bytes), gib(states), gib(static_cast<double>(space.available))));
}

}  // namespace gradflow
