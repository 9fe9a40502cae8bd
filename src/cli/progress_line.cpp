#include "cli/progress_line.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>

namespace gradflow {

namespace {

constexpr double kDelaySeconds = 2.0;
constexpr double kTerminalPeriod = 0.25;
constexpr double kPlainPeriod = 10.0;
constexpr int kBarWidth = 24;
// The clock is read every 32 steps: reading it costs ~20 ns, a step of the
// smallest models ~50 ns.
constexpr unsigned kClockStride = 32;

double seconds_from_environment(double fallback) {
  const char* text = std::getenv("GRADFLOW_PROGRESS_SECONDS");
  if (text == nullptr) return fallback;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  return (end != text && std::isfinite(value) && value >= 0.0) ? value : fallback;
}

}  // namespace

ProgressLine::Mode ProgressLine::mode_for(std::FILE* out, bool quiet) {
  if (quiet) return Mode::off;
  return isatty(fileno(out)) != 0 ? Mode::terminal : Mode::plain;
}

ProgressLine::ProgressLine(Mode mode, std::FILE* out) : mode_(mode), out_(out) {
  delay_ = seconds_from_environment(kDelaySeconds);
  period_ = mode == Mode::terminal ? std::min(kTerminalPeriod, std::max(delay_, 0.01))
                                   : seconds_from_environment(kPlainPeriod);
}

void ProgressLine::begin(const std::string& label, double t_end, const char* unit) {
  label_ = label;
  unit_ = unit;
  t_end_ = t_end;
  start_ = Clock::now();
  next_show_ = delay_;
  calls_ = 0;
  shown_ = false;
}

void ProgressLine::at_step(double t, long step) noexcept {
  if (mode_ == Mode::off || (++calls_ % kClockStride) != 0) return;
  update(t, step);
}

void ProgressLine::update(double t, long step) noexcept {
  if (mode_ == Mode::off) return;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  if (elapsed < next_show_) return;
  next_show_ = elapsed + period_;
  show(t, step, elapsed);
}

void ProgressLine::show(double t, long step, double elapsed) noexcept {
  const double fraction = std::clamp(t_end_ > 0.0 ? t / t_end_ : 0.0, 0.0, 1.0);
  const double rate = elapsed > 0.0 ? static_cast<double>(step) / elapsed : 0.0;
  // Time left at the pace so far in t (an estimate: steps may shrink or grow).
  const double left = fraction > 0.0 ? elapsed * (1.0 - fraction) / fraction : NAN;
  try {
    // fmt's inline buffer holds a line: no allocation.
    fmt::memory_buffer line;
    if (mode_ == Mode::terminal) {
      const int filled = static_cast<int>(std::lround(fraction * kBarWidth));
      fmt::format_to(std::back_inserter(line), "\r\x1b[K{} [{:#<{}}{:.<{}}] {} = {:.4g}/{:.4g}",
                     label_, "", filled, "", kBarWidth - filled, unit_, t, t_end_);
    } else {
      fmt::format_to(std::back_inserter(line), "progress: {}: {} = {:.4g}/{:.4g} ({:.0f}%)", label_,
                     unit_, t, t_end_, 100.0 * fraction);
    }
    fmt::format_to(std::back_inserter(line), ", {} steps, {:.3g} steps/s", step, rate);
    if (std::isfinite(left)) fmt::format_to(std::back_inserter(line), ", ~{:.0f} s left", left);
    if (mode_ == Mode::plain) line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
    shown_ = true;
  } catch (...) {  // a progress line is never worth a failed run
  }
}

void ProgressLine::end() noexcept {
  if (mode_ == Mode::terminal && shown_) {
    std::fputs("\r\x1b[K", out_);
    std::fflush(out_);
  }
  shown_ = false;
}

}  // namespace gradflow
