#include "cli/thread_budget.hpp"

#include <algorithm>
#include <cassert>

namespace gradflow {

ThreadBudget::ThreadBudget(unsigned total) : total_(std::max(1U, total)) {}

bool ThreadBudget::try_take() noexcept {
  const std::lock_guard lock(mutex_);
  if (taken_ >= total_) return false;
  ++taken_;
  return true;
}

void ThreadBudget::give_back() noexcept {
  const std::lock_guard lock(mutex_);
  assert(taken_ > 0 && "a token given back that was never taken");
  --taken_;
}

ThreadBudget::Busy::Busy(ThreadBudget& budget) noexcept : budget_(budget) {
  const unsigned now = ++budget_.busy_;
  unsigned most = budget_.most_busy_.load();
  while (now > most && !budget_.most_busy_.compare_exchange_weak(most, now)) {}
}

ThreadBudget::Busy::~Busy() { --budget_.busy_; }

}  // namespace gradflow
