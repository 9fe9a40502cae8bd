#pragma once
// The field concept: the one place where models and integrators meet.
//
// A simulation is a vector field v(x, t) on a flat state x together with a
// loss L(x) (DESIGN.md §1). Gradient flow integrates dx/dt = v(x); gradient
// descent with step eta is forward Euler on the same v. A model implements
// this interface; an integrator sees nothing else of it.
//
//   dim()                      length of the state vector
//   loss(x)                    scalar objective
//   gradient(x, g)             g = ∇L(x)
//   velocity(x, t, dxdt)       the field; -∇L unless the model preconditions it.
//                              Hot path: must not allocate once warmed up.
//   layout()                   the named matrices inside x
//   hessian_vector(x, v, hv)   hv = ∇²L(x) v; analytic where the model has it,
//                              else central differences of the gradient
//   velocity_jacobian_vector(x, t, v, jv)
//                              jv = (∂velocity/∂x) v, what implicit solvers
//                              need: −∇²L v for a gradient flow, else central
//                              differences of the velocity unless overridden
//   project(x), observe(x)     function-space image and model metrics
//   observe_at(x, t)           metrics that also need the time (default: observe)
//
// Models keep scratch space for the hot path, so one model object must not be
// evaluated from two threads at once.

#include "core/layout.hpp"

#include <Eigen/Core>

#include <string>
#include <utility>
#include <vector>

namespace gradflow {

// Model-specific quantities of one state, computed from recorded states only.
struct Observation {
  std::vector<std::pair<std::string, double>> scalars;
  std::vector<std::pair<std::string, Eigen::MatrixXd>> matrices;
};

class Field {
 public:
  virtual ~Field() = default;

  virtual Eigen::Index dim() const = 0;
  virtual double loss(const Eigen::VectorXd& x) const = 0;
  virtual void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const = 0;
  virtual const Layout& layout() const = 0;
  // A short human-readable description, written to meta.json.
  virtual std::string describe() const = 0;

  // Plain gradient flow by default.
  virtual void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const;

  virtual bool has_analytic_hessian_vector() const { return false; }
  virtual void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                              Eigen::VectorXd& hv) const;
  // How hessian_vector is computed, for the run metadata.
  std::string hessian_method() const;

  // False for fields whose velocity is not −∇L of their own loss (an induced
  // or preconditioned flow, the modified flow, a kernel flow): their velocity
  // Jacobian is then not −∇²L.
  virtual bool is_gradient_flow() const { return true; }
  virtual bool has_analytic_velocity_jacobian() const {
    return is_gradient_flow() && has_analytic_hessian_vector();
  }
  virtual void velocity_jacobian_vector(const Eigen::VectorXd& x, double t,
                                        const Eigen::VectorXd& v, Eigen::VectorXd& jv) const;
  // How velocity_jacobian_vector is computed, for the run metadata.
  std::string velocity_jacobian_method() const;

  // Projection to function space (e.g. the end-to-end matrix). Empty name: none.
  virtual std::string projection_name() const { return {}; }
  virtual Eigen::MatrixXd project(const Eigen::VectorXd& x) const;
  virtual Observation observe(const Eigen::VectorXd& /*x*/) const { return {}; }
  // The same at a known time, for metrics that compare with a bound in t.
  virtual Observation observe_at(const Eigen::VectorXd& x, double /*t*/) const {
    return observe(x);
  }

 private:
  // The finite-difference fallbacks of hessian_vector and velocity_jacobian_vector.
  template <class F>
  void central_difference(const Eigen::VectorXd& x, const Eigen::VectorXd& v, Eigen::VectorXd& out,
                          F&& f) const;
  mutable Eigen::VectorXd difference_point_, difference_plus_, difference_minus_;
};

}  // namespace gradflow
