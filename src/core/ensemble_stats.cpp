#include "core/ensemble_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace gradflow {

double sorted_quantile(const std::vector<double>& v, double p) {
  const double h = static_cast<double>(v.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

SummaryStats summarise(std::vector<double> values) {
  values.erase(
      std::remove_if(values.begin(), values.end(), [](double x) { return !std::isfinite(x); }),
      values.end());
  SummaryStats s;
  s.count = static_cast<long>(values.size());
  if (values.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.mean = s.std = s.min = s.q25 = s.median = s.q75 = s.max = nan;
    return s;
  }
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  double sum = 0.0;
  for (double x : values) sum += x;
  s.mean = sum / n;
  // Two passes: the sum of squared deviations, not E[x²] − E[x]² (cancellation).
  double ss = 0.0;
  for (double x : values) ss += (x - s.mean) * (x - s.mean);
  s.std = values.size() > 1 ? std::sqrt(ss / (n - 1.0)) : 0.0;
  s.min = values.front();
  s.max = values.back();
  s.q25 = sorted_quantile(values, 0.25);
  s.median = sorted_quantile(values, 0.5);
  s.q75 = sorted_quantile(values, 0.75);
  return s;
}

Table aggregate_members(const std::vector<MemberSeries>& members) {
  Table table;
  table.columns = {"t", "step", "members"};
  for (const char* q : {"loss", "grad_norm"}) {
    for (const char* s : {"mean", "std", "min", "q25", "median", "q75", "max"}) {
      table.columns.push_back(std::string(q) + "_" + s);
    }
  }
  if (members.empty()) return table;
  std::size_t longest = 0;
  for (std::size_t m = 1; m < members.size(); ++m) {
    if (members[m].times.size() > members[longest].times.size()) longest = m;
  }
  const MemberSeries& grid = members[longest];
  std::vector<std::size_t> cursor(members.size(), 0);
  for (std::size_t r = 0; r < grid.times.size(); ++r) {
    const double t = grid.times[r];
    const double tol = 1e-9 * std::max(1.0, std::abs(t));
    std::vector<double> loss, grad;
    bool same_step = true;
    for (std::size_t m = 0; m < members.size(); ++m) {
      const MemberSeries& s = members[m];
      std::size_t& c = cursor[m];
      while (c < s.times.size() && s.times[c] < t - tol) ++c;
      if (c < s.times.size() && std::abs(s.times[c] - t) <= tol) {
        loss.push_back(s.loss[c]);
        grad.push_back(s.grad_norm[c]);
        same_step = same_step && s.steps[c] == grid.steps[r];
      }
    }
    const double step =
        same_step ? static_cast<double>(grid.steps[r]) : std::numeric_limits<double>::quiet_NaN();
    std::vector<double> row{t, step, static_cast<double>(loss.size())};
    for (const auto* values : {&loss, &grad}) {
      const SummaryStats st = summarise(*values);
      row.insert(row.end(), {st.mean, st.std, st.min, st.q25, st.median, st.q75, st.max});
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace gradflow
