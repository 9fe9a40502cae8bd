#include "cli/ensemble.hpp"

#include "cli/interrupt_watch.hpp"
#include "core/outcome_label.hpp"
#include "io/csv.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ostream>

namespace gradflow {

namespace {

MemberOutcome run_member(const Field& field, const EnsembleMember& member, const RunPlan& plan,
                         double grad_tolerance) {
  MemberOutcome out{.index = member.index, .seed = member.seed, .beta = member.method.sgd.beta};
  const RunResult result = integrate(field, member.x0, plan.times, member.method, plan.stop);
  out.stats = result.stats;
  out.x0 = member.x0;
  const Trajectory& traj = result.trajectory;
  Eigen::VectorXd g(field.dim());
  for (std::size_t k = 0; k < traj.size(); ++k) {
    out.series.times.push_back(traj.times[k]);
    out.series.steps.push_back(traj.steps[k]);
    out.series.loss.push_back(field.loss(traj.states[k]));
    field.gradient(traj.states[k], g);
    out.series.grad_norm.push_back(g.norm());
  }
  out.final_state = traj.states.back();
  out.outcome = outcome_label(field, out.stats.status, out.final_state, out.series.grad_norm.back(),
                              grad_tolerance);
  return out;
}

}  // namespace

double EnsembleOutcome::median_final(bool loss) const {
  std::vector<double> values;
  for (const MemberOutcome& m : members)
    values.push_back(loss ? m.series.loss.back() : m.series.grad_norm.back());
  return summarise(values).median;
}

std::string EnsembleOutcome::counts_text() const {
  std::vector<std::string> parts;
  for (const auto& [label, count] : counts) {
    if (count > 0) parts.push_back(fmt::format("{} {}", label, count));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

MemberOutcome run_ensemble_member(const PreparedExperiment& p, std::size_t i, std::size_t m,
                                  const Field& field, ProgressObserver* inner) {
  const RunSpec& run = p.spec.runs[i];
  const EnsembleMember& member = p.targets[i].plan.members[m];
  // Where the member is, for a Ctrl-C (cli/interrupt_watch.hpp).
  RunPosition position(p.spec.name, fmt::format("{} member {}", run.name, member.index), inner);
  const ScopedProgress scope(&position);
  return run_member(field, member, p.targets[i].plan, run.ensemble.grad_tolerance);
}

RunOutcome gather_ensemble(const PreparedExperiment& p, std::size_t i,
                           std::vector<MemberOutcome> members, std::ostream& log) {
  const RunSpec& run = p.spec.runs[i];
  const RunTarget& target = p.targets[i];
  auto ensemble = std::make_shared<EnsembleOutcome>();
  ensemble->members = std::move(members);
  RunOutcome out{run, {}, {}};
  RunStats& total = out.result.stats;
  std::vector<MemberSeries> series;
  series.reserve(ensemble->members.size());
  for (const MemberOutcome& m : ensemble->members) {
    total.steps += m.stats.steps;
    total.field_evaluations += m.stats.field_evaluations;
    total.wall_seconds += m.stats.wall_seconds;
    total.stop_time = std::max(total.stop_time, m.stats.stop_time);
    series.push_back(m.series);
  }
  ensemble->aggregate = aggregate_members(series);
  for (const std::string& label : outcome_labels(*target.field)) {
    const auto n = std::count_if(ensemble->members.begin(), ensemble->members.end(),
                                 [&](const MemberOutcome& m) { return m.outcome == label; });
    ensemble->counts.emplace_back(label, static_cast<long>(n));
  }
  total.message = fmt::format("ensemble of {}: {}", run.ensemble.size, ensemble->counts_text());
  fmt::print(log,
             "  {:<12} {:<14} ensemble of {} ({}): {} (final ‖∇L‖ tolerance {:.3g}); {} steps {} "
             "field evals {:.3f} s\n",
             run.name, to_string(run.method.method), run.ensemble.size,
             run.ensemble.vary == EnsembleSpec::Vary::start ? "own starts" : "own noise",
             ensemble->counts_text(), run.ensemble.grad_tolerance, total.steps,
             total.field_evaluations, total.wall_seconds);
  out.ensemble = std::move(ensemble);
  return out;
}

RunOutcome run_ensemble(const PreparedExperiment& p, std::size_t i, std::ostream& log,
                        ProgressLine* progress) {
  const RunTarget& target = p.targets[i];
  std::vector<MemberOutcome> members;
  if (progress != nullptr && !progress->enabled()) progress = nullptr;
  if (progress != nullptr) {
    progress->begin(fmt::format("{}/{} (ensemble)", p.spec.name, p.spec.runs[i].name),
                    static_cast<double>(target.plan.members.size()), "members");
  }
  ProgressObserver* const observer = progress_observer();
  long steps = 0;
  for (std::size_t m = 0; m < target.plan.members.size(); ++m) {
    members.push_back(run_ensemble_member(p, i, m, *target.field, observer));
    steps += members.back().stats.steps;
    if (progress != nullptr) progress->update(static_cast<double>(members.size()), steps);
  }
  if (progress != nullptr) progress->end();
  return gather_ensemble(p, i, std::move(members), log);
}

namespace {

std::string members_csv(const EnsembleOutcome& e, Eigen::Index dim, bool with_beta) {
  const bool states = dim <= kMemberStateMaxDim;
  std::string csv = "member,seed,status,steps,t_reached,final_loss,final_grad_norm";
  if (with_beta) csv += ",beta";
  if (states) {
    for (Eigen::Index k = 1; k <= dim; ++k) csv += fmt::format(",start_{}", k);
    for (Eigen::Index k = 1; k <= dim; ++k) csv += fmt::format(",final_{}", k);
  }
  csv += ",outcome\n";
  for (const MemberOutcome& m : e.members) {
    csv += fmt::format("{},{},{},{},{:.17g},{:.17g},{:.17g}", m.index, m.seed,
                       to_string(m.stats.status), m.stats.steps, m.stats.stop_time,
                       m.series.loss.back(), m.series.grad_norm.back());
    if (with_beta) csv += fmt::format(",{:.17g}", m.beta);
    if (states) {
      for (Eigen::Index k = 0; k < dim; ++k) csv += fmt::format(",{:.17g}", m.x0[k]);
      for (Eigen::Index k = 0; k < dim; ++k) csv += fmt::format(",{:.17g}", m.final_state[k]);
    }
    csv += fmt::format(",{}\n", m.outcome);
  }
  return csv;
}

}  // namespace

nlohmann::json export_ensemble(
    const PreparedExperiment& p, std::size_t i, const RunOutcome& r,
    const std::function<void(const std::string&, const std::string&)>& put) {
  const EnsembleOutcome& e = *r.ensemble;
  const RunSpec& run = r.spec;
  const Field& field = *p.targets[i].field;
  const bool capped = run.method.method == Method::sgd &&
                      run.method.sgd.schedule == StepSchedule::inverse_time_capped;
  const std::string series = run.name + ".ensemble.csv", members = run.name + ".members.csv";
  put(series, csv_text(e.aggregate));
  put(members, members_csv(e, field.dim(), capped));
  nlohmann::json outcomes = nlohmann::json::object();
  for (const auto& [label, count] : e.counts) outcomes[label] = count;
  return {{"size", run.ensemble.size},
          {"vary", run.ensemble.vary == EnsembleSpec::Vary::start ? "start" : "noise"},
          {"grad_tolerance", run.ensemble.grad_tolerance},
          {"series", series},
          {"members", members},
          {"outcomes", outcomes},
          {"median_final_loss", e.median_final(true)},
          {"median_final_grad_norm", e.median_final(false)},
          {"seeds",
           "member m: derive_seed(seed, \"member m\"); its start: derive_seed(member seed, "
           "\"init\"); its noise: derive_seed(member seed, \"noise\")"}};
}

}  // namespace gradflow
