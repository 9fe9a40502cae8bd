#pragma once
// The --jobs threads of `gradflow run` as one budget of tokens, shared by the
// two levels that use threads: the sweep's pool over experiments (one token
// per pool thread, given back when the thread runs out of experiments) and
// the runs and ensemble members of one experiment (cli/experiment_runs.hpp:
// a helper thread starts only on a token that is free, and gives it back when
// the experiment has no run left). So the threads computing at once never
// outnumber --jobs; model.threads (a ReLU network's own per-neuron threads)
// is a separate knob and not counted here.

#include <atomic>
#include <mutex>

namespace gradflow {

class ThreadBudget {
 public:
  explicit ThreadBudget(unsigned total);
  ThreadBudget(const ThreadBudget&) = delete;
  ThreadBudget& operator=(const ThreadBudget&) = delete;
  ThreadBudget(ThreadBudget&&) = delete;
  ThreadBudget& operator=(ThreadBudget&&) = delete;
  ~ThreadBudget() = default;

  unsigned total() const noexcept { return total_; }
  // A token if one is free (never waits).
  bool try_take() noexcept;
  void give_back() noexcept;

  // While it lives, its thread counts as computing (the gauge behind
  // most_busy(), which tests compare with total()).
  class Busy {
   public:
    explicit Busy(ThreadBudget& budget) noexcept;
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;
    Busy(Busy&&) = delete;
    Busy& operator=(Busy&&) = delete;

   private:
    ThreadBudget& budget_;
  };
  // The most threads computing at once so far.
  unsigned most_busy() const noexcept { return most_busy_.load(); }

 private:
  unsigned total_;
  std::mutex mutex_;
  unsigned taken_ = 0;
  std::atomic<unsigned> busy_{0}, most_busy_{0};
};

}  // namespace gradflow
