#pragma once
// A linear field ẋ = −A(x − b) with a constant symmetric positive semidefinite
// A (a kernel flow u̇ = −H(u − y), a quadratic loss). Its solution is known in
// closed form, x(t) = b + V e^{−Λt} Vᵀ(x(0) − b) with A = VΛVᵀ, so an exact
// integrator needs one eigendecomposition for any horizon and any number of
// records.

#include "core/field.hpp"

#include <Eigen/Core>

namespace gradflow {

class LinearRelaxationField : public Field {
 public:
  virtual const Eigen::MatrixXd& rate_matrix() const = 0;  // A, symmetric
  virtual const Eigen::VectorXd& fixed_point() const = 0;  // b

  // The velocity's Jacobian is −A whatever the loss is.
  bool has_analytic_velocity_jacobian() const override { return true; }
  void velocity_jacobian_vector(const Eigen::VectorXd& /*x*/, double /*t*/,
                                const Eigen::VectorXd& v, Eigen::VectorXd& jv) const override {
    jv.noalias() = -rate_matrix() * v;
  }
};

}  // namespace gradflow
