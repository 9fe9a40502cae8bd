#pragma once
// The fixed blocks of neurons a wide network's products and sums are split
// into, so that threads can share them (core/block_pool.hpp) with results
// that do not depend on the number of threads.
//
// Block b holds neurons [b·B, (b + 1)·B); the last block ends at the width:
// it holds the remainder, or B plus the remainder when that is below 24 (a
// product of fewer rows than one of Eigen's row groups may take another
// kernel, e.g. matrix-vector for a single row). The boundaries depend on the
// width only. B is a multiple of 24, the row groups Eigen's matrix-product
// kernel works in for doubles (3 packets of 2, 4 or 8), so a product
// computed block by block groups every row as the product of the whole
// matrix does: the same operations in the same order, the same bits
// (tests/test_wide_relu_threads.cpp checks it against the unblocked product).
//
// A sum over neurons (a network output u_i = Σ_r ...) is taken per block,
// on whichever thread runs the block, into that block's column of a partial
// sums matrix; sum_in_block_order() then adds the columns in block order on
// one thread. One code path for every thread count, 1 included.

#include "core/block_pool.hpp"

#include <Eigen/Core>

#include <algorithm>

namespace gradflow {

// 1 008 = 24 · 42 rows: at width 10 000, 9 blocks of 1 008 and one of 928,
// nearly even shares for 2 (or 5) threads (1 536 gives 6 blocks and one of
// 784), each block's columns of Z in cache.
// Measured (bench_relu_threads, GD step at width 10 000 on 2 threads, medians
// of 8 on the shared 2-core machine): 1 008 rows 2.67 ms, 1 536 rows 2.64 ms,
// the same within the scatter (1 thread: 4.53, 4.51 ms); 504 rows 2.84 ms
// (3 repeats): smaller blocks pay more hand-offs and shorter product kernels
// than they gain in balance.
inline constexpr Eigen::Index kNeuronBlock = 1008;

struct NeuronBlocks {
  static constexpr Eigen::Index kRowGroup = 24;
  Eigen::Index width = 0;
  Eigen::Index count() const {
    const Eigen::Index full = width / kNeuronBlock;
    return std::max<Eigen::Index>(1, full + (width % kNeuronBlock >= kRowGroup ? 1 : 0));
  }
  Eigen::Index begin(Eigen::Index b) const { return b * kNeuronBlock; }
  Eigen::Index end(Eigen::Index b) const {
    return b + 1 == count() ? width : (b + 1) * kNeuronBlock;
  }
  Eigen::Index size(Eigen::Index b) const { return end(b) - begin(b); }
};

// work(b, first, count) for every block b of `blocks`, on `pool`'s threads
// (null: one after another on the caller).
template <class Work>
void for_each_neuron_block(const NeuronBlocks& blocks, BlockPool* pool, Work&& work) {
  auto block = [&](std::size_t b) {
    const auto k = static_cast<Eigen::Index>(b);
    work(k, blocks.begin(k), blocks.size(k));
  };
  const auto count = static_cast<std::size_t>(blocks.count());
  if (pool != nullptr) {
    pool->run(count, block);
  } else {
    for (std::size_t b = 0; b < count; ++b) block(b);
  }
}

// sum = Σ_b partials.col(b), added in block order b = 0, 1, … on the caller:
// the same operations whichever threads wrote the columns. `sum` must have
// partials.rows() entries already (nothing is allocated).
inline void sum_in_block_order(const Eigen::MatrixXd& partials, Eigen::VectorXd& sum) {
  sum = partials.col(0);
  for (Eigen::Index b = 1; b < partials.cols(); ++b) sum += partials.col(b);
}

}  // namespace gradflow
