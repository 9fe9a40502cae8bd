// relu_windows allocates nothing per window in steady state: its buffers are
// sized once or grow (amortised doubling) to the largest window seen, so the
// number of heap allocations of a run does not grow with its number of
// windows. Counted by interposing malloc (allocation_counter.hpp).

#include "integrators/relu_windows.hpp"
#include "models/two_layer_relu.hpp"

#include "allocation_counter.hpp"
#include "relu_support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;

namespace {

// Heap allocations of relu_windows from the network's start to `t_end`, in
// windows of at most 0.005 time units (so that a longer run has many more),
// with the run's counts.
std::pair<long, ReluWindowCounts> windows_allocations(const TwoLayerRelu& net, double t_end) {
  const MethodOptions opts{
      .method = Method::relu_windows, .rtol = 1e-9, .atol = 1e-10, .max_dt = 0.005};
  const long before = gradflow::testing::heap_allocations_so_far();
  const ReluWindowsResult r =
      integrate_relu_windows(net, net.initial_state(), {0.0, t_end}, opts, {.t_end = t_end});
  REQUIRE(r.run.stats.status == RunStatus::completed);
  REQUIRE(r.run.trajectory.size() == 2);
  return {gradflow::testing::heap_allocations_so_far() - before, r.counts};
}

}  // namespace

TEST_CASE("relu_windows allocates no more for many windows than for a few") {
  Rng rng(7);
  const TwoLayerRelu net(gradflow::testing::unit_sphere_data(10, 50, 3),
                         TwoLayerRelu::draw_start(2000, 10, 1.0, rng));
  const auto [few, few_counts] = windows_allocations(net, 0.25);
  const auto [many, many_counts] = windows_allocations(net, 2.0);
  INFO("allocations: " << few << " in " << few_counts.windows << " windows, " << many << " in "
                       << many_counts.windows << " windows");
  CHECK(many_counts.windows > few_counts.windows + 300);
  CHECK(many_counts.events > few_counts.events + 100);
  // A buffer reaching a new largest size may double a few more times.
  CHECK(many <= few + 24);
}

TEST_CASE("relu_windows on two threads allocates no more for many windows than for a few") {
  Rng rng(8);
  // 3100 neurons: two blocks (core/neuron_blocks.hpp), so the pool works.
  const TwoLayerRelu net(gradflow::testing::unit_sphere_data(10, 50, 4),
                         TwoLayerRelu::draw_start(3100, 10, 1.0, rng), 2);
  const auto [few, few_counts] = windows_allocations(net, 0.25);
  const auto [many, many_counts] = windows_allocations(net, 1.0);
  INFO("allocations: " << few << " in " << few_counts.windows << " windows, " << many << " in "
                       << many_counts.windows << " windows");
  CHECK(many_counts.windows > few_counts.windows + 100);
  // A buffer reaching a new largest size may double a few more times.
  CHECK(many <= few + 24);
}
