#pragma once
// A few persistent threads that share the blocks of one task: the wide ReLU
// network's products, split into blocks of neurons (core/neuron_blocks.hpp).
// Which thread runs a block never changes a result: each block writes only
// its own rows, and any sum across blocks is taken afterwards in block order
// by the caller. run() allocates nothing (the task is a pointer and a
// function, the threads start in the constructor), so a field may call it on
// its hot path; a pool of 1 thread runs every block on the caller.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace gradflow {

class BlockPool {
 public:
  // `threads` ≥ 1 counts the caller: threads − 1 workers are started.
  // Throws std::invalid_argument for threads < 1.
  explicit BlockPool(int threads);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls work(b) once for each b in [0, blocks) on the pool's threads and
  // the caller, and returns when every call has returned. Calls from several
  // threads at once take turns. `work` must not throw. A `work` callable as
  // work(b, thread) also gets the index in [0, threads()) of the thread that
  // runs the call (0 for the caller), e.g. to use that thread's scratch.
  template <class Work>
  void run(std::size_t blocks, Work& work) {
    run_erased(blocks, &call<Work>, &work);
  }

 private:
  using Task = void (*)(void*, std::size_t, int);
  template <class Work>
  static void call(void* work, std::size_t block, int thread) {
    if constexpr (std::is_invocable_v<Work&, std::size_t, int>) {
      (*static_cast<Work*>(work))(block, thread);
    } else {
      (*static_cast<Work*>(work))(block);
    }
  }
  void run_erased(std::size_t blocks, Task task, void* work);
  void take_blocks(int thread);
  void worker_loop(int thread);

  std::mutex turns_;  // one task at a time
  std::mutex mutex_;
  std::condition_variable started_, finished_;
  std::uint64_t generation_ = 0;  // counts tasks; a worker waits for the next one
  bool stopping_ = false;
  std::size_t busy_workers_ = 0;
  Task task_ = nullptr;
  void* work_ = nullptr;
  std::size_t blocks_ = 0;
  std::atomic<std::size_t> next_block_{0};
  std::vector<std::thread> workers_;
};

}  // namespace gradflow
