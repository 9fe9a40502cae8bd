// NeuronRunner's Filippov rule: at a switch, the next mode of the neuron's
// touched and sliding pairs (see neuron_runner.hpp and TwoLayerRelu::enter).
// Invariant: every pair it leaves sliding has its relu'(0) weight in [0, 1].

#include "integrators/relu_windows/neuron_runner.hpp"

#include <algorithm>
#include <cmath>

namespace gradflow::detail::relu {

Transition NeuronRunner::decide(const double* e) {
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

bool NeuronRunner::rate_sum(const double* e) {
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

}  // namespace gradflow::detail::relu
