#include "python/signal_check.hpp"

#include <pybind11/pybind11.h>

#include <algorithm>

namespace gradflow::python {

namespace py = pybind11;

namespace {
// Polls aim at this interval: Ctrl-C answers within ~10 ms, and a poll (taking
// the GIL, ~1 µs) costs nothing measurable against a run.
constexpr auto kTarget = std::chrono::milliseconds(5);
constexpr long kMaxEvery = 1L << 20;
}  // namespace

SignalCheck::SignalCheck() : last_(std::chrono::steady_clock::now()) {}

void SignalCheck::poll() const {
  const auto now = std::chrono::steady_clock::now();
  const auto elapsed = now - last_;
  last_ = now;
  if (elapsed < kTarget / 2)
    every_ = std::min(kMaxEvery, every_ * 2);
  else if (elapsed > kTarget * 4)
    every_ = std::max(1L, every_ / 2);
  countdown_ = every_;
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

}  // namespace gradflow::python
