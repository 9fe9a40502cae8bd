#include "python/signal_check.hpp"

#include <algorithm>

namespace gradflow::python {

namespace py = pybind11;

namespace {
// Polls aim at this interval: Ctrl-C answers within ~10 ms, and a poll (taking
// the GIL, ~1 µs) costs nothing measurable against a run.
constexpr auto kTarget = std::chrono::milliseconds(5);
constexpr long kMaxEvery = 1L << 20;
}  // namespace

PollSchedule::PollSchedule() : last_(std::chrono::steady_clock::now()) {}

void PollSchedule::adapt() {
  const auto now = std::chrono::steady_clock::now();
  const auto elapsed = now - last_;
  last_ = now;
  if (elapsed < kTarget / 2)
    every_ = std::min(kMaxEvery, every_ * 2);
  else if (elapsed > kTarget * 4)
    every_ = std::max(1L, every_ / 2);
  countdown_ = every_;
}

void SignalCheck::poll() const {
  const py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

void SignalObserver::at_step(double /*t*/, long /*step*/) noexcept {
  if (error_ || !schedule_.due()) return;
  try {
    const py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) error_.emplace();
  } catch (...) {
    // Fetching the error failed (out of memory): the run goes on and the
    // next poll, or the interpreter after the run, reports the signal.
  }
}

}  // namespace gradflow::python
