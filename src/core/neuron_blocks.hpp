#pragma once
// The fixed blocks of neurons a wide network's products are split into, so
// that threads can share them (core/block_pool.hpp) with results that do not
// depend on the number of threads.
//
// Block b holds neurons [b·B, (b + 1)·B), the last block also the remainder
// (between B and 2B − 1 neurons), a width below 2B is one block. The
// boundaries depend on the width only. B is a multiple of 24, the row groups
// Eigen's matrix-product kernel works in for doubles (3 packets of 2, 4 or 8),
// so a product computed block by block groups every row as the product of the
// whole matrix does: the same operations in the same order, the same bits
// (tests/test_wide_relu_threads.cpp checks it against the unblocked product).

#include <Eigen/Core>

#include <algorithm>

namespace gradflow {

inline constexpr Eigen::Index kNeuronBlock = 1536;  // 24 · 64 rows

struct NeuronBlocks {
  Eigen::Index width = 0;
  Eigen::Index count() const { return std::max<Eigen::Index>(1, width / kNeuronBlock); }
  Eigen::Index begin(Eigen::Index b) const { return b * kNeuronBlock; }
  Eigen::Index end(Eigen::Index b) const {
    return b + 1 == count() ? width : (b + 1) * kNeuronBlock;
  }
  Eigen::Index size(Eigen::Index b) const { return end(b) - begin(b); }
};

}  // namespace gradflow
