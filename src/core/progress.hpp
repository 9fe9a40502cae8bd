#pragma once
// Where a long run is: every integration loop tells the progress observer of
// its thread (none by default) its time and step after each accepted step,
// through StopMonitor. The CLI installs one around each run (ScopedProgress)
// and shows it on stderr; the observer must be cheap: it is on the hot path.
// An observer may also ask the run to stop (Ctrl-C from Python): the loop
// then ends after that step with status `interrupted`, in every integrator,
// including those that evaluate a concrete field type directly.

namespace gradflow {

class ProgressObserver {
 public:
  ProgressObserver() = default;
  ProgressObserver(const ProgressObserver&) = delete;
  ProgressObserver& operator=(const ProgressObserver&) = delete;
  ProgressObserver(ProgressObserver&&) = delete;
  ProgressObserver& operator=(ProgressObserver&&) = delete;
  virtual ~ProgressObserver() = default;
  // After each accepted step; allocation-free and non-throwing.
  virtual void at_step(double t, long step) noexcept = 0;
  // Asked right after at_step: true ends the run there.
  virtual bool stop_requested() const noexcept { return false; }
};

// The observer of the runs integrated on this thread, or nullptr.
ProgressObserver* progress_observer() noexcept;

// Installs an observer for this thread while it lives (nullptr: none).
class ScopedProgress {
 public:
  explicit ScopedProgress(ProgressObserver* observer) noexcept;
  ScopedProgress(const ScopedProgress&) = delete;
  ScopedProgress& operator=(const ScopedProgress&) = delete;
  ScopedProgress(ScopedProgress&&) = delete;
  ScopedProgress& operator=(ScopedProgress&&) = delete;
  ~ScopedProgress();

 private:
  ProgressObserver* previous_;
};

}  // namespace gradflow
