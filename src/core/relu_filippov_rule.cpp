#include "core/relu_filippov_rule.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow {

namespace {

// GD's first steps from the surfaces: the blown-up offsets ω_k (w_r − w_r(0))/η
// settle into their pattern (a pair drifting to one side, or zigzagging across
// its surface) within a few dozen steps in all but near-tangent cases, which
// decide() then settles; the pattern is read off the second half.
constexpr long kGdStartSteps = 4096;

}  // namespace

ReluFilippovRule::ReluFilippovRule(const Eigen::MatrixXd& X)
    : X_(X),
      G_(X.transpose() * X),
      d_(X.rows()),
      n_(X.cols()),
      total_(X.rows()),
      omega_(X.rows()),
      matrix_(static_cast<std::size_t>(X.rows() * X.rows())),
      rhs_(static_cast<std::size_t>(X.rows())),
      solved_(static_cast<std::size_t>(X.rows())),
      v_(static_cast<std::size_t>(X.cols())),
      rate_(static_cast<std::size_t>(X.cols())),
      set_(static_cast<std::size_t>(X.rows())),
      where_(static_cast<std::size_t>(X.rows())),
      active_steps_(static_cast<std::size_t>(X.cols())) {}

bool ReluFilippovRule::sliding_weights(std::span<const Eigen::Index> C, const double* rest,
                                       double* v) {
  const std::size_t s = C.size();
  if (s > static_cast<std::size_t>(d_)) return false;  // more than d surfaces: dependent
  const Eigen::Map<const Eigen::VectorXd> r(rest, d_);
  double* K = matrix_.data();
  double* b = rhs_.data();
  double diag = 0.0;
  for (std::size_t j = 0; j < s; ++j) {
    b[j] = -r.dot(X_.col(C[j]));
    for (std::size_t l = 0; l < s; ++l) K[j + s * l] = G_(C[j], C[l]);
    diag = std::max(diag, K[j + s * j]);
  }
  for (std::size_t c = 0; c < s; ++c) {
    std::size_t p = c;
    for (std::size_t j = c + 1; j < s; ++j) {
      if (std::abs(K[j + s * c]) > std::abs(K[p + s * c])) p = j;
    }
    // A pivot at round-off level: the inputs of the set are linearly dependent.
    if (!(std::abs(K[p + s * c]) > 1e-12 * diag)) return false;
    if (p != c) {
      for (std::size_t l = 0; l < s; ++l) std::swap(K[c + s * l], K[p + s * l]);
      std::swap(b[c], b[p]);
    }
    for (std::size_t j = c + 1; j < s; ++j) {
      const double f = K[j + s * c] / K[c + s * c];
      for (std::size_t l = c; l < s; ++l) K[j + s * l] -= f * K[c + s * l];
      b[j] -= f * b[c];
    }
  }
  for (std::size_t c = s; c-- > 0;) {
    double acc = b[c];
    for (std::size_t l = c + 1; l < s; ++l) acc -= K[c + s * l] * v[l];
    v[c] = acc / K[c + s * c];
  }
  return true;
}

bool ReluFilippovRule::evaluate(std::span<const SurfacePair> pairs, const double* rest,
                                const double* e, double sign) {
  total_ = Eigen::Map<const Eigen::VectorXd>(rest, d_);
  double magnitude = total_.norm();  // of the terms summed into T: the rates' round-off scale
  std::size_t s = 0;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    magnitude += std::abs(e[pairs[p].sample]) * X_.col(pairs[p].sample).norm();
    if (pairs[p].side == PairSide::active) total_ += e[pairs[p].sample] * X_.col(pairs[p].sample);
    if (pairs[p].side == PairSide::sliding) {
      if (s == static_cast<std::size_t>(d_)) return false;  // more than d surfaces: dependent
      set_[s] = pairs[p].sample;
      where_[s++] = p;
    }
  }
  if (s > 0) {
    if (!sliding_weights(std::span<const Eigen::Index>(set_.data(), s), total_.data(),
                         solved_.data())) {
      return false;
    }
    for (std::size_t q = 0; q < s; ++q) {
      v_[where_[q]] = solved_[q];
      total_ += solved_[q] * X_.col(set_[q]);
    }
  }
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    if (pairs[p].side != PairSide::sliding) rate_[p] = -sign * X_.col(pairs[p].sample).dot(total_);
  }
  // A rate this small is zero up to round-off (e.g. a pair whose input lies in
  // the span of the sliding pairs' inputs: its surface is held by theirs).
  round_off_ = 1e-12 * magnitude;
  return true;
}

ReluFilippovRule::Violation ReluFilippovRule::worst(std::span<const SurfacePair> pairs,
                                                    const double* e, double sign) const {
  Violation out{pairs.size(), -1.0};
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    if (pairs[p].fixed) continue;
    double size = -1.0;
    switch (pairs[p].side) {
      case PairSide::active:  // its own side's field points into the surface
        if (rate_[p] < -round_off_) size = -rate_[p];
        break;
      case PairSide::inactive:
        if (rate_[p] > round_off_) size = rate_[p];
        break;
      case PairSide::sliding: {  // a weight at or beyond 0 or 1
        const double margin = sliding_margin(sign, v_[p], e[pairs[p].sample]);
        if (margin <= 0.0) size = -margin;
        break;
      }
    }
    if (size > out.size) out = {p, size};
  }
  return out;
}

void ReluFilippovRule::settle_sliding(std::span<SurfacePair> pairs, const double* rest,
                                      const double* e, double sign) {
  // Release invalid sliding pairs (the sliding set only shrinks: at most |pairs| rounds).
  for (std::size_t round = 0; round <= pairs.size(); ++round) {
    const bool ok = evaluate(pairs, rest, e, sign);
    std::size_t release = pairs.size();
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      if (pairs[p].side != PairSide::sliding) continue;
      if (!ok || sliding_margin(sign, v_[p], e[pairs[p].sample]) <= 0.0) release = p;
    }
    if (release == pairs.size()) return;
    const bool upper = ok && sign * (e[pairs[release].sample] - v_[release]) <= 0.0;
    pairs[release].side = upper ? PairSide::active : PairSide::inactive;
  }
}

void ReluFilippovRule::slide_if_independent(std::span<SurfacePair> pairs, std::size_t p,
                                            const double* rest, const double* e, double sign) {
  const PairSide side = pairs[p].side;
  pairs[p].side = PairSide::sliding;
  if (evaluate(pairs, rest, e, sign)) return;
  // Its input depends on the sliding pairs' ones (numerically): it cannot slide
  // on its own, and stays on its side for the rest of the decision.
  pairs[p].side = side;
  pairs[p].fixed = true;
}

bool ReluFilippovRule::decide(std::span<SurfacePair> pairs, const double* rest, const double* e,
                              double sign) {
  const std::size_t cap = 4 * pairs.size() + 8;
  bool settled = false;
  for (std::size_t change = 0; change <= cap; ++change) {
    if (!evaluate(pairs, rest, e, sign)) {
      // Dependent inputs in the sliding set: its last pair leaves for good, to
      // the side the relu'(0) = 1 rule gives it with the others as they are.
      std::size_t last = pairs.size();
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        if (pairs[p].side == PairSide::sliding && !pairs[p].fixed) last = p;
      }
      if (last == pairs.size()) break;
      pairs[last].side = PairSide::active;
      pairs[last].fixed = true;
      if (evaluate(pairs, rest, e, sign) && rate_[last] < 0.0)
        pairs[last].side = PairSide::inactive;
      continue;
    }
    const Violation w = worst(pairs, e, sign);
    if (w.size < 0.0) {
      settled = true;
      break;
    }
    SurfacePair& pair = pairs[w.pair];
    switch (pair.side) {
      case PairSide::active:  // v₊ < 0: slide if v₋ > 0, else inactive
        pair.side = PairSide::inactive;
        if (evaluate(pairs, rest, e, sign) && rate_[w.pair] > 0.0)
          slide_if_independent(pairs, w.pair, rest, e, sign);
        break;
      case PairSide::inactive:  // v₋ > 0: active if v₊ ≥ 0, else slide
        pair.side = PairSide::active;
        if (evaluate(pairs, rest, e, sign) && rate_[w.pair] < 0.0)
          slide_if_independent(pairs, w.pair, rest, e, sign);
        break;
      case PairSide::sliding:  // α ≥ 1 (v₊ ≥ 0): active; α ≤ 0: inactive
        pair.side =
            sign * (e[pair.sample] - v_[w.pair]) <= 0.0 ? PairSide::active : PairSide::inactive;
        break;
    }
  }
  if (!settled) settle_sliding(pairs, rest, e, sign);
  const bool ok = evaluate(pairs, rest, e, sign);
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const double ei = e[pairs[p].sample];
    switch (pairs[p].side) {
      case PairSide::active:
        pairs[p].alpha = 1.0;
        break;
      case PairSide::inactive:
        pairs[p].alpha = 0.0;
        break;
      case PairSide::sliding:
        pairs[p].alpha = ok && ei != 0.0 ? v_[p] / ei : 0.5;
        break;
    }
  }
  return settled;
}

bool ReluFilippovRule::decide_at_gd_start(std::span<SurfacePair> pairs, const double* rest,
                                          const double* e, double sign) {
  // GD from w_r with the pairs on their surfaces: (w_r,k − w_r)/η = ω_k,
  // ω_{k+1} = ω_k − σ(rest + Σ_{i: x_iᵀω_k ≥ 0} e_i x_i) (the rest frozen as η → 0;
  // |c_r| only scales ω).
  const Eigen::Map<const Eigen::VectorXd> base(rest, d_);
  omega_.setZero();
  std::fill(active_steps_.begin(), active_steps_.end(), 0);
  for (long k = 0; k < kGdStartSteps; ++k) {
    total_ = base;
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      const Eigen::Index i = pairs[p].sample;
      if (X_.col(i).dot(omega_) >= 0.0) {
        total_ += e[i] * X_.col(i);
        if (k >= kGdStartSteps / 2) ++active_steps_[p];
      }
    }
    omega_ -= sign * total_;
  }
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const long a = active_steps_[p];
    pairs[p].side = a == kGdStartSteps / 2 ? PairSide::active
                                           : (a == 0 ? PairSide::inactive : PairSide::sliding);
    pairs[p].fixed = false;
  }
  return decide(pairs, rest, e, sign);
}

}  // namespace gradflow
