#pragma once
// Ctrl-C (SIGINT) or SIGTERM during `gradflow run`: say where the run stopped
// and leave complete experiment folders or nothing.
//
// A signal handler may not format text or take locks, so the signals are
// blocked in every thread and one watcher thread takes them with sigwait(2).
// It prints the experiment, run, time and step each busy thread had reached
// (RunPosition, updated after every accepted step), waits for any commit in
// progress to finish (each experiment folder is swapped in whole), removes the
// staging folder and exits with 128 + the signal (130 for SIGINT). Folders
// already committed are complete; `gradflow run --resume` continues from them.

#include "core/progress.hpp"

#include <atomic>
#include <string>
#include <thread>

namespace gradflow {

class OutputDirectory;

// Where one thread's run is: its label ("experiment/run") and the time and
// step of its last accepted step. Registered while it lives; forwards each
// step to `inner` (the progress line) when there is one. Allocation-free per
// step: two relaxed atomic stores.
class RunPosition final : public ProgressObserver {
 public:
  RunPosition(std::string experiment, std::string run, ProgressObserver* inner);
  ~RunPosition() override;
  RunPosition(const RunPosition&) = delete;
  RunPosition& operator=(const RunPosition&) = delete;
  RunPosition(RunPosition&&) = delete;
  RunPosition& operator=(RunPosition&&) = delete;

  void at_step(double t, long step) noexcept override;
  bool stop_requested() const noexcept override {
    return inner_ != nullptr && inner_->stop_requested();
  }
  // experiment "e", run "r" at t = …, step …
  std::string describe() const;

 private:
  std::string experiment_, run_;
  ProgressObserver* inner_;
  std::atomic<double> t_{0.0};
  std::atomic<long> step_{0};
};

// Every registered position, one per line (empty if none).
std::string describe_run_positions();

// While it lives, SIGINT and SIGTERM end the process as described above.
// Construct it on the main thread before any worker thread starts (they
// inherit the blocked signals).
class InterruptWatch {
 public:
  // `spec_path` is named in the message (how to resume).
  InterruptWatch(OutputDirectory& out, std::string spec_path);
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

 private:
  OutputDirectory& out_;
  std::string spec_path_;
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace gradflow
