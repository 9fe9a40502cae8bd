#pragma once
// The progress of a run on stderr, for runs that last more than a couple of
// seconds: on a terminal one line rewritten in place (experiment/run, a bar of
// t / t_end, steps, steps per second, an estimate of the time left); when
// stderr is a file or a pipe, a plain line every 10 s; nothing when quiet.
// GRADFLOW_PROGRESS_SECONDS=s replaces both the 2 s delay and the 10 s period
// (tests use it to see a line from a short run).

#include "core/progress.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace gradflow {

class ProgressLine final : public ProgressObserver {
 public:
  enum class Mode { off, terminal, plain };

  // off when quiet, else terminal or plain as `out` is a terminal or not.
  static Mode mode_for(std::FILE* out, bool quiet);

  ProgressLine(Mode mode, std::FILE* out);
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ProgressLine(ProgressLine&&) = delete;
  ProgressLine& operator=(ProgressLine&&) = delete;
  ~ProgressLine() override = default;

  bool enabled() const { return mode_ != Mode::off; }
  // Before a run: what to call it and its horizon (in `unit`: "t" for a
  // run, "members" for an ensemble); the clock starts.
  void begin(const std::string& label, double t_end, const char* unit = "t");
  void at_step(double t, long step) noexcept override;
  // As at_step, reading the clock every call (for slow units: members).
  void update(double t, long step) noexcept;
  // After the run: erases the terminal line.
  void end() noexcept;

 private:
  using Clock = std::chrono::steady_clock;
  void show(double t, long step, double elapsed) noexcept;

  Mode mode_;
  std::FILE* out_;
  std::string label_;
  const char* unit_ = "t";
  double t_end_ = 1.0;
  double delay_ = 2.0;   // seconds before the first line
  double period_ = 0.0;  // seconds between lines
  Clock::time_point start_;
  double next_show_ = 0.0;
  unsigned calls_ = 0;
  bool shown_ = false;
};

}  // namespace gradflow
