// The network's smooth field in a mode and the mode's margins: on sliding
// pairs the relu'(0) weights v_i = α_ri e_i solve Σ_j s_rj e_j x_jᵀx_i = 0
// (i ∈ C_r), so that neuron r moves with Π_C of its one-sided field. A sliding
// pair's margin is min(a_r v_i, a_r(e_i − v_i)) (core/relu_filippov_rule.hpp):
// zero exactly where α_ri reaches 0 or 1, so a slide's end is an event.
// Invariant: velocity_in_mode() and margins() allocate nothing; a margin is
// positive exactly while the mode is valid (z on its side, α in (0, 1) with
// both one-sided fields pointing into the surface).

#include "models/two_layer_relu/mode_data.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow {

namespace {

using ModeBase = SwitchedField::Mode;

// Calls f(r, first, last) for each neuron's run of sliding pairs.
template <class F>
void for_each_sliding_neuron(const std::vector<std::pair<Eigen::Index, Eigen::Index>>& sliding,
                             F&& f) {
  std::size_t b = 0;
  while (b < sliding.size()) {
    std::size_t e = b + 1;
    while (e < sliding.size() && sliding[e].first == sliding[b].first) ++e;
    f(sliding[b].first, b, e);
    b = e;
  }
}

}  // namespace

void TwoLayerRelu::velocity_in_mode(const Eigen::VectorXd& x, const ModeBase& base,
                                    Eigen::VectorXd& dxdt) const {
  const auto& mode = static_cast<const ModeData&>(base);
  forward(x, &mode);
  dxdt.resize(dim());
  auto V = layout_.view(dxdt, 0);
  V.noalias() = mode.signed_active * Xe_;
  // Sliding neurons: V_r = −(a_r/√m) T_r with T_r = T⁰_r + Σ_{i∈C} v_i x_i.
  for_each_sliding_neuron(mode.sliding, [&](Eigen::Index r, std::size_t b, std::size_t e) {
    set_.clear();
    for (std::size_t p = b; p < e; ++p) set_.push_back(mode.sliding[p].second);
    row_ = V.row(r) / -scaled_signs_[r];
    double* v = small_v_.data();
    if (!solve_sliding(set_, row_, v)) return;  // dependent inputs: enter() never builds such a set
    for (std::size_t j = 0; j < set_.size(); ++j) {
      V.row(r) -= scaled_signs_[r] * v[j] * X_.col(set_[j]).transpose();
    }
  });
}

void TwoLayerRelu::sliding_margins(const ModeData& mode, Eigen::Index r, std::size_t b,
                                   std::size_t e, double* h) const {
  set_.clear();
  for (std::size_t p = b; p < e; ++p) set_.push_back(mode.sliding[p].second);
  row_.noalias() = mode.signed_active.row(r) * Xe_;
  row_ /= -scaled_signs_[r];
  double* v = small_v_.data();
  const bool ok = solve_sliding(set_, row_, v);
  for (std::size_t j = 0; j < set_.size(); ++j) {
    h[j] = ok ? ReluFilippovRule::sliding_margin(signs_[r], v[j], e_[set_[j]]) : -1.0;
  }
}

void TwoLayerRelu::margins(const Eigen::VectorXd& x, const ModeBase& base,
                           Eigen::VectorXd& h) const {
  const auto& mode = static_cast<const ModeData&>(base);
  forward(x, &mode);
  h.resize(switch_count());
  Eigen::Map<Eigen::MatrixXd> Hm(h.data(), width(), samples());
  for (Eigen::Index i = 0; i < samples(); ++i) {
    Hm.col(i) = (mode.signed_active.col(i).array() != 0.0).select(Z_.col(i), -Z_.col(i));
  }
  for_each_sliding_neuron(mode.sliding, [&](Eigen::Index r, std::size_t b, std::size_t e) {
    sliding_margins(mode, r, b, e, small_h_.data());
    for (std::size_t p = b; p < e; ++p) Hm(r, mode.sliding[p].second) = small_h_[p - b];
  });
}

void TwoLayerRelu::margins_of(const Eigen::VectorXd& x, const ModeBase& base,
                              std::span<const Eigen::Index> ks, std::span<double> h) const {
  const auto& mode = static_cast<const ModeData&>(base);
  const auto W = layout_.view(x, 0);
  bool any_sliding = false;
  for (std::size_t j = 0; j < ks.size(); ++j) {
    const Eigen::Index r = neuron_of(ks[j]), i = sample_of(ks[j]);
    if (!mode.sliding.empty() && mode.is_sliding(r, i)) {
      any_sliding = true;
      continue;
    }
    const double z = W.row(r).dot(X_.col(i).transpose());
    h[j] = mode.signed_active(r, i) != 0.0 ? z : -z;
  }
  if (!any_sliding) return;
  // A sliding weight depends on every prediction: one full forward pass.
  forward(x, &mode);
  for (std::size_t j = 0; j < ks.size(); ++j) {
    const Eigen::Index r = neuron_of(ks[j]), i = sample_of(ks[j]);
    if (!mode.is_sliding(r, i)) continue;
    const auto first =
        std::lower_bound(mode.sliding.begin(), mode.sliding.end(), std::pair{r, Eigen::Index{0}});
    auto last = first;
    while (last != mode.sliding.end() && last->first == r) ++last;
    const auto b = static_cast<std::size_t>(first - mode.sliding.begin());
    const auto e = static_cast<std::size_t>(last - mode.sliding.begin());
    sliding_margins(mode, r, b, e, small_h_.data());
    for (std::size_t p = b; p < e; ++p) {
      if (mode.sliding[p].second == i) h[j] = small_h_[p - b];
    }
  }
}

long TwoLayerRelu::sliding_count(const ModeBase& base) const {
  return static_cast<long>(static_cast<const ModeData&>(base).sliding.size());
}

}  // namespace gradflow
