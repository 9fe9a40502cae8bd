#include "core/block_pool.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

BlockPool::BlockPool(int threads) {
  if (threads < 1) {
    throw std::invalid_argument(
        fmt::format("a block pool needs at least 1 thread, got {}", threads));
  }
  workers_.reserve(static_cast<std::size_t>(threads - 1));
  for (int k = 1; k < threads; ++k) workers_.emplace_back([this, k] { worker_loop(k); });
}

BlockPool::~BlockPool() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  started_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void BlockPool::take_blocks(int thread) {
  for (std::size_t b = next_block_.fetch_add(1); b < blocks_; b = next_block_.fetch_add(1)) {
    task_(work_, b, thread);
  }
}

void BlockPool::run_erased(std::size_t blocks, Task task, void* work) {
  if (workers_.empty() || blocks <= 1) {
    for (std::size_t b = 0; b < blocks; ++b) task(work, b, 0);
    return;
  }
  const std::lock_guard<std::mutex> turn(turns_);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    task_ = task;
    work_ = work;
    blocks_ = blocks;
    next_block_.store(0);
    busy_workers_ = workers_.size();
    ++generation_;
  }
  started_.notify_all();
  take_blocks(0);
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [this] { return busy_workers_ == 0; });
}

void BlockPool::worker_loop(int thread) {
  std::uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      started_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    take_blocks(thread);
    bool last = false;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      last = --busy_workers_ == 0;
    }
    if (last) finished_.notify_one();
  }
}

}  // namespace gradflow
