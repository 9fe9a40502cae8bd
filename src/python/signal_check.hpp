#pragma once
// Ctrl-C during a long run: Python's own SIGINT handler only sets a flag that
// the interpreter looks at between bytecodes, and a run inside C++ executes
// none. tick() is called at every field evaluation; every so many ticks it
// takes the GIL (the run itself releases it) and calls PyErr_CheckSignals(),
// which runs Python's handlers: KeyboardInterrupt (or whatever a handler
// raises) comes back as a C++ exception that unwinds the integrator and is
// re-raised in Python. The number of ticks between polls adapts so that a
// poll happens every few milliseconds, whatever an evaluation costs.

#include <chrono>

namespace gradflow::python {

class SignalCheck {
 public:
  SignalCheck();
  void tick() const {
    if (--countdown_ > 0) return;
    poll();
  }

 private:
  void poll() const;
  mutable long countdown_ = 1;
  mutable long every_ = 1;
  mutable std::chrono::steady_clock::time_point last_;
};

}  // namespace gradflow::python
