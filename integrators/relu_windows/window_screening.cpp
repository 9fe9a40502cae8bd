// The screening of a relu_windows window: the network's rates at the window's
// start, the bounds over the window, each neuron's certified horizon (how long
// its pattern provably holds whatever the active neurons do), and the window
// length that balances the one matrix product for the screened neurons against
// the active neurons integrated one by one.
// Invariant: a neuron not made active keeps its mode over the whole window.

#include "integrators/relu_windows/window_integrator.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow::detail::relu {

void WindowIntegrator::begin_window() {
  const Index m = P_.m, n = P_.n;
  predict();
  e0_ = u_ - P_.y;
  // Ẇ = −SA diag(e) Xᵀ; sliding neurons move with Π_C of it.
  for (Index i = 0; i < n; ++i) EXt_.row(i) = e0_[i] * P_.X.col(i).transpose();
  for_neuron_blocks([&](Index /*block*/, Index first, Index count) {
    Wdot_.middleRows(first, count).noalias() = -SA_.middleRows(first, count) * EXt_;
  });
  const double k2 = P_.kappa * P_.kappa;
  H0_ = k2 * P_.G.cwiseProduct(count_);
  // Π_C ẇ_r for each sliding neuron, on the threads (each writes its own row).
  for_sliding_neurons([&](std::size_t k, SlidingLane& lane) {
    const Index r = sliding_[sliding_runs_[k]].first;
    const std::size_t cs = lane.C.size();
    sliding_ok_[k] = lane.gram.factor(P_.G, lane.C.data(), cs);
    if (!sliding_ok_[k]) return;
    double* v = lane.v.data();
    lane.wrow = Wdot_.row(r).transpose();
    for (std::size_t q = 0; q < cs; ++q) v[q] = P_.X.col(lane.C[q]).dot(lane.wrow);
    lane.gram.solve(v);
    for (std::size_t q = 0; q < cs; ++q) lane.wrow -= v[q] * P_.X.col(lane.C[q]);
    Wdot_.row(r) = lane.wrow.transpose();
  });
  // Their kernel shares, added to H0 in the order of sliding_ (one thread).
  for (std::size_t k = 0; k + 1 < sliding_runs_.size(); ++k) {
    if (!sliding_ok_[k]) continue;
    const Index r = sliding_[sliding_runs_[k]].first;
    c_tmp_.clear();
    for (std::size_t p = sliding_runs_[k]; p < sliding_runs_[k + 1]; ++p)
      c_tmp_.push_back(sliding_[p].second);
    pattern_of(r, s_tmp_);
    share_.add_sliding(H0_, s_tmp_.data(), c_tmp_.data(), c_tmp_.size(), -k2);
  }
  for_neuron_blocks([&](Index /*block*/, Index first, Index count) {
    Zdot_.middleRows(first, count).noalias() = Wdot_.middleRows(first, count) * P_.X;
  });
  edot0_.noalias() = -H0_ * e0_;

  // Bounds valid while at most active_cap_ neurons change their pattern.
  active_cap_ = std::min<Index>(m, 4 * active_target_);
  const double most_active = count_.diagonal().maxCoeff();
  bounds_.lambda =
      P_.gram_max * std::min(1.0, k2 * (most_active + static_cast<double>(active_cap_)));
  bounds_.residual = e0_.norm();
  bounds_.rate = edot0_.norm();
  // The kernel's variation over the window: only active neurons change their
  // share H_r, each by at most κ²λ_max(G) (H_r is PSD and ⪯ κ²G).
  crude_variation_ = static_cast<double>(active_cap_) * k2 * P_.gram_max;
  const double max_rate =
      (bounds_.rate + crude_variation_ * bounds_.residual) * (1.0 + 1e-10);  // ≥ ‖ė(τ)‖

  // Certified horizons: margin a = σz with slope b = σż stays positive while
  // a + bτ − Qτ² > 0, Q = |c| γ_i max‖ė‖ / 2; the positive root is 2a/(√(b² + 4Qa) − b).
  horizon_.setConstant(kInf);
  const double q0 = 0.5 * P_.kappa * max_rate;
  // Each neuron's horizon is its own minimum over the samples: blocks of
  // neurons are independent.
  for_neuron_blocks([&](Index /*block*/, Index first, Index count) {
    auto horizon = horizon_.segment(first, count);
    auto column = column_.segment(first, count);
    for (Index i = 0; i < n; ++i) {
      const double Q = q0 * P_.gram_row[i];
      const auto sigma =
          2.0 * (SA_.col(i).segment(first, count).array() != 0.0).cast<double>() - 1.0;
      const auto a = sigma * Z_.col(i).segment(first, count).array();
      const auto b = sigma * Zdot_.col(i).segment(first, count).array();
      column = (a > 0.0).select(2.0 * a / ((b.square() + 4.0 * Q * a).sqrt() - b), 0.0);
      horizon = horizon.min(column);
    }
  });
  // Sliding neurons: their own z-margins (Π in the slope bound) and the two
  // margins of each sliding weight, g₀ = σ_e v_j, g₁ = σ_e(e_j − v_j).
  for_sliding_neurons([&](std::size_t k, SlidingLane& lane) {
    const Index r = sliding_[sliding_runs_[k]].first;
    horizon_[r] = sliding_horizon(r, lane, q0, max_rate);
  });
}

double WindowIntegrator::sliding_horizon(Index r, SlidingLane& lane, double q0,
                                         double max_rate) const {
  const Index n = P_.n;
  const std::vector<Index>& C = lane.C;
  const std::size_t cs = C.size();
  double hr = kInf;
  for (Index i = 0; i < n; ++i) {
    if (std::find(C.begin(), C.end(), i) != C.end()) continue;
    const double sigma = SA_(r, i) != 0.0 ? 1.0 : -1.0;
    const double a = sigma * Z_(r, i), bb = sigma * Zdot_(r, i);
    const double Q = q0 * P_.input_norm[i] * P_.x_norm;
    hr = std::min(hr, a > 0.0 ? 2.0 * a / (std::sqrt(bb * bb + 4.0 * Q * a) - bb) : 0.0);
  }
  if (!lane.gram.factor(P_.G, C.data(), cs)) return 0.0;
  // L = −K⁻¹ G_{C,:} diag(s).
  for (Index i = 0; i < n; ++i) {
    for (std::size_t q = 0; q < cs; ++q) {
      lane.y(static_cast<Index>(q), i) = SA_(r, i) != 0.0 ? -P_.G(C[q], i) : 0.0;
    }
    lane.gram.solve(&lane.y(0, i));
  }
  for (std::size_t q = 0; q < cs; ++q) {
    const Index j = C[q];
    const auto row = lane.y.row(static_cast<Index>(q));
    const double v = row.dot(e0_), vd = row.dot(edot0_);
    const double se = P_.c[r] > 0.0 ? 1.0 : -1.0;  // σ = sign c_r, as the runner's margins
    const double l0 = row.norm();
    const double l1 = std::sqrt(std::max(0.0, l0 * l0 - 2.0 * row[j] + 1.0));
    const double g[2] = {se * v, se * (e0_[j] - v)};
    const double gd[2] = {se * vd, se * (edot0_[j] - vd)};
    const double l[2] = {l0, l1};
    for (int t = 0; t < 2; ++t) {
      const double A1 = l[t] * crude_variation_ * bounds_.residual;
      const double A2 = l[t] * bounds_.lambda * max_rate;
      const double bb = gd[t] - A1;
      hr =
          std::min(hr, g[t] > 0.0 ? 2.0 * g[t] / (std::sqrt(bb * bb + 2.0 * A2 * g[t]) - bb) : 0.0);
    }
  }
  return hr;
}

// The window length: below the horizon of the (k+1)-th least safe neuron, k
// neurons are active; take the k that makes the most progress per cost,
// h_k / (bulk + k · neuron).
double WindowIntegrator::choose_length(double limit) {
  const Index m = P_.m;
  const auto k_max = static_cast<std::size_t>(std::min<Index>(active_cap_, m - 1));
  std::copy(horizon_.data(), horizon_.data() + m, sorted_.begin());
  std::nth_element(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(k_max),
                   sorted_.end());
  std::sort(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(k_max) + 1);
  double best_h = 0.0, best_score = -1.0;
  bool capped = false;
  for (std::size_t k = 0; k <= k_max; ++k) {
    const double below = sorted_[k] * (1.0 - 1e-9);
    const double h = std::min(limit, below);
    if (!(h > 0.0)) continue;
    const double score = h / (bulk_cost_ + neuron_cost_ * static_cast<double>(k));
    if (score > best_score) {
      best_score = score;
      best_h = h;
    }
    if (limit <= below) {  // longer windows are capped: more neurons only cost more
      capped = true;
      break;
    }
  }
  // Every neuron active (a small network, e.g. all of whose neurons start on
  // a surface): no horizon bounds the window, only `limit`.
  if (!capped && m <= active_cap_ &&
      limit / (bulk_cost_ + neuron_cost_ * static_cast<double>(m)) > best_score) {
    best_h = limit;
  }
  active_.clear();
  std::fill(is_active_.begin(), is_active_.end(), 0);
  if (best_h > 0.0) {
    for (Index r = 0; r < m; ++r) {
      if (horizon_[r] <= best_h) {
        active_.push_back(r);
        is_active_[static_cast<std::size_t>(r)] = 1;
      }
    }
  }
  return best_h;
}

}  // namespace gradflow::detail::relu
