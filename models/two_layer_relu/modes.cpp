// The network's smooth field in a mode and the mode's margins: on sliding
// pairs the relu'(0) weights v_i = α_ri e_i solve Σ_j s_rj e_j x_jᵀx_i = 0
// (i ∈ C_r), so that neuron r moves with Π_C of its one-sided field.
// Invariant: velocity_in_mode() and margins() allocate nothing; a margin is
// positive exactly while the mode is valid (z on its side, α in (0, 1)).

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

bool TwoLayerRelu::solve_sliding(std::span<const Eigen::Index> set, const Eigen::RowVectorXd& rest,
                                 double* v) const {
  // K v = −X_Cᵀ rest, K = X_CᵀX_C: Gaussian elimination with partial pivoting
  // on scratch (|C| ≤ d in general position, so this is tiny).
  const std::size_t s = set.size();
  double* K = small_matrix_.data();
  double* b = small_rhs_.data();
  double diag = 0.0;
  for (std::size_t j = 0; j < s; ++j) {
    b[j] = -rest.dot(X_.col(set[j]).transpose());
    for (std::size_t l = 0; l < s; ++l) K[j + s * l] = gram_(set[j], set[l]);
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
    set_.clear();
    for (std::size_t p = b; p < e; ++p) set_.push_back(mode.sliding[p].second);
    row_.noalias() = mode.signed_active.row(r) * Xe_;
    row_ /= -scaled_signs_[r];
    double* v = small_v_.data();
    const bool ok = solve_sliding(set_, row_, v);
    for (std::size_t j = 0; j < set_.size(); ++j) {
      const Eigen::Index i = set_[j];
      double margin = -1.0;
      if (ok && e_[i] != 0.0) {
        const double alpha = v[j] / e_[i];
        margin = std::min(alpha, 1.0 - alpha);
      } else if (ok && v[j] == 0.0) {
        margin = 0.5;  // e_i = 0: any weight keeps the pair on its surface
      }
      Hm(r, i) = margin;
    }
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
    set_.clear();
    std::size_t position = 0;
    for (const auto& [rr, ii] : mode.sliding) {
      if (rr != r) continue;
      if (ii == i) position = set_.size();
      set_.push_back(ii);
    }
    row_.noalias() = mode.signed_active.row(r) * Xe_;
    row_ /= -scaled_signs_[r];
    double* v = small_v_.data();
    const bool ok = solve_sliding(set_, row_, v);
    h[j] = -1.0;
    if (ok && e_[i] != 0.0) {
      const double alpha = v[position] / e_[i];
      h[j] = std::min(alpha, 1.0 - alpha);
    } else if (ok && v[position] == 0.0) {
      h[j] = 0.5;
    }
  }
}

long TwoLayerRelu::sliding_count(const ModeBase& base) const {
  return static_cast<long>(static_cast<const ModeData&>(base).sliding.size());
}

}  // namespace gradflow
