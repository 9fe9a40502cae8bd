#pragma once
// The record of one window's switches: each switch of an active neuron names
// the neuron's mode before and after it (positive set s as n bytes, sliding
// set C as a list of samples), kept in a pool that is cleared per sweep.
// Invariant: storage grows to the largest sweep seen and is then reused.

#include "integrators/relu_windows/problem.hpp"

#include <cstdint>
#include <vector>

namespace gradflow::detail::relu {

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
    return push(s, C.data(), C.size());
  }
  std::size_t push(const std::uint8_t* s, const Index* C, std::size_t c_size) {
    s_.insert(s_.end(), s, s + n_);
    c_.insert(c_.end(), C, C + c_size);
    c_first_.push_back(c_.size());
    return c_first_.size() - 2;
  }
  std::size_t size() const { return c_first_.size() - 1; }
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

}  // namespace gradflow::detail::relu
