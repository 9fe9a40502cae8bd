#pragma once
// Event-driven integration of a switched field (core/switched_field.hpp): a
// plain adaptive solver stalls at the kinks of a non-smooth field (its error
// estimate sees the jump and shrinks the step again and again), so integrate
// each mode's smooth field with dopri5 and handle the switches as events.
//
// After every accepted step the mode's margins are checked at the step's end;
// a margin that became ≤ 0 marks an event inside the step. It is located on
// dopri5's dense output (a scan over eight sub-intervals, then the Illinois
// variant of regula falsi per surface), the model decides the next mode at the
// state just past it (cross, start or end sliding), and the stepper restarts
// there: the trajectory is smooth within each piece, so dopri5 keeps its order.
// A margin that reaches zero without the model changing the mode (round-off at
// a tangency) is muted until it is positive again, or until it falls below a
// round-off threshold, so it cannot trigger events forever. The surfaces an
// event just switched start at zero margin on their new side: in the step that
// restarts there, a zero of theirs is an event only after the margin has been
// positive (the surface is crossed back, or reached again after leaving it).
// The end of a slide is an event like a crossing: the sliding weight's margin
// reaches zero. Surfaces the start lies on are decided by make_mode and count
// as switches at t = 0; a switch located beyond t_end (dopri5's last step
// overshoots it) is not part of the run.
//
// A stall is detected, never spun on: when switching events accumulate (a Zeno
// point, or chattering the model's sliding rule does not resolve), i.e. at the
// rate of the last kStallEvents events reaching t_end would take more events
// than the step budget (stop.max_steps) has left, or they all fall within
// 1e-9·max(1, t), the run stops with status step_size_underflow and says so.

#include "core/switched_field.hpp"
#include "integrators/integrate.hpp"

namespace gradflow {

// Switches in [0, stop time] (docs/spec.md defines each counter).
struct EventCounts {
  long events = 0;          // (time, neuron) with a change of the neuron's mode
  long crossings = 0;       // surfaces crossed
  long slides_started = 0;  // pairs that started sliding
  long slides_ended = 0;    // pairs that left a surface they slid along
  long spurious = 0;        // margins at zero by round-off, muted
  long sliding_at_end = 0;  // surfaces slid along at the stop time
};

struct EventDrivenResult {
  RunResult run;
  EventCounts events;
};

inline constexpr long kStallEvents = 200;

// rtol, atol, max_dt and initial_dt of `method` apply to dopri5; with
// method.record_switches the run's switches are listed in run.switches.
EventDrivenResult integrate_event_driven(const SwitchedField& field, const Eigen::VectorXd& x0,
                                         const std::vector<double>& times,
                                         const MethodOptions& method, const StopOptions& stop);

// The integrator table's entry: fits switched fields only; the event counts
// become the run's counters.
bool is_switched_field(const Field& field);
RunResult run_event_driven(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop);

}  // namespace gradflow
