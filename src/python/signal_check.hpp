#pragma once
// Ctrl-C during a long run: Python's own SIGINT handler only sets a flag that
// the interpreter looks at between bytecodes, and a run inside C++ executes
// none. tick() is called at every field evaluation; every so many ticks it
// takes the GIL (the run itself releases it) and calls PyErr_CheckSignals(),
// which runs Python's handlers: KeyboardInterrupt (or whatever a handler
// raises) comes back as a C++ exception that unwinds the integrator and is
// re-raised in Python. The number of ticks between polls adapts so that a
// poll happens every few milliseconds, whatever an evaluation costs.
//
// SignalObserver polls the same way after every accepted step of any
// integrator (through the progress observer), for the integrators that
// evaluate a concrete field and so cannot be given an InterruptibleField: it
// cannot throw through the integrator, so it keeps the Python error, asks the
// run to stop, and rethrow() raises it once the run has returned.

#include "core/progress.hpp"

#include <pybind11/pybind11.h>

#include <chrono>
#include <optional>

namespace gradflow::python {

// When to poll: every so many calls, adapted to a poll every few ms.
class PollSchedule {
 public:
  PollSchedule();
  bool due() {
    if (--countdown_ > 0) return false;
    adapt();
    return true;
  }

 private:
  void adapt();
  long countdown_ = 1;
  long every_ = 1;
  std::chrono::steady_clock::time_point last_;
};

class SignalCheck {
 public:
  void tick() const {
    if (schedule_.due()) poll();
  }

 private:
  void poll() const;
  mutable PollSchedule schedule_;
};

class SignalObserver final : public ProgressObserver {
 public:
  void at_step(double t, long step) noexcept override;
  bool stop_requested() const noexcept override { return error_.has_value(); }
  // Raises the Python error that stopped the run, if any (GIL not needed).
  void rethrow() const {
    if (error_) throw *error_;
  }

 private:
  PollSchedule schedule_;
  std::optional<pybind11::error_already_set> error_;
};

}  // namespace gradflow::python
