#include "models/modified_flow.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

ModifiedFlow::ModifiedFlow(const Field& base, double eta) : FieldOver(base), eta_(eta) {
  if (!(eta > 0.0)) {
    throw std::invalid_argument(fmt::format("the modified flow needs a step eta > 0, got {}", eta));
  }
  grad_.resize(base_.dim());
  hess_grad_.resize(base_.dim());
}

std::string ModifiedFlow::describe() const {
  return fmt::format("modified flow of GD with eta = {} (x' = -grad L - eta/2 Hess L grad L) of {}",
                     eta_, base_.describe());
}

void ModifiedFlow::velocity(const Eigen::VectorXd& x, double, Eigen::VectorXd& dxdt) const {
  base_.gradient(x, grad_);
  base_.hessian_vector(x, grad_, hess_grad_);
  dxdt.resize(dim());
  dxdt = -grad_ - (0.5 * eta_) * hess_grad_;
}

}  // namespace gradflow
