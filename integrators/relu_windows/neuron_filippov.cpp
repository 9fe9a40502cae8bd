// NeuronRunner's Filippov rule: at a switch, the next mode of the neuron's
// touched and sliding pairs, decided by core/relu_filippov_rule.hpp (the rule
// TwoLayerRelu::enter decides with: the limit of GD with relu'(0) = 1).
// Invariant: every pair it leaves sliding has its relu'(0) weight in [0, 1]
// with both one-sided fields pointing into its surface; a sliding pair whose
// weight's margin was touched leaves to the side of that margin.

#include "integrators/relu_windows/neuron_runner.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow::detail::relu {

namespace {

using Kind = SwitchedField::SwitchKind;

PairSide side_of(int state) {
  return state == 0 ? PairSide::sliding : (state > 0 ? PairSide::active : PairSide::inactive);
}

}  // namespace

Transition NeuronRunner::decide(const double* e, double tau, std::vector<SwitchRecord>& log) {
  pairs_.clear();
  for (Index i : samples_) pairs_.push_back(i);
  for (Index i : C_) pairs_.push_back(i);
  std::sort(pairs_.begin(), pairs_.end());
  pairs_.erase(std::unique(pairs_.begin(), pairs_.end()), pairs_.end());
  before_.clear();
  for (Index i : pairs_) {
    const bool sliding = std::find(C_.begin(), C_.end(), i) != C_.end();
    before_.push_back(sliding ? 0 : (s_[i] ? 1 : -1));
  }
  const double sign = c_ > 0.0 ? 1.0 : -1.0;
  // The sliding weights before the switch (α at a slide's end): v = −K⁻¹X_Cᵀ T.
  rest_.setZero();
  for (Index i = 0; i < n_; ++i) {
    if (s_[i]) rest_ += e[i] * P_.X.col(i);
  }
  const bool solved = !C_.empty() && rule_.sliding_weights(C_, rest_.data(), v_.data());
  surface_pairs_.clear();
  alpha_before_.clear();
  for (std::size_t p = 0; p < pairs_.size(); ++p) {
    const Index i = pairs_[p];
    SurfacePair pair{.sample = i, .side = side_of(before_[p])};
    double alpha = before_[p] > 0 ? 1.0 : 0.0;
    if (before_[p] == 0) {
      const auto q = static_cast<std::size_t>(std::find(C_.begin(), C_.end(), i) - C_.begin());
      alpha = solved && e[i] != 0.0 ? v_[q] / e[i] : 0.5;
      // A touched weight margin: g₀ = σv (α reached 0) or g₁ = σ(e − v) (α reached 1).
      const std::size_t k0 = static_cast<std::size_t>(n_) + 2 * q;
      const bool at_zero = std::find(touched_.begin(), touched_.end(), k0) != touched_.end();
      const bool at_one = std::find(touched_.begin(), touched_.end(), k0 + 1) != touched_.end();
      if (at_zero || at_one) {
        pair.side = at_one ? PairSide::active : PairSide::inactive;
        pair.fixed = true;
      }
    }
    surface_pairs_.push_back(pair);
    alpha_before_.push_back(alpha);
  }
  // T from the pairs that are not involved: Σ_{j ∉ pairs} s_j e_j x_j.
  base_.setZero();
  for (Index i = 0; i < n_; ++i) {
    if (s_[i] && !std::binary_search(pairs_.begin(), pairs_.end(), i)) base_ += e[i] * P_.X.col(i);
  }
  rule_.decide(surface_pairs_, base_.data(), e, sign);
  Transition out;
  after_.assign(pairs_.size(), 0);
  C_.clear();
  for (std::size_t p = 0; p < pairs_.size(); ++p) {
    const Index i = pairs_[p];
    const PairSide after = surface_pairs_[p].side;
    after_[p] = after == PairSide::sliding ? 0 : (after == PairSide::active ? 1 : -1);
    s_[i] = after == PairSide::active ? 1 : 0;
    if (after == PairSide::sliding) C_.push_back(i);
    if (before_[p] == after_[p]) continue;
    Kind kind;
    if (after_[p] == 0) {
      kind = Kind::slide_start;
      ++out.slides_started;
    } else if (before_[p] == 0) {
      kind = Kind::slide_end;
      ++out.slides_ended;
    } else {
      kind = after_[p] > 0 ? Kind::crossing_in : Kind::crossing_out;
      ++out.crossings;
    }
    const double alpha = before_[p] == 0 ? alpha_before_[p] : surface_pairs_[p].alpha;
    log.push_back({tau, r_, i, kind, alpha});
  }
  return out;
}

}  // namespace gradflow::detail::relu
