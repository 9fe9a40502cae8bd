#include "cli/single_run.hpp"

#include "cli/central_flow_run.hpp"
#include "cli/interrupt_watch.hpp"
#include "cli/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>

namespace gradflow {

namespace {

// GD with step η is stable along a direction of curvature λ iff λ < 2/η: the
// column two_over_eta sits beside sharpness so the edge of stability shows.
void add_stability_threshold(RunOutcome& r) {
  Table& t = r.diagnostics.series;
  const auto at = static_cast<std::ptrdiff_t>(t.column_index("sharpness") + 1);
  t.columns.insert(t.columns.begin() + at, "two_over_eta");
  for (auto& row : t.rows) row.insert(row.begin() + at, 2.0 / r.spec.method.dt);
}

// loss − L* as the last column, when the model knows its optimum L*
// (model_facts → optimal_loss, e.g. a linear network's least-squares optimum).
void add_excess_loss(const ModelInstance& model, RunOutcome& r) {
  const auto fact = std::find_if(model.facts.begin(), model.facts.end(),
                                 [](const auto& f) { return f.first == "optimal_loss"; });
  if (fact == model.facts.end()) return;
  Table& t = r.diagnostics.series;
  const std::size_t loss = t.column_index("loss");
  t.columns.emplace_back("excess_loss");
  for (auto& row : t.rows) row.push_back(row[loss] - fact->second);
}

std::string edge_of_stability_line(const EdgeOfStability& e) {
  if (!e.crossed)
    return fmt::format("edge of stability: sharpness stayed below 2/eta = {:.6g}; {}",
                       e.two_over_eta, e.outcome);
  std::string line = fmt::format(
      "edge of stability: sharpness reached 2/eta = {:.6g} at step {} (t = {:.6g}, "
      "S = {:.6g}); outcome {}",
      e.two_over_eta, e.first_crossing_step, e.first_crossing_time, e.sharpness_at_crossing,
      e.outcome);
  if (e.tail_last_step > e.tail_first_step) {
    line += fmt::format(" (last {} steps: S in [{:.4g}, {:.4g}], final grad norm {:.3g})",
                        e.tail_last_step - e.tail_first_step, e.tail_sharpness_min,
                        e.tail_sharpness_max, e.final_grad_norm);
  }
  if (!e.replay_exact)
    line += " [warning: recomputed GD iterates did not meet the records bit for bit]";
  return line;
}

}  // namespace

std::string run_preamble(const PreparedExperiment& p, std::size_t i) {
  const RunSpec& run = p.spec.runs[i];
  if (run.eta_over_stability <= 0.0) return "";
  return fmt::format(
      "  {}: eta = {} * 2/lambda_max(Hessian at x0) = {:.6g} (lambda_max = {:.6g})\n", run.name,
      run.eta_over_stability, run.method.dt, p.targets[i].plan.sharpness_at_x0);
}

RunOutcome integrate_run(const PreparedExperiment& p, std::size_t i, const Field& field,
                         ProgressLine* progress, ProgressObserver* inner, std::string& log) {
  const RunSpec& run = p.spec.runs[i];
  const RunTarget& target = p.targets[i];
  const DiagnosticOptions diag{.hessian_eigenvalues = p.spec.record.hessian,
                               .sharpness = p.spec.record.sharpness,
                               .sharpness_every = p.spec.record.sharpness_every};
  MethodOptions method = run.method;
  method.record_switches = p.spec.record.events;
  const bool show = progress != nullptr && progress->enabled();
  if (show) progress->begin(fmt::format("{}/{}", p.spec.name, run.name), p.spec.t_end);
  std::optional<RunResult> result;
  {
    // Where this run is, for a Ctrl-C (cli/interrupt_watch.hpp); without a
    // line of its own it forwards to `inner` (the Python module's Ctrl-C poll).
    RunPosition position(p.spec.name, run.name, show ? progress : inner);
    const ScopedProgress scope(&position);
    result.emplace(integrate(field, *target.x0, target.plan.times, method, target.plan.stop));
  }
  if (show) progress->end();
  RunOutcome r{run, std::move(*result), {}, {}};
  const auto diagnostics_start = std::chrono::steady_clock::now();
  r.diagnostics = diagnose(field, r.result.trajectory, diag);
  add_excess_loss(p.model, r);
  if (diag.sharpness && run.method.method == Method::euler) {
    add_stability_threshold(r);
    r.edge =
        analyse_edge_of_stability(field, r.result.trajectory, run.method.dt, r.result.stats.status);
  }
  r.diagnostics_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - diagnostics_start).count();
  const RunStats& s = r.result.stats;
  const long total = evaluations_with_products(s);
  const std::string products =
      total == s.field_evaluations
          ? ""
          : fmt::format(" + {} J·v = {}", total - s.field_evaluations, total);
  auto out = std::back_inserter(log);
  fmt::format_to(
      out,
      "  {:<12} {:<14} {:>10} steps {:>10} field evals{} {:>9.3f} s + {:.3f} s diagnostics  {}\n",
      run.name, to_string(run.method.method), s.steps, s.field_evaluations, products,
      s.wall_seconds, r.diagnostics_seconds,
      s.status == RunStatus::completed ? "completed" : s.message);
  if (!s.note.empty()) fmt::format_to(out, "  {:<12} {}\n", "", s.note);
  if (!s.warning.empty()) fmt::format_to(out, "  {:<12} warning: {}\n", "", s.warning);
  if (r.edge) fmt::format_to(out, "  {:<12} {}\n", "", edge_of_stability_line(*r.edge));
  if (const auto* central = dynamic_cast<const CentralFlow*>(&field)) {
    fmt::format_to(out, "  {:<12} {}\n", "", central_flow_log(*central, r));
  }
  return r;
}

}  // namespace gradflow
