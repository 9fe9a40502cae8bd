#pragma once
// The Filippov selection of a shallow ReLU network (core/shallow_relu_field.hpp)
// at one instant, for one neuron r: which of its pairs (r, i) that lie on their
// surfaces w_rᵀx_i = 0 go to the active side (relu' = 1), to the inactive side
// (relu' = 0), or slide along the surface with the weight α_i ∈ [0, 1] that
// keeps them there. The network model (models/two_layer_relu) and relu_windows
// (integrators/relu_windows) both decide with it, so they follow one flow.
//
// Pair i's rate ż_i = −c_r x_iᵀT_r, T_r = Σ_j s_j e_j x_j, is affine in its own
// weight s_i (the neuron's other sliding weights re-solved, Π the projection
// away from their inputs): v₋ at s_i = 0, v₊ at s_i = 1, and
//   v₊ − v₋ = −c_r e_i ‖Π x_i‖².
// The flow is the one gradient descent converges to as η → 0, GD counting
// w_rᵀx_i = 0 as active (relu'(0) = 1, 1{w_rᵀx_i ≥ 0} as in TwoLayerRelu):
//   active   if v₊ ≥ 0: the active side's field leaves (or is tangent to) the
//            surface; this includes repulsive surfaces, v₋ < 0 < v₊, which GD
//            leaves to the side it counts the surface in;
//   sliding  if v₊ < 0 < v₋: both sides' fields point into the surface, GD
//            zigzags across it and its average is the Filippov combination
//            α = v₋/(v₋ − v₊) ∈ (0, 1) (possible only when c_r e_i > 0);
//   inactive otherwise (v₊ < 0, v₋ ≤ 0).
// With v = α e (solved from X_Cᵀ T = 0 for the sliding set C) and σ = sign c_r,
// v₋ = ‖Πx_i‖²|c_r| σ v_i and −v₊ = ‖Πx_i‖²|c_r| σ(e_i − v_i), so a sliding pair
// stays valid while both margins g₋ = σ v_i and g₊ = σ(e_i − v_i) are positive:
// their zeros are the instants α reaches 0 or 1 (or c_r e_i changes sign, where
// the surface turns repulsive). Integrators locate them like crossings.
//
// Several pairs of one neuron on their surfaces at once couple through T_r.
// decide() settles them one violation at a time (the worst first) from their
// current sides; decide_at_gd_start() first runs GD's own first steps on the
// blown-up problem (the pairs' offsets from their surfaces in units of η, all
// else frozen), which is what GD does from a start exactly on the surfaces.
//
// Allocation-free after construction (scratch sized by d and n).

#include <Eigen/Core>

#include <cstdint>
#include <span>
#include <vector>

namespace gradflow {

enum class PairSide : std::int8_t { inactive = -1, sliding = 0, active = 1 };

struct SurfacePair {
  Eigen::Index sample = 0;
  PairSide side = PairSide::inactive;  // in: current side; out: decided side
  bool fixed = false;                  // in: keep `side` (a sliding weight seen to reach 0 or 1)
  double alpha = 0.0;                  // out: the weight relu'(w_rᵀx_i): 1, 0, or α when sliding
};

class ReluFilippovRule {
 public:
  ReluFilippovRule() = default;
  // X is d × n (columns x_i).
  explicit ReluFilippovRule(const Eigen::MatrixXd& X);

  // The weights v_j = α_j e_j of a sliding set C (samples, |C| ≤ d) given the
  // rest of the neuron's sum, rest = Σ_{j ∉ C} s_j e_j x_j: G_CC v = −X_Cᵀ rest
  // (Gaussian elimination, partial pivoting). False if G_CC is singular at
  // round-off (dependent inputs) or |C| > d.
  bool sliding_weights(std::span<const Eigen::Index> C, const double* rest, double* v);

  // min(σ v, σ(e − v)): positive while a sliding pair's weight α = v/e lies in
  // (0, 1) and c_r e > 0.
  static double sliding_margin(double sign, double v, double e) {
    const double lower = sign * v, upper = sign * (e - v);
    return lower < upper ? lower : upper;
  }

  // Decides `pairs` (one neuron's pairs on their surfaces, distinct samples)
  // from their current sides. rest = Σ_{j not in pairs} s_j e_j x_j (d values),
  // e the residuals (n), sign = sign c_r. Returns false if the pairs did not
  // settle within 4|pairs| + 8 changes; the sliding pairs are then still valid.
  bool decide(std::span<SurfacePair> pairs, const double* rest, const double* e, double sign);

  // The same where gradient descent starts with the pairs exactly on their
  // surfaces (sides on input are ignored).
  bool decide_at_gd_start(std::span<SurfacePair> pairs, const double* rest, const double* e,
                          double sign);

 private:
  struct Violation {
    std::size_t pair;
    double size;
  };
  // Rates (non-sliding pairs: −σ x_iᵀT) and sliding margins of the current sides.
  bool evaluate(std::span<const SurfacePair> pairs, const double* rest, const double* e,
                double sign);
  // The largest violation among pairs that are not fixed (size < 0: none).
  Violation worst(std::span<const SurfacePair> pairs, const double* e, double sign) const;
  void settle_sliding(std::span<SurfacePair> pairs, const double* rest, const double* e,
                      double sign);
  // Pair p slides, unless its input depends on the other sliding pairs' inputs.
  void slide_if_independent(std::span<SurfacePair> pairs, std::size_t p, const double* rest,
                            const double* e, double sign);

  Eigen::MatrixXd X_, G_;
  Eigen::Index d_ = 0, n_ = 0;
  double round_off_ = 0.0;  // rates below this are zero (set by evaluate)
  Eigen::VectorXd total_, omega_;
  std::vector<double> matrix_, rhs_, solved_;  // G_CC, its right side, the weights
  std::vector<double> v_, rate_;  // per pair: sliding weight v = αe, rate −σ x_iᵀT
  std::vector<Eigen::Index> set_;
  std::vector<std::size_t> where_;
  std::vector<long> active_steps_;
};

}  // namespace gradflow
