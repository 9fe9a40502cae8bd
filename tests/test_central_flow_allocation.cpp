// The central flow's velocity on the edge (an eigensolve, third derivatives
// and, with several eigenvalues at the edge, the complementarity problem per
// evaluation) allocates nothing once warmed up: counted by interposing malloc
// (allocation_counter.cpp).

#include "core/switched_field.hpp"
#include "models/central_flow.hpp"
#include "models/linear_network.hpp"

#include "allocation_counter.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;
using gradflow::testing::random_dataset;

TEST_CASE("a central-flow evaluation on the edge allocates nothing once warmed up") {
  // Widths large enough for the Krylov eigensolver (dimension > 16).
  const Dataset data = random_dataset(6, 1, 40, 2);
  const LinearNetwork net(data, {.widths = {6, 5, 5, 1}});
  Rng rng(1);
  const Eigen::VectorXd x = net.init_gaussian(0.5, rng);
  const CentralFlow central(net, 0.1);
  Eigen::VectorXd v(net.dim()), h(2), y = x;
  // Every mode: below the edge, one, two and three eigenvalues held.
  for (int k : {0, 1, 2, 3}) {
    INFO("eigenvalues at the edge " << k);
    const std::unique_ptr<SwitchedField::Mode> mode = central.mode_with(k);
    central.velocity_in_mode(y, *mode, v);
    central.margins(y, *mode, h);
    const long before = testing::heap_allocations_so_far();
    for (int i = 0; i < 20; ++i) {
      y[0] = x[0] + 1e-6 * i;  // a new state each time: no cache hit
      central.velocity_in_mode(y, *mode, v);
      central.margins(y, *mode, h);
    }
    CHECK(testing::heap_allocations_so_far() - before == 0);
  }
}
