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

#include "core/field_over.hpp"

namespace gradflow {

class ModifiedFlow final : public FieldOver<Field> {
 public:
  // `base` must outlive the wrapper. Throws std::invalid_argument unless eta > 0.
  ModifiedFlow(const Field& base, double eta);

  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  std::string describe() const override;

  double eta() const { return eta_; }

 private:
  double eta_;
  mutable Eigen::VectorXd grad_, hess_grad_;
};

}  // namespace gradflow
