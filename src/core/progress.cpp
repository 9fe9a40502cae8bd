#include "core/progress.hpp"

namespace gradflow {

namespace {
// Per thread: runs on other threads (Python's, ensembles split across
// threads) never report into a line they do not own.
thread_local ProgressObserver* current_observer = nullptr;
}  // namespace

ProgressObserver* progress_observer() noexcept { return current_observer; }

ScopedProgress::ScopedProgress(ProgressObserver* observer) noexcept : previous_(current_observer) {
  current_observer = observer;
}

ScopedProgress::~ScopedProgress() { current_observer = previous_; }

}  // namespace gradflow
