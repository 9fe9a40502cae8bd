// Windows of exact neuron-wise integration around a fixed point of the
// residual path (see relu_windows.hpp for the method and its error).
//
// Notation: X (d × n) inputs, G = XᵀX, c_r = ±κ output weights, W (m × d).
// A neuron's mode is its positive set S_r (s_ri = 1) and its sliding set C_r
// (pairs on their surface, s_ri = 0 there). In a mode, with Π = I − X_C K⁻¹X_Cᵀ,
// K = G_CC:   ẇ_r = −c_r M e,   M = Π X diag(s)   (d × n),
//             w_r(τ) = w_r(τ_a) − c_r M (R(τ) − R(τ_a)),
// the sliding weights v = L e, L = −K⁻¹ G_{C,:} diag(s) (α_ri = v_i / e_i), and
// the neuron's share of the kernel H_r = κ² (G ∘ s sᵀ − (G_{C,:}diag s)ᵀ K⁻¹ (G_{C,:}diag s)).

#include "integrators/relu_windows.hpp"

#include "integrators/residual_path.hpp"
#include "integrators/stop_monitor.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace gradflow {

namespace {

using detail::ResidualPath;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Transition = SwitchedField::Transition;

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxSweeps = 12;
constexpr int kRootIterations = 200;

struct Problem {
  MatrixXd X;            // d × n
  VectorXd y;            // n
  VectorXd c;            // m, ±kappa
  double kappa = 0.0;    // |c_r|
  MatrixXd G;            // XᵀX
  VectorXd gram_row;     // γ_i = ‖G_{i,:}‖₂
  VectorXd input_norm;   // ‖x_i‖
  double x_norm = 0.0;   // ‖X‖₂
  double gram_max = 0.0; // λ_max(G)
  Index m = 0, n = 0, d = 0;
};

// Bounds over one window that hold for the exact solution and for every
// path the fixed point visits (each is the flow of some activation pattern
// in which only active neurons differ from the window's start).
//
// The rate ė = −He: on a piece with constant H, ‖He‖ does not grow
// (d/dτ ‖He‖² = −2 eᵀH³e ≤ 0), and a switch adds at most ‖ΔH‖‖e‖, so
// ‖ė(τ)‖ ≤ ‖H(0)e(0)‖ + V ‖e(0)‖ with V the total variation of H.
struct Bounds {
  double lambda = 0.0;    // Λ̄ ≥ λ_max(H(τ))
  double residual = 0.0;  // ‖e(0)‖₂ ≥ ‖e(τ)‖₂ (H ⪰ 0)
  double rate = 0.0;      // ‖H(0)e(0)‖₂
  double time_tol = 0.0;  // event times are located to this
};

// Gaussian elimination with partial pivoting (LAPACK's getrf convention: whole
// rows swapped) on the Gram matrix G_CC of a sliding set, |C| ≤ d: tiny.
class SmallGram {
 public:
  explicit SmallGram(Index capacity)
      : lu_(static_cast<std::size_t>(capacity * capacity)), pivot_(static_cast<std::size_t>(capacity)) {}

  // False if a pivot is at round-off level: the inputs of the set are dependent.
  bool factor(const MatrixXd& G, const Index* set, std::size_t s) {
    s_ = s;
    double diag = 0.0;
    for (std::size_t j = 0; j < s; ++j) {
      for (std::size_t l = 0; l < s; ++l) at(j, l) = G(set[j], set[l]);
      diag = std::max(diag, G(set[j], set[j]));
    }
    for (std::size_t c = 0; c < s; ++c) {
      std::size_t p = c;
      for (std::size_t j = c + 1; j < s; ++j) {
        if (std::abs(at(j, c)) > std::abs(at(p, c))) p = j;
      }
      if (!(std::abs(at(p, c)) > 1e-12 * diag)) return false;
      pivot_[c] = p;
      if (p != c) {
        for (std::size_t l = 0; l < s; ++l) std::swap(at(c, l), at(p, l));
      }
      for (std::size_t j = c + 1; j < s; ++j) {
        const double f = at(j, c) / at(c, c);
        at(j, c) = f;
        for (std::size_t l = c + 1; l < s; ++l) at(j, l) -= f * at(c, l);
      }
    }
    return true;
  }

  // b ← K⁻¹ b (b has s entries, spaced by `stride`).
  void solve(double* b, std::size_t stride = 1) const {
    auto B = [&](std::size_t i) -> double& { return b[i * stride]; };
    for (std::size_t c = 0; c < s_; ++c) {
      if (pivot_[c] != c) std::swap(B(c), B(pivot_[c]));
    }
    for (std::size_t c = 0; c < s_; ++c) {
      for (std::size_t j = c + 1; j < s_; ++j) B(j) -= at(j, c) * B(c);
    }
    for (std::size_t c = s_; c-- > 0;) {
      double acc = B(c);
      for (std::size_t l = c + 1; l < s_; ++l) acc -= at(c, l) * B(l);
      B(c) = acc / at(c, c);
    }
  }

 private:
  double& at(std::size_t i, std::size_t j) { return lu_[i + s_ * j]; }
  double at(std::size_t i, std::size_t j) const { return lu_[i + s_ * j]; }
  std::vector<double> lu_;
  std::vector<std::size_t> pivot_;
  std::size_t s_ = 0;
};

// Modes recorded at switches (the sweep needs each neuron's kernel share
// before and after): s as n bytes, C as a list of samples.
class ModePool {
 public:
  explicit ModePool(Index n) : n_(static_cast<std::size_t>(n)) {}
  void clear() {
    s_.clear();
    c_.clear();
    c_first_.assign(1, 0);
  }
  std::size_t push(const std::uint8_t* s, const std::vector<Index>& C) {
    s_.insert(s_.end(), s, s + n_);
    c_.insert(c_.end(), C.begin(), C.end());
    c_first_.push_back(c_.size());
    return c_first_.size() - 2;
  }
  const std::uint8_t* s(std::size_t k) const { return s_.data() + k * n_; }
  const Index* C(std::size_t k) const { return c_.data() + c_first_[k]; }
  std::size_t C_size(std::size_t k) const { return c_first_[k + 1] - c_first_[k]; }

 private:
  std::size_t n_;
  std::vector<std::uint8_t> s_;
  std::vector<Index> c_;
  std::vector<std::size_t> c_first_{0};
};

struct Event {
  double tau;
  Index neuron;
  std::size_t before, after;  // ModePool records
  Transition change;
};

// A neuron's kernel share H_r = κ²(G ∘ s sᵀ − Tᵀ K⁻¹ T), T = G_{C,:} diag(s):
// adds sign·κ²·(sliding part) to H, and applies changes of the product part.
class KernelShare {
 public:
  KernelShare(const Problem& p)
      : P_(p), gram_(p.d), T_(p.d, p.n), Y_(p.d, p.n), changed_(static_cast<std::size_t>(p.n)) {}

  // H += κ² (G ∘ (s₁s₁ᵀ − s₀s₀ᵀ)) − κ²(P(s₁, C₁) − P(s₀, C₀)); returns ‖ΔH‖_F
  // (an upper bound when sliding sets are involved).
  double apply_change(MatrixXd& H, const std::uint8_t* s0, const Index* C0, std::size_t c0,
                      const std::uint8_t* s1, const Index* C1, std::size_t c1) {
    const Index n = P_.n;
    const double k2 = P_.kappa * P_.kappa;
    double fro2 = 0.0;
    for (Index i = 0; i < n; ++i) changed_[i] = s0[i] != s1[i];
    for (Index j = 0; j < n; ++j) {
      if (!changed_[j]) continue;
      for (Index i = 0; i < n; ++i) {
        const double delta = k2 * (s1[j] * s1[i] - s0[j] * s0[i]) * P_.G(j, i);
        if (delta == 0.0) continue;
        H(j, i) += delta;
        fro2 += delta * delta;
        if (!changed_[i]) {
          H(i, j) += delta;
          fro2 += delta * delta;
        }
      }
    }
    double fro = std::sqrt(fro2);
    if (c0 > 0) fro += add_sliding(H, s0, C0, c0, +k2);
    if (c1 > 0) fro += add_sliding(H, s1, C1, c1, -k2);
    return fro;
  }

  // H += factor · Tᵀ K⁻¹ T; returns |factor|·‖Tᵀ K⁻¹ T‖_F. A dependent set
  // (never built by the Filippov rule) adds nothing.
  double add_sliding(MatrixXd& H, const std::uint8_t* s, const Index* C, std::size_t c, double factor) {
    if (!gram_.factor(P_.G, C, c)) return 0.0;
    const auto rows = static_cast<Index>(c);
    for (Index i = 0; i < P_.n; ++i) {
      for (Index q = 0; q < rows; ++q) T_(q, i) = s[i] ? P_.G(C[q], i) : 0.0;
    }
    Y_.topRows(rows) = T_.topRows(rows);
    for (Index i = 0; i < P_.n; ++i) gram_.solve(&Y_(0, i));
    H.noalias() += factor * T_.topRows(rows).transpose() * Y_.topRows(rows);
    // ‖TᵀK⁻¹T‖_F ≤ trace (it is PSD) = Σ_q T_q · Y_q.
    return std::abs(factor) * T_.topRows(rows).cwiseProduct(Y_.topRows(rows)).sum();
  }

 private:
  const Problem& P_;
  SmallGram gram_;
  MatrixXd T_, Y_;
  std::vector<std::uint8_t> changed_;
};

// ---------------------------------------------------------------------------
// One neuron integrated exactly along a given residual path.
class NeuronRunner {
 public:
  explicit NeuronRunner(const Problem& p)
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
        g_a_(margins_), gd_a_(margins_), g_b_(margins_), gd_b_(margins_), A1_(margins_), A2_(margins_),
        root_(margins_), fresh_(margins_), muted_(margins_),
        base_(p.d), rest_(p.d), total_(p.d), v_(static_cast<std::size_t>(p.d + p.n)) {
    C_.reserve(static_cast<std::size_t>(p.d));
    touched_.reserve(static_cast<std::size_t>(p.n));
    pairs_.reserve(static_cast<std::size_t>(p.n + p.d));
    before_.reserve(static_cast<std::size_t>(p.n + p.d));
    after_.reserve(static_cast<std::size_t>(p.n + p.d));
    set_.reserve(static_cast<std::size_t>(p.n + p.d));
    where_.reserve(static_cast<std::size_t>(p.n + p.d));
  }

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
              double h, std::vector<Event>& events, ModePool& pool) {
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
          if (certified(g_a_[k] + shift, gd_a_[k], fresh_[k], g_b_[k] + shift, gd_b_[k], A1_[k], A2_[k],
                        h - a)) {
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

  const VectorXd& w_end() const { return w_end_; }
  const std::vector<std::uint8_t>& s() const { return s_; }
  const std::vector<Index>& C() const { return C_; }

 private:
  std::size_t count() const { return static_cast<std::size_t>(n_) + 2 * C_.size(); }
  bool valid(std::size_t k) const { return k >= static_cast<std::size_t>(n_) || sigma_[static_cast<Index>(k)] != 0.0; }
  Index sample_of(std::size_t k) const {
    return k < static_cast<std::size_t>(n_) ? static_cast<Index>(k) : C_[(k - static_cast<std::size_t>(n_)) / 2];
  }

  // M, L, σ and the margins' derivative bounds for the current (s, C); e_ holds
  // the residual at the anchor (for the sign of e_i on new sliding pairs).
  void set_mode() {
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

  void project_onto_sliding_surfaces(VectorXd& w) {
    // w ← w − X_C K⁻¹ X_Cᵀ w (removes round-off in w_rᵀx_i, i ∈ C).
    const std::size_t cs = C_.size();
    for (std::size_t q = 0; q < cs; ++q) v_[q] = P_.X.col(C_[q]).dot(w);
    gram_.solve(v_.data());
    for (std::size_t q = 0; q < cs; ++q) w -= v_[q] * P_.X.col(C_[q]);
  }

  // All margins g and slopes ġ at τ; leaves w(τ) in w_ and e(τ) in e_.
  void evaluate_all(double tau, std::vector<double>& g, std::vector<double>& gd) {
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

  // One margin as a functional of the path: g(τ) = g0 + ρ·(R(τ) − R_a) + λ·e(τ).
  void prepare(std::size_t k) {
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

  void evaluate_one(double tau, double shift, double& g, double& gd) {
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

  // True if g > 0 on (lo, hi] (and at lo unless `fresh`: g(lo) = 0 rising),
  // from the two Taylor lower bounds g(τ) ≥ g(lo) + (ġ(lo) − A1)δ − A2δ²/2 and
  // g(τ) ≥ g(hi) − (ġ(hi) + A1)δ' − A2δ'²/2, each concave, so positive on its
  // half iff positive at the half's ends.
  static bool certified(double g_lo, double gd_lo, bool fresh, double g_hi, double gd_hi, double A1,
                        double A2, double length) {
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

  // The smallest δ > 0 with g + (ġ − A1)δ − A2δ²/2 = 0 (g ≥ 0): no root of the
  // margin in [τ, τ + δ).
  static double safe_step(double g, double gd, double A1, double A2) {
    const double b = gd - A1;
    if (A2 <= 0.0) return b < 0.0 ? g / -b : kInf;
    const double root = std::sqrt(b * b + 2.0 * A2 * g);
    return b < 0.0 ? 2.0 * g / (root - b) : (b + root) / A2;
  }

  // The first zero of margin k in (a, limit] (∞ if none), never passing one:
  // steps to the root of the lower parabola (or, when the bound certifies it,
  // twice the last advance), and Newton once the margin is certified
  // decreasing between the current point and Newton's point.
  double first_root(std::size_t k, double a, double b, double limit) {
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

  // A located zero of a sliding weight's margin, moved on (by at most 64
  // event tolerances) until the margin is below its round-off floor: the
  // Filippov rule recomputes the weight and must see it outside [0, 1].
  double just_past(std::size_t k, double tau) {
    if (k < static_cast<std::size_t>(n_)) return tau;
    const double shift = muted_[k] ? floor_ : 0.0;
    double g, gd;
    evaluate_one(tau, shift, g, gd);
    if (g > -floor_ && gd < 0.0) tau += std::min((g + floor_) / -gd, 64.0 * bounds_->time_tol);
    return tau;
  }

  // The root in [lo, hi] of a margin certified decreasing there, g(lo) > 0 ≥ g(hi):
  // Newton from the left (at least `tol` ahead), bisection when Newton leaves
  // the bracket. Returns a point just past the root (g ≤ 0 there), as the
  // Filippov rule must see the crossed side (e.g. a weight α just outside [0, 1]).
  double refine(double lo, double g_lo, double gd_lo, double hi, double shift) {
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

  // The Filippov rule for the touched samples (samples_) at residual e, as in
  // TwoLayerRelu::enter: every touched or sliding pair starts sliding; while a
  // relu'(0) weight α_i = v_i/e_i (v = −K⁻¹X_Cᵀ T, T the rest of the neuron's
  // sum Σ s_j e_j x_j) lies outside [0, 1], release the worst to the side its
  // rate −c_r x_iᵀT (weight 0) points to.
  Transition decide(const double* e) {
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
    base_.setZero();
    for (Index i = 0; i < n_; ++i) {
      if (s_[i] && !std::binary_search(pairs_.begin(), pairs_.end(), i)) base_ += e[i] * P_.X.col(i);
    }
    after_.assign(pairs_.size(), 0);
    for (std::size_t round = 0; round <= pairs_.size(); ++round) {
      set_.clear();
      where_.clear();
      for (std::size_t p = 0; p < pairs_.size(); ++p) {
        if (after_[p] == 0) {
          set_.push_back(pairs_[p]);
          where_.push_back(p);
        }
      }
      if (set_.empty()) break;
      const bool ok = rate_sum(e);
      std::size_t worst = set_.size();
      double worst_violation = 0.0;
      for (std::size_t j = 0; j < set_.size(); ++j) {
        const double ej = e[set_[j]];
        const double alpha = ej != 0.0 ? v_[j] / ej : (v_[j] == 0.0 ? 0.5 : -1.0);
        const double violation = std::max(-alpha, alpha - 1.0);
        if (!ok || !std::isfinite(alpha) || violation > worst_violation) {
          worst = j;
          worst_violation = std::isfinite(violation) ? violation : 1.0;
          if (!ok) break;
        }
      }
      if (ok && worst == set_.size()) break;
      if (!ok) worst = set_.size() - 1;
      const std::size_t p = where_[worst];
      after_[p] = -1;
      set_.erase(set_.begin() + static_cast<std::ptrdiff_t>(worst));
      const bool ok2 = rate_sum(e);
      const double rate = -(c_ > 0.0 ? 1.0 : -1.0) * total_.dot(P_.X.col(pairs_[p]));
      after_[p] = (ok2 && rate > 0.0) ? 1 : -1;
    }
    Transition out;
    C_.clear();
    for (std::size_t p = 0; p < pairs_.size(); ++p) {
      const Index i = pairs_[p];
      s_[i] = after_[p] == 1 ? 1 : 0;
      if (after_[p] == 0) C_.push_back(i);
      if (before_[p] == after_[p]) continue;
      if (after_[p] == 0) {
        ++out.slides_started;
      } else if (before_[p] == 0) {
        ++out.slides_ended;
      } else {
        ++out.crossings;
      }
    }
    return out;
  }

  // T = base + Σ_{after = +1} e_i x_i; with set_ sliding, v = −K⁻¹X_setᵀT and
  // total = T + X_set v. False if the set's Gram matrix is singular.
  bool rate_sum(const double* e) {
    rest_ = base_;
    for (std::size_t p = 0; p < pairs_.size(); ++p) {
      if (after_[p] == 1) rest_ += e[pairs_[p]] * P_.X.col(pairs_[p]);
    }
    total_ = rest_;
    if (set_.empty()) return true;
    for (std::size_t j = 0; j < set_.size(); ++j) v_[j] = -P_.X.col(set_[j]).dot(rest_);
    if (!gram_.factor(P_.G, set_.data(), set_.size())) return false;
    gram_.solve(v_.data());
    for (std::size_t j = 0; j < set_.size(); ++j) total_ += v_[j] * P_.X.col(set_[j]);
    return true;
  }

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


// ---------------------------------------------------------------------------
// The window loop: screening, the fixed point, and the commit of a window.
class WindowIntegrator {
 public:
  WindowIntegrator(const ShallowReluField& field, const MethodOptions& method, const StopOptions& stop)
      : field_(field), method_(method), stop_(stop), P_(make_problem(field)),
        pool_(P_.n), end_pool_(P_.n), runner_(P_), share_(P_), gram_(P_.d) {
    const Index m = P_.m, n = P_.n, d = P_.d;
    SA_.resize(m, n);
    count_.resize(n, n);
    Z_.resize(m, n);
    Zdot_.resize(m, n);
    Wdot_.resize(m, d);
    EXt_.resize(n, d);
    u_.resize(n);
    e0_.resize(n);
    edot0_.resize(n);
    last_e_.resize(n);
    H0_.resize(n, n);
    H_.resize(n, n);
    horizon_.resize(m);
    column_.resize(m);
    sorted_.resize(static_cast<std::size_t>(m));
    is_active_.assign(static_cast<std::size_t>(m), 0);
    s_tmp_.resize(static_cast<std::size_t>(n));
    c_tmp_.reserve(static_cast<std::size_t>(d));
    y_tmp_.resize(d, n);
    wrow_.resize(d);
    vc_.resize(static_cast<std::size_t>(d));
    recent_.assign(static_cast<std::size_t>(kReluStallEvents), -kInf);
    ea_.resize(n);
    eb_.resize(n);
    ra_.resize(n);
    paths_[0] = ResidualPath(n);
    paths_[1] = ResidualPath(n);
    // Cost model for the window length, in flops at GEMM speed: the bulk
    // (four m×n×d products, the screen) against one active neuron (a few
    // sweeps of ~10 evaluations of 4nd flops at small-vector speed, ~5× slower).
    const auto md = static_cast<double>(m), nd = static_cast<double>(n), dd = static_cast<double>(d);
    bulk_cost_ = 8.0 * md * nd * dd + 40.0 * md * nd;
    neuron_cost_ = 500.0 * nd * dd;
    active_target_ = std::max<Index>(16, static_cast<Index>(bulk_cost_ / neuron_cost_));
  }

  ReluWindowsResult run(const VectorXd& x0, const std::vector<double>& times);

 private:
  static Problem make_problem(const ShallowReluField& field) {
    Problem p;
    p.X = field.inputs();
    p.y = field.targets();
    p.c = field.output_weights();
    p.m = p.c.size();
    p.n = p.X.cols();
    p.d = p.X.rows();
    if (field.dim() != p.m * p.d) {
      throw std::invalid_argument(fmt::format(
          "relu_windows: the state has {} entries; a {} x {} first layer W was expected", field.dim(),
          p.m, p.d));
    }
    p.kappa = p.m > 0 ? std::abs(p.c[0]) : 0.0;
    for (Index r = 0; r < p.m; ++r) {
      if (std::abs(p.c[r]) != p.kappa || p.c[r] == 0.0) {
        throw std::invalid_argument(fmt::format(
            "relu_windows needs output weights of one magnitude (a_r/sqrt(m)); c_0 = {}, c_{} = {}",
            p.c[0], r, p.c[r]));
      }
    }
    p.G = p.X.transpose() * p.X;
    p.gram_row = p.G.rowwise().norm();
    p.input_norm = p.X.colwise().norm().transpose();
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(p.G, Eigen::EigenvaluesOnly);
    // A relative margin covers the eigensolver's round-off: Λ̄ must be an upper bound.
    p.gram_max = eig.eigenvalues().maxCoeff() * (1.0 + 1e-12) + 1e-300;
    p.x_norm = std::sqrt(p.gram_max);
    return p;
  }

  Eigen::Map<MatrixXd> W() { return {x_.data(), P_.m, P_.d}; }

  // The sliding samples of neuron r (sliding_ is sorted by neuron).
  void sliding_of(Index r, std::vector<Index>& C) const {
    C.clear();
    auto it = std::lower_bound(sliding_.begin(), sliding_.end(), std::pair<Index, Index>{r, -1});
    for (; it != sliding_.end() && it->first == r; ++it) C.push_back(it->second);
  }
  void pattern_of(Index r, std::vector<std::uint8_t>& s) const {
    for (Index i = 0; i < P_.n; ++i) s[static_cast<std::size_t>(i)] = SA_(r, i) != 0.0;
  }

  void initialise(const VectorXd& x0);
  void begin_window();
  double choose_length(double limit);
  bool solve_window(double h, double t);
  void commit(double t);

  const ShallowReluField& field_;
  const MethodOptions& method_;
  const StopOptions& stop_;
  const Problem P_;
  VectorXd x_;
  MatrixXd SA_;     // c_r s_ri (0 on the negative side and on sliding pairs)
  MatrixXd count_;  // Σ_r s_ri s_rj, exact integers
  std::vector<std::pair<Index, Index>> sliding_, sliding_next_;
  // window start
  MatrixXd Z_, Zdot_, Wdot_, EXt_, H0_, H_;
  VectorXd u_, e0_, edot0_, last_e_;
  Eigen::ArrayXd horizon_, column_;
  std::vector<double> sorted_;
  Bounds bounds_;
  double crude_variation_ = 0.0;
  Index active_cap_ = 0;
  std::vector<Index> active_;
  std::vector<std::uint8_t> is_active_;
  // fixed point
  ResidualPath paths_[2];
  double variation_[2] = {0.0, 0.0};
  int accepted_ = 0;
  std::vector<Event> events_;
  std::vector<std::size_t> order_;
  ModePool pool_, end_pool_;
  MatrixXd end_w_;
  std::vector<std::size_t> end_mode_;
  long window_spurious_ = 0;
  NeuronRunner runner_;
  KernelShare share_;
  SmallGram gram_;
  // scratch
  std::vector<std::uint8_t> s_tmp_;
  std::vector<Index> c_tmp_;
  MatrixXd y_tmp_;
  VectorXd wrow_, ea_, eb_, ra_;
  std::vector<double> vc_;
  std::vector<double> recent_;
  double bulk_cost_ = 0.0, neuron_cost_ = 0.0;
  Index active_target_ = 0;
  double h_cap_ = kInf;
  ReluWindowCounts counts_;
  double last_defect_ = 0.0;
};

void WindowIntegrator::initialise(const VectorXd& x0) {
  x_ = x0;
  const auto W0 = W();
  Z_.noalias() = W0 * P_.X;
  // The mode at the start: positive side z > 0; pairs exactly at zero are
  // left on the negative side and decided by the Filippov rule in the first
  // window (their margin is zero, so their neuron is active at τ = 0).
  for (Index i = 0; i < P_.n; ++i) {
    for (Index r = 0; r < P_.m; ++r) SA_(r, i) = Z_(r, i) > 0.0 ? P_.c[r] : 0.0;
  }
  const MatrixXd S = (SA_.array() != 0.0).cast<double>();
  count_.noalias() = S.transpose() * S;
  sliding_.clear();
  sliding_.reserve(static_cast<std::size_t>(P_.m));
  sliding_next_.reserve(static_cast<std::size_t>(P_.m));
}

void WindowIntegrator::begin_window() {
  const Index m = P_.m, n = P_.n;
  const auto Wm = W();
  Z_.noalias() = Wm * P_.X;
  for (Index i = 0; i < n; ++i) u_[i] = SA_.col(i).dot(Z_.col(i));
  e0_ = u_ - P_.y;
  // Ẇ = −SA diag(e) Xᵀ; sliding neurons move with Π_C of it.
  for (Index i = 0; i < n; ++i) EXt_.row(i) = e0_[i] * P_.X.col(i).transpose();
  Wdot_.noalias() = -SA_ * EXt_;
  const double k2 = P_.kappa * P_.kappa;
  H0_ = k2 * P_.G.cwiseProduct(count_);
  for (std::size_t b = 0; b < sliding_.size();) {
    const Index r = sliding_[b].first;
    c_tmp_.clear();
    while (b < sliding_.size() && sliding_[b].first == r) c_tmp_.push_back(sliding_[b++].second);
    if (!gram_.factor(P_.G, c_tmp_.data(), c_tmp_.size())) continue;
    // Π_C ẇ_r.
    const std::size_t cs = c_tmp_.size();
    double* v = vc_.data();
    wrow_ = Wdot_.row(r).transpose();
    for (std::size_t q = 0; q < cs; ++q) v[q] = P_.X.col(c_tmp_[q]).dot(wrow_);
    gram_.solve(v);
    for (std::size_t q = 0; q < cs; ++q) wrow_ -= v[q] * P_.X.col(c_tmp_[q]);
    Wdot_.row(r) = wrow_.transpose();
    pattern_of(r, s_tmp_);
    share_.add_sliding(H0_, s_tmp_.data(), c_tmp_.data(), cs, -k2);
  }
  Zdot_.noalias() = Wdot_ * P_.X;
  edot0_.noalias() = -H0_ * e0_;

  // Bounds valid while at most active_cap_ neurons change their pattern.
  active_cap_ = std::min<Index>(m, 4 * active_target_);
  const double most_active = count_.diagonal().maxCoeff();
  bounds_.lambda = P_.gram_max * std::min(1.0, k2 * (most_active + static_cast<double>(active_cap_)));
  bounds_.residual = e0_.norm();
  bounds_.rate = edot0_.norm();
  // The kernel's variation over the window: only active neurons change their
  // share H_r, each by at most κ²λ_max(G) (H_r is PSD and ⪯ κ²G).
  crude_variation_ = static_cast<double>(active_cap_) * k2 * P_.gram_max;
  const double max_rate = (bounds_.rate + crude_variation_ * bounds_.residual) * (1.0 + 1e-10);  // ≥ ‖ė(τ)‖

  // Certified horizons: margin a = σz with slope b = σż stays positive while
  // a + bτ − Qτ² > 0, Q = |c| γ_i max‖ė‖ / 2; the positive root is 2a/(√(b² + 4Qa) − b).
  horizon_.setConstant(kInf);
  const double q0 = 0.5 * P_.kappa * max_rate;
  for (Index i = 0; i < n; ++i) {
    const double Q = q0 * P_.gram_row[i];
    const auto sigma = 2.0 * (SA_.col(i).array() != 0.0).cast<double>() - 1.0;
    const auto a = sigma * Z_.col(i).array();
    const auto b = sigma * Zdot_.col(i).array();
    column_ = (a > 0.0).select(2.0 * a / ((b.square() + 4.0 * Q * a).sqrt() - b), 0.0);
    horizon_ = horizon_.min(column_);
  }
  // Sliding neurons: their own z-margins (Π in the slope bound) and the two
  // margins of each sliding weight, g₀ = σ_e v_j, g₁ = σ_e(e_j − v_j).
  for (std::size_t b = 0; b < sliding_.size();) {
    const Index r = sliding_[b].first;
    c_tmp_.clear();
    while (b < sliding_.size() && sliding_[b].first == r) c_tmp_.push_back(sliding_[b++].second);
    const std::size_t cs = c_tmp_.size();
    double hr = kInf;
    for (Index i = 0; i < n; ++i) {
      if (std::find(c_tmp_.begin(), c_tmp_.end(), i) != c_tmp_.end()) continue;
      const double sigma = SA_(r, i) != 0.0 ? 1.0 : -1.0;
      const double a = sigma * Z_(r, i), bb = sigma * Zdot_(r, i);
      const double Q = q0 * P_.input_norm[i] * P_.x_norm;
      hr = std::min(hr, a > 0.0 ? 2.0 * a / (std::sqrt(bb * bb + 4.0 * Q * a) - bb) : 0.0);
    }
    if (!gram_.factor(P_.G, c_tmp_.data(), cs)) {
      hr = 0.0;
    } else {
      // L = −K⁻¹ G_{C,:} diag(s).
      for (Index i = 0; i < n; ++i) {
        for (std::size_t q = 0; q < cs; ++q) {
          y_tmp_(static_cast<Index>(q), i) = SA_(r, i) != 0.0 ? -P_.G(c_tmp_[q], i) : 0.0;
        }
        gram_.solve(&y_tmp_(0, i));
      }
      for (std::size_t q = 0; q < cs; ++q) {
        const Index j = c_tmp_[q];
        const auto row = y_tmp_.row(static_cast<Index>(q));
        const double v = row.dot(e0_), vd = row.dot(edot0_);
        const double se = e0_[j] >= 0.0 ? 1.0 : -1.0;
        const double l0 = row.norm();
        const double l1 = std::sqrt(std::max(0.0, l0 * l0 - 2.0 * row[j] + 1.0));
        const double g[2] = {se * v, se * (e0_[j] - v)};
        const double gd[2] = {se * vd, se * (edot0_[j] - vd)};
        const double l[2] = {l0, l1};
        for (int t = 0; t < 2; ++t) {
          const double A1 = l[t] * crude_variation_ * bounds_.residual;
          const double A2 = l[t] * bounds_.lambda * max_rate;
          const double bb = gd[t] - A1;
          hr = std::min(hr, g[t] > 0.0 ? 2.0 * g[t] / (std::sqrt(bb * bb + 2.0 * A2 * g[t]) - bb) : 0.0);
        }
      }
    }
    horizon_[r] = hr;
  }
}

// The window length: below the horizon of the (k+1)-th least safe neuron, k
// neurons are active; take the k that makes the most progress per cost,
// h_k / (bulk + k · neuron).
double WindowIntegrator::choose_length(double limit) {
  const Index m = P_.m;
  const auto k_max = static_cast<std::size_t>(std::min<Index>(active_cap_, m - 1));
  std::copy(horizon_.data(), horizon_.data() + m, sorted_.begin());
  std::nth_element(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(k_max), sorted_.end());
  std::sort(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(k_max) + 1);
  double best_h = 0.0, best_score = -1.0;
  for (std::size_t k = 0; k <= k_max; ++k) {
    const double below = sorted_[k] * (1.0 - 1e-9);
    const double h = std::min(limit, below);
    if (!(h > 0.0)) continue;
    const double score = h / (bulk_cost_ + neuron_cost_ * static_cast<double>(k));
    if (score > best_score) {
      best_score = score;
      best_h = h;
    }
    if (limit <= below) break;  // longer windows are capped: more neurons only cost more
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

bool WindowIntegrator::solve_window(double h, double t) {
  bounds_.time_tol = 8.0 * kEps * std::max(1.0, t + h);
  const double max_length = 0.5 / std::max(bounds_.lambda, 1e-300);
  const double tol = method_.atol + method_.rtol * e0_.cwiseAbs().maxCoeff();
  const Index d = P_.d;
  if (end_w_.cols() < static_cast<Index>(active_.size())) end_w_.resize(d, static_cast<Index>(active_.size()));
  end_mode_.resize(active_.size());
  int cur = 0;
  paths_[0].start(e0_);
  paths_[0].extend(H0_, h, max_length);
  variation_[0] = 0.0;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    ++counts_.sweeps;
    events_.clear();
    pool_.clear();
    end_pool_.clear();
    window_spurious_ = 0;
    auto Wm = W();
    for (std::size_t a = 0; a < active_.size(); ++a) {
      const Index r = active_[a];
      pattern_of(r, s_tmp_);
      sliding_of(r, c_tmp_);
      const auto outcome = runner_.run(r, &Wm(r, 0), P_.m, s_tmp_.data(), c_tmp_.data(), c_tmp_.size(),
                                       paths_[cur], variation_[cur], bounds_, h, events_, pool_);
      ++counts_.neuron_runs;
      if (!outcome.ok) return false;
      window_spurious_ += outcome.spurious;
      end_w_.col(static_cast<Index>(a)) = runner_.w_end();
      end_mode_[a] = end_pool_.push(runner_.s().data(), runner_.C());
    }
    // The switches in time order give H(τ), hence the next path.
    order_.resize(events_.size());
    for (std::size_t k = 0; k < order_.size(); ++k) order_[k] = k;
    std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      const Event& x = events_[a];
      const Event& y = events_[b];
      return x.tau != y.tau ? x.tau < y.tau : (x.neuron != y.neuron ? x.neuron < y.neuron : a < b);
    });
    const int next = 1 - cur;
    ResidualPath& path = paths_[next];
    path.start(e0_);
    H_ = H0_;
    variation_[next] = 0.0;
    for (std::size_t k : order_) {
      const Event& ev = events_[k];
      path.extend(H_, ev.tau, max_length);
      variation_[next] += share_.apply_change(H_, pool_.s(ev.before), pool_.C(ev.before), pool_.C_size(ev.before),
                                              pool_.s(ev.after), pool_.C(ev.after), pool_.C_size(ev.after));
    }
    path.extend(H_, h, max_length);
    // The defect: the largest change of e between the two paths, at the
    // pieces' starts of both (between them both are smooth) and at the end.
    double defect = 0.0;
    for (int which = 0; which < 2; ++which) {
      const ResidualPath& p = paths_[which == 0 ? cur : next];
      for (std::size_t s = 0; s <= p.pieces(); ++s) {
        const double tau = s < p.pieces() ? p.piece_start(s) : h;
        paths_[cur].evaluate(tau, ea_.data(), ra_.data());
        paths_[next].evaluate(tau, eb_.data(), ra_.data());
        defect = std::max(defect, (ea_ - eb_).cwiseAbs().maxCoeff());
      }
    }
    if (defect <= tol) {
      accepted_ = cur;
      last_defect_ = defect;
      return true;
    }
    cur = next;
  }
  return false;
}

void WindowIntegrator::commit(double t) {
  const Index n = P_.n;
  auto Wm = W();
  const ResidualPath& path = paths_[accepted_];
  // Every neuron as if its pattern were frozen: W ← W − SA diag(R(h)) Xᵀ.
  const VectorXd& R = path.end_integral();
  for (Index i = 0; i < n; ++i) EXt_.row(i) = R[i] * P_.X.col(i).transpose();
  Wm.noalias() -= SA_ * EXt_;
  // Inactive sliding neurons move with Π_C of that (which also removes the
  // round-off in w_rᵀx_i, i ∈ C).
  for (std::size_t b = 0; b < sliding_.size();) {
    const Index r = sliding_[b].first;
    c_tmp_.clear();
    while (b < sliding_.size() && sliding_[b].first == r) c_tmp_.push_back(sliding_[b++].second);
    if (is_active_[static_cast<std::size_t>(r)] || !gram_.factor(P_.G, c_tmp_.data(), c_tmp_.size())) continue;
    double* v = vc_.data();
    wrow_ = Wm.row(r).transpose();
    for (std::size_t q = 0; q < c_tmp_.size(); ++q) v[q] = P_.X.col(c_tmp_[q]).dot(wrow_);
    gram_.solve(v);
    for (std::size_t q = 0; q < c_tmp_.size(); ++q) wrow_ -= v[q] * P_.X.col(c_tmp_[q]);
    Wm.row(r) = wrow_.transpose();
  }
  // Active neurons: their own end states, patterns and sliding sets.
  sliding_next_.clear();
  for (const auto& pair : sliding_) {
    if (!is_active_[static_cast<std::size_t>(pair.first)]) sliding_next_.push_back(pair);
  }
  for (std::size_t a = 0; a < active_.size(); ++a) {
    const Index r = active_[a];
    Wm.row(r) = end_w_.col(static_cast<Index>(a)).transpose();
    const std::uint8_t* s1 = end_pool_.s(end_mode_[a]);
    // count += s₁s₁ᵀ − s₀s₀ᵀ over the changed samples (exact integers).
    pattern_of(r, s_tmp_);
    for (Index j = 0; j < n; ++j) {
      const auto uj = static_cast<std::size_t>(j);
      if (s_tmp_[uj] == s1[j]) continue;
      for (Index i = 0; i < n; ++i) {
        const auto ui = static_cast<std::size_t>(i);
        const double delta = s1[j] * s1[i] - s_tmp_[uj] * s_tmp_[ui];
        count_(j, i) += delta;
        if (s_tmp_[ui] == s1[i]) count_(i, j) += delta;
      }
    }
    for (Index i = 0; i < n; ++i) SA_(r, i) = s1[i] ? P_.c[r] : 0.0;
    const Index* C1 = end_pool_.C(end_mode_[a]);
    for (std::size_t q = 0; q < end_pool_.C_size(end_mode_[a]); ++q) sliding_next_.emplace_back(r, C1[q]);
  }
  std::sort(sliding_next_.begin(), sliding_next_.end());
  sliding_.swap(sliding_next_);
  // Counters and the switch times for the stall rule.
  for (std::size_t k : order_) {
    const Event& ev = events_[k];
    counts_.crossings += ev.change.crossings;
    counts_.slides_started += ev.change.slides_started;
    counts_.slides_ended += ev.change.slides_ended;
    recent_[static_cast<std::size_t>(counts_.events % kReluStallEvents)] = t + ev.tau;
    ++counts_.events;
  }
  counts_.spurious += window_spurious_;
  counts_.max_defect = std::max(counts_.max_defect, last_defect_);
  counts_.max_active = std::max(counts_.max_active, static_cast<long>(active_.size()));
  last_e_ = path.end_residual();
}

ReluWindowsResult WindowIntegrator::run(const VectorXd& x0, const std::vector<double>& times) {
  const auto clock_start = std::chrono::steady_clock::now();
  ReluWindowsResult out;
  RunResult& result = out.run;
  RunStats& stats = result.stats;
  const detail::StopMonitor monitor(field_, stop_);
  initialise(x0);
  result.trajectory.record(0.0, 0, x_);
  std::size_t next = times.front() == 0.0 ? 1 : 0;
  double t = 0.0;
  bool stopped = false;
  while (next < times.size() && !stopped) {
    if (monitor.out_of_budget(counts_.windows + counts_.events, t, stats)) break;
    const double target = times[next];
    begin_window();
    if (counts_.windows > 0) {
      counts_.max_consistency = std::max(counts_.max_consistency, (e0_ - last_e_).cwiseAbs().maxCoeff());
    }
    double h = 0.0;
    for (;;) {
      double limit = std::min(target - t, h_cap_);
      if (method_.max_dt > 0.0) limit = std::min(limit, method_.max_dt);
      h = choose_length(limit);
      const double floor = 1e-12 * std::max(1.0, t);
      if (!(h >= floor) && h < target - t) {
        stats.status = RunStatus::step_size_underflow;
        stats.message = fmt::format(
            "stalled at t = {:.9g}: windows shrank below {:.3g} (the fixed point of the residual does "
            "not settle, or a neuron's switches accumulate here)", t, floor);
        stopped = true;
        break;
      }
      if (solve_window(h, t)) break;
      ++counts_.window_retries;
      h_cap_ = 0.25 * h;
    }
    if (stopped) break;
    commit(t);
    ++counts_.windows;
    t = h == target - t ? target : t + h;
    h_cap_ = std::min(kInf, 2.0 * h_cap_);
    if (t >= target) {
      t = target;
      result.trajectory.record(t, counts_.windows, x_);
      ++next;
    }
    if (monitor.should_stop(x_, t, counts_.windows, stats)) {
      if (result.trajectory.times.back() != t) result.trajectory.record(t, counts_.windows, x_);
      break;
    }
    // At the rate of the last kReluStallEvents switches, t_end would take more
    // than the budget has left (or they share one instant): a stall.
    const double oldest = recent_[static_cast<std::size_t>(counts_.events % kReluStallEvents)];
    if (counts_.events >= kReluStallEvents && std::isfinite(oldest) && next < times.size()) {
      const double span = t - oldest;
      const double left = static_cast<double>(stop_.max_steps - counts_.windows - counts_.events);
      const double needed = span > 0.0 ? (stop_.t_end - t) / span * kReluStallEvents : kInf;
      if (span <= 1e-9 * std::max(1.0, t) || needed > left) {
        stats.status = RunStatus::step_size_underflow;
        stats.message = fmt::format(
            "stalled at t = {:.9g}: the last {} switches fell within {:.3g} time units, so t_end = "
            "{:.6g} would take ~{:.3g} more (step budget left: {:.3g})",
            t, kReluStallEvents, span, stop_.t_end, needed, left);
        if (result.trajectory.times.back() != t) result.trajectory.record(t, counts_.windows, x_);
        break;
      }
    }
  }
  counts_.sliding_at_end = static_cast<long>(sliding_.size());
  stats.steps = counts_.windows;
  stats.rejected_steps = counts_.window_retries;
  stats.field_evaluations = counts_.sweeps;
  stats.stop_time = result.trajectory.times.back();
  const std::string summary = fmt::format(
      "{} windows ({} redone shorter, {} sweeps, at most {} active neurons), {} switching events: "
      "{} crossings, {} slides started, {} ended, {} surfaces sliding at the end, {} round-off zeros "
      "muted; fixed-point defect <= {:.3g}, |e_path - (u(W) - y)| <= {:.3g}",
      counts_.windows, counts_.window_retries, counts_.sweeps, counts_.max_active, counts_.events,
      counts_.crossings, counts_.slides_started, counts_.slides_ended, counts_.sliding_at_end,
      counts_.spurious, counts_.max_defect, counts_.max_consistency);
  stats.message = stats.message.empty() ? summary : stats.message + "; " + summary;
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  out.counts = counts_;
  return out;
}

}  // namespace

ReluWindowsResult integrate_relu_windows(const ShallowReluField& field, const Eigen::VectorXd& x0,
                                         const std::vector<double>& times,
                                         const MethodOptions& method, const StopOptions& stop) {
  WindowIntegrator integrator(field, method, stop);
  return integrator.run(x0, times);
}

bool is_shallow_relu_field(const Field& field) {
  return dynamic_cast<const ShallowReluField*>(&field) != nullptr;
}

RunResult run_relu_windows(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop) {
  ReluWindowsResult r =
      integrate_relu_windows(dynamic_cast<const ShallowReluField&>(field), x0, times, method, stop);
  const ReluWindowCounts& c = r.counts;
  r.run.stats.counters = {{"windows", c.windows},         {"windows_redone", c.window_retries},
                          {"sweeps", c.sweeps},           {"neuron_runs", c.neuron_runs},
                          {"max_active_neurons", c.max_active}, {"events", c.events},
                          {"crossings", c.crossings},     {"slides_started", c.slides_started},
                          {"slides_ended", c.slides_ended}, {"spurious_zeros_muted", c.spurious},
                          {"sliding_at_end", c.sliding_at_end}};
  return r.run;
}

}  // namespace gradflow
