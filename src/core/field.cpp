#include "core/field.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradflow {

void Field::velocity(const Eigen::VectorXd& x, double /*t*/, Eigen::VectorXd& dxdt) const {
  gradient(x, dxdt);
  dxdt = -dxdt;
}

// Central difference of the analytic gradient along v:
// (∇L(x + hv) − ∇L(x − hv)) / 2h, error O(h²‖∇³L‖) + O(ε‖∇L‖/h).
// h = ε^{1/3} · max(1, ‖x‖) / ‖v‖ balances the two terms.
void Field::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                           Eigen::VectorXd& hv) const {
  const double vnorm = v.norm();
  hv.setZero(x.size());
  if (vnorm == 0.0) return;
  const double h =
      std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, x.norm()) / vnorm;
  Eigen::VectorXd xp = x + h * v;
  Eigen::VectorXd xm = x - h * v;
  Eigen::VectorXd gp(x.size());
  Eigen::VectorXd gm(x.size());
  gradient(xp, gp);
  gradient(xm, gm);
  hv = (gp - gm) / (2.0 * h);
}

std::string Field::hessian_method() const {
  return has_analytic_hessian_vector()
             ? "analytic Hessian-vector products"
             : "central finite differences of the analytic gradient";
}

void Field::velocity_jacobian_vector(const Eigen::VectorXd& x, double t, const Eigen::VectorXd& v,
                                     Eigen::VectorXd& jv) const {
  if (is_gradient_flow()) {
    hessian_vector(x, v, jv);
    jv = -jv;
    return;
  }
  // The same central difference as hessian_vector, of the velocity.
  const double vnorm = v.norm();
  jv.setZero(x.size());
  if (vnorm == 0.0) return;
  const double h =
      std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, x.norm()) / vnorm;
  Eigen::VectorXd fp(x.size());
  Eigen::VectorXd fm(x.size());
  velocity(x + h * v, t, fp);
  velocity(x - h * v, t, fm);
  jv = (fp - fm) / (2.0 * h);
}

std::string Field::velocity_jacobian_method() const {
  if (has_analytic_velocity_jacobian()) return "analytic (−Hessian-vector products)";
  if (is_gradient_flow()) return "−Hessian-vector products by central differences of the gradient";
  return "central finite differences of the velocity";
}

Eigen::MatrixXd Field::project(const Eigen::VectorXd& x) const { return x; }

}  // namespace gradflow
