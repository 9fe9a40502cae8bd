#include "cli/experiment_runs.hpp"

#include "cli/ensemble.hpp"
#include "cli/single_run.hpp"
#include "models/central_flow.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>
#include <utility>

namespace gradflow {

namespace {

constexpr std::size_t kWholeRun = static_cast<std::size_t>(-1);

// A unit of work: run `run`, or member `member` of ensemble run `run`.
struct Item {
  std::size_t run = 0;
  std::size_t member = kWholeRun;
};

// The fields of another instance of the experiment's model, for the runs a
// helper thread integrates, wrapped as the experiment's own (run_field). The
// model is built up front (it may not fit in memory: the helper then takes
// no run).
class WorkerFields {
 public:
  explicit WorkerFields(const PreparedExperiment& p)
      : p_(p), model_(p.rebuild_model()), fields_(p.spec.runs.size()) {}

  const Field& field(std::size_t r) {
    if (fields_[r] != nullptr) return *fields_[r];
    const Flow& flow = model_.flow(p_.spec.runs[r].flow, p_.spec.file, "");
    fields_[r] = run_field(p_.spec, r, flow, wrappers_);
    return *fields_[r];
  }

 private:
  const PreparedExperiment& p_;
  ModelInstance model_;
  std::vector<std::unique_ptr<Field>> wrappers_;
  std::vector<const Field*> fields_;
};

bool owner_only(const PreparedExperiment& p, std::size_t r) {
  return dynamic_cast<const CentralFlow*>(p.targets[r].field) != nullptr;
}

// What the threads share: the queue of work not pinned to the owner, the
// result slots, the first failure, and the counts behind the progress line.
class Work {
 public:
  Work(const PreparedExperiment& p, ProgressLine* progress) : p_(p), progress_(progress) {
    const std::size_t n = p.spec.runs.size();
    runs_.resize(n);
    logs_.resize(n);
    members_.resize(n);
    for (std::size_t r = 0; r < n; ++r) {
      std::vector<Item>& list = owner_only(p, r) ? owner_items_ : queue_;
      const std::size_t members =
          p.spec.runs[r].ensemble.size > 0 ? p.targets[r].plan.members.size() : 0;
      if (members == 0) {
        list.push_back({r, kWholeRun});
        continue;
      }
      members_[r].resize(members);
      for (std::size_t m = 0; m < members; ++m) list.push_back({r, m});
    }
    if (progress_ != nullptr) {
      progress_->begin(fmt::format("{} (runs)", p.spec.name),
                       static_cast<double>(owner_items_.size() + queue_.size()), "runs");
    }
  }

  const std::vector<Item>& owner_items() const { return owner_items_; }

  // The next queued item, or nothing when the queue is empty or a run failed.
  std::optional<Item> take() {
    const std::lock_guard lock(mutex_);
    if (failure_ || next_ >= queue_.size()) return std::nullopt;
    return queue_[next_++];
  }
  // Queued items no thread has taken yet.
  std::size_t waiting() {
    const std::lock_guard lock(mutex_);
    return failure_ ? 0 : queue_.size() - next_;
  }

  // Runs `item` on `field`, its result into its slot; a failure is kept
  // (the first one) and stops the others taking more.
  void run(const Item& item, const Field& field, ProgressObserver* inner) noexcept {
    {
      const std::lock_guard lock(mutex_);
      most_at_once_ = std::max(most_at_once_, ++at_once_);
    }
    long steps = 0;
    try {
      if (item.member == kWholeRun) {
        runs_[item.run] = integrate_run(p_, item.run, field, nullptr, inner, logs_[item.run]);
        steps = runs_[item.run]->result.stats.steps;
      } else {
        MemberOutcome& slot = members_[item.run][item.member];
        slot = run_ensemble_member(p_, item.run, item.member, field, inner);
        steps = slot.stats.steps;
      }
    } catch (...) {
      fail(item, std::current_exception());
    }
    const std::lock_guard lock(mutex_);
    --at_once_;
    ++done_;
    steps_ += steps;
    if (progress_ != nullptr) progress_->update(static_cast<double>(done_), steps_);
  }

  // Keeps the failure of the earliest item in spec order, the one a single
  // thread would have stopped at, whichever thread failed first in time.
  void fail(const Item& item, std::exception_ptr e) noexcept {
    const std::lock_guard lock(mutex_);
    const auto at = std::pair(item.run, item.member);
    if (!failure_ || at < failed_at_) {
      failure_ = std::move(e);
      failed_at_ = at;
    }
  }

  // After every thread is done: the outcomes in spec order, the log lines
  // as the serial loop prints them.
  ExperimentRuns gather(std::ostream& log) {
    if (progress_ != nullptr) progress_->end();
    if (failure_) std::rethrow_exception(failure_);
    ExperimentRuns out;
    out.most_at_once = most_at_once_;
    for (std::size_t r = 0; r < runs_.size(); ++r) {
      fmt::print(log, "{}", run_preamble(p_, r));
      if (p_.spec.runs[r].ensemble.size > 0) {
        out.runs.push_back(gather_ensemble(p_, r, std::move(members_[r]), log));
      } else {
        fmt::print(log, "{}", logs_[r]);
        out.runs.push_back(std::move(*runs_[r]));
      }
    }
    return out;
  }

 private:
  const PreparedExperiment& p_;
  ProgressLine* progress_;
  std::vector<Item> owner_items_, queue_;
  std::vector<std::optional<RunOutcome>> runs_;
  std::vector<std::string> logs_;
  std::vector<std::vector<MemberOutcome>> members_;
  std::mutex mutex_;
  std::size_t next_ = 0, done_ = 0;
  long steps_ = 0;
  unsigned at_once_ = 0, most_at_once_ = 0;
  std::exception_ptr failure_;
  std::pair<std::size_t, std::size_t> failed_at_{};  // (run, member) of failure_
};

}  // namespace

ExperimentRuns run_experiment_runs(const PreparedExperiment& p, std::ostream& log,
                                   ProgressLine* progress, ThreadBudget& budget) {
  if (progress != nullptr && !progress->enabled()) progress = nullptr;
  Work work(p, progress);
  std::atomic<std::size_t> helpers_busy{0};
  std::vector<std::jthread> helpers;
  auto helper = [&] {
    const ThreadBudget::Busy busy(budget);
    std::optional<WorkerFields> fields;
    try {
      fields.emplace(p);
    } catch (...) {
      // No second instance of the model (e.g. out of memory): this helper
      // takes no run, and the owner and the other helpers do them all.
    }
    while (fields) {
      const std::optional<Item> item = work.take();
      if (!item) break;
      try {
        work.run(*item, fields->field(item->run), nullptr);
      } catch (...) {  // wrapping the run's flow failed: that run fails
        work.fail(*item, std::current_exception());
      }
    }
    --helpers_busy;
    budget.give_back();
  };
  // A helper for each free token while more queued work waits than the
  // helpers already started and the owner (`owner`: 1 when it is free for
  // queued work, 0 while it runs its own) can take.
  auto recruit = [&](std::size_t owner) {
    while (helpers_busy.load() + owner < work.waiting() && budget.try_take()) {
      ++helpers_busy;
      try {
        helpers.emplace_back(helper);
      } catch (...) {  // no thread to be had: the owner does the work
        --helpers_busy;
        budget.give_back();
        break;
      }
    }
  };
  ProgressObserver* const inner = progress_observer();
  for (const Item& item : work.owner_items()) {
    recruit(0);
    work.run(item, *p.targets[item.run].field, inner);
  }
  for (;;) {
    recruit(1);
    const std::optional<Item> item = work.take();
    if (!item) break;
    work.run(*item, *p.targets[item->run].field, inner);
  }
  helpers.clear();  // joins
  return work.gather(log);
}

}  // namespace gradflow
