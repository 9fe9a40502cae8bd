#include "cli/experiment.hpp"

#include "cli/central_flow_run.hpp"
#include "cli/ensemble.hpp"
#include "cli/experiment_runs.hpp"
#include "cli/eta_sweep.hpp"
#include "cli/resource_estimate.hpp"
#include "cli/report.hpp"
#include "cli/single_run.hpp"
#include "cli/thread_budget.hpp"
#include "cli/time_average.hpp"

#include "core/progress.hpp"
#include "core/rng.hpp"
#include "core/sharpness_tracker.hpp"
#include "io/csv.hpp"
#include "io/errors.hpp"
#include "io/npy.hpp"
#include "models/modified_flow.hpp"

#include <Eigen/Core>
#include <boost/version.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>

#ifndef GRADFLOW_VERSION
#define GRADFLOW_VERSION "unknown"
#endif

namespace gradflow {

using nlohmann::json;

const Field* run_field(const ExperimentSpec& spec, std::size_t r, const Flow& flow,
                       std::vector<std::unique_ptr<Field>>& wrappers) {
  const RunSpec& run = spec.runs[r];
  const Field* field = flow.field.get();
  if (run.modified_eta > 0.0) {
    wrappers.push_back(std::make_unique<ModifiedFlow>(*field, run.modified_eta));
    field = wrappers.back().get();
  }
  if (run.central_eta > 0.0) {
    wrappers.push_back(wrap_central_flow(spec, r, *field, flow.x0));
    field = wrappers.back().get();
  }
  return field;
}

PreparedExperiment prepare_experiment(const ExperimentSpec& spec) {
  PreparedExperiment p = prepare_experiment(spec, build_model(spec));
  p.rebuild_model = [spec] { return build_model(spec); };
  return p;
}

PreparedExperiment prepare_experiment(const ExperimentSpec& spec, ModelInstance model) {
  PreparedExperiment p{spec, std::move(model), {}, {}, {}, {}, {}};
  // A start that overflowed (init.std 1e308 multiplied through the layers)
  // would stop the integrator after the other runs were done: refuse it now.
  for (const Flow& flow : p.model.flows) {
    for (Eigen::Index k = 0; k < flow.x0.size(); ++k) {
      if (!std::isfinite(flow.x0[k])) {
        throw_input_error(spec.file, "init",
                          fmt::format("the start of flow \"{}\" has entry {} (counted from 0) = "
                                      "{}: expected finite numbers; the "
                                      "init's scale (std, scale, alpha, value) overflows a double",
                                      flow.name, k, flow.x0[k]));
      }
    }
  }
  // Fixed-step runs must fit a whole number of steps into t_end: say so now,
  // not after the other runs have been integrated (and before the sample
  // times and run plans are built, which a huge t_end makes large).
  for (std::size_t r = 0; r < spec.runs.size(); ++r) {
    if (spec.runs[r].eta_over_stability > 0.0) continue;  // takes ⌈t_end/η⌉ steps (run_plan.hpp)
    const MethodOptions& m = spec.runs[r].method;
    if (is_fixed_step(m.method) || !m.adaptive) {
      const double ratio = spec.t_end / m.dt;
      const std::string key =
          fmt::format("runs[{}].{}", r, m.method == Method::euler ? "eta" : "dt");
      if (std::abs(ratio - std::round(ratio)) > 1e-9 * std::max(1.0, ratio) || ratio < 0.5) {
        throw_input_error(
            spec.file, key,
            fmt::format("t_end = {} must be a whole number of steps of {} (t_end / step = {})",
                        spec.t_end, m.dt, ratio));
      }
      if (ratio > static_cast<double>(spec.stop.max_steps)) {
        throw_input_error(spec.file, key,
                          fmt::format("t_end / step = {:.6g} steps is more than stop.max_steps = "
                                      "{}: lower t_end, raise the "
                                      "step or stop.max_steps",
                                      ratio, spec.stop.max_steps));
      }
    }
  }
  try {
    p.times = sample_times(spec.sample, spec.t_end);
  } catch (const std::invalid_argument& e) {
    throw_input_error(spec.file, "sample", e.what());
  }
  for (std::size_t r = 0; r < spec.runs.size(); ++r) {
    const RunSpec& run = spec.runs[r];
    const Flow& flow = p.model.flow(run.flow, spec.file, fmt::format("runs[{}].flow", r));
    const Field* field = run_field(spec, r, flow, p.wrappers);
    try {
      check_method_fits(*field, run.method);
    } catch (const std::invalid_argument& e) {
      throw_input_error(spec.file, fmt::format("runs[{}].integrator", r), e.what());
    }
    p.targets.push_back({flow.name, field, &flow.x0, plan_run(spec, r, flow, *field, p.times)});
    p.spec.runs[r].method = p.targets.back().plan.method;
  }
  require_experiment_memory(p);
  p.states_warning = states_size_warning(p);
  return p;
}

namespace {

// NaN has no JSON spelling: null.
json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// When GD's sharpness first reached 2/η and what the run did afterwards
// (core/edge_of_stability.hpp; Cohen et al. 2021).
json edge_of_stability_json(const EdgeOfStability& e) {
  json out = {{"two_over_eta", e.two_over_eta},
              {"outcome", e.outcome},
              {"crossed", e.crossed},
              {"first_crossing_step", e.crossed ? json(e.first_crossing_step) : json(nullptr)},
              {"first_crossing_time", finite_or_null(e.first_crossing_time)},
              {"sharpness_at_crossing", finite_or_null(e.sharpness_at_crossing)},
              {"sharpness_before_crossing", finite_or_null(e.sharpness_before_crossing)},
              {"crossing_search", e.crossing_search},
              {"initial_grad_norm", finite_or_null(e.initial_grad_norm)},
              {"final_grad_norm", finite_or_null(e.final_grad_norm)},
              {"hessian_vector_products", e.hessian_vector_products},
              {"replayed_steps", e.replayed_steps},
              {"replay_exact", e.replay_exact}};
  if (e.tail_last_step > e.tail_first_step) {
    out["tail"] = {{"first_step", e.tail_first_step},
                   {"last_step", e.tail_last_step},
                   {"sharpness_min", finite_or_null(e.tail_sharpness_min)},
                   {"sharpness_max", finite_or_null(e.tail_sharpness_max)}};
  }
  if (e.period > 0) out["period"] = e.period;
  return out;
}

}  // namespace

ExperimentOutcome run_experiment(const PreparedExperiment& p, std::ostream& log,
                                 ProgressLine* progress, ThreadBudget* budget) {
  ExperimentOutcome outcome;
  if (!p.states_warning.empty()) fmt::print(log, "  warning: {}\n", p.states_warning);
  for (const auto& [name, value] : p.model.facts) fmt::print(log, "  {} = {:.10g}\n", name, value);
  std::size_t work = 0;  // runs and ensemble members
  for (std::size_t i = 0; i < p.spec.runs.size(); ++i)
    work += p.spec.runs[i].ensemble.size > 0 ? p.targets[i].plan.members.size() : 1;
  if (budget != nullptr && budget->total() > 1 && p.rebuild_model && work > 1) {
    ExperimentRuns runs = run_experiment_runs(p, log, progress, *budget);
    outcome.runs = std::move(runs.runs);
    outcome.most_runs_at_once = runs.most_at_once;
  } else {
    for (std::size_t i = 0; i < p.spec.runs.size(); ++i) {
      fmt::print(log, "{}", run_preamble(p, i));
      if (p.spec.runs[i].ensemble.size > 0) {
        outcome.runs.push_back(run_ensemble(p, i, log, progress));
        continue;
      }
      std::string text;
      outcome.runs.push_back(
          integrate_run(p, i, *p.targets[i].field, progress, progress_observer(), text));
      fmt::print(log, "{}", text);
    }
  }
  auto find = [&](const std::string& name) -> std::size_t {
    for (std::size_t i = 0; i < outcome.runs.size(); ++i) {
      if (outcome.runs[i].spec.name == name) return i;
    }
    throw std::logic_error("no run " + name);
  };
  for (const auto& [a, b] : p.spec.comparisons) {
    const std::size_t ia = find(a), ib = find(b);
    outcome.comparisons.push_back(
        {a, b,
         compare_runs({*p.targets[ia].field, outcome.runs[ia].result.trajectory},
                      {*p.targets[ib].field, outcome.runs[ib].result.trajectory})});
    Comparison& c = outcome.comparisons.back().comparison;
    // A diverged run's distance to the other grows without bound; the maximum
    // over the times both recorded (often t = 0 alone, the shared start)
    // would say the opposite. No distance (NaN in every output) instead.
    if (outcome.runs[ia].result.stats.status == RunStatus::diverged ||
        outcome.runs[ib].result.stats.status == RunStatus::diverged) {
      c.max_state_dist = c.max_projection_dist = std::numeric_limits<double>::quiet_NaN();
    }
    add_time_average(p, outcome, ia, ib, c);
  }
  return outcome;
}

namespace {

json layout_json(const Layout& layout) {
  json blocks = json::array();
  for (const Block& b : layout.blocks()) {
    blocks.push_back({{"name", b.name},
                      {"rows", b.rows},
                      {"cols", b.cols},
                      {"offset", b.offset},
                      {"order", "F"}});
  }
  return blocks;
}

json stats_json(const RunStats& s) {
  json counters = json::object();
  for (const auto& [name, value] : s.counters) counters[name] = value;
  json values = json::object();
  for (const auto& [name, value] : s.values) values[name] = value;
  json stats = {{"status", to_string(s.status)},
                {"message", s.message},
                {"steps", s.steps},
                {"rejected_steps", s.rejected_steps < 0 ? json(nullptr) : json(s.rejected_steps)},
                {"field_evaluations", s.field_evaluations},
                {"field_evaluations_with_products", evaluations_with_products(s)},
                {"wall_seconds", s.wall_seconds},
                {"stop_time", s.stop_time},
                {"counters", counters},
                {"values", values},
                {"note", s.note}};
  if (!s.warning.empty()) stats["warning"] = s.warning;
  return stats;
}

json model_facts(const ModelInstance& model) {
  json facts = json::object();
  for (const auto& [name, value] : model.facts) facts[name] = value;
  return facts;
}

bool records_switches(Method m) { return m == Method::event_driven || m == Method::relu_windows; }

// One row per switch: t, neuron, sample, kind, alpha (the weight relu'(w_rᵀx_i)
// takes: 1 / 0 after a crossing in / out, α at a slide's start, the weight
// reached at its end), 17 significant digits as in every CSV we write.
std::string switch_log_csv(const std::vector<SwitchRecord>& log) {
  std::string text = "t,neuron,sample,kind,alpha\n";
  for (const SwitchRecord& s : log) {
    text += fmt::format("{:.17g},{},{},{},{:.17g}\n", s.t, s.neuron, s.sample, to_string(s.kind),
                        s.alpha);
  }
  return text;
}

// The recorded states `kept` (indices into the trajectory), one row each.
Eigen::MatrixXd stack_states(const Trajectory& t, Eigen::Index dim,
                             const std::vector<std::size_t>& kept) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(kept.size()), dim);
  for (std::size_t j = 0; j < kept.size(); ++j)
    m.row(static_cast<Eigen::Index>(j)) = t.states[kept[j]].transpose();
  return m;
}

// The rows `kept` of a stacked per-record matrix.
Eigen::MatrixXd kept_rows(const Eigen::MatrixXd& stacked, const std::vector<std::size_t>& kept) {
  if (static_cast<std::size_t>(stacked.rows()) == kept.size()) return stacked;
  Eigen::MatrixXd m(static_cast<Eigen::Index>(kept.size()), stacked.cols());
  for (std::size_t j = 0; j < kept.size(); ++j)
    m.row(static_cast<Eigen::Index>(j)) = stacked.row(static_cast<Eigen::Index>(kept[j]));
  return m;
}

// A matrix observation per record, stacked: one flattened (column-major) row each.
struct RecordedMatrix {
  std::string name;
  Eigen::MatrixXd stacked;
  Eigen::Index rows = 0, cols = 0;
};

// What record.projection writes for a run: the model's matrix observations,
// and always the flow's projection π(x) (e.g. "e2e"), stacked from the
// recorded states where observe() does not already carry it (the end-to-end
// flow's state is its e2e matrix, so it observes only its norm and singular
// values).
std::vector<RecordedMatrix> recorded_matrices(const Field& field, const Trajectory& trajectory,
                                              const Diagnostics& diagnostics) {
  std::vector<RecordedMatrix> out;
  for (std::size_t m = 0; m < diagnostics.stacked_matrices.size(); ++m) {
    const auto& [name, stacked] = diagnostics.stacked_matrices[m];
    out.push_back(
        {name, stacked, diagnostics.matrix_shapes[m].first, diagnostics.matrix_shapes[m].second});
  }
  const std::string projection = field.projection_name();
  const bool observed = std::any_of(out.begin(), out.end(),
                                    [&](const RecordedMatrix& r) { return r.name == projection; });
  if (projection.empty() || observed || trajectory.size() == 0) return out;
  RecordedMatrix p{projection, {}, 0, 0};
  for (std::size_t r = 0; r < trajectory.size(); ++r) {
    const Eigen::MatrixXd image = field.project(trajectory.states[r]);
    if (r == 0) {
      p.rows = image.rows();
      p.cols = image.cols();
      p.stacked.resize(static_cast<Eigen::Index>(trajectory.size()), image.size());
    }
    p.stacked.row(static_cast<Eigen::Index>(r)) =
        Eigen::Map<const Eigen::RowVectorXd>(image.data(), image.size());
  }
  out.push_back(std::move(p));
  return out;
}

// The start of flow `name`, written beside x0.npy (the default flow's start).
std::string flow_start_file(const std::string& flow) { return "x0_" + flow + ".npy"; }

// "a\nb\n" -> ["a", "b"]: summary rows as meta.json keeps them.
json lines_of(const std::string& text) {
  json lines = json::array();
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

}  // namespace

json resolved_spec_json(const PreparedExperiment& p) {
  json resolved = p.spec.resolved;
  resolved["data"] = p.model.resolved_data;
  resolved["model"] = p.model.resolved_model;
  resolved["init"] = p.model.resolved_init;
  return resolved;
}

json export_experiment(const PreparedExperiment& p, const ExperimentOutcome& outcome,
                       OutputDirectory& out, const std::string& prefix) {
  const std::string dir = prefix.empty() ? "" : prefix + "/";
  json files = json::array();
  auto put = [&](const std::string& name, const std::string& bytes) {
    out.write(dir + name, bytes);
    files.push_back(name);
  };

  if (p.spec.record.data) {
    for (const auto& [name, m] : p.model.exports) put(name + ".npy", npy_bytes(m));
    put("x0.npy", npy_bytes(p.model.flows.front().x0));
    // Every flow's own start (the W-flow's W(0), the deep flow's balanced
    // layers, the end-to-end flow's W(0)), not only the default flow's.
    for (const Flow& f : p.model.flows) put(flow_start_file(f.name), npy_bytes(f.x0));
  }

  json runs = json::array();
  for (std::size_t i = 0; i < outcome.runs.size(); ++i) {
    const RunOutcome& r = outcome.runs[i];
    const Field& field = *p.targets[i].field;
    json run = {{"name", r.spec.name},
                {"flow", p.targets[i].flow},
                {"field", field.describe()},
                {"integrator", to_string(r.spec.method.method)}};
    run.update(plan_json(p.spec, r.spec, p.targets[i].plan));
    if (r.ensemble) {
      run["ensemble"] = export_ensemble(p, i, r, put);
      run.update(stats_json(r.result.stats));
      run["status"] = "ensemble";
      runs.push_back(run);
      continue;
    }
    run["records"] = r.result.trajectory.size();
    run["series"] = r.spec.name + ".csv";
    run.update(stats_json(r.result.stats));
    run["diagnostics_seconds"] = r.diagnostics_seconds;
    if (r.edge) run["edge_of_stability"] = edge_of_stability_json(*r.edge);
    if (const auto* central = dynamic_cast<const CentralFlow*>(&field)) {
      run["central_flow"] = central_flow_json(*central, r);
    }
    put(r.spec.name + ".csv", csv_text(r.diagnostics.series));
    const Trajectory& trajectory = r.result.trajectory;
    const std::vector<std::size_t> kept =
        thinned_records(trajectory.size(), p.spec.record.max_records);
    if (p.spec.record.max_records > 0 && (p.spec.record.states || p.spec.record.projection)) {
      run["kept_records"] = kept;  // rows of <run>.csv that the .npy files keep
    }
    if (p.spec.record.states) {
      put(r.spec.name + ".states.npy", npy_bytes(stack_states(trajectory, field.dim(), kept)));
      run["states"] = r.spec.name + ".states.npy";
    }
    if (p.spec.record.final_state && trajectory.size() > 0) {
      put(r.spec.name + ".final_state.npy",
          npy_bytes(stack_states(trajectory, field.dim(), {trajectory.size() - 1})));
      run["final_state"] = {{"file", r.spec.name + ".final_state.npy"},
                            {"t", trajectory.times.back()},
                            {"record", trajectory.size() - 1}};
    }
    if (p.spec.record.events && records_switches(r.spec.method.method)) {
      put(r.spec.name + ".events.csv", switch_log_csv(r.result.switches));
      run["events"] = r.spec.name + ".events.csv";
    }
    if (p.spec.record.projection) {
      for (const RecordedMatrix& m : recorded_matrices(field, r.result.trajectory, r.diagnostics)) {
        const std::string file = fmt::format("{}.{}.npy", r.spec.name, m.name);
        put(file, npy_bytes(kept_rows(m.stacked, kept)));
        run[m.name] = {{"file", file}, {"rows", m.rows}, {"cols", m.cols}, {"order", "F"}};
      }
    }
    runs.push_back(run);
  }

  json comparisons = json::array();
  for (const ComparisonOutcome& c : outcome.comparisons) {
    const std::string file = fmt::format("compare_{}_vs_{}.csv", c.a, c.b);
    put(file, csv_text(c.comparison.series));
    json entry = {{"a", c.a},
                  {"b", c.b},
                  {"file", file},
                  {"matched_records", c.comparison.series.rows.size()}};
    if (c.comparison.has_state_dist) entry["max_state_dist"] = c.comparison.max_state_dist;
    if (c.comparison.has_projection_dist) {
      entry["max_" + c.comparison.projection_name + "_dist"] = c.comparison.max_projection_dist;
    }
    for (const auto& [name, value] : c.comparison.summary) entry[name] = value;
    comparisons.push_back(entry);
  }

  json flows = json::array();
  for (const Flow& f : p.model.flows) {
    json entry = {{"name", f.name},
                  {"description", f.field->describe()},
                  {"dim", f.field->dim()},
                  {"layout", layout_json(f.field->layout())}};
    if (!f.field->projection_name().empty()) entry["projection"] = f.field->projection_name();
    if (p.spec.record.data) entry["start"] = flow_start_file(f.name);
    entry["hessian_method"] = f.field->hessian_method();
    entry["velocity_jacobian_method"] = f.field->velocity_jacobian_method();
    if (p.spec.record.sharpness) {
      entry["sharpness_method"] = f.field->dim() <= kDenseSharpnessTrackerMaxDim
                                      ? "dense eigensolver of the assembled Hessian"
                                      : "Lanczos (Spectra) on Hessian-vector products, "
                                        "warm-started from the previous record's "
                                        "top eigenvector, residual tolerance 1e-10";
    }
    flows.push_back(entry);
  }
  json sweep = nullptr;
  if (!p.spec.sweep.values.empty()) {
    const EtaSweepSummary summary = summarise_eta_sweep(p, outcome);
    put("eta_sweep.csv", csv_text(summary.table));
    sweep = summary.to_json();
  }
  const json resolved = resolved_spec_json(p);
  json meta = {
      {"gradflow_version", GRADFLOW_VERSION},
      {"status", "complete"},
      {"experiment", p.spec.name},
      {"spec_file", p.spec.file},
      {"spec", resolved},
      {"seeds",
       {{"seed", p.spec.seed},
        {"data", derive_seed(p.spec.seed, "data")},
        {"init", derive_seed(p.spec.seed, "init")},
        {"generator", "std::mt19937_64 + Marsaglia polar normals"}}},
      {"versions",
       {{"eigen",
         fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
        {"boost", fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                              BOOST_VERSION % 100)},
        {"fmt", FMT_VERSION},
        {"compiler", __VERSION__}}},
      {"data", {{"description", p.model.data_description}}},
      {"model_facts", model_facts(p.model)},
      {"flows", flows},
      {"runs", runs},
      {"comparisons", comparisons},
  };
  if (!sweep.is_null()) meta["eta_sweep"] = sweep;
  if (!p.states_warning.empty()) meta["warnings"] = json::array({p.states_warning});
  meta["summary_rows"] = {{"runs", lines_of(runs_summary_rows(p, outcome))},
                          {"runs_metrics", runs_final_metrics(outcome)},
                          {"comparisons", lines_of(comparisons_summary_rows(p, outcome))}};
  files.push_back("meta.json");
  meta["files"] = files;
  out.write(dir + "meta.json", meta.dump(2) + "\n");
  return meta;
}

}  // namespace gradflow
