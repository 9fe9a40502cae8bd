#pragma once
// The mode of the network's switched field (core/switched_field.hpp): per pair
// (r, i), relu'(w_rᵀx_i) folded with a_r/√m, and the pairs that slide along
// their surface (their weight α_ri is solved per evaluation).
// Invariant: `sliding` is sorted, so each neuron's sliding pairs are contiguous,
// and a sliding pair has signed_active = 0.

#include "models/two_layer_relu.hpp"

#include <algorithm>
#include <utility>
#include <vector>

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

}  // namespace gradflow
