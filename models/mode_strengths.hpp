#pragma once
// Mode strengths of a linear map W in a chosen basis (Saxe, McClelland &
// Ganguli 2014): u_k = u_kᵀ W v_k, with u_k, v_k the k-th left and right
// singular vectors of the data's correlation Σyx = YXᵀ/n. On whitened data from
// an aligned start they are the decoupled modes of the flow; from a random
// start they show its stage-like learning, one plateau per mode.

#include "core/field.hpp"

#include <Eigen/Core>

namespace gradflow {

struct ModeBasis {
  Eigen::MatrixXd U, V;  // dN × r and d0 × r; empty: no modes recorded

  bool empty() const { return U.size() == 0; }
  // Appends mode_1..mode_r = u_kᵀ W v_k to `obs`.
  void observe(const Eigen::MatrixXd& W, Observation& obs) const;
};

}  // namespace gradflow
