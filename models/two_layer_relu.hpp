#pragma once
// Two-layer ReLU network, first layer trained (Du et al. 2019; Arora et al. 2019).
//
//   f(x) = (1/√m) Σ_r a_r relu(w_rᵀx),   a_r ∈ {±1} fixed,   w_r(0) ~ N(0, κ²I),
//   u_i = f(x_i),   loss L(W) = ½‖u − y‖²,   inputs ‖x_i‖ = 1,
//   ∂L/∂w_r = (a_r/√m) Σ_i (u_i − y_i) 1{w_rᵀx_i ≥ 0} x_i.
//
// State: W ∈ R^{m×d} (row r is w_rᵀ), one block "W". With Z = WX (m×n), the
// signed mask M = diag(a/√m) 1{Z ≥ 0} and e = u − y, the gradient is
// M · diag(e) Xᵀ: two products of n×d×m flops each, no loop over neurons.
//
// Predictions obey u̇ = −H(t)(u − y) with the empirical kernel
// H(t)_ij = (x_iᵀx_j/m) Σ_r 1{w_rᵀx_i ≥ 0, w_rᵀx_j ≥ 0}, which tends to the
// infinite-width kernel H∞ (models/kernel_flow.hpp) as m → ∞.
//
// The gradient jumps across every surface w_rᵀx_i = 0, so the network is a
// SwitchedField (core/switched_field.hpp) with K = m·n surfaces, surface
// k = r + m·i. In a mode, relu'(w_rᵀx_i) is 1 on the positive side, 0 on the
// negative side, and on a sliding pair the weight α_ri ∈ [0, 1] (a Filippov
// convex combination) that keeps w_rᵀx_i = 0: for neuron r with sliding set C,
// Σ_j s_rj e_j x_jᵀx_i = 0 for i ∈ C, a |C|×|C| system in v_i = α_ri e_i.
// Within a mode relu(w_rᵀx_i) is replaced by s_ri w_rᵀx_i, so each mode's
// field is smooth (linear in W apart from the sliding weights). Which pairs
// cross, slide or leave a surface is the flow that gradient descent (with
// relu'(0) = 1) converges to as η → 0 (core/relu_filippov_rule.hpp); a sliding
// pair's margin is min(σv_i, σ(e_i − v_i)), σ = a_r, zero where α reaches 0 or 1.

#include "core/block_pool.hpp"
#include "core/dataset.hpp"
#include "core/neuron_blocks.hpp"
#include "core/relu_filippov_rule.hpp"
#include "core/rng.hpp"
#include "core/shallow_relu_field.hpp"

#include <Eigen/Core>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gradflow {

// The fixed output signs a (m) and the first layer W (m × d, row r = w_rᵀ).
struct TwoLayerReluStart {
  Eigen::VectorXd signs;
  Eigen::MatrixXd weights;
};

class TwoLayerRelu final : public ShallowReluField {
 public:
  // Throws std::invalid_argument: inputs not of unit norm (to 1e-10), more
  // than one output, width 0, signs not ±1, weights not m × d, NaN/Inf,
  // threads < 1.
  //
  // `threads` share the products of loss, gradient, velocity and
  // hessian_vector (Z = WX and M·diag(e)Xᵀ) in fixed blocks of neurons
  // (core/neuron_blocks.hpp); each sum over neurons (u_i, (Jv)_i) is taken
  // per block and the blocks' partial sums are added in block order on the
  // caller. Every thread count gives the same bits.
  // Copies share the threads (taking turns), not the scratch.
  TwoLayerRelu(const Dataset& data, const TwoLayerReluStart& start, int threads = 1);

  // a_r = ±1 with probability ½ each (r = 0..m-1), then W ~ N(0, κ²) column
  // by column. Throws std::invalid_argument for width 0 or κ < 0.
  static TwoLayerReluStart draw_start(Eigen::Index width, Eigen::Index input_dim, double kappa,
                                      Rng& rng);

  Eigen::Index dim() const override { return layout_.dim(); }
  double loss(const Eigen::VectorXd& x) const override;
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;
  // ∇²L v = Jᵀ(J v) with J = ∂u/∂W: exact away from the kinks, where
  // relu'' = 0 leaves only the Gauss-Newton term. Allocation-free.
  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;
  // −∇L (relu'(0) = 1, as 1{w_rᵀx_i ≥ 0} above); the hot path of gradient descent.
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  std::string projection_name() const override { return "u"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return predictions(x); }
  // weight_change ‖W − W(0)‖_F; relative_weight_change ‖W − W(0)‖_F/‖W(0)‖_F
  // (NaN from W(0) = 0); neuron_change_max and neuron_change_mean, the largest
  // and mean ‖w_r − w_r(0)‖ over neurons; pattern_changed, the fraction of pairs (r, i)
  // with 1{w_rᵀx_i ≥ 0} different from initialisation; kernel_dist_inf
  // ‖H − H∞‖₂; kernel_drift ‖H − H(0)‖₂; lambda_min_inf λ_min(H∞); bound_time
  // ln(‖u(0) − y‖²/‖u − y‖²)/(2λ_min(H∞)) (the loss is under the bound
  // e^{−2λ_min t}‖u(0) − y‖²/2 at time t iff bound_time ≥ t); pairs_on_boundary,
  // pairs with |w_rᵀx_i| ≤ 1e-12‖w_r‖ (sliding pairs sit there); and u.
  Observation observe(const Eigen::VectorXd& x) const override;
  // observe(x) plus loss_bound and under_bound at t, against λ_min(H∞) (see
  // append_loss_bound in kernel_flow.hpp).
  Observation observe_at(const Eigen::VectorXd& x, double t) const override;

  // SwitchedField
  Eigen::Index switch_count() const override { return width() * samples(); }
  std::unique_ptr<Mode> make_mode(const Eigen::VectorXd& x, Transition& start) const override;
  void velocity_in_mode(const Eigen::VectorXd& x, const Mode& mode,
                        Eigen::VectorXd& dxdt) const override;
  void margins(const Eigen::VectorXd& x, const Mode& mode, Eigen::VectorXd& h) const override;
  void margins_of(const Eigen::VectorXd& x, const Mode& mode, std::span<const Eigen::Index> ks,
                  std::span<double> h) const override;
  Transition enter(Eigen::VectorXd& x, Mode& mode, std::span<const Eigen::Index> ks) const override;
  long sliding_count(const Mode& mode) const override;

  Eigen::Index width() const { return signs_.size(); }
  int threads() const override { return threads_; }
  Eigen::Index input_dim() const { return X_.rows(); }
  Eigen::Index samples() const { return X_.cols(); }
  const Eigen::MatrixXd& inputs() const override { return X_; }                     // d × n
  const Eigen::VectorXd& targets() const override { return y_; }                    // n
  const Eigen::VectorXd& output_weights() const override { return scaled_signs_; }  // a/√m
  const Eigen::VectorXd& signs() const { return signs_; }
  Eigen::VectorXd initial_state() const;
  Eigen::MatrixXd weights(const Eigen::VectorXd& x) const;  // m × d

  Eigen::VectorXd predictions(const Eigen::VectorXd& x) const;
  // H = (XᵀX) ∘ (SᵀS)/m with S = 1{WX ≥ 0}.
  Eigen::MatrixXd empirical_kernel(const Eigen::VectorXd& x) const;
  const Eigen::MatrixXd& infinite_width_kernel() const { return H_inf_; }
  const Eigen::MatrixXd& initial_kernel() const { return H0_; }
  double lambda_min_infinite() const { return lambda_min_inf_; }
  const Eigen::VectorXd& initial_predictions() const { return u0_; }

 private:
  class ModeData;
  // Z = WX, u, e = u − y and Xe = −diag(e)Xᵀ into scratch. The mask is the
  // mode's (signed_active) or, without a mode, diag(a/√m)1{Z ≥ 0} (into mask_).
  void forward(const Eigen::VectorXd& x, const ModeData* mode) const;
  // The sliding weights v_i = α_ri e_i of neuron r's sliding set `set`, given
  // the rest of its sum T_r = Σ_{j ∉ set} s_rj e_j x_j; false if the set's
  // Gram matrix is singular. Allocation-free.
  bool solve_sliding(std::span<const Eigen::Index> set, const Eigen::RowVectorXd& rest,
                     double* v) const {
    return rule_.sliding_weights(set, rest.data(), v);
  }
  // The margins of neuron r's sliding pairs (mode.sliding[b, e)) at the
  // residual e_: min(a_r v_i, a_r(e_i − v_i)), −1 for a singular set; the
  // weights v are left in small_v_. Needs forward(x, &mode) first.
  void sliding_margins(const ModeData& mode, Eigen::Index r, std::size_t b, std::size_t e,
                       double* h) const;
  // work(block, first, count) for every block of neurons, on the pool's threads.
  template <class Work>
  void for_neuron_blocks(Work&& work) const;
  Eigen::Index neuron_of(Eigen::Index k) const { return k % width(); }
  Eigen::Index sample_of(Eigen::Index k) const { return k / width(); }

  Eigen::MatrixXd X_;             // d × n
  Eigen::VectorXd y_;             // n
  Eigen::MatrixXd gram_;          // XᵀX
  Eigen::VectorXd signs_;         // a
  Eigen::VectorXd scaled_signs_;  // a/√m
  Eigen::MatrixXd W0_;            // m × d
  Layout layout_;
  Eigen::MatrixXd H_inf_, H0_;
  double lambda_min_inf_ = 0.0;
  Eigen::VectorXd u0_;
  double initial_residual_sq_ = 0.0;
  Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic> pattern0_;  // 1{W(0)X ≥ 0}

  // Scratch for the hot path, sized once in the constructor.
  mutable Eigen::MatrixXd Z_;                      // m × n
  mutable Eigen::MatrixXd mask_;                   // m × n
  mutable Eigen::MatrixXd Xe_;                     // n × d
  mutable Eigen::VectorXd u_, e_, jv_;             // n
  mutable Eigen::MatrixXd partial_;                // n × blocks: each block's share of u
  mutable Eigen::RowVectorXd row_;                 // d
  mutable std::vector<double> small_v_, small_h_;  // n, n
  mutable std::vector<Eigen::Index> set_;          // n
  mutable ReluFilippovRule rule_;                  // the Filippov selection (scratch inside)
  NeuronBlocks blocks_;
  int threads_ = 1;
  std::shared_ptr<BlockPool> pool_;  // null: one thread (or one block)
};

}  // namespace gradflow
