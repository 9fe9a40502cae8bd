// The Filippov selection of the network's switched field: the mode at a state
// (make_mode) and the next mode where margins reach zero (enter), neuron by
// neuron with core/relu_filippov_rule.hpp: the flow gradient descent with
// relu'(0) = 1 converges to as η → 0.
// Invariant: every pair the selection leaves sliding has its weight in [0, 1]
// with both one-sided fields pointing into its surface, and lies exactly on
// the surface (w_r is projected there).

#include "models/two_layer_relu/mode_data.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>

namespace gradflow {

using ModeBase = SwitchedField::Mode;

namespace {

using Kind = SwitchedField::SwitchKind;

PairSide side_in(bool sliding, bool active) {
  return sliding ? PairSide::sliding : (active ? PairSide::active : PairSide::inactive);
}

// The switch from `before` to `after`, if any, counted into `out`.
void record(SwitchedField::Transition& out, Eigen::Index m, Eigen::Index r, Eigen::Index i,
            PairSide before, PairSide after, double alpha) {
  if (before == after) return;
  Kind kind;
  if (after == PairSide::sliding) {
    kind = Kind::slide_start;
    ++out.slides_started;
  } else if (before == PairSide::sliding) {
    kind = Kind::slide_end;
    ++out.slides_ended;
  } else {
    kind = after == PairSide::active ? Kind::crossing_in : Kind::crossing_out;
    ++out.crossings;
  }
  out.switches.push_back({r + m * i, r, i, kind, alpha});
}

}  // namespace

// The pattern 1{w_rᵀx_i > 0}; pairs exactly on their surface are decided as
// gradient descent leaves them (it counts them active, relu'(0) = 1, and its
// η → 0 limit is decide_at_gd_start), and reported against that convention.
std::unique_ptr<ModeBase> TwoLayerRelu::make_mode(const Eigen::VectorXd& x,
                                                  Transition& start) const {
  auto mode = std::make_unique<ModeData>();
  const auto W = layout_.view(x, 0);
  Z_.noalias() = W * X_;
  mode->signed_active.resize(width(), samples());
  std::vector<std::vector<Eigen::Index>> on_surface(static_cast<std::size_t>(width()));
  bool any = false;
  for (Eigen::Index i = 0; i < samples(); ++i) {
    for (Eigen::Index r = 0; r < width(); ++r) {
      const double z = Z_(r, i);
      mode->signed_active(r, i) = z > 0.0 ? scaled_signs_[r] : 0.0;
      if (z == 0.0) {
        on_surface[static_cast<std::size_t>(r)].push_back(i);
        any = true;
      }
    }
  }
  if (!any) return mode;
  loss(x);  // u = relu(WX): the residual does not depend on the surfaces' weights
  e_ = u_ - y_;
  std::vector<SurfacePair> pairs;
  Eigen::VectorXd rest(input_dim());
  for (Eigen::Index r = 0; r < width(); ++r) {
    const auto& samples_on = on_surface[static_cast<std::size_t>(r)];
    if (samples_on.empty()) continue;
    rest.setZero();
    for (Eigen::Index i = 0; i < samples(); ++i) {
      if (mode->signed_active(r, i) != 0.0) rest += e_[i] * X_.col(i);
    }
    pairs.clear();
    for (Eigen::Index i : samples_on) pairs.push_back({.sample = i});
    rule_.decide_at_gd_start(pairs, rest.data(), e_.data(), signs_[r]);
    for (const SurfacePair& p : pairs) {
      mode->signed_active(r, p.sample) = p.side == PairSide::active ? scaled_signs_[r] : 0.0;
      if (p.side == PairSide::sliding) mode->sliding.emplace_back(r, p.sample);
      record(start, width(), r, p.sample, PairSide::active, p.side, p.alpha);
    }
  }
  std::sort(mode->sliding.begin(), mode->sliding.end());
  return mode;
}

// At a state where the margins `ks` reached zero, decide each touched pair's
// next state, neuron by neuron, together with the pairs that neuron already
// slides along (their weights couple through Σ_j s_rj e_j x_jᵀx_i = 0). A
// touched sliding pair leaves its surface (its weight reached 0 or 1: the
// side is the one whose margin is smaller) whatever the rates' round-off says;
// the others are decided by the rule from their current sides.
SwitchedField::Transition TwoLayerRelu::enter(Eigen::VectorXd& x, ModeBase& base,
                                              std::span<const Eigen::Index> ks) const {
  auto& mode = static_cast<ModeData&>(base);
  // The predictions are continuous across surfaces: take them from relu(WX).
  loss(x);
  e_ = u_ - y_;
  auto W = layout_.view(x, 0);

  std::vector<Eigen::Index> neurons;
  for (Eigen::Index k : ks) neurons.push_back(neuron_of(k));
  std::sort(neurons.begin(), neurons.end());
  neurons.erase(std::unique(neurons.begin(), neurons.end()), neurons.end());

  Transition out;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> sliding_now;
  std::vector<SurfacePair> pairs;
  std::vector<PairSide> before;
  std::vector<double> alpha_before;
  std::vector<Eigen::Index> slide_set;
  Eigen::VectorXd rest(input_dim());
  for (Eigen::Index r : neurons) {
    // Pairs of neuron r that are touched or already sliding.
    std::vector<Eigen::Index> samples_in;
    for (Eigen::Index k : ks) {
      if (neuron_of(k) == r) samples_in.push_back(sample_of(k));
    }
    slide_set.clear();
    for (const auto& [rr, ii] : mode.sliding) {
      if (rr == r) {
        samples_in.push_back(ii);
        slide_set.push_back(ii);
      }
    }
    std::sort(samples_in.begin(), samples_in.end());
    samples_in.erase(std::unique(samples_in.begin(), samples_in.end()), samples_in.end());
    // The sliding weights before the switch: α at a slide's end, and which of
    // a touched sliding pair's two margins reached zero.
    rest.setZero();
    for (Eigen::Index i = 0; i < samples(); ++i) {
      if (mode.signed_active(r, i) != 0.0) rest += e_[i] * X_.col(i);
    }
    small_v_.assign(small_v_.size(), 0.0);
    const bool solved =
        !slide_set.empty() && rule_.sliding_weights(slide_set, rest.data(), small_v_.data());
    pairs.clear();
    before.clear();
    alpha_before.clear();
    for (Eigen::Index i : samples_in) {
      const auto at = std::find(slide_set.begin(), slide_set.end(), i);
      const bool sliding = at != slide_set.end();
      SurfacePair p{.sample = i, .side = side_in(sliding, mode.signed_active(r, i) != 0.0)};
      double alpha = p.side == PairSide::active ? 1.0 : 0.0;
      if (sliding) {
        const double v = solved ? small_v_[static_cast<std::size_t>(at - slide_set.begin())] : 0.0;
        alpha = e_[i] != 0.0 ? v / e_[i] : 0.5;
        const bool touched = std::find(ks.begin(), ks.end(), r + width() * i) != ks.end();
        if (touched) {
          const double lower = signs_[r] * v, upper = signs_[r] * (e_[i] - v);
          p.side = upper <= lower ? PairSide::active : PairSide::inactive;
          p.fixed = true;
        }
      }
      pairs.push_back(p);
      before.push_back(sliding ? PairSide::sliding : p.side);
      alpha_before.push_back(alpha);
    }
    // T_r from the pairs that are not involved: Σ_{j ∉ pairs} s_rj e_j x_j.
    rest.setZero();
    for (Eigen::Index i = 0; i < samples(); ++i) {
      if (mode.signed_active(r, i) != 0.0 &&
          !std::binary_search(samples_in.begin(), samples_in.end(), i)) {
        rest += e_[i] * X_.col(i);
      }
    }
    rule_.decide(pairs, rest.data(), e_.data(), signs_[r]);
    // Apply: sides into the mask, sliding pairs listed, w_r projected onto
    // the sliding pairs' surfaces (removing round-off in w_rᵀx_i).
    slide_set.clear();
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      const Eigen::Index i = pairs[p].sample;
      mode.signed_active(r, i) = pairs[p].side == PairSide::active ? scaled_signs_[r] : 0.0;
      if (pairs[p].side == PairSide::sliding) slide_set.push_back(i);
      const double alpha = before[p] == PairSide::sliding ? alpha_before[p] : pairs[p].alpha;
      record(out, width(), r, i, before[p], pairs[p].side, alpha);
    }
    if (!slide_set.empty()) {
      const auto s = static_cast<Eigen::Index>(slide_set.size());
      Eigen::MatrixXd XC(input_dim(), s);
      for (Eigen::Index j = 0; j < s; ++j)
        XC.col(j) = X_.col(slide_set[static_cast<std::size_t>(j)]);
      const Eigen::MatrixXd K = XC.transpose() * XC;
      const Eigen::VectorXd w = W.row(r).transpose();
      W.row(r) = (w - XC * K.ldlt().solve(XC.transpose() * w)).transpose();
      for (Eigen::Index i : slide_set) sliding_now.emplace_back(r, i);
    }
  }
  // Keep the sliding pairs of neurons that were not involved.
  for (const auto& pair : mode.sliding) {
    if (!std::binary_search(neurons.begin(), neurons.end(), pair.first))
      sliding_now.push_back(pair);
  }
  std::sort(sliding_now.begin(), sliding_now.end());
  mode.sliding = std::move(sliding_now);
  return out;
}

}  // namespace gradflow
