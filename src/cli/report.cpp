#include "cli/report.hpp"

#include "cli/ensemble.hpp"
#include "cli/eta_sweep.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <ostream>
#include <stdexcept>
#include <string_view>

namespace gradflow {

namespace {
// The final value of a column; for an ensemble the median over its members.
double final_of(const RunOutcome& r, const std::string& column) {
  if (r.ensemble) return r.ensemble->median_final(column == "loss");
  const Table& t = r.diagnostics.series;
  return t.rows.empty() ? std::numeric_limits<double>::quiet_NaN()
                        : t.rows.back()[t.column_index(column)];
}
// The first of a comparison's two runs that diverged, or null: the table says
// so instead of a distance (run_experiment made its maxima NaN).
const RunOutcome* diverged_of(const ExperimentOutcome& outcome, const ComparisonOutcome& c) {
  for (const std::string* name : {&c.a, &c.b}) {
    for (const RunOutcome& r : outcome.runs) {
      if (r.spec.name == *name && !r.ensemble && r.result.stats.status == RunStatus::diverged)
        return &r;
    }
  }
  return nullptr;
}
// A CSV cell: quoted (quotes doubled) when it holds a comma, quote or newline.
std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted(1, '"');
  for (char c : text) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}
std::string status_of(const RunOutcome& r) {
  return r.ensemble ? fmt::format("ensemble of {}", r.spec.ensemble.size)
                    : to_string(r.result.stats.status);
}
// A sweep's grid values, one cell each, for the experiment's summary rows.
std::string grid_cells(const ExperimentSpec& spec) {
  std::string cells;
  for (const GridValue& g : spec.grid) cells.append(",").append(csv_cell(g.label));
  return cells;
}
}  // namespace

long evaluations_with_products(const RunStats& stats) {
  constexpr std::string_view suffix = "jacobian_vector_products";
  long total = stats.field_evaluations;
  for (const auto& [name, value] : stats.counters) {
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      total += value;
    }
  }
  return total;
}

void print_experiment_table(std::ostream& os, const PreparedExperiment& p,
                            const ExperimentOutcome& outcome) {
  fmt::print(os, "\n{} — {}\n", p.spec.name, p.model.flows.front().field->describe());
  fmt::print(os, "  {:<14} {:<14} {:<20} {:>12} {:>14} {:>12}\n", "run", "integrator", "status",
             "t reached", "final loss", "grad norm");
  for (const RunOutcome& r : outcome.runs) {
    fmt::print(os, "  {:<14} {:<14} {:<20} {:>12.6g} {:>14.6e} {:>12.3e}\n", r.spec.name,
               to_string(r.spec.method.method), status_of(r), r.result.stats.stop_time,
               final_of(r, "loss"), final_of(r, "grad_norm"));
    if (r.ensemble) fmt::print(os, "  {:<14} outcomes: {}\n", "", r.ensemble->counts_text());
  }
  if (std::any_of(outcome.runs.begin(), outcome.runs.end(),
                  [](const RunOutcome& r) { return r.ensemble != nullptr; })) {
    fmt::print(os,
               "  (ensembles: the latest t reached and the median final loss and gradient norm "
               "over members)\n");
  }
  if (!p.spec.sweep.values.empty()) {
    const EtaSweepSummary s = summarise_eta_sweep(p, outcome);
    fmt::print(
        os,
        "  eta sweep over {} step sizes: log-log slope of GD's distance to the flow {:.3f} (max) "
        "{:.3f} (final)",
        p.spec.sweep.values.size(), s.slope_max_flow, s.slope_final_flow);
    if (s.modified) {
      fmt::print(os, ", to the modified flow {:.3f} (max) {:.3f} (final)", s.slope_max_modified,
                 s.slope_final_modified);
    }
    fmt::print(os, "; theory: 1 and 2\n");
  }
  for (const ComparisonOutcome& c : outcome.comparisons) {
    const Comparison& cmp = c.comparison;
    // Say over which times the distances were taken: a run that stopped early
    // (diverged at its first step) leaves few matched times, and a distance of
    // 0 at t = 0 alone compares nothing but the shared start.
    std::string line =
        fmt::format("  {} vs {}: {} matched times", c.a, c.b, cmp.series.rows.size());
    if (cmp.series.rows.empty()) {
      line += " (no common record time: nothing compared)";
    } else {
      line += fmt::format(" in [{:.6g}, {:.6g}]", cmp.series.rows.front()[0],
                          cmp.series.rows.back()[0]);
    }
    if (const RunOutcome* gone = diverged_of(outcome, c)) {
      line += fmt::format(": no distance, {} diverged at step {} (t = {:.6g})", gone->spec.name,
                          gone->result.stats.steps, gone->result.stats.stop_time);
      fmt::print(os, "{}\n", line);
      continue;
    }
    if (cmp.has_state_dist) line += fmt::format(", max ‖x_a − x_b‖ = {:.3e}", cmp.max_state_dist);
    if (cmp.has_projection_dist) {
      line += fmt::format(", max ‖{}_a − {}_b‖_F = {:.3e}", cmp.projection_name,
                          cmp.projection_name, cmp.max_projection_dist);
    }
    fmt::print(os, "{}\n", line);
  }
}

std::string runs_summary_header(const std::vector<GridValue>& grid) {
  // No wall time here (it is in meta.json → runs[i].wall_seconds): the same
  // spec and seed give this file byte for byte.
  // A sweep's grid keys (the same for every experiment of a spec) add one
  // column each, after the fixed ones, holding the experiment's value.
  std::string csv =
      "experiment,run,integrator,status,t_reached,steps,field_evaluations,final_loss,final_grad_"
      "norm";
  for (const GridValue& g : grid) csv.append(",").append(csv_cell(g.path));
  return csv + "\n";
}

std::string comparisons_summary_header() {
  return "experiment,a,b,matched_records,final_loss_a,final_loss_b,max_state_dist,max_projection_"
         "dist\n";
}

std::string runs_summary_rows(const PreparedExperiment& p, const ExperimentOutcome& outcome) {
  std::string csv;
  const std::string grid = grid_cells(p.spec);
  for (const RunOutcome& r : outcome.runs) {
    const RunStats& st = r.result.stats;
    csv += fmt::format("{},{},{},{},{:.17g},{},{},{:.17g},{:.17g}{}\n", p.spec.name, r.spec.name,
                       to_string(r.spec.method.method),
                       r.ensemble ? "ensemble" : to_string(st.status), st.stop_time, st.steps,
                       st.field_evaluations, final_of(r, "loss"), final_of(r, "grad_norm"), grid);
  }
  return csv;
}

std::string comparisons_summary_rows(const PreparedExperiment& p,
                                     const ExperimentOutcome& outcome) {
  std::string csv;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const ComparisonOutcome& c : outcome.comparisons) {
    const Table& t = c.comparison.series;
    const bool any = !t.rows.empty();
    // A diverged run's maxima are already NaN (run_experiment).
    csv += fmt::format("{},{},{},{},{:.17g},{:.17g},{:.17g},{:.17g}\n", p.spec.name, c.a, c.b,
                       t.rows.size(), any ? t.rows.back()[t.column_index("loss_a")] : nan,
                       any ? t.rows.back()[t.column_index("loss_b")] : nan,
                       c.comparison.has_state_dist ? c.comparison.max_state_dist : nan,
                       c.comparison.has_projection_dist ? c.comparison.max_projection_dist : nan);
  }
  return csv;
}

std::string failed_runs_summary_rows(const ExperimentSpec& spec) {
  std::string csv;
  for (const RunSpec& run : spec.runs) {
    csv += fmt::format("{},{},{},failed,,,,,{}\n", spec.name, run.name,
                       to_string(run.method.method), grid_cells(spec));
  }
  return csv;
}

std::string step_budget_lines(const PreparedExperiment& p, const ExperimentOutcome& outcome) {
  std::string lines;
  for (const RunOutcome& r : outcome.runs) {
    const RunStats& st = r.result.stats;
    if (st.status != RunStatus::step_budget) continue;
    lines += fmt::format(
        "experiment \"{}\", run \"{}\" ({}): {} steps, stopped at t = {:.6g} of t_end = {:.6g}\n",
        p.spec.name, r.spec.name, to_string(r.spec.method.method), st.steps, st.stop_time,
        p.spec.t_end);
  }
  return lines;
}

std::vector<MetricCells> runs_final_metrics(const ExperimentOutcome& outcome) {
  std::vector<MetricCells> metrics;
  for (const RunOutcome& r : outcome.runs) {
    MetricCells& cells = metrics.emplace_back();
    const Table& t = r.diagnostics.series;
    if (r.ensemble || t.rows.empty()) continue;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const std::string& name = t.columns[c];
      if (name == "t" || name == "step" || name == "loss" || name == "grad_norm") continue;
      cells.emplace_back("final_" + name, fmt::format("{:.17g}", t.rows.back()[c]));
    }
  }
  return metrics;
}

std::string runs_summary_csv(const std::vector<GridValue>& grid, const std::string& rows,
                             const std::vector<MetricCells>& metrics) {
  std::vector<std::string> names;
  for (const MetricCells& cells : metrics) {
    for (const auto& [name, cell] : cells) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::string header = runs_summary_header(grid);
  header.pop_back();  // its newline
  for (const std::string& name : names) header.append(",").append(csv_cell(name));
  std::string csv = header + "\n";
  std::size_t line_start = 0;
  for (std::size_t i = 0; line_start < rows.size(); ++i) {
    const std::size_t end = rows.find('\n', line_start);
    csv.append(rows, line_start, end - line_start);
    line_start = end == std::string::npos ? rows.size() : end + 1;
    if (i >= metrics.size())
      throw std::logic_error("summary_runs.csv: more rows than runs with metrics");
    for (const std::string& name : names) {
      csv.push_back(',');
      for (const auto& [metric, cell] : metrics[i]) {
        if (metric == name) csv.append(cell);
      }
    }
    csv.push_back('\n');
  }
  return csv;
}

std::string runs_summary_csv(const std::vector<PreparedExperiment>& prepared,
                             const std::vector<ExperimentOutcome>& outcomes) {
  std::string rows;
  std::vector<MetricCells> metrics;
  for (std::size_t e = 0; e < outcomes.size(); ++e) {
    rows += runs_summary_rows(prepared[e], outcomes[e]);
    for (MetricCells& cells : runs_final_metrics(outcomes[e])) metrics.push_back(std::move(cells));
  }
  return runs_summary_csv(prepared.empty() ? std::vector<GridValue>{} : prepared.front().spec.grid,
                          rows, metrics);
}

std::string comparisons_summary_csv(const std::vector<PreparedExperiment>& prepared,
                                    const std::vector<ExperimentOutcome>& outcomes) {
  std::string csv = comparisons_summary_header();
  for (std::size_t e = 0; e < outcomes.size(); ++e) {
    csv += comparisons_summary_rows(prepared[e], outcomes[e]);
  }
  return csv;
}

}  // namespace gradflow
