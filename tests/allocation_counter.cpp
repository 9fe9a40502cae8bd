#include "allocation_counter.hpp"

#include <atomic>
#include <cstddef>

// glibc's own entry points, exported for exactly this kind of wrapper.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* ptr, std::size_t size);
}

namespace {
// Constant-initialised, so it is valid for allocations made before main.
std::atomic<long> g_heap_allocations{0};

void count_one() { g_heap_allocations.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

// Defined in the executable, these take precedence over libc's for every
// caller in the process, shared libraries included; free() stays glibc's and
// releases these blocks as usual.
extern "C" void* malloc(std::size_t size) {
  count_one();
  return __libc_malloc(size);
}
extern "C" void* calloc(std::size_t count, std::size_t size) {
  count_one();
  return __libc_calloc(count, size);
}
extern "C" void* realloc(void* ptr, std::size_t size) {
  count_one();
  return __libc_realloc(ptr, size);
}

namespace gradflow::testing {

long heap_allocations_so_far() { return g_heap_allocations.load(std::memory_order_relaxed); }

}  // namespace gradflow::testing
