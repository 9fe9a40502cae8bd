#pragma once
// A run repeated by the members of an ensemble (run_plan.hpp: seeds, starts,
// noise), each integrated like a single run, then aggregated: per recorded
// time the spread of loss and ‖∇L‖ over members (core/ensemble_stats.hpp), per
// member its end and an outcome label (core/outcome_label.hpp), and the
// counts of each outcome.
//
// Files of ensemble run R: R.ensemble.csv (the aggregate), R.members.csv (one
// row per member: member, seed, status, steps, t_reached, final_loss,
// final_grad_norm, [beta], start_i and final_i when dim ≤ 10, outcome).

#include "cli/experiment.hpp"
#include "core/ensemble_stats.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace gradflow {

// States of up to this many entries go into the members CSV.
inline constexpr Eigen::Index kMemberStateMaxDim = 10;

struct MemberOutcome {
  long index = 0;
  std::uint64_t seed = 0;
  double beta = 0.0;  // capped SGD schedule, else 0
  RunStats stats;
  MemberSeries series;
  Eigen::VectorXd x0, final_state;
  std::string outcome;
};

struct EnsembleOutcome {
  std::vector<MemberOutcome> members;
  Table aggregate;
  std::vector<std::pair<std::string, long>> counts;  // every possible label, in order

  double median_final(bool loss) const;  // of the members' final loss or ‖∇L‖
  std::string counts_text() const;       // "wide 190, not_converged 10"
};

// Integrates every member of run `i` (p.targets[i].plan.members); one line to `log`.
// `progress` (optional) counts the members done.
RunOutcome run_ensemble(const PreparedExperiment& p, std::size_t i, std::ostream& log,
                        ProgressLine* progress = nullptr);

// Member `m` of ensemble run `i` integrated on `field`: p.targets[i].field, or
// the same flow of another instance of the model (a run on another thread,
// cli/experiment_runs.hpp). Registered for Ctrl-C as "<run> member <m>";
// `inner` gets its steps (the thread's observer, or nullptr).
MemberOutcome run_ensemble_member(const PreparedExperiment& p, std::size_t i, std::size_t m,
                                  const Field& field, ProgressObserver* inner);
// Ensemble run `i` from its members' outcomes, in member order: the totals,
// the aggregate, the counts of each outcome; its line to `log`.
RunOutcome gather_ensemble(const PreparedExperiment& p, std::size_t i,
                           std::vector<MemberOutcome> members, std::ostream& log);

// Stages R.ensemble.csv and R.members.csv through `put(name, bytes)`; returns
// the run's meta.json entry.
nlohmann::json export_ensemble(
    const PreparedExperiment& p, std::size_t i, const RunOutcome& r,
    const std::function<void(const std::string&, const std::string&)>& put);

}  // namespace gradflow
