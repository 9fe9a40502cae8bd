#include "core/compare.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow {

namespace {
bool same_time(double s, double t) { return std::abs(s - t) <= 1e-9 * std::max(1.0, std::abs(t)); }

// Two states are comparable when they hold the same named blocks: equal
// dimensions alone (U ∈ R^{d×d} against W = UUᵀ) would compare apples with pears.
bool same_layout(const Layout& a, const Layout& b) {
  if (a.blocks().size() != b.blocks().size()) return false;
  for (std::size_t i = 0; i < a.blocks().size(); ++i) {
    const Block& x = a.blocks()[i];
    const Block& y = b.blocks()[i];
    if (x.name != y.name || x.rows != y.rows || x.cols != y.cols) return false;
  }
  return true;
}

}  // namespace

Comparison compare_runs(const RunView& a, const RunView& b) {
  Comparison out;
  out.has_state_dist = same_layout(a.field.layout(), b.field.layout());
  const std::string proj = a.field.projection_name();
  out.has_projection_dist = !proj.empty() && proj == b.field.projection_name();
  out.projection_name = proj;

  out.series.columns = {"t", "step_a", "step_b", "loss_a", "loss_b", "loss_diff"};
  if (out.has_state_dist) out.series.columns.push_back("state_dist");
  if (out.has_projection_dist) out.series.columns.push_back(proj + "_dist");

  // Both time lists are sorted: walk them together.
  std::size_t j = 0;
  const Trajectory& ta = a.trajectory;
  const Trajectory& tb = b.trajectory;
  for (std::size_t i = 0; i < ta.size(); ++i) {
    while (j < tb.size() && tb.times[j] < ta.times[i] && !same_time(tb.times[j], ta.times[i])) ++j;
    if (j == tb.size()) break;
    if (!same_time(tb.times[j], ta.times[i])) continue;
    const Eigen::VectorXd& xa = ta.states[i];
    const Eigen::VectorXd& xb = tb.states[j];
    const double la = a.field.loss(xa);
    const double lb = b.field.loss(xb);
    std::vector<double> row{
        ta.times[i], static_cast<double>(ta.steps[i]), static_cast<double>(tb.steps[j]), la, lb,
        la - lb};
    if (out.has_state_dist) {
      const double d = (xa - xb).norm();
      out.max_state_dist = std::max(out.max_state_dist, d);
      row.push_back(d);
    }
    if (out.has_projection_dist) {
      const Eigen::MatrixXd pa = a.field.project(xa);
      const Eigen::MatrixXd pb = b.field.project(xb);
      const double d = (pa.rows() == pb.rows() && pa.cols() == pb.cols())
                           ? (pa - pb).norm()
                           : std::numeric_limits<double>::quiet_NaN();
      out.max_projection_dist = std::max(out.max_projection_dist, d);
      row.push_back(d);
    }
    out.series.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace gradflow
