#pragma once
// The gradient flow of a one-hidden-layer ReLU network whose output weights
// are fixed, on the squared loss (Du et al. 2019; Arora et al. 2019):
//
//   u_i = Σ_r c_r relu(w_rᵀx_i),   L = ½‖u − y‖²,   e = u − y,
//   ẇ_r = −c_r Σ_i relu'(w_rᵀx_i) e_i x_i          (c_r = a_r/√m for the NTK scaling).
//
// The state is W (m × d, row r = w_rᵀ), stored column-major from offset 0.
// Its structure is what a specialised integrator exploits
// (integrators/relu_windows.hpp):
//
//   * neurons interact only through the n residuals e: given e(t), each row
//     w_r follows its own piecewise-linear law, w_r(t) = w_r(t₀) − c_r Mᵣ
//     (R(t) − R(t₀)) with R(t) = ∫ e, between the switches of its pattern;
//   * with the activation pattern frozen, ė = −H e, H = Σ_r c_r² (Mᵣ-Gram)
//     (the empirical kernel), so e(t) is a matrix exponential between switches.
//
// At a surface w_rᵀx_i = 0 the flow crosses or slides in the Filippov sense
// (core/switched_field.hpp); on a sliding set C_r the neuron moves with the
// projection Π_C = I − X_C (X_CᵀX_C)⁻¹ X_Cᵀ of its one-sided field, the relu'(0)
// weights α_ri = v_i/e_i, v = −(X_CᵀX_C)⁻¹ X_Cᵀ Σ_{j∈S_r} e_j x_j, lying in [0, 1]
// with both one-sided fields pointing into the surface. Which pairs cross,
// slide or leave is decided by core/relu_filippov_rule.hpp (the limit of
// gradient descent with relu'(0) = 1), for every integrator alike.

#include "core/switched_field.hpp"

#include <Eigen/Core>

namespace gradflow {

class ShallowReluField : public SwitchedField {
 public:
  virtual const Eigen::MatrixXd& inputs() const = 0;          // X, d × n (columns x_i)
  virtual const Eigen::VectorXd& targets() const = 0;         // y, n
  virtual const Eigen::VectorXd& output_weights() const = 0;  // c, m (fixed, non-zero)
  // How many threads an integrator may use for the per-neuron work of this
  // field (core/neuron_blocks.hpp): the model's own setting, 1 by default.
  virtual int threads() const { return 1; }
};

}  // namespace gradflow
