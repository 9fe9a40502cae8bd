#pragma once
// A field that is smooth except across switching surfaces g_k(x) = 0, where it
// jumps (a ReLU network's gradient across w_rᵀx_i = 0). Between surfaces the
// flow follows the smooth field of the current *mode*. At a surface the exact
// (Filippov 1988) solution either crosses it, when both one-sided fields point
// the same way, or slides along it, when both point into it, with the convex
// combination of the two one-sided fields that is tangent to the surface. When
// both point away from it (a repulsive surface, reached only by starting on it)
// Filippov solutions are not unique; the model selects one (a ReLU network:
// the limit of its gradient descent, core/relu_filippov_rule.hpp).
//
// The mode is the model's business (which side of each surface the state is
// on, which surfaces it slides along, and the weights that keep it there); an
// event-driven integrator holds it and asks:
//
//   switch_count()                   K, the number of surfaces
//   make_mode(x, start)              the mode at x (deciding any surface x lies on;
//                                    `start` lists those decisions as switches at x)
//   velocity_in_mode(x, mode, v)     the mode's smooth field, extended beyond
//                                    the mode's region. Hot path: no allocation.
//   margins(x, mode, h)              h_k, k < K: positive while the mode is valid
//                                    (on the mode's side of surface k, or, when
//                                    sliding, with a convex weight in (0, 1))
//   margins_of(x, mode, ks, h)       the same for a few k (event location)
//   enter(x, mode, ks)               at a state where the margins ks reached
//                                    zero: the next mode, what changed; may move
//                                    x onto the surfaces it now slides along.
//                                    A surface that slid and whose margin is in
//                                    ks must stop sliding (its weight reached 0
//                                    or 1 there), whatever round-off says.
//
// Margins are continuous along a trajectory of the mode, so an event is a sign
// change of some h_k over an accepted step, located on the dense output. A
// sliding surface's margin reaches zero where its weight reaches 0 or 1: the
// slide's end is located like a crossing.

#include "core/field.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace gradflow {

class SwitchedField : public Field {
 public:
  class Mode {
   public:
    virtual ~Mode() = default;
  };

  // One surface's change of state. For a network, surface k = (neuron, sample)
  // of w_rᵀx_i = 0; other fields name their surface k as (k, 0). alpha is the
  // weight of the surface's positive side after a crossing (1 in, 0 out), the
  // sliding weight at a slide's start, and the weight at its end (0 or 1 when
  // the slide ended by reaching it).
  enum class SwitchKind : std::uint8_t { crossing_in, crossing_out, slide_start, slide_end };
  struct Switch {
    Eigen::Index surface = 0;  // k < switch_count()
    Eigen::Index neuron = 0;
    Eigen::Index sample = 0;
    SwitchKind kind = SwitchKind::crossing_in;
    double alpha = 0.0;
  };

  // What enter() changed: every touched surface either is crossed, starts or
  // ends sliding, or keeps its state (a margin that reached zero by round-off).
  // `switches` lists the changes one by one (a field may leave it empty).
  struct Transition {
    long crossings = 0;
    long slides_started = 0;
    long slides_ended = 0;
    std::vector<Switch> switches;
    bool changed() const { return crossings + slides_started + slides_ended > 0; }
  };

  virtual Eigen::Index switch_count() const = 0;
  // The mode at x. Surfaces x lies on are decided as the flow leaves x; their
  // decisions, against the convention that a point on a surface is on its
  // positive side, are added to `start`.
  virtual std::unique_ptr<Mode> make_mode(const Eigen::VectorXd& x, Transition& start) const = 0;
  virtual void velocity_in_mode(const Eigen::VectorXd& x, const Mode& mode,
                                Eigen::VectorXd& dxdt) const = 0;
  // h has switch_count() entries (resized by the caller once).
  virtual void margins(const Eigen::VectorXd& x, const Mode& mode, Eigen::VectorXd& h) const = 0;
  virtual void margins_of(const Eigen::VectorXd& x, const Mode& mode,
                          std::span<const Eigen::Index> ks, std::span<double> h) const = 0;
  virtual Transition enter(Eigen::VectorXd& x, Mode& mode,
                           std::span<const Eigen::Index> ks) const = 0;
  // Surfaces the mode currently slides along (for the run's report).
  virtual long sliding_count(const Mode& mode) const = 0;
  // Called by the event-driven integrator after an event changed the mode,
  // with the event's time: for a model that keeps its own record of switches
  // (the central flow's edge entries and exits).
  virtual void note_event(double /*t*/, const Mode& /*mode*/) const {}
};

// One switch of a run, at time t (the event log, `<run>.events.csv`).
struct SwitchRecord {
  double t = 0.0;
  Eigen::Index neuron = 0;
  Eigen::Index sample = 0;
  SwitchedField::SwitchKind kind = SwitchedField::SwitchKind::crossing_in;
  double alpha = 0.0;
};

inline const char* to_string(SwitchedField::SwitchKind kind) {
  switch (kind) {
    case SwitchedField::SwitchKind::crossing_in:
      return "crossing_in";
    case SwitchedField::SwitchKind::crossing_out:
      return "crossing_out";
    case SwitchedField::SwitchKind::slide_start:
      return "slide_start";
    case SwitchedField::SwitchKind::slide_end:
      return "slide_end";
  }
  return "unknown";
}

}  // namespace gradflow
