// NeuronRunner's root finding: the first zero of one margin along the path,
// never passing a root (see neuron_runner.hpp). A margin is either affine in
// R(τ) (a z-margin) or linear in e(τ) (a sliding weight's margin), and its
// second derivative is bounded by A2 (and the kernel's jumps by A1), so the
// lower parabola g + (ġ − A1)δ − A2δ²/2 certifies where it cannot vanish.
// Invariant: every returned time is at or just past the margin's first zero
// (the margin is ≤ 0 there), or ∞ when the margin is certified positive.

#include "integrators/relu_windows/neuron_runner.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow::detail::relu {

void NeuronRunner::prepare(std::size_t k) {
  if (k < static_cast<std::size_t>(n_)) {
    const Index i = static_cast<Index>(k);
    // z_i(τ) = x_iᵀw_a − c (Mᵀx_i)·(R − R_a); g = σ z.
    functional_.noalias() = M_.transpose() * P_.X.col(i);
    functional_ *= -sigma_[i] * c_;
    offset_ = sigma_[i] * P_.X.col(i).dot(w_a_);
    uses_rate_ = false;
  } else {
    const std::size_t q = (k - static_cast<std::size_t>(n_)) / 2;
    const bool second = (k - static_cast<std::size_t>(n_)) % 2 == 1;
    functional_ = L_.row(static_cast<Index>(q)).transpose();
    if (second) {
      functional_ = -functional_;
      functional_[C_[q]] += 1.0;
    }
    functional_ *= sigma_e_[q];
    offset_ = 0.0;
    uses_rate_ = true;
  }
}

void NeuronRunner::evaluate_one(double tau, double shift, double& g, double& gd) {
  path_->evaluate(tau, e_.data(), R_.data(), uses_rate_ ? edot_.data() : nullptr);
  if (uses_rate_) {
    g = functional_.dot(e_) + shift;
    gd = functional_.dot(edot_);
  } else {
    dR_ = R_ - R_a_;
    g = offset_ + functional_.dot(dR_) + shift;
    gd = functional_.dot(e_);
  }
}

bool NeuronRunner::certified(double g_lo, double gd_lo, bool fresh, double g_hi, double gd_hi,
                             double A1, double A2, double length) {
  if (!(g_hi > 0.0)) return false;
  if (fresh) {
    if (!(gd_lo - A1 > 0.0)) return false;
  } else if (!(g_lo > 0.0)) {
    return false;
  }
  const double half = 0.5 * length;
  const double left = g_lo + (gd_lo - A1) * half - 0.5 * A2 * half * half;
  const double right = g_hi - (gd_hi + A1) * half - 0.5 * A2 * half * half;
  return left > 0.0 && right > 0.0;
}

double NeuronRunner::safe_step(double g, double gd, double A1, double A2) {
  const double b = gd - A1;
  if (A2 <= 0.0) return b < 0.0 ? g / -b : kInf;
  const double root = std::sqrt(b * b + 2.0 * A2 * g);
  return b < 0.0 ? 2.0 * g / (root - b) : (b + root) / A2;
}

double NeuronRunner::first_root(std::size_t k, double a, double b, double limit) {
  prepare(k);
  const double shift = muted_[k] ? floor_ : 0.0;
  const double A1 = A1_[k], A2 = A2_[k];
  const double tol = bounds_->time_tol;
  double tau = a, g = std::max(0.0, g_a_[k] + shift), gd = gd_a_[k];
  bool fresh = fresh_[k] != 0;
  const double gb = g_b_[k] + shift, gdb = gd_b_[k];
  double advance = 0.0;
  for (int it = 0; it < kRootIterations; ++it) {
    if (certified(g, gd, fresh, gb, gdb, A1, A2, b - tau)) return kInf;
    double gn, gdn;
    if (gd + A1 < 0.0 && g > 0.0) {
      const double newton = tau + g / -gd;
      const double far = std::min(newton, limit);
      if (gd + A1 + A2 * (far - tau) < 0.0) {
        // Decreasing on [τ, far]: positive at far ⇒ no root before it.
        evaluate_one(far, shift, gn, gdn);
        if (gn <= 0.0) return just_past(k, refine(tau, g, gd, far, shift));
        if (far >= limit) return kInf;
        // Converged from the left: the root is just past, or this was a
        // touch at round-off depth (no sign change, no switch).
        const double next = far - tau <= tol ? far + tol : far;
        if (next != far) evaluate_one(next, shift, gn, gdn);
        if (gn <= 0.0) return just_past(k, next);
        advance = next - tau;
        tau = next, g = gn, gd = gdn, fresh = false;
        continue;
      }
    }
    double step = safe_step(g, gd, A1, A2);
    if (fresh && !(step > 0.0)) step = tol;  // leaving tangentially: look just ahead
    // Twice the last advance, if the two-sided bound certifies it.
    const double trial = 2.0 * advance;
    if (trial > step && tau + trial < limit) {
      evaluate_one(tau + trial, shift, gn, gdn);
      if (certified(g, gd, fresh, gn, gdn, A1, A2, trial)) {
        advance = trial;
        tau += trial, g = gn, gd = gdn, fresh = false;
        continue;
      }
    }
    if (tau + step >= limit) return limit < b ? kInf : (gb <= 0.0 ? b : kInf);
    // Steps at round-off length: a touch, or a root just ahead; look past it.
    advance = std::max(step, tol);
    tau += advance;
    evaluate_one(tau, shift, g, gd);
    fresh = false;
    if (g <= 0.0) return just_past(k, tau);
  }
  return tau;  // no progress (grazing at round-off depth): a touch
}

double NeuronRunner::just_past(std::size_t k, double tau) {
  if (k < static_cast<std::size_t>(n_)) return tau;
  const double shift = muted_[k] ? floor_ : 0.0;
  double g, gd;
  evaluate_one(tau, shift, g, gd);
  if (g > -floor_ && gd < 0.0) tau += std::min((g + floor_) / -gd, 64.0 * bounds_->time_tol);
  return tau;
}

double NeuronRunner::refine(double lo, double g_lo, double gd_lo, double hi, double shift) {
  const double tol = bounds_->time_tol;
  for (int it = 0; it < 100 && hi - lo > tol; ++it) {
    double t = gd_lo < 0.0 ? lo + std::max(g_lo / -gd_lo, tol) : 0.5 * (lo + hi);
    if (!(t > lo && t < hi)) t = 0.5 * (lo + hi);
    double g, gd;
    evaluate_one(t, shift, g, gd);
    if (g > 0.0) {
      lo = t, g_lo = g, gd_lo = gd;
    } else {
      hi = t;
    }
  }
  return hi;
}

}  // namespace gradflow::detail::relu
