#pragma once
// A field that is smooth except across switching surfaces g_k(x) = 0, where it
// jumps (a ReLU network's gradient across w_rᵀx_i = 0). Between surfaces the
// flow follows the smooth field of the current *mode*. At a surface the exact
// (Filippov 1988) solution either crosses it, when both one-sided fields point
// the same way, or slides along it, when both point into it, with the convex
// combination of the two one-sided fields that is tangent to the surface.
//
// The mode is the model's business (which side of each surface the state is
// on, which surfaces it slides along, and the weights that keep it there); an
// event-driven integrator holds it and asks:
//
//   switch_count()                   K, the number of surfaces
//   make_mode(x)                     the mode at x (deciding any surface x lies on)
//   velocity_in_mode(x, mode, v)     the mode's smooth field, extended beyond
//                                    the mode's region. Hot path: no allocation.
//   margins(x, mode, h)              h_k, k < K: positive while the mode is valid
//                                    (on the mode's side of surface k, or, when
//                                    sliding, with a convex weight in (0, 1))
//   margins_of(x, mode, ks, h)       the same for a few k (event location)
//   enter(x, mode, ks)               at a state where the margins ks reached
//                                    zero: the next mode, what changed; may move
//                                    x onto the surfaces it now slides along
//
// Margins are continuous along a trajectory of the mode, so an event is a sign
// change of some h_k over an accepted step, located on the dense output.

#include "core/field.hpp"

#include <Eigen/Core>

#include <memory>
#include <span>

namespace gradflow {

class SwitchedField : public Field {
 public:
  class Mode {
   public:
    virtual ~Mode() = default;
  };

  // What enter() changed: every touched surface either is crossed, starts or
  // ends sliding, or keeps its state (a margin that reached zero by round-off).
  struct Transition {
    long crossings = 0;
    long slides_started = 0;
    long slides_ended = 0;
    bool changed() const { return crossings + slides_started + slides_ended > 0; }
  };

  virtual Eigen::Index switch_count() const = 0;
  virtual std::unique_ptr<Mode> make_mode(const Eigen::VectorXd& x) const = 0;
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

}  // namespace gradflow
