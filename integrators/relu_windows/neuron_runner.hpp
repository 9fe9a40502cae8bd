#pragma once
// One active neuron of a relu_windows window, integrated exactly along a given
// residual path e(τ) (integrators/relu_windows/residual_path.hpp). In a mode
// (positive set S, sliding set C) the neuron moves along the affine law
// w(τ) = w(τ_a) − c M (R(τ) − R(τ_a)), so each margin (σ z_ri, and the two
// margins α ≥ 0, α ≤ 1 of each sliding weight) is a known function of the path.
// The first zero of each margin is found by steps that never pass a root (the
// lower parabola of the margin's Taylor bound), then Newton where the margin is
// certified monotone (neuron_roots.cpp); the Filippov rule decides the next mode
// (neuron_filippov.cpp).
// Invariant: between switches the state is exactly on the mode's affine law;
// every switch in (0, h − tol) is found, none is passed.

#include "integrators/relu_windows/mode_pool.hpp"
#include "integrators/relu_windows/problem.hpp"
#include "integrators/relu_windows/residual_path.hpp"
#include "integrators/relu_windows/small_gram.hpp"

#include <cstdint>
#include <vector>

namespace gradflow::detail::relu {

// One neuron integrated exactly along a given residual path.
class NeuronRunner {
 public:
  explicit NeuronRunner(const Problem& p);

  struct Outcome {
    bool ok = true;  // false: more switches than the cap
    long spurious = 0;
  };

  // Integrates neuron r from w0 (stride `stride`), mode (s0, C0) at τ = 0 to
  // h along `path` (total kernel variation `path_variation`); appends its
  // switches to `events` (modes to `pool`), leaves the end state in w_end(),
  // s(), C().
  Outcome run(Index r, const double* w0, Index stride, const std::uint8_t* s0, const Index* C0,
              std::size_t c0, const ResidualPath& path, double path_variation, const Bounds& bounds,
              double h, std::vector<Event>& events, ModePool& pool);

  const VectorXd& w_end() const { return w_end_; }
  const std::vector<std::uint8_t>& s() const { return s_; }
  const std::vector<Index>& C() const { return C_; }

 private:
  std::size_t count() const { return static_cast<std::size_t>(n_) + 2 * C_.size(); }
  bool valid(std::size_t k) const {
    return k >= static_cast<std::size_t>(n_) || sigma_[static_cast<Index>(k)] != 0.0;
  }
  Index sample_of(std::size_t k) const {
    return k < static_cast<std::size_t>(n_) ? static_cast<Index>(k)
                                            : C_[(k - static_cast<std::size_t>(n_)) / 2];
  }

  // M, L, σ and the margins' derivative bounds for the current (s, C); e_ holds
  // the residual at the anchor (for the sign of e_i on new sliding pairs).
  void set_mode();
  void project_onto_sliding_surfaces(VectorXd& w);
  // All margins g and slopes ġ at τ; leaves w(τ) in w_ and e(τ) in e_.
  void evaluate_all(double tau, std::vector<double>& g, std::vector<double>& gd);

  // Root finding on one margin (neuron_roots.cpp).
  // One margin as a functional of the path: g(τ) = g0 + ρ·(R(τ) − R_a) + λ·e(τ).
  void prepare(std::size_t k);
  void evaluate_one(double tau, double shift, double& g, double& gd);
  // True if g > 0 on (lo, hi] (and at lo unless `fresh`: g(lo) = 0 rising),
  // from the two Taylor lower bounds g(τ) ≥ g(lo) + (ġ(lo) − A1)δ − A2δ²/2 and
  // g(τ) ≥ g(hi) − (ġ(hi) + A1)δ' − A2δ'²/2, each concave, so positive on its
  // half iff positive at the half's ends.
  static bool certified(double g_lo, double gd_lo, bool fresh, double g_hi, double gd_hi, double A1,
                        double A2, double length);
  // The smallest δ > 0 with g + (ġ − A1)δ − A2δ²/2 = 0 (g ≥ 0): no root of the
  // margin in [τ, τ + δ).
  static double safe_step(double g, double gd, double A1, double A2);
  // The first zero of margin k in (a, limit] (∞ if none), never passing one:
  // steps to the root of the lower parabola (or, when the bound certifies it,
  // twice the last advance), and Newton once the margin is certified
  // decreasing between the current point and Newton's point.
  double first_root(std::size_t k, double a, double b, double limit);
  // A located zero of a sliding weight's margin, moved on (by at most 64
  // event tolerances) until the margin is below its round-off floor: the
  // Filippov rule recomputes the weight and must see it outside [0, 1].
  double just_past(std::size_t k, double tau);
  // The root in [lo, hi] of a margin certified decreasing there, g(lo) > 0 ≥ g(hi):
  // Newton from the left (at least `tol` ahead), bisection when Newton leaves
  // the bracket. Returns a point just past the root (g ≤ 0 there), as the
  // Filippov rule must see the crossed side (e.g. a weight α just outside [0, 1]).
  double refine(double lo, double g_lo, double gd_lo, double hi, double shift);

  // The Filippov rule (neuron_filippov.cpp).
  // The Filippov rule for the touched samples (samples_) at residual e, as in
  // TwoLayerRelu::enter: every touched or sliding pair starts sliding; while a
  // relu'(0) weight α_i = v_i/e_i (v = −K⁻¹X_Cᵀ T, T the rest of the neuron's
  // sum Σ s_j e_j x_j) lies outside [0, 1], release the worst to the side its
  // rate −c_r x_iᵀT (weight 0) points to.
  Transition decide(const double* e);
  // T = base + Σ_{after = +1} e_i x_i; with set_ sliding, v = −K⁻¹X_setᵀT and
  // total = T + X_set v. False if the set's Gram matrix is singular.
  bool rate_sum(const double* e);

  const Problem& P_;
  const Index n_, d_;
  Index r_ = 0;
  double c_ = 0.0;
  const ResidualPath* path_ = nullptr;
  const Bounds* bounds_ = nullptr;
  double variation_ = 0.0;
  double floor_ = 0.0;
  // mode
  std::vector<std::uint8_t> s_;
  std::vector<Index> C_;
  VectorXd sigma_;
  std::vector<double> sigma_e_;
  MatrixXd M_, L_;
  SmallGram gram_;
  // anchor
  VectorXd w_a_, R_a_;
  double tau_a_ = 0.0;
  // evaluation
  VectorXd e_, R_, edot_, dR_, w_, wd_, z_, zd_, w_end_;
  VectorXd functional_;
  double offset_ = 0.0;
  bool uses_rate_ = false;
  // margins: z-margins of samples 0..n-1, then two per sliding pair
  std::size_t margins_;
  std::vector<double> g_a_, gd_a_, g_b_, gd_b_, A1_, A2_, root_;
  std::vector<std::uint8_t> fresh_, muted_;
  std::vector<std::size_t> touched_;
  std::vector<Index> samples_;
  // decision
  std::vector<Index> pairs_, set_;
  std::vector<int> before_, after_;
  std::vector<std::size_t> where_;
  VectorXd base_, rest_, total_;
  std::vector<double> v_;
};

}  // namespace gradflow::detail::relu
