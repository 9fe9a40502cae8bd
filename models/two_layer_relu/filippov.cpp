// The Filippov selection of the network's switched field: the mode at a state
// (make_mode) and the next mode where margins reach zero (enter).
// Invariant: every pair the selection leaves sliding has its weight in [0, 1]
// and lies exactly on its surface (w_r is projected there).

#include "models/two_layer_relu/mode_data.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>

namespace gradflow {

using ModeBase = SwitchedField::Mode;

std::unique_ptr<ModeBase> TwoLayerRelu::make_mode(const Eigen::VectorXd& x) const {
  auto mode = std::make_unique<ModeData>();
  const auto W = layout_.view(x, 0);
  Z_.noalias() = W * X_;
  mode->signed_active.resize(width(), samples());
  std::vector<Eigen::Index> on_surface;
  for (Eigen::Index i = 0; i < samples(); ++i) {
    for (Eigen::Index r = 0; r < width(); ++r) {
      const double z = Z_(r, i);
      mode->signed_active(r, i) = z > 0.0 ? scaled_signs_[r] : 0.0;
      if (z == 0.0) on_surface.push_back(r + width() * i);
    }
  }
  if (!on_surface.empty()) {
    Eigen::VectorXd copy = x;
    enter(copy, *mode, on_surface);
  }
  return mode;
}

// At a state where the margins `ks` reached zero, decide each touched pair's
// next state, neuron by neuron, together with the pairs that neuron already
// slides along (their weights couple through Σ_j s_rj e_j x_jᵀx_i = 0):
// start with every such pair sliding, solve for the weights, and while some
// weight lies outside [0, 1] release the worst pair to the side its rate
// ġ_ri = −(a_r/√m) x_iᵀT_r points to (Filippov: a pair slides only when both
// one-sided fields point into its surface, i.e. the weight lies in [0, 1]).
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
  for (Eigen::Index r : neurons) {
    // Pairs of neuron r that are touched or already sliding, and their state
    // before: +1 positive side, -1 negative side, 0 sliding.
    std::vector<Eigen::Index> pairs;
    for (Eigen::Index k : ks) {
      if (neuron_of(k) == r) pairs.push_back(sample_of(k));
    }
    for (const auto& [rr, ii] : mode.sliding) {
      if (rr == r) pairs.push_back(ii);
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    std::vector<int> before(pairs.size());
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      before[p] =
          mode.is_sliding(r, pairs[p]) ? 0 : (mode.signed_active(r, pairs[p]) != 0.0 ? 1 : -1);
    }
    // T_r from the pairs that are not involved: Σ_{j ∉ pairs} s_rj e_j x_j.
    Eigen::RowVectorXd base_sum = Eigen::RowVectorXd::Zero(input_dim());
    for (Eigen::Index i = 0; i < samples(); ++i) {
      if (mode.signed_active(r, i) != 0.0 && !std::binary_search(pairs.begin(), pairs.end(), i)) {
        base_sum += e_[i] * X_.col(i).transpose();
      }
    }
    std::vector<int> after(pairs.size(), 0);  // start: all sliding
    std::vector<double> v(pairs.size(), 0.0);
    auto rate_sum = [&](const std::vector<Eigen::Index>& set) {
      // T_r with the current sides and the solved weights of `set`; false if singular.
      Eigen::RowVectorXd rest = base_sum;
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        if (after[p] == 1) rest += e_[pairs[p]] * X_.col(pairs[p]).transpose();
      }
      if (set.empty()) return std::pair{true, rest};
      const bool ok = solve_sliding(set, rest, v.data());
      Eigen::RowVectorXd total = rest;
      for (std::size_t j = 0; j < set.size(); ++j) total += v[j] * X_.col(set[j]).transpose();
      return std::pair{ok, total};
    };
    for (std::size_t round = 0; round <= pairs.size(); ++round) {
      std::vector<Eigen::Index> set;
      std::vector<std::size_t> where;
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        if (after[p] == 0) {
          set.push_back(pairs[p]);
          where.push_back(p);
        }
      }
      if (set.empty()) break;
      const auto [ok, total] = rate_sum(set);
      // The worst weight outside [0, 1] (a singular set releases its last pair).
      std::size_t worst = set.size();
      double worst_violation = 0.0;
      for (std::size_t j = 0; j < set.size(); ++j) {
        const double ej = e_[set[j]];
        const double alpha = ej != 0.0 ? v[j] / ej : (v[j] == 0.0 ? 0.5 : -1.0);
        const double violation = std::max(-alpha, alpha - 1.0);
        if (!ok || !std::isfinite(alpha) || violation > worst_violation) {
          worst = j;
          worst_violation = std::isfinite(violation) ? violation : 1.0;
          if (!ok) break;
        }
      }
      if (ok && worst == set.size()) break;
      if (!ok) worst = set.size() - 1;
      // Release it: its side is where its rate with zero weight points.
      const std::size_t p = where[worst];
      after[p] = -1;
      std::vector<Eigen::Index> rest_set;
      for (std::size_t j = 0; j < set.size(); ++j) {
        if (j != worst) rest_set.push_back(set[j]);
      }
      const auto [ok2, total2] = rate_sum(rest_set);
      const double rate = -signs_[r] * total2.dot(X_.col(pairs[p]).transpose());
      after[p] = (ok2 && rate > 0.0) ? 1 : -1;
    }
    // Apply: sides into the mask, sliding pairs listed, w_r projected onto
    // the sliding pairs' surfaces (removing round-off in w_rᵀx_i).
    std::vector<Eigen::Index> slide_set;
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      const Eigen::Index i = pairs[p];
      mode.signed_active(r, i) = after[p] == 1 ? scaled_signs_[r] : 0.0;
      if (after[p] == 0) slide_set.push_back(i);
      if (before[p] == after[p]) continue;
      if (after[p] == 0) {
        ++out.slides_started;
      } else if (before[p] == 0) {
        ++out.slides_ended;
      } else {
        ++out.crossings;
      }
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
