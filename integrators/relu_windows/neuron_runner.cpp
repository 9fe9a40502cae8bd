// NeuronRunner: the neuron's loop over its switches in one window, its mode's
// affine law and margins (see neuron_runner.hpp).

#include "integrators/relu_windows/neuron_runner.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow::detail::relu {

NeuronRunner::NeuronRunner(const Problem& p)
    : P_(p),
      n_(p.n),
      d_(p.d),
      s_(static_cast<std::size_t>(p.n)),
      sigma_(p.n),
      sigma_e_(static_cast<std::size_t>(p.d)),
      M_(p.d, p.n),
      L_(p.d, p.n),
      gram_(p.d),
      w_a_(p.d),
      R_a_(p.n),
      e_(p.n),
      R_(p.n),
      edot_(p.n),
      dR_(p.n),
      w_(p.d),
      wd_(p.d),
      z_(p.n),
      zd_(p.n),
      functional_(p.n),
      margins_(static_cast<std::size_t>(p.n + 2 * p.d)),
      g_a_(margins_),
      gd_a_(margins_),
      g_b_(margins_),
      gd_b_(margins_),
      A1_(margins_),
      A2_(margins_),
      root_(margins_),
      fresh_(margins_),
      muted_(margins_),
      base_(p.d),
      rest_(p.d),
      total_(p.d),
      v_(static_cast<std::size_t>(p.d + p.n)) {
  C_.reserve(static_cast<std::size_t>(p.d));
  touched_.reserve(static_cast<std::size_t>(p.n));
  pairs_.reserve(static_cast<std::size_t>(p.n + p.d));
  before_.reserve(static_cast<std::size_t>(p.n + p.d));
  after_.reserve(static_cast<std::size_t>(p.n + p.d));
  set_.reserve(static_cast<std::size_t>(p.n + p.d));
  where_.reserve(static_cast<std::size_t>(p.n + p.d));
}

NeuronRunner::Outcome NeuronRunner::run(Index r, const double* w0, Index stride,
                                        const std::uint8_t* s0, const Index* C0, std::size_t c0,
                                        const ResidualPath& path, double path_variation,
                                        const Bounds& bounds, double h, std::vector<Event>& events,
                                        ModePool& pool) {
  Outcome out;
  r_ = r;
  c_ = P_.c[r];
  path_ = &path;
  bounds_ = &bounds;
  variation_ = path_variation;
  for (Index k = 0; k < d_; ++k) w_a_[k] = w0[k * stride];
  std::copy(s0, s0 + n_, s_.begin());
  C_.assign(C0, C0 + c0);
  R_a_.setZero();
  tau_a_ = 0.0;
  path.evaluate(0.0, e_.data(), R_.data(), edot_.data());
  set_mode();
  std::fill(fresh_.begin(), fresh_.end(), 0);
  std::fill(muted_.begin(), muted_.end(), 0);
  // A margin at or below zero that the rule leaves alone is at zero by
  // round-off: it only counts again below this floor.
  floor_ = 64.0 * kEps * std::max(1.0, w_a_.norm()) * P_.input_norm.maxCoeff();
  const long cap = 4 * n_ + 16;
  long switches = 0, visits = 0;
  double a = 0.0;
  evaluate_all(a, g_a_, gd_a_);
  std::size_t before_mode = pool.push(s_.data(), C_);
  for (;;) {
    // Round-off zeros are muted, switches capped: this loop cannot spin.
    if (++visits > 4 * cap) {
      out.ok = false;
      return out;
    }
    // Margins already at zero at a (a pair on a surface at the window's start).
    touched_.clear();
    double event_time = kInf;
    for (std::size_t k = 0; k < count(); ++k) {
      if (!valid(k) || fresh_[k]) continue;
      if (g_a_[k] + (muted_[k] ? floor_ : 0.0) <= 0.0) touched_.push_back(k);
    }
    if (!touched_.empty()) {
      event_time = a;
      evaluate_all(event_time, g_a_, gd_a_);  // w(a), e(a) for the rule below
    } else {
      evaluate_all(h, g_b_, gd_b_);
      w_end_ = w_;
      const double tol = bounds.time_tol;
      double best = kInf;
      for (std::size_t k = 0; k < count(); ++k) {
        if (!valid(k)) continue;
        const double shift = muted_[k] ? floor_ : 0.0;
        if (certified(g_a_[k] + shift, gd_a_[k], fresh_[k], g_b_[k] + shift, gd_b_[k], A1_[k],
                      A2_[k], h - a)) {
          root_[k] = kInf;
          continue;
        }
        root_[k] = first_root(k, a, h, std::min(h, best + tol));
        best = std::min(best, root_[k]);
      }
      // A switch at the window's end is left to the next window (it starts there).
      if (!(best < h - tol)) return out;
      event_time = best;
      for (std::size_t k = 0; k < count(); ++k) {
        if (valid(k) && root_[k] <= best + tol) touched_.push_back(k);
      }
      evaluate_all(event_time, g_a_, gd_a_);  // the old mode up to the switch
    }
    // The Filippov rule at the switch, on the residual there.
    samples_.clear();
    for (std::size_t k : touched_) samples_.push_back(sample_of(k));
    const Transition change = decide(e_.data());
    if (!change.changed()) {
      // At zero by round-off: mute, keep going from here with the same mode.
      out.spurious += static_cast<long>(touched_.size());
      for (std::size_t k : touched_) muted_[k] = 1;
      a = event_time;
      continue;
    }
    if (++switches > cap) {
      out.ok = false;
      return out;
    }
    // Re-anchor the mode's affine law at the switch.
    w_a_ = w_;
    path.evaluate(event_time, e_.data(), R_a_.data(), edot_.data());
    tau_a_ = event_time;
    set_mode();
    if (!C_.empty()) project_onto_sliding_surfaces(w_a_);
    const std::size_t after_mode = pool.push(s_.data(), C_);
    events.push_back({event_time, r, before_mode, after_mode, change});
    before_mode = after_mode;
    std::fill(muted_.begin(), muted_.end(), 0);
    std::fill(fresh_.begin(), fresh_.end(), 0);
    a = event_time;
    evaluate_all(a, g_a_, gd_a_);
    // The pairs the rule decided (touched, or released from sliding) start
    // on their new side at zero: a root there is the switch itself, so a
    // crossing pair counts as rising from zero (`fresh`). A pair released
    // from sliding leaves tangentially (its weight reached 0 or 1, where its
    // side's rate vanishes), as does any pair whose slope is not certified
    // positive: those are muted until they are clearly negative.
    for (std::size_t k = 0; k < count(); ++k) {
      if (!valid(k) || !(g_a_[k] <= 0.0)) continue;
      const auto it = std::lower_bound(pairs_.begin(), pairs_.end(), sample_of(k));
      if (it == pairs_.end() || *it != sample_of(k)) continue;
      const bool was_sliding = before_[static_cast<std::size_t>(it - pairs_.begin())] == 0;
      g_a_[k] = 0.0;
      if (!was_sliding && gd_a_[k] - A1_[k] > 0.0) {
        fresh_[k] = 1;
      } else {
        muted_[k] = 1;
      }
    }
  }
}

void NeuronRunner::set_mode() {
  const Index cs = static_cast<Index>(C_.size());
  for (Index i = 0; i < n_; ++i) {
    sigma_[i] = s_[i] ? 1.0 : -1.0;
    if (s_[i]) {
      M_.col(i) = P_.X.col(i);
    } else {
      M_.col(i).setZero();
    }
  }
  for (Index q = 0; q < cs; ++q) sigma_[C_[q]] = 0.0;
  const double e0 = bounds_->residual;
  const double lambda = bounds_->lambda;
  const double rate = bounds_->rate + variation_ * e0;  // ≥ ‖ė(τ)‖ on this path
  if (cs > 0 && gram_.factor(P_.G, C_.data(), C_.size())) {
    // L = −K⁻¹ G_{C,:} diag(s); M = X diag(s) + X_C L (= Π X diag(s)).
    for (Index i = 0; i < n_; ++i) {
      for (Index q = 0; q < cs; ++q) L_(q, i) = s_[i] ? -P_.G(C_[q], i) : 0.0;
      gram_.solve(&L_(0, i));
    }
    for (Index q = 0; q < cs; ++q) M_.noalias() += P_.X.col(C_[q]) * L_.row(q);
    for (Index q = 0; q < cs; ++q) {
      const Index j = C_[q];
      sigma_e_[q] = e_[j] >= 0.0 ? 1.0 : -1.0;
      // g₀ = σ_e v_j = σ_e L_q e, g₁ = σ_e (e_j − v_j); |ġ(τ) − ġ(σ)| ≤ ‖ℓ‖‖H(τ)e(τ) − H(σ)e(σ)‖
      // ≤ ‖ℓ‖(V‖e‖ + Λ̄ max‖ė‖ |τ − σ|).
      const double l0 = L_.row(q).norm();
      const double l1 = std::sqrt(std::max(0.0, l0 * l0 - 2.0 * L_(q, j) + 1.0));
      const std::size_t k0 = static_cast<std::size_t>(n_) + 2 * static_cast<std::size_t>(q);
      A1_[k0] = l0 * variation_ * e0;
      A2_[k0] = l0 * lambda * rate;
      A1_[k0 + 1] = l1 * variation_ * e0;
      A2_[k0 + 1] = l1 * lambda * rate;
    }
  } else {
    C_.clear();  // a dependent set is never built by decide(); defensive
    for (Index i = 0; i < n_; ++i) sigma_[i] = s_[i] ? 1.0 : -1.0;
  }
  // z̈_ri = −c_r x_iᵀ M ė: |·| ≤ |c_r| ‖Mᵀx_i‖ max‖ė‖, with ‖Mᵀx_i‖ ≤ γ_i (C empty)
  // or ≤ ‖x_i‖‖X‖₂.
  for (Index i = 0; i < n_; ++i) {
    const double gamma = C_.empty() ? P_.gram_row[i] : P_.input_norm[i] * P_.x_norm;
    A1_[static_cast<std::size_t>(i)] = 0.0;
    A2_[static_cast<std::size_t>(i)] = std::abs(c_) * gamma * rate;
  }
}

void NeuronRunner::project_onto_sliding_surfaces(VectorXd& w) {
  // w ← w − X_C K⁻¹ X_Cᵀ w (removes round-off in w_rᵀx_i, i ∈ C).
  const std::size_t cs = C_.size();
  for (std::size_t q = 0; q < cs; ++q) v_[q] = P_.X.col(C_[q]).dot(w);
  gram_.solve(v_.data());
  for (std::size_t q = 0; q < cs; ++q) w -= v_[q] * P_.X.col(C_[q]);
}

void NeuronRunner::evaluate_all(double tau, std::vector<double>& g, std::vector<double>& gd) {
  path_->evaluate(tau, e_.data(), R_.data(), edot_.data());
  dR_ = R_ - R_a_;
  w_ = w_a_;
  w_.noalias() -= c_ * (M_ * dR_);
  wd_.noalias() = -c_ * (M_ * e_);
  z_.noalias() = P_.X.transpose() * w_;
  zd_.noalias() = P_.X.transpose() * wd_;
  for (Index i = 0; i < n_; ++i) {
    const auto k = static_cast<std::size_t>(i);
    g[k] = sigma_[i] * z_[i];
    gd[k] = sigma_[i] * zd_[i];
  }
  for (std::size_t q = 0; q < C_.size(); ++q) {
    const Index j = C_[q];
    const double v = L_.row(static_cast<Index>(q)).dot(e_);
    const double vd = L_.row(static_cast<Index>(q)).dot(edot_);
    const std::size_t k0 = static_cast<std::size_t>(n_) + 2 * q;
    g[k0] = sigma_e_[q] * v;
    gd[k0] = sigma_e_[q] * vd;
    g[k0 + 1] = sigma_e_[q] * (e_[j] - v);
    gd[k0 + 1] = sigma_e_[q] * (edot_[j] - vd);
  }
}

}  // namespace gradflow::detail::relu
