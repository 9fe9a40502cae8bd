#include "cli/ordered_pool.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace gradflow {

unsigned default_jobs() { return std::max(1U, std::thread::hardware_concurrency()); }

std::size_t pool_threads(std::size_t count, unsigned jobs) {
  if (jobs == 0) jobs = default_jobs();
  return std::max<std::size_t>(1, std::min<std::size_t>(jobs, count));
}

void run_in_order(std::size_t count, unsigned jobs, const std::function<void(std::size_t)>& work,
                  const std::function<void(std::size_t)>& deliver,
                  const std::function<void()>& idle) {
  const std::size_t threads = pool_threads(count, jobs);
  std::atomic<std::size_t> next{0};
  std::mutex order;
  std::vector<char> done(count, 0);
  std::size_t delivered = 0;
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      work(i);
      const std::lock_guard lock(order);
      done[i] = 1;
      while (delivered < count && done[delivered] != 0) deliver(delivered++);
    }
    if (idle) idle();
  };
  if (threads <= 1) {
    worker();  // no thread at all for --jobs 1: the serial run stays the serial code
    return;
  }
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
}

}  // namespace gradflow
