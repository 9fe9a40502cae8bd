#include "cli/time_average.hpp"

#include "models/central_flow.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace gradflow {

std::vector<double> centred_weights(long window) {
  if (window < 1) return {};
  if (window % 2 == 1) {
    return std::vector<double>(static_cast<std::size_t>(window), 1.0 / static_cast<double>(window));
  }
  std::vector<double> w(static_cast<std::size_t>(window + 1), 1.0 / static_cast<double>(window));
  w.front() *= 0.5;
  w.back() *= 0.5;
  return w;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<std::size_t> record_of_step(const Trajectory& t, long step) {
  const auto it = std::lower_bound(t.steps.begin(), t.steps.end(), step);
  if (it == t.steps.end() || *it != step) return std::nullopt;
  return static_cast<std::size_t>(it - t.steps.begin());
}

// The record at time t (to 1e-9 relative, as compare_runs matches times).
std::optional<std::size_t> record_at_time(const Trajectory& tr, double t) {
  const double tol = 1e-9 * std::max(1.0, std::abs(t));
  const auto it = std::lower_bound(tr.times.begin(), tr.times.end(), t - tol);
  if (it == tr.times.end() || std::abs(*it - t) > tol) return std::nullopt;
  return static_cast<std::size_t>(it - tr.times.begin());
}

bool is_gd(const RunOutcome& r) { return r.spec.method.method == Method::euler && !r.ensemble; }
bool is_flow(const RunOutcome& r) {
  return r.spec.method.method != Method::euler && r.spec.method.method != Method::sgd &&
         !r.ensemble;
}

}  // namespace

void add_time_average(const PreparedExperiment& p, const ExperimentOutcome& outcome, std::size_t ia,
                      std::size_t ib, Comparison& c) {
  const RunOutcome& a = outcome.runs[ia];
  const RunOutcome& b = outcome.runs[ib];
  const bool gd_is_a = is_gd(a) && is_flow(b);
  if (!gd_is_a && !(is_gd(b) && is_flow(a))) return;
  const std::size_t gi = gd_is_a ? ia : ib, fi = gd_is_a ? ib : ia;
  const RunOutcome& gd = outcome.runs[gi];
  const RunOutcome& flow = outcome.runs[fi];
  const double eta = gd.spec.method.dt;
  const auto* central = dynamic_cast<const CentralFlow*>(p.targets[fi].field);
  const bool own_central = central != nullptr && std::abs(central->eta() - eta) <= 1e-12 * eta;
  const long window = gd.spec.average_window > 0 ? gd.spec.average_window
                      : own_central              ? kDefaultAverageWindow
                                                 : 0;
  if (window == 0) return;
  const std::vector<double> weights = centred_weights(window);
  const long h = static_cast<long>(weights.size() - 1) / 2;
  const Field& gd_field = *p.targets[gi].field;
  const Trajectory& tg = gd.result.trajectory;
  const Trajectory& tf = flow.result.trajectory;

  const bool states = c.has_state_dist;
  if (!states && !own_central) return;
  if (states) c.series.columns.push_back("avg_state_dist");
  if (own_central) {
    for (const char* name :
         {"sigma2_predicted", "sigma2_observed", "mean_loss_predicted", "mean_loss_observed"}) {
      c.series.columns.push_back(name);
    }
  }
  const std::size_t step_col = c.series.column_index(gd_is_a ? "step_a" : "step_b");
  double max_dist = 0.0;
  Eigen::VectorXd mean(gd_field.dim());
  std::vector<std::size_t> window_records(weights.size());
  for (auto& row : c.series.rows) {
    const long k = std::lround(row[step_col]);
    const std::optional<std::size_t> f = record_at_time(tf, row[0]);
    bool complete = f.has_value();
    for (long j = -h; j <= h && complete; ++j) {
      const auto rec = record_of_step(tg, k + j);
      complete = rec.has_value();
      if (complete) window_records[static_cast<std::size_t>(j + h)] = *rec;
    }
    if (!complete) {
      row.insert(row.end(), (states ? 1 : 0) + (own_central ? 4 : 0), kNaN);
      continue;
    }
    mean.setZero();
    double mean_loss = 0.0;
    for (std::size_t j = 0; j < weights.size(); ++j) {
      const Eigen::VectorXd& x = tg.states[window_records[j]];
      mean += weights[j] * x;
      mean_loss += weights[j] * gd_field.loss(x);
    }
    const Eigen::VectorXd& xf = tf.states[*f];
    if (states) {
      const double d = (xf - mean).norm();
      max_dist = std::max(max_dist, d);
      row.push_back(d);
    }
    if (own_central) {
      const EdgeState s = central->edge_state(xf);
      double observed = 0.0;
      for (std::size_t j = 0; j < weights.size(); ++j) {
        observed +=
            weights[j] *
            (s.edge_basis.transpose() * (tg.states[window_records[j]] - mean)).squaredNorm();
      }
      row.push_back(s.sigma2);
      row.push_back(observed);
      row.push_back(s.predicted_mean_loss);
      row.push_back(mean_loss);
    }
  }
  c.summary.emplace_back("average_window", static_cast<double>(window));
  if (states) c.summary.emplace_back("max_avg_state_dist", max_dist);
}

}  // namespace gradflow
