#pragma once
// Kernel flow in function space (Du et al. 2019; Arora et al. 2019):
//
//   u̇ = −H(u − y),   loss ½‖u − y‖²,   state u ∈ Rⁿ (the predictions),
//
// with a constant kernel H: the infinite-width NTK H∞ of a two-layer ReLU
// network (its limit as the width m → ∞), or the network's own kernel at
// initialisation H(0) (the linearised, "lazy" network). Exact solution
// u(t) = y + e^{−Ht}(u(0) − y) and the bound ‖u(t) − y‖² ≤ e^{−2λ_min t}‖u(0) − y‖²
// (Du et al. 2019, Lemma 3.3 for H∞). Forward Euler with step η is discrete
// kernel GD u_{k+1} = u_k − ηH(u_k − y), in closed form
// u_k = y + (I − ηH)^k (u(0) − y).
//
// Projection "u" (the state itself), comparable with the network's predictions.

#include "core/linear_relaxation_field.hpp"

#include <Eigen/Core>

#include <string>

namespace gradflow {

// H∞_ij = x_iᵀx_j (π − arccos(x_iᵀx_j)) / (2π) for unit-norm columns x_i of X
// (Du et al. 2019, eq. for H∞ with w ~ N(0, I): E[x_iᵀx_j 1{wᵀx_i ≥ 0, wᵀx_j ≥ 0}]).
// The cosine is clamped to [−1, 1] so round-off in x_iᵀx_i cannot produce NaN.
// Throws std::invalid_argument if a column is not of unit norm (to 1e-10).
Eigen::MatrixXd relu_ntk_infinite_width(const Eigen::MatrixXd& X);

class KernelFlow final : public LinearRelaxationField {
 public:
  // `what` names the kernel in describe() ("infinite-width NTK", ...);
  // `reference_start` is the u(0) the bound_time observation refers to
  // (empty: no such column). Throws std::invalid_argument unless H is square,
  // symmetric and positive semidefinite, and matches y (and reference_start).
  KernelFlow(Eigen::MatrixXd H, Eigen::VectorXd y, std::string what,
             const Eigen::VectorXd& reference_start = Eigen::VectorXd());

  Eigen::Index dim() const override { return y_.size(); }
  double loss(const Eigen::VectorXd& u) const override;
  void gradient(const Eigen::VectorXd& u, Eigen::VectorXd& g) const override;  // u − y
  // The loss ½‖u − y‖² has Hessian I.
  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& /*u*/, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    hv = v;
  }
  void velocity(const Eigen::VectorXd& u, double t, Eigen::VectorXd& dudt) const override;
  bool is_gradient_flow() const override { return false; }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  std::string projection_name() const override { return "u"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& u) const override { return u; }
  // lambda_min (of H) and bound_time: the loss obeys the λ_min bound at time
  // t iff bound_time ≥ t, where bound_time = ln(‖u(0) − y‖²/‖u − y‖²)/(2λ_min)
  // for the reference start u(0).
  Observation observe(const Eigen::VectorXd& u) const override;
  // observe(u) plus the bound at t itself (see append_loss_bound).
  Observation observe_at(const Eigen::VectorXd& u, double t) const override;

  const Eigen::MatrixXd& rate_matrix() const override { return H_; }
  const Eigen::VectorXd& fixed_point() const override { return y_; }

  double lambda_min() const { return lambda_min_; }
  double lambda_max() const { return lambda_max_; }
  // Discrete kernel GD after k steps of size eta, from the spectrum of H.
  Eigen::VectorXd gd_closed_form(const Eigen::VectorXd& u0, double eta, long k) const;

 private:
  Eigen::MatrixXd H_;
  Eigen::VectorXd y_;
  std::string what_;
  Layout layout_;
  Eigen::MatrixXd eigenvectors_;
  Eigen::VectorXd eigenvalues_;
  double lambda_min_ = 0.0, lambda_max_ = 0.0;
  double reference_residual_sq_ = -1.0;  // ‖u(0) − y‖², < 0: unset
  mutable Eigen::VectorXd residual_;     // scratch for the hot path
};

// Appends loss_bound = e^{−2λ_min t}·½‖u(0) − y‖² (Du et al. 2019, Thm 4.1, for
// the loss ½‖u − y‖²) and under_bound = 1 when ½‖u − y‖² is at or under it (up
// to round-off, 1e-12 relative), else 0.
void append_loss_bound(Observation& obs, double lambda_min, double initial_residual_sq,
                       double residual_sq, double t);

}  // namespace gradflow
