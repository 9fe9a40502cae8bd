// The hot path of every registered model kind and flow (the contract of
// src/core/field.hpp): velocity allocates nothing once warmed up, counted by
// interposing malloc in this binary (allocation_counter.cpp).

#include "allocation_counter.hpp"
#include "model_contract_support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;
using namespace gradflow::testing;

TEST_CASE("every flow's velocity allocates nothing once warmed up") {
  for_each_flow([](const Field& f, const Flow& flow) {
    const Eigen::VectorXd x = generic_point(flow);
    Eigen::VectorXd v(f.dim());
    f.velocity(x, 0.0, v);
    f.velocity(flow.x0, 0.0, v);
    const long before = heap_allocations_so_far();
    for (int i = 0; i < 20; ++i) f.velocity(i % 2 == 0 ? x : flow.x0, 0.0, v);
    CHECK(heap_allocations_so_far() - before == 0);
    CHECK(v.allFinite());
  });
}
