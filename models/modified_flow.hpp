#pragma once
// The modified flow of gradient descent with step η (Barrett & Dherin 2021,
// "Implicit gradient regularization", Thm 3.1):
//
//   ẋ = −∇L̃(x),  L̃ = L + (η/4)‖∇L‖²,  i.e.  ẋ = −∇L − (η/2)∇²L ∇L.
//
// Over a fixed horizon GD with step η is O(η) from gradient flow and O(η²)
// from this flow. A wrapper over any field: one gradient and one
// Hessian-vector product per evaluation (analytic where the base model has
// them, else central differences, as hessian_method() says). Loss, metrics and
// projection stay those of the base model, so runs compare directly.

#include "core/field.hpp"

namespace gradflow {

class ModifiedFlow final : public Field {
 public:
  // `base` must outlive the wrapper. Throws std::invalid_argument unless eta > 0.
  ModifiedFlow(const Field& base, double eta);

  Eigen::Index dim() const override { return base_.dim(); }
  double loss(const Eigen::VectorXd& x) const override { return base_.loss(x); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    base_.gradient(x, g);
  }
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  bool is_gradient_flow() const override { return false; }
  const Layout& layout() const override { return base_.layout(); }
  std::string describe() const override;

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

  double eta() const { return eta_; }

 private:
  const Field& base_;
  double eta_;
  mutable Eigen::VectorXd grad_, hess_grad_;
};

}  // namespace gradflow
