#pragma once
// A field that forwards every call to another one and ticks a SignalCheck on
// each evaluation, so that Ctrl-C stops a run inside any integrator that
// evaluates the field through the Field interface. Forwarding only: the run
// computes the same bits as with the wrapped field.
//
// Integrators that need a field's concrete type (event_driven, relu_windows,
// exact) cannot see through a wrapper: wrap_for_interrupts leaves those runs
// unwrapped, and SignalObserver stops them after an accepted step.

#include "cli/experiment.hpp"
#include "core/field.hpp"
#include "python/signal_check.hpp"

#include <memory>

namespace gradflow::python {

class InterruptibleField : public Field {
 public:
  InterruptibleField(const Field& inner, std::shared_ptr<const SignalCheck> check)
      : inner_(inner), check_(std::move(check)) {}

  Eigen::Index dim() const override { return inner_.dim(); }
  double loss(const Eigen::VectorXd& x) const override;
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;
  const Layout& layout() const override { return inner_.layout(); }
  std::string describe() const override { return inner_.describe(); }
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  bool has_analytic_hessian_vector() const override { return inner_.has_analytic_hessian_vector(); }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;
  bool is_gradient_flow() const override { return inner_.is_gradient_flow(); }
  bool has_analytic_velocity_jacobian() const override {
    return inner_.has_analytic_velocity_jacobian();
  }
  void velocity_jacobian_vector(const Eigen::VectorXd& x, double t, const Eigen::VectorXd& v,
                                Eigen::VectorXd& jv) const override;
  std::string projection_name() const override { return inner_.projection_name(); }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override;
  Observation observe(const Eigen::VectorXd& x) const override;
  Observation observe_at(const Eigen::VectorXd& x, double t) const override;

 private:
  const Field& inner_;
  std::shared_ptr<const SignalCheck> check_;
};

// Points every run target of `p` that can be wrapped at a wrapper (kept in
// p.wrappers), all sharing one SignalCheck.
void wrap_for_interrupts(PreparedExperiment& p);

}  // namespace gradflow::python
