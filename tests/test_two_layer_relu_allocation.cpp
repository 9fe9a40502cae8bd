// The network's hot paths (the GD field, a mode's field, the margins) allocate
// nothing per call: counted by replacing the global operator new in this binary.

#include "models/two_layer_relu.hpp"

#include "allocation_counter.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

using namespace gradflow;

TEST_CASE("a two-layer ReLU field evaluation allocates nothing once warmed up") {
  Rng rng(3);
  Dataset data;
  data.X = rng.normal_matrix(10, 100);
  data.X.colwise().normalize();
  data.Y = rng.normal_matrix(1, 100);
  const TwoLayerRelu net(data, TwoLayerRelu::draw_start(500, 10, 1.0, rng));
  Eigen::VectorXd x = net.initial_state();
  Eigen::VectorXd v(net.dim()), h(net.switch_count());
  // Put one pair on its surface, w_r ⟂ x_i, where both one-sided fields point
  // into it, so the mode's field solves for a sliding weight on every call.
  std::unique_ptr<SwitchedField::Mode> mode;
  Eigen::VectorXd on_surface;
  for (Eigen::Index r = 0; r < 500 && !(mode && net.sliding_count(*mode) > 0); ++r) {
    on_surface = x;
    Eigen::Map<Eigen::MatrixXd> W(on_surface.data(), 500, 10);
    const Eigen::VectorXd xi = data.X.col(0);
    W.row(r) -= W.row(r).dot(xi.transpose()) * xi.transpose();
    SwitchedField::Transition start;
    mode = net.make_mode(on_surface, start);
    const std::vector<Eigen::Index> pair{r};  // surface k = r + m·i with i = 0
    net.enter(on_surface, *mode, pair);
  }
  REQUIRE(net.sliding_count(*mode) > 0);
  net.velocity(x, 0.0, v);
  net.velocity_in_mode(on_surface, *mode, v);
  net.margins(on_surface, *mode, h);
  // Each call on its own, so a failure names the culprit.
  auto allocations_of = [](auto&& call) {
    const long before = gradflow::testing::heap_allocations_so_far();
    for (int i = 0; i < 20; ++i) call();
    return gradflow::testing::heap_allocations_so_far() - before;
  };
  double sink = 0.0;
  CHECK(allocations_of([&] { net.velocity(x, 0.0, v); }) == 0);
  CHECK(allocations_of([&] { net.velocity_in_mode(on_surface, *mode, v); }) == 0);
  CHECK(allocations_of([&] { net.margins(on_surface, *mode, h); }) == 0);
  CHECK(allocations_of([&] { sink += net.loss(x); }) == 0);
  Eigen::VectorXd hv(net.dim());
  net.hessian_vector(x, v, hv);
  CHECK(allocations_of([&] { net.hessian_vector(x, v, hv); }) == 0);
  CHECK(sink > 0.0);
}

TEST_CASE("a threaded two-layer ReLU field evaluation allocates nothing once warmed up") {
  Rng rng(5);
  Dataset data;
  data.X = rng.normal_matrix(10, 100);
  data.X.colwise().normalize();
  data.Y = rng.normal_matrix(1, 100);
  const TwoLayerRelu net(data, TwoLayerRelu::draw_start(4000, 10, 1.0, rng), 2);
  REQUIRE(net.threads() == 2);
  const Eigen::VectorXd x = net.initial_state();
  Eigen::VectorXd v(net.dim()), hv(net.dim());
  double sink = net.loss(x);
  net.velocity(x, 0.0, v);
  net.hessian_vector(x, v, hv);
  const long before = testing::heap_allocations_so_far();
  for (int k = 0; k < 20; ++k) {
    // Each sums over neurons block by block on the threads (core/neuron_blocks.hpp).
    sink += net.loss(x);
    net.velocity(x, 0.0, v);
    net.hessian_vector(x, v, hv);
  }
  CHECK(testing::heap_allocations_so_far() - before == 0);
  CHECK(sink > 0.0);
}
