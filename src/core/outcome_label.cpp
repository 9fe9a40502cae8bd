#include "core/outcome_label.hpp"

#include "core/named_minima.hpp"

namespace gradflow {

std::string outcome_label(const Field& field, RunStatus status, const Eigen::VectorXd& final_state,
                          double final_grad_norm, double grad_tolerance) {
  if (status == RunStatus::diverged) return "diverged";
  if (!(final_grad_norm <= grad_tolerance)) return "not_converged";
  const auto& minima = known_minima(field);
  if (minima.empty()) return "converged";
  std::size_t nearest = 0;
  double best = (final_state - minima[0].point).norm();
  for (std::size_t i = 1; i < minima.size(); ++i) {
    const double d = (final_state - minima[i].point).norm();
    if (d < best) {
      best = d;
      nearest = i;
    }
  }
  return minima[nearest].name;
}

std::vector<std::string> outcome_labels(const Field& field) {
  std::vector<std::string> labels{"diverged", "not_converged"};
  const auto& minima = known_minima(field);
  for (const NamedPoint& m : minima) labels.push_back(m.name);
  if (minima.empty()) labels.emplace_back("converged");
  return labels;
}

}  // namespace gradflow
