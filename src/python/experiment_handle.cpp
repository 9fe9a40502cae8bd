#include "python/experiment_handle.hpp"

#include "cli/ensemble.hpp"
#include "cli/registry.hpp"
#include "cli/report.hpp"
#include "io/atomic_file.hpp"
#include "io/errors.hpp"
#include "io/memory_matrices.hpp"
#include "io/spec.hpp"
#include "python/interruptible_field.hpp"
#include "python/signal_check.hpp"
#include "python/model_handle.hpp"
#include "python/python_field.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>

namespace gradflow::python {

namespace {

py::dict stats_dict(const RunStats& s) {
  py::dict d;
  d["status"] = to_string(s.status);
  d["message"] = s.message;
  d["steps"] = s.steps;
  d["rejected_steps"] =
      s.rejected_steps < 0 ? py::object(py::none()) : py::object(py::int_(s.rejected_steps));
  d["field_evaluations"] = s.field_evaluations;
  d["wall_seconds"] = s.wall_seconds;
  d["stop_time"] = s.stop_time;
  py::dict counters, values;
  for (const auto& [name, value] : s.counters) counters[py::str(name)] = value;
  for (const auto& [name, value] : s.values) values[py::str(name)] = value;
  d["counters"] = counters;
  d["values"] = values;
  d["note"] = s.note;
  return d;
}

py::dict ensemble_dict(const EnsembleOutcome& e) {
  py::dict d;
  d["aggregate"] = table_to_numpy(e.aggregate);
  py::list members;
  for (const MemberOutcome& m : e.members) {
    py::dict row;
    row["member"] = m.index;
    row["seed"] = m.seed;
    row["status"] = to_string(m.stats.status);
    row["steps"] = m.stats.steps;
    row["t_reached"] = m.stats.stop_time;
    row["final_loss"] = m.series.loss.back();
    row["final_grad_norm"] = m.series.grad_norm.back();
    row["beta"] = m.beta;
    row["start"] = to_numpy(m.x0);
    row["final"] = to_numpy(m.final_state);
    row["outcome"] = m.outcome;
    members.append(row);
  }
  d["members"] = members;
  py::dict counts;
  for (const auto& [label, n] : e.counts) counts[py::str(label)] = n;
  d["outcomes"] = counts;
  return d;
}

py::dict comparison_dict(const std::string& a, const std::string& b, const Comparison& c) {
  py::dict d;
  d["a"] = a;
  d["b"] = b;
  d["series"] = table_to_numpy(c.series);
  if (c.has_state_dist) d["max_state_dist"] = c.max_state_dist;
  if (c.has_projection_dist)
    d[py::str("max_" + c.projection_name + "_dist")] = c.max_projection_dist;
  d["projection"] = c.projection_name;
  return d;
}

// A run of a Python-defined model: the spec's model section names no registry
// model, so its one flow, "python", is built here from the object and x0.
ModelInstance python_instance(const ExperimentSpec& spec, const py::object& model,
                              const Eigen::VectorXd& x0) {
  ModelInstance out;
  out.flows.push_back({"python", std::make_unique<PythonField>(model, x0.size()), x0});
  out.data_description = "none (a model defined in Python)";
  out.resolved_data = spec.data;
  out.resolved_model = spec.model;
  out.resolved_init = spec.init;
  return out;
}

// Replaces the starts of the flows named in `starts` (the other flows keep
// the start the spec's init gives them).
void set_flow_starts(ModelInstance& model, const ExperimentSpec& spec, const py::dict& starts) {
  for (const auto& [key, value] : starts) {
    const std::string name = py::cast<std::string>(key);
    const auto found = std::find_if(model.flows.begin(), model.flows.end(),
                                    [&](const Flow& f) { return f.name == name; });
    if (found == model.flows.end())
      model.flow(name, spec.file, "flow");  // throws, listing the flows
    Eigen::VectorXd x0;
    to_vector(py::cast<InputArray>(value), found->field->dim(), "x0", x0);
    if (!x0.allFinite()) throw_input_error(spec.file, "x0", "contains NaN or Inf");
    found->x0 = std::move(x0);
    found->draw_start = nullptr;
  }
}

// Removes a temporary directory when it goes out of scope.
struct TemporaryDirectory {
  std::filesystem::path path;
  TemporaryDirectory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gradflow-meta-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory");
    path = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

py::dict ExperimentHandle::summary() const {
  const PreparedExperiment& p = prepared();
  const ExperimentOutcome& o = outcome();
  py::list runs;
  for (std::size_t i = 0; i < o.runs.size(); ++i) {
    const RunOutcome& r = o.runs[i];
    const Field& field = *p.targets[i].field;
    py::dict d = stats_dict(r.result.stats);
    d["name"] = r.spec.name;
    d["flow"] = p.targets[i].flow;
    d["field"] = field.describe();
    d["integrator"] = to_string(r.spec.method.method);
    d["eta"] = r.spec.method.dt;
    d["layout"] = layout_list(field.layout());
    d["projection"] = field.projection_name();
    d["dim"] = field.dim();
    d["x0"] = to_numpy(*p.targets[i].x0);
    if (r.ensemble) {
      d["status"] = "ensemble";  // as meta.json: the members have their own statuses
      d["ensemble"] = ensemble_dict(*r.ensemble);
    } else {
      d["series"] = table_to_numpy(r.diagnostics.series);
      const Trajectory& t = r.result.trajectory;
      py::array_t<long> steps(static_cast<py::ssize_t>(t.steps.size()));
      std::copy(t.steps.begin(), t.steps.end(), steps.mutable_data());
      d["steps_recorded"] = steps;
    }
    runs.append(d);
  }
  py::list comparisons;
  for (const ComparisonOutcome& c : o.comparisons)
    comparisons.append(comparison_dict(c.a, c.b, c.comparison));
  py::dict exports;
  for (const auto& [name, m] : p.model.exports) exports[py::str(name)] = to_numpy(m);
  py::dict facts;
  for (const auto& [name, value] : p.model.facts) facts[py::str(name)] = value;
  py::dict out;
  out["name"] = p.spec.name;
  out["runs"] = runs;
  out["comparisons"] = comparisons;
  out["flows"] = flows_list(p.model);
  out["exports"] = exports;
  out["facts"] = facts;
  out["log"] = log();
  return out;
}

py::array_t<double> ExperimentHandle::states(std::size_t run) const {
  const RunOutcome& r = outcome().runs.at(run);
  return stack_rows(r.result.trajectory.states, prepared().targets[run].field->dim());
}

py::list ExperimentHandle::projections(std::size_t run) const {
  const Diagnostics& d = outcome().runs.at(run).diagnostics;
  py::list out;
  for (std::size_t m = 0; m < d.stacked_matrices.size(); ++m) {
    const auto& [name, stacked] = d.stacked_matrices[m];
    const auto [rows, cols] = d.matrix_shapes[m];
    // Row r of `stacked` is record r's matrix in column-major order: as
    // records x cols x rows in C order, then swapped to records x rows x cols.
    py::array_t<double> a({static_cast<py::ssize_t>(stacked.rows()), static_cast<py::ssize_t>(cols),
                           static_cast<py::ssize_t>(rows)});
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        a.mutable_data(), stacked.rows(), stacked.cols()) = stacked;
    out.append(py::make_tuple(name, a.attr("transpose")(0, 2, 1).attr("copy")()));
  }
  return out;
}

const std::string& ExperimentHandle::meta_json() {
  if (!meta_) {
    TemporaryDirectory tmp;
    OutputDirectory dir(tmp.path);  // staged only, never committed: removed with tmp
    set_meta(export_experiment(prepared(), outcome(), dir, name()));
  }
  return *meta_;
}

Handles run_spec(const RunRequest& request) {
  const std::map<std::string, Eigen::MatrixXd> matrices = to_matrices(request.arrays);
  const bool python = !request.python_model.is_none();
  auto batch = std::make_shared<Batch>();
  batch->python_model = request.python_model;
  {
    const MemoryMatrices scope(matrices);
    const std::vector<ExperimentSpec> specs =
        request.from_file ? read_spec_file(request.spec)
                          : parse_spec(request.spec, request.file, request.base_dir);
    for (const ExperimentSpec& spec : specs) {
      ModelInstance model;
      if (python) {
        if (!request.flow_starts.contains("python"))
          throw std::logic_error("a Python model needs its start");
        const auto start = py::cast<InputArray>(request.flow_starts["python"]);
        Eigen::VectorXd x0;
        to_vector(start, start.size(), "x0", x0);
        if (!x0.allFinite()) throw_input_error(spec.file, "x0", "contains NaN or Inf");
        model = python_instance(spec, request.python_model, x0);
      } else {
        model = build_model(spec);
        set_flow_starts(model, spec, request.flow_starts);
      }
      batch->prepared.push_back(prepare_experiment(spec, std::move(model)));
    }
  }
  // After the vector has its final size: the wrappers live inside each
  // experiment, so moving the vector's elements would not invalidate them,
  // but the order keeps that obvious.
  for (PreparedExperiment& p : batch->prepared) wrap_for_interrupts(p);
  // As the CLI: an unwritable output directory fails before any integration.
  std::unique_ptr<OutputDirectory> dir;
  if (!request.out_dir.empty()) dir = std::make_unique<OutputDirectory>(request.out_dir);
  {
    // Runs of built-in models never touch Python objects: let other threads run.
    std::optional<py::gil_scoped_release> release;
    if (!python) release.emplace();
    // Ctrl-C in the integrators the field wrappers cannot reach.
    SignalObserver interrupt;
    const ScopedProgress scope(&interrupt);
    for (const PreparedExperiment& p : batch->prepared) {
      std::ostringstream log;
      fmt::print(log, "running {} ({} run(s), t_end = {})\n", p.spec.name, p.spec.runs.size(),
                 p.spec.t_end);
      batch->outcomes.push_back(run_experiment(p, log));
      interrupt.rethrow();
      batch->logs.push_back(log.str());
    }
  }
  Handles handles;
  for (std::size_t e = 0; e < batch->prepared.size(); ++e) {
    handles.push_back(std::make_shared<ExperimentHandle>(batch, e));
  }
  if (dir) {
    for (auto& h : handles)
      h->set_meta(export_experiment(h->prepared(), h->outcome(), *dir, h->name()));
    dir->write("summary_runs.csv", runs_summary_csv(batch->prepared, batch->outcomes));
    dir->write("summary_comparisons.csv",
               comparisons_summary_csv(batch->prepared, batch->outcomes));
    dir->commit();
  }
  return handles;
}

py::dict compare(const ExperimentHandle& a, std::size_t i, const ExperimentHandle& b,
                 std::size_t j) {
  const RunOutcome& ra = a.outcome().runs.at(i);
  const RunOutcome& rb = b.outcome().runs.at(j);
  if (ra.ensemble || rb.ensemble)
    throw py::value_error("ensemble runs cannot be compared (compare single runs)");
  std::optional<py::gil_scoped_release> release;
  Comparison c;
  {
    if (!a.uses_python() && !b.uses_python()) release.emplace();
    c = compare_runs({*a.prepared().targets[i].field, ra.result.trajectory},
                     {*b.prepared().targets[j].field, rb.result.trajectory});
    release.reset();
  }
  // As the CLI: no distance to a run that diverged (run_experiment).
  if (ra.result.stats.status == RunStatus::diverged ||
      rb.result.stats.status == RunStatus::diverged) {
    c.max_state_dist = c.max_projection_dist = std::numeric_limits<double>::quiet_NaN();
  }
  return comparison_dict(ra.spec.name, rb.spec.name, c);
}

}  // namespace gradflow::python
