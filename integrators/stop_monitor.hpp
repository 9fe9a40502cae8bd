#pragma once
// The stop conditions shared by every integration loop: divergence (checked
// every step: a non-finite or out-of-bound state), loss threshold, step budget.

#include "core/field.hpp"
#include "core/progress.hpp"
#include "core/trajectory.hpp"
#include "integrators/integrate.hpp"

#include <fmt/format.h>

#include <cmath>

namespace gradflow::detail {

class StopMonitor {
 public:
  StopMonitor(const Field& field, const StopOptions& stop)
      : field_(field), stop_(stop), progress_(progress_observer()) {}

  // After an accepted step: true when the run must end; fills stats.
  bool should_stop(const Eigen::VectorXd& x, double t, long step, RunStats& stats) const {
    if (progress_ != nullptr) {
      progress_->at_step(t, step);
      if (progress_->stop_requested()) {
        stats.status = RunStatus::interrupted;
        stats.message = fmt::format("interrupted at step {} (t = {:.6g})", step, t);
        return true;
      }
    }
    // `!(a <= b)` is also true for NaN.
    if (!(x.cwiseAbs().maxCoeff() <= stop_.max_abs_state)) {
      stats.status = RunStatus::diverged;
      stats.message =
          fmt::format("diverged at step {} (t = {:.6g}): a state entry is {} (bound {:.3g})", step,
                      t, x.allFinite() ? "beyond the bound" : "not finite", stop_.max_abs_state);
      return true;
    }
    if (std::isfinite(stop_.loss_below)) {
      const double loss = field_.loss(x);
      if (loss < stop_.loss_below) {
        stats.status = RunStatus::loss_below;
        stats.message = fmt::format("loss {:.6g} fell below {:.6g} at step {} (t = {:.6g})", loss,
                                    stop_.loss_below, step, t);
        return true;
      }
    }
    return false;
  }

  bool out_of_budget(long step, double t, RunStats& stats) const {
    if (step < stop_.max_steps) return false;
    stats.status = RunStatus::step_budget;
    stats.message =
        fmt::format("step budget of {} steps used up at t = {:.6g} before t_end = {:.6g}",
                    stop_.max_steps, t, stop_.t_end);
    return true;
  }

 private:
  const Field& field_;
  const StopOptions& stop_;
  ProgressObserver* progress_;  // this thread's, taken once per run
};

// odeint's system signature over any field; counts evaluations.
struct FieldSystem {
  const Field* field;
  long* evaluations;
  void operator()(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double t) const {
    ++*evaluations;
    field->velocity(x, t, dxdt);
  }
};

}  // namespace gradflow::detail
