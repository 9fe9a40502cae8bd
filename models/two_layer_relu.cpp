#include "models/two_layer_relu.hpp"

#include "models/kernel_flow.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradflow {

// The mode of the network's switched field: relu'(w_rᵀx_i) per pair, folded
// with a_r/√m, and the pairs that slide (their weight is solved per evaluation).
class TwoLayerRelu::ModeData final : public SwitchedField::Mode {
 public:
  // diag(a/√m)·s with s_ri = 1 on the positive side, 0 on the negative side or sliding.
  Eigen::MatrixXd signed_active;
  // Sliding pairs (r, i), sorted, so each neuron's pairs are contiguous.
  std::vector<std::pair<Eigen::Index, Eigen::Index>> sliding;

  bool is_sliding(Eigen::Index r, Eigen::Index i) const {
    return std::binary_search(sliding.begin(), sliding.end(), std::pair{r, i});
  }
};

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

double spectral_norm_symmetric(const Eigen::MatrixXd& A) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(A, Eigen::EigenvaluesOnly);
  return eig.eigenvalues().cwiseAbs().maxCoeff();
}

}  // namespace

TwoLayerRelu::TwoLayerRelu(const Dataset& data, const TwoLayerReluStart& start) {
  validate_dataset(data);
  if (data.output_dim() != 1) {
    throw std::invalid_argument(fmt::format(
        "a two-layer ReLU network has one output; the targets have {} rows (outputs)",
        data.output_dim()));
  }
  const Eigen::Index m = start.signs.size();
  const Eigen::Index d = data.input_dim();
  const Eigen::Index n = data.samples();
  if (m == 0) throw std::invalid_argument("the width m must be at least 1, got 0");
  for (Eigen::Index r = 0; r < m; ++r) {
    if (start.signs[r] != 1.0 && start.signs[r] != -1.0) {
      throw std::invalid_argument(
          fmt::format("output sign a_{} must be +1 or -1, got {}", r, start.signs[r]));
    }
  }
  if (start.weights.rows() != m || start.weights.cols() != d) {
    throw std::invalid_argument(fmt::format(
        "the first-layer weights must be m x d = {} x {} (one row w_r per neuron), got {} x {}", m,
        d, start.weights.rows(), start.weights.cols()));
  }
  if (!start.weights.allFinite()) throw std::invalid_argument("the weights contain NaN or Inf");
  X_ = data.X;
  y_ = data.Y.row(0).transpose();
  H_inf_ = relu_ntk_infinite_width(X_);  // checks ‖x_i‖ = 1
  gram_ = X_.transpose() * X_;
  signs_ = start.signs;
  scaled_signs_ = signs_ / std::sqrt(static_cast<double>(m));
  W0_ = start.weights;
  layout_.append("W", m, d);

  Z_.resize(m, n);
  mask_.resize(m, n);
  Xe_.resize(n, d);
  u_.resize(n);
  e_.resize(n);
  row_.resize(d);
  small_matrix_.resize(static_cast<std::size_t>(n * n));
  small_rhs_.resize(static_cast<std::size_t>(n));
  small_v_.resize(static_cast<std::size_t>(n));
  set_.reserve(static_cast<std::size_t>(n));

  const Eigen::VectorXd x0 = initial_state();
  u0_ = predictions(x0);
  initial_residual_sq_ = (u0_ - y_).squaredNorm();
  H0_ = empirical_kernel(x0);
  pattern0_ = (W0_ * X_).array() >= 0.0;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H_inf_, Eigen::EigenvaluesOnly);
  lambda_min_inf_ = eig.eigenvalues().minCoeff();
}

TwoLayerReluStart TwoLayerRelu::draw_start(Eigen::Index width, Eigen::Index input_dim,
                                           double kappa, Rng& rng) {
  if (width <= 0) throw std::invalid_argument(fmt::format("the width m must be >= 1, got {}", width));
  if (!(kappa >= 0.0)) {
    throw std::invalid_argument(fmt::format("the init scale kappa must be >= 0, got {}", kappa));
  }
  TwoLayerReluStart s;
  s.signs.resize(width);
  for (Eigen::Index r = 0; r < width; ++r) s.signs[r] = rng.below(2) == 0 ? 1.0 : -1.0;
  s.weights = rng.normal_matrix(width, input_dim, kappa);
  return s;
}

std::string TwoLayerRelu::describe() const {
  return fmt::format("two-layer ReLU network, width m = {}, d = {}, n = {}, first layer trained, "
                     "lambda_min(H_inf) = {:.6g}",
                     width(), input_dim(), samples(), lambda_min_inf_);
}

Eigen::VectorXd TwoLayerRelu::initial_state() const {
  return Eigen::Map<const Eigen::VectorXd>(W0_.data(), W0_.size());
}

Eigen::MatrixXd TwoLayerRelu::weights(const Eigen::VectorXd& x) const {
  return layout_.view(x, 0);
}

void TwoLayerRelu::forward(const Eigen::VectorXd& x, const ModeData* mode) const {
  const auto W = layout_.view(x, 0);
  Z_.noalias() = W * X_;
  const Eigen::Index n = samples();
  if (mode == nullptr) {
    // Column by column, while Z's column is in cache. (A cast of the
    // comparison vectorises; a select or branch per entry is ten times slower.)
    for (Eigen::Index i = 0; i < n; ++i) {
      mask_.col(i) = (Z_.col(i).array() >= 0.0).cast<double>() * scaled_signs_.array();
      u_[i] = mask_.col(i).dot(Z_.col(i));
    }
  } else {
    for (Eigen::Index i = 0; i < n; ++i) u_[i] = mode->signed_active.col(i).dot(Z_.col(i));
  }
  e_ = u_ - y_;
  for (Eigen::Index i = 0; i < n; ++i) Xe_.row(i) = -e_[i] * X_.col(i).transpose();
}

double TwoLayerRelu::loss(const Eigen::VectorXd& x) const {
  const auto W = layout_.view(x, 0);
  Z_.noalias() = W * X_;
  for (Eigen::Index i = 0; i < samples(); ++i) {
    u_[i] = scaled_signs_.dot(Z_.col(i).cwiseMax(0.0));
  }
  return 0.5 * (u_ - y_).squaredNorm();
}

Eigen::VectorXd TwoLayerRelu::predictions(const Eigen::VectorXd& x) const {
  loss(x);
  return u_;
}

void TwoLayerRelu::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  forward(x, nullptr);
  g.resize(dim());
  auto G = layout_.view(g, 0);
  G.noalias() = mask_ * Xe_;  // the velocity −∇L
  g = -g;
}

void TwoLayerRelu::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                  Eigen::VectorXd& hv) const {
  forward(x, nullptr);  // the signed mask M of x; Z_ and Xe_ are free again after it
  // (Jv)_i = Σ_r M_ri v_rᵀx_i, then (Jᵀz)_r = Σ_i M_ri z_i x_iᵀ = (M diag(z) Xᵀ)_r.
  Z_.noalias() = layout_.view(v, 0) * X_;
  for (Eigen::Index i = 0; i < samples(); ++i) {
    const double jv = mask_.col(i).dot(Z_.col(i));
    Xe_.row(i) = jv * X_.col(i).transpose();
  }
  hv.resize(dim());
  layout_.view(hv, 0).noalias() = mask_ * Xe_;
}

void TwoLayerRelu::velocity(const Eigen::VectorXd& x, double /*t*/, Eigen::VectorXd& dxdt) const {
  forward(x, nullptr);
  dxdt.resize(dim());
  auto V = layout_.view(dxdt, 0);
  V.noalias() = mask_ * Xe_;
}

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
      before[p] = mode.is_sliding(r, pairs[p]) ? 0 : (mode.signed_active(r, pairs[p]) != 0.0 ? 1 : -1);
    }
    // T_r from the pairs that are not involved: Σ_{j ∉ pairs} s_rj e_j x_j.
    Eigen::RowVectorXd base_sum = Eigen::RowVectorXd::Zero(input_dim());
    for (Eigen::Index i = 0; i < samples(); ++i) {
      if (mode.signed_active(r, i) != 0.0 &&
          !std::binary_search(pairs.begin(), pairs.end(), i)) {
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
      for (Eigen::Index j = 0; j < s; ++j) XC.col(j) = X_.col(slide_set[static_cast<std::size_t>(j)]);
      const Eigen::MatrixXd K = XC.transpose() * XC;
      const Eigen::VectorXd w = W.row(r).transpose();
      W.row(r) = (w - XC * K.ldlt().solve(XC.transpose() * w)).transpose();
      for (Eigen::Index i : slide_set) sliding_now.emplace_back(r, i);
    }
  }
  // Keep the sliding pairs of neurons that were not involved.
  for (const auto& pair : mode.sliding) {
    if (!std::binary_search(neurons.begin(), neurons.end(), pair.first)) sliding_now.push_back(pair);
  }
  std::sort(sliding_now.begin(), sliding_now.end());
  mode.sliding = std::move(sliding_now);
  return out;
}

long TwoLayerRelu::sliding_count(const ModeBase& base) const {
  return static_cast<long>(static_cast<const ModeData&>(base).sliding.size());
}

Eigen::MatrixXd TwoLayerRelu::empirical_kernel(const Eigen::VectorXd& x) const {
  const auto W = layout_.view(x, 0);
  const Eigen::MatrixXd S = ((W * X_).array() >= 0.0).cast<double>();
  const Eigen::MatrixXd overlap = S.transpose() * S;
  return gram_.cwiseProduct(overlap) / static_cast<double>(width());
}

Observation TwoLayerRelu::observe(const Eigen::VectorXd& x) const {
  Observation obs;
  const auto W = layout_.view(x, 0);
  const Eigen::MatrixXd Z = W * X_;
  const auto pattern = (Z.array() >= 0.0);
  const double changed =
      static_cast<double>((pattern != pattern0_.array()).count()) / static_cast<double>(Z.size());
  const Eigen::MatrixXd S = pattern.cast<double>();
  const Eigen::MatrixXd H = gram_.cwiseProduct(S.transpose() * S) / static_cast<double>(width());
  const Eigen::VectorXd u = predictions(x);
  const double r2 = (u - y_).squaredNorm();
  const double inf = std::numeric_limits<double>::infinity();
  double bound_time = inf;
  if (r2 > 0.0) {
    bound_time = lambda_min_inf_ > 0.0 ? std::log(initial_residual_sq_ / r2) / (2.0 * lambda_min_inf_)
                                       : (r2 <= initial_residual_sq_ ? inf : -inf);
  }
  long on_boundary = 0;
  for (Eigen::Index r = 0; r < width(); ++r) {
    const double threshold = 1e-12 * W.row(r).norm();
    on_boundary += (Z.row(r).array().abs() <= threshold).count();
  }
  obs.scalars = {{"weight_change", (W - W0_).norm()},
                 {"pattern_changed", changed},
                 {"kernel_dist_inf", spectral_norm_symmetric(H - H_inf_)},
                 {"kernel_drift", spectral_norm_symmetric(H - H0_)},
                 {"lambda_min_inf", lambda_min_inf_},
                 {"bound_time", bound_time},
                 {"pairs_on_boundary", static_cast<double>(on_boundary)}};
  obs.matrices.emplace_back("u", u);
  return obs;
}

Observation TwoLayerRelu::observe_at(const Eigen::VectorXd& x, double t) const {
  Observation obs = observe(x);
  append_loss_bound(obs, lambda_min_inf_, initial_residual_sq_, (predictions(x) - y_).squaredNorm(), t);
  return obs;
}

}  // namespace gradflow
