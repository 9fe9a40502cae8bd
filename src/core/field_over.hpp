#pragma once
// A flow built over another field (the modified flow, the central flow): it
// keeps the base's loss, gradient, layout, Hessian-vector products,
// projection and observations, so its runs compare with the base's directly,
// and defines its own velocity. `Interface` is Field or SwitchedField.

#include "core/field.hpp"

namespace gradflow {

template <class Interface = Field>
class FieldOver : public Interface {
 public:
  // `base` must outlive the flow built over it.
  explicit FieldOver(const Field& base) : base_(base) {}

  Eigen::Index dim() const override { return base_.dim(); }
  double loss(const Eigen::VectorXd& x) const override { return base_.loss(x); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    base_.gradient(x, g);
  }
  bool is_gradient_flow() const override { return false; }
  const Layout& layout() const override { return base_.layout(); }
  bool has_analytic_hessian_vector() const override { return base_.has_analytic_hessian_vector(); }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    base_.hessian_vector(x, v, hv);
  }
  std::string projection_name() const override { return base_.projection_name(); }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return base_.project(x); }
  Observation observe(const Eigen::VectorXd& x) const override { return base_.observe(x); }
  Observation observe_at(const Eigen::VectorXd& x, double t) const override {
    return base_.observe_at(x, t);
  }

 protected:
  const Field& base_;
};

}  // namespace gradflow
