#include "models/central_flow.hpp"

#include "core/psd_complementarity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradflow {

namespace {

struct EdgeMode final : SwitchedField::Mode {
  int k = 0;  // eigenvalues at the edge
};

int edge_count_of(const SwitchedField::Mode& mode) { return dynamic_cast<const EdgeMode&>(mode).k; }

bool contains(std::span<const Eigen::Index> ks, Eigen::Index k) {
  return std::find(ks.begin(), ks.end(), k) != ks.end();
}

// Observations must not count as the run's work: the counters are restored.
class CounterGuard {
 public:
  explicit CounterGuard(std::initializer_list<long*> counters) {
    for (long* c : counters) saved_[n_++] = {c, *c};
  }
  ~CounterGuard() {
    for (int i = 0; i < n_; ++i) *saved_[i].first = saved_[i].second;
  }
  CounterGuard(const CounterGuard&) = delete;
  CounterGuard& operator=(const CounterGuard&) = delete;

 private:
  std::pair<long*, long> saved_[16];
  int n_ = 0;
};

}  // namespace

CentralFlow::CentralFlow(const Field& base, double eta)
    : FieldOver(base),
      eta_(eta),
      threshold_(2.0 / eta),
      eigen_(base.dim(), {.pairs = kMaxEdgeCluster + 1}) {
  if (!(eta > 0.0) || !std::isfinite(eta)) {
    throw std::invalid_argument(fmt::format("the central flow needs a step eta > 0, got {}", eta));
  }
  if (dynamic_cast<const SwitchedField*>(&base) != nullptr) {
    throw std::invalid_argument(
        "the central flow needs a twice differentiable loss; this field switches across surfaces "
        "where its Hessian jumps (e.g. the ReLU network), so the sharpness and its gradient are "
        "not defined there");
  }
  if (!base.is_gradient_flow()) {
    throw std::invalid_argument(
        "the central flow models gradient descent on a loss: it needs a gradient flow (velocity "
        "-grad L), and this flow is preconditioned or induced (" +
        base.describe() + ")");
  }
  const Eigen::Index n = base.dim();
  for (Eigen::VectorXd* v :
       {&grad_, &point_, &plus_, &minus_, &centre_, &uj_, &ui_, &correction_}) {
    v->setZero(n);
  }
  third_.setZero(n, kMaxEdgeCluster * (kMaxEdgeCluster + 1) / 2 + kMaxEdgeCluster + 1);
  cluster_c_.setZero(kMaxEdgeCluster + 1, kMaxEdgeCluster + 1);
  cached_x_.resize(n);
}

std::string CentralFlow::describe() const {
  return fmt::format(
      "central flow of GD with eta = {} (Cohen et al. 2025): gradient flow while the sharpness S < "
      "2/eta = {}, on the edge x' = -grad L - sigma^2/2 grad S; of {}",
      eta_, threshold_, base_.describe());
}

std::string CentralFlow::grad_s_method() const {
  return base_.has_analytic_hessian_vector()
             ? "central difference of the analytic Hessian-vector product along u (step "
               "eps^(1/3)*max(1, |x|))"
             : "second central difference of the gradient along u (step eps^(1/4)*max(1, |x|))";
}

// ∇³L[u_i, u_j] into `out`. With analytic products: (H(x + h u_i) u_j −
// H(x − h u_i) u_j) / 2h, error O(h²) + O(ε/h), h = ε^{1/3}·max(1, ‖x‖).
// Without: the second difference (∇L(x + hw) − 2∇L(x) + ∇L(x − hw)) / h² =
// ∇³L[w, w] + O(h²) + O(ε/h²), h = ε^{1/4}·max(1, ‖x‖), polarised for i ≠ j:
// ∇³L[u_i, u_j] = ¼(∇³L[u_i + u_j, ·] − ∇³L[u_i − u_j, ·]).
void CentralFlow::sharpness_gradient(const Eigen::VectorXd& x, const Eigen::VectorXd& u,
                                     Eigen::VectorXd& out) const {
  ui_ = u;
  uj_ = u;
  out.resize(x.size());
  const double scale = std::max(1.0, x.norm());
  if (base_.has_analytic_hessian_vector()) {
    const double h = std::cbrt(std::numeric_limits<double>::epsilon()) * scale;
    point_ = x + h * ui_;
    base_.hessian_vector(point_, uj_, plus_);
    point_ = x - h * ui_;
    base_.hessian_vector(point_, uj_, minus_);
    third_products_ += 2;
    out = (plus_ - minus_) / (2.0 * h);
    return;
  }
  const double h = std::pow(std::numeric_limits<double>::epsilon(), 0.25) * scale;
  base_.gradient(x, centre_);
  point_ = x + h * ui_;
  base_.gradient(point_, plus_);
  point_ = x - h * ui_;
  base_.gradient(point_, minus_);
  gradients_ += 3;
  out = (plus_ - 2.0 * centre_ + minus_) / (h * h);
}

void CentralFlow::third_derivatives(const Eigen::VectorXd& x, int k) const {
  const double scale = std::max(1.0, x.norm());
  const bool analytic = base_.has_analytic_hessian_vector();
  const double h = analytic ? std::cbrt(std::numeric_limits<double>::epsilon()) * scale
                            : std::pow(std::numeric_limits<double>::epsilon(), 0.25) * scale;
  if (!analytic) {
    base_.gradient(x, centre_);
    ++gradients_;
  }
  // Second difference of the gradient along w into `out`.
  auto second_difference = [&](const Eigen::VectorXd& w, auto&& out) {
    point_ = x + h * w;
    base_.gradient(point_, plus_);
    point_ = x - h * w;
    base_.gradient(point_, minus_);
    gradients_ += 2;
    out = (plus_ - 2.0 * centre_ + minus_) / (h * h);
  };
  for (int j = 0; j < k; ++j) {
    for (int i = 0; i <= j; ++i) {
      auto col = third_.col(pair_index(i, j));
      if (analytic) {
        ui_ = eigen_.vector(i);
        uj_ = eigen_.vector(j);
        point_ = x + h * ui_;
        base_.hessian_vector(point_, uj_, plus_);
        point_ = x - h * ui_;
        base_.hessian_vector(point_, uj_, minus_);
        third_products_ += 2;
        col = (plus_ - minus_) / (2.0 * h);
      } else if (i == j) {
        ui_ = eigen_.vector(i);
        second_difference(ui_, col);
      } else {
        ui_ = eigen_.vector(i) + eigen_.vector(j);
        second_difference(ui_, col);
        ui_ = eigen_.vector(i) - eigen_.vector(j);
        second_difference(ui_, correction_);  // scratch here
        col = 0.25 * (col - correction_);
      }
    }
  }
}

void CentralFlow::solve_cluster(int k) const {
  if (k == 1) {
    const auto t = third_.col(0);
    const double n2 = t.squaredNorm();
    sigma2_raw_ = n2 > 0.0 ? -2.0 * t.dot(grad_) / n2 : 0.0;
    cluster_c_(0, 0) = sigma2_raw_;
    correction_ = sigma2_raw_ * t;
    return;
  }
  // In svec coordinates (core/psd_complementarity.hpp): off-diagonal pairs carry √2.
  const int q = k * (k + 1) / 2;
  PairMatrix G(q, q);
  PairVector a(q);
  auto weight = [](int p) {
    for (int j = 0;; ++j) {
      if (p < pair_index(0, j + 1)) return p == pair_index(j, j) ? 1.0 : std::sqrt(2.0);
    }
  };
  for (int p = 0; p < q; ++p) {
    a[p] = -weight(p) * third_.col(p).dot(grad_);
    for (int r = 0; r <= p; ++r) {
      G(p, r) = weight(p) * weight(r) * third_.col(p).dot(third_.col(r));
      G(r, p) = G(p, r);
    }
  }
  const ComplementarityResult result = solve_psd_complementarity(G, a, k);
  ++sdcp_solves_;
  cluster_c_.topLeftCorner(k, k) = result.C;
  correction_.setZero();
  for (int j = 0; j < k; ++j) {
    for (int i = 0; i <= j; ++i) {
      correction_ += (i == j ? 1.0 : 2.0) * result.C(i, j) * third_.col(pair_index(i, j));
    }
  }
  sigma2_raw_ = result.C.trace();
}

void CentralFlow::evaluate(const Eigen::VectorXd& x, int k) const {
  if (cached_k_ == k && cached_x_ == x) return;
  eigen_.compute(base_, x, std::min(std::max(2, k + 1), kMaxEdgeCluster + 1));
  ++eigensolves_;
  if (k >= 1) {
    base_.gradient(x, grad_);
    ++gradients_;
    third_derivatives(x, k);
    solve_cluster(k);
  }
  cached_x_ = x;
  cached_k_ = k;
}

void CentralFlow::velocity_in_mode(const Eigen::VectorXd& x, const Mode& mode,
                                   Eigen::VectorXd& dxdt) const {
  const int k = edge_count_of(mode);
  if (k == 0) {
    ++stable_evaluations_;
    base_.velocity(x, 0.0, dxdt);  // gradient flow, bit for bit
    return;
  }
  ++edge_evaluations_;
  evaluate(x, k);
  dxdt.resize(x.size());
  dxdt = -grad_ - 0.5 * correction_;
}

double CentralFlow::margin(int k, Eigen::Index surface) const {
  auto below_edge = [&](int i) {  // 1 − ηλ_{i+1}/2, positive while below the edge
    return i < eigen_.pairs() ? 1.0 - 0.5 * eta_ * eigen_.value(i) : 1.0;
  };
  if (surface == 1) return k == 0 ? 1.0 : below_edge(k) - kArrivalBand;
  if (k == 0) return below_edge(0);
  if (k == 1) return sigma2_raw_;
  return 0.5 * eta_ * eigen_.value(k - 1) - (1.0 - kReleaseBand);  // k ≥ 2: the lowest has left
}

void CentralFlow::margins(const Eigen::VectorXd& x, const Mode& mode, Eigen::VectorXd& h) const {
  const int k = edge_count_of(mode);
  evaluate(x, k);
  ++margin_evaluations_;
  h.resize(2);
  h[0] = margin(k, 0);
  h[1] = margin(k, 1);
}

void CentralFlow::margins_of(const Eigen::VectorXd& x, const Mode& mode,
                             std::span<const Eigen::Index> ks, std::span<double> h) const {
  const int k = edge_count_of(mode);
  evaluate(x, k);
  ++margin_evaluations_;
  for (std::size_t i = 0; i < ks.size(); ++i) h[i] = margin(k, ks[i]);
}

std::unique_ptr<SwitchedField::Mode> CentralFlow::make_mode(const Eigen::VectorXd& x,
                                                            Transition& /*start*/) const {
  auto mode = std::make_unique<EdgeMode>();
  events_.clear();
  stable_evaluations_ = edge_evaluations_ = margin_evaluations_ = 0;
  eigensolves_ = third_products_ = gradients_ = sdcp_solves_ = cluster_cap_hits_ = 0;
  products_at_start_ = eigen_.hessian_vector_products();
  cycles_at_start_ = eigen_.cycles();
  unconverged_at_start_ = eigen_.unconverged();
  evaluate(x, 1);
  mode->k = eigen_.value(0) >= threshold_ && sigma2_raw_ > 0.0 ? 1 : 0;
  start_count_ = mode->k;
  return mode;
}

std::unique_ptr<SwitchedField::Mode> CentralFlow::mode_with(int k) const {
  if (k < 0 || k > kMaxEdgeCluster) {
    throw std::invalid_argument(
        fmt::format("the central flow holds 0 to {} eigenvalues at the edge, asked for {}",
                    kMaxEdgeCluster, k));
  }
  auto mode = std::make_unique<EdgeMode>();
  mode->k = k;
  return mode;
}

SwitchedField::Transition CentralFlow::enter(Eigen::VectorXd& x, Mode& mode_in,
                                             std::span<const Eigen::Index> ks) const {
  auto& mode = dynamic_cast<EdgeMode&>(mode_in);
  Transition change;
  const int k = mode.k;
  if (contains(ks, 0)) {
    if (k == 0) {
      // S reached 2/η: enter if gradient flow pushes S up (σ² > 0), else a touch.
      evaluate(x, 1);
      if (sigma2_raw_ > 0.0) {
        mode.k = 1;
        change.slides_started = 1;
      }
    } else {
      // k = 1: σ² reached 0; k ≥ 2: the lowest of the cluster has left.
      mode.k = k - 1;
      change.slides_ended = 1;
    }
    return change;
  }
  if (contains(ks, 1) && k >= 1) {
    // λ_{k+1} reached 2/η: held only if the current flow pushes it up.
    if (k >= kMaxEdgeCluster) {
      ++cluster_cap_hits_;
      return change;
    }
    evaluate(x, k);
    point_ = -grad_ - 0.5 * correction_;  // the velocity of mode k
    centre_ = point_;
    evaluate(x, k + 1);
    const double rate = third_.col(pair_index(k, k)).dot(centre_);
    if (rate > 0.0) {
      mode.k = k + 1;
      change.slides_started = 1;
    }
  }
  return change;
}

long CentralFlow::sliding_count(const Mode& mode) const { return edge_count_of(mode); }

void CentralFlow::note_event(double t, const Mode& mode) const {
  const int from = events_.empty() ? start_count_ : events_.back().to;
  events_.push_back({t, from, edge_count_of(mode)});
}

int CentralFlow::label(const Eigen::VectorXd& x) const {
  evaluate(x, 1);
  if (!(eigen_.value(0) >= (1.0 - kEdgeBand) * threshold_ && sigma2_raw_ > 0.0)) return 0;
  int count = 1;
  while (count < kMaxEdgeCluster && count < eigen_.pairs() &&
         eigen_.value(count) >= (1.0 - kEdgeBand) * threshold_) {
    ++count;
  }
  return count;
}

EdgeState CentralFlow::edge_state(const Eigen::VectorXd& x) const {
  const CounterGuard guard({&stable_evaluations_, &edge_evaluations_, &margin_evaluations_,
                            &eigensolves_, &third_products_, &gradients_, &sdcp_solves_,
                            &cluster_cap_hits_});
  const long products = eigen_.hessian_vector_products(), cycles = eigen_.cycles(),
             unconverged = eigen_.unconverged();
  EdgeState s;
  s.count = label(x);
  if (s.count >= 2) evaluate(x, s.count);
  s.sharpness = eigen_.value(0);
  s.second = eigen_.pairs() >= 2 ? eigen_.value(1) : -std::numeric_limits<double>::infinity();
  s.sigma2 = s.count == 0 ? 0.0 : std::max(0.0, sigma2_raw_);
  s.predicted_mean_loss = base_.loss(x) + s.sigma2 / eta_;
  s.direction = eigen_.vector(0);
  s.edge_basis.resize(x.size(), std::max(1, s.count));
  for (int i = 0; i < s.edge_basis.cols(); ++i) s.edge_basis.col(i) = eigen_.vector(i);
  // Work done for observations is not the integration's.
  products_at_start_ += eigen_.hessian_vector_products() - products;
  cycles_at_start_ += eigen_.cycles() - cycles;
  unconverged_at_start_ += eigen_.unconverged() - unconverged;
  return s;
}

void CentralFlow::velocity(const Eigen::VectorXd& x, double /*t*/, Eigen::VectorXd& dxdt) const {
  EdgeMode mode;
  mode.k = label(x);
  velocity_in_mode(x, mode, dxdt);
}

Observation CentralFlow::observe(const Eigen::VectorXd& x) const { return observe_at(x, 0.0); }

Observation CentralFlow::observe_at(const Eigen::VectorXd& x, double t) const {
  const EdgeState s = edge_state(x);
  Observation out;
  out.scalars = {{"S", s.sharpness},
                 {"two_over_eta", threshold_},
                 {"sigma2", s.sigma2},
                 {"edge_count", static_cast<double>(s.count)},
                 {"predicted_mean_loss", s.predicted_mean_loss}};
  Observation base = base_.observe_at(x, t);
  out.scalars.insert(out.scalars.end(), base.scalars.begin(), base.scalars.end());
  out.matrices = std::move(base.matrices);
  return out;
}

CentralFlowCounts CentralFlow::counts() const {
  CentralFlowCounts c;
  c.stable_evaluations = stable_evaluations_;
  c.edge_evaluations = edge_evaluations_;
  c.margin_evaluations = margin_evaluations_;
  c.eigensolves = eigensolves_;
  c.eigensolve_cycles = eigen_.cycles() - cycles_at_start_;
  c.unconverged_eigensolves = eigen_.unconverged() - unconverged_at_start_;
  c.hessian_vector_products =
      eigen_.hessian_vector_products() - products_at_start_ + third_products_;
  c.gradients = gradients_;
  c.sdcp_solves = sdcp_solves_;
  c.cluster_cap_hits = cluster_cap_hits_;
  return c;
}

}  // namespace gradflow
