#include "core/field.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradflow {

// Central difference of a function F along v:
// (F(x + hv) − F(x − hv)) / 2h, error O(h²‖∇²F‖) + O(ε‖F‖/h).
// h = ε^{1/3} · max(1, ‖x‖) / ‖v‖ balances the two terms. Scratch vectors of
// the field keep repeated calls (inside an implicit solver) allocation-free.
template <class F>
void Field::central_difference(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                               Eigen::VectorXd& out, F&& f) const {
  const double vnorm = v.norm();
  out.setZero(x.size());
  if (vnorm == 0.0) return;
  const double h =
      std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, x.norm()) / vnorm;
  difference_point_ = x + h * v;
  f(difference_point_, difference_plus_);
  difference_point_ = x - h * v;
  f(difference_point_, difference_minus_);
  out = (difference_plus_ - difference_minus_) / (2.0 * h);
}

void Field::velocity(const Eigen::VectorXd& x, double /*t*/, Eigen::VectorXd& dxdt) const {
  gradient(x, dxdt);
  dxdt = -dxdt;
}

// Without an analytic product: central differences of the analytic gradient.
void Field::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                           Eigen::VectorXd& hv) const {
  central_difference(
      x, v, hv, [this](const Eigen::VectorXd& at, Eigen::VectorXd& out) { gradient(at, out); });
}

std::string Field::hessian_method() const {
  return has_analytic_hessian_vector() ? "analytic Hessian-vector products"
                                       : "central finite differences of the analytic gradient";
}

void Field::velocity_jacobian_vector(const Eigen::VectorXd& x, double t, const Eigen::VectorXd& v,
                                     Eigen::VectorXd& jv) const {
  if (is_gradient_flow()) {
    hessian_vector(x, v, jv);
    jv = -jv;
    return;
  }
  // Not a gradient flow: central differences of the velocity itself.
  central_difference(x, v, jv, [this, t](const Eigen::VectorXd& at, Eigen::VectorXd& out) {
    velocity(at, t, out);
  });
}

std::string Field::velocity_jacobian_method() const {
  if (has_analytic_velocity_jacobian()) return "analytic (−Hessian-vector products)";
  if (is_gradient_flow()) return "−Hessian-vector products by central differences of the gradient";
  return "central finite differences of the velocity";
}

Eigen::MatrixXd Field::project(const Eigen::VectorXd& x) const { return x; }

}  // namespace gradflow
