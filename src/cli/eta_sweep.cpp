#include "cli/eta_sweep.hpp"

#include <cmath>
#include <stdexcept>

namespace gradflow {

double log_log_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

namespace {
// max and final state distance of comparison a vs b.
std::pair<double, double> distances(const ExperimentOutcome& outcome, const std::string& a,
                                    const std::string& b) {
  for (const ComparisonOutcome& c : outcome.comparisons) {
    if (c.a == a && c.b == b) {
      const Table& t = c.comparison.series;
      if (t.rows.empty() || !c.comparison.has_state_dist) break;
      return {c.comparison.max_state_dist, t.rows.back()[t.column_index("state_dist")]};
    }
  }
  throw std::logic_error("eta sweep: no state comparison " + a + " vs " + b);
}
}  // namespace

EtaSweepSummary summarise_eta_sweep(const PreparedExperiment& p, const ExperimentOutcome& outcome) {
  EtaSweepSummary s;
  const EtaSweep& sweep = p.spec.sweep;
  s.modified = sweep.modified;
  s.table.columns = {"eta", "max_dist_flow", "final_dist_flow"};
  if (s.modified) {
    s.table.columns.push_back("max_dist_modified");
    s.table.columns.push_back("final_dist_modified");
  }
  std::vector<double> etas, max_flow, final_flow, max_mod, final_mod;
  for (double eta : sweep.values) {
    const auto [mf, ff] = distances(outcome, EtaSweep::gd_name(eta), "gf");
    std::vector<double> row{eta, mf, ff};
    etas.push_back(eta);
    max_flow.push_back(mf);
    final_flow.push_back(ff);
    if (s.modified) {
      const auto [mm, fm] =
          distances(outcome, EtaSweep::gd_name(eta), EtaSweep::modified_name(eta));
      row.push_back(mm);
      row.push_back(fm);
      max_mod.push_back(mm);
      final_mod.push_back(fm);
    }
    s.table.rows.push_back(std::move(row));
  }
  s.slope_max_flow = log_log_slope(etas, max_flow);
  s.slope_final_flow = log_log_slope(etas, final_flow);
  if (s.modified) {
    s.slope_max_modified = log_log_slope(etas, max_mod);
    s.slope_final_modified = log_log_slope(etas, final_mod);
  }
  return s;
}

nlohmann::json EtaSweepSummary::to_json() const {
  nlohmann::json j = {{"file", "eta_sweep.csv"},
                      {"slope_max_dist_flow", slope_max_flow},
                      {"slope_final_dist_flow", slope_final_flow}};
  if (modified) {
    j["slope_max_dist_modified"] = slope_max_modified;
    j["slope_final_dist_modified"] = slope_final_modified;
  }
  return j;
}

}  // namespace gradflow
