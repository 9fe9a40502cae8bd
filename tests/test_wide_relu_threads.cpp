// The wide two-layer ReLU network on threads (models/two_layer_relu.hpp,
// core/neuron_blocks.hpp): loss, gradient, velocity, Hessian-vector products
// and gradient descent give the same bits for 1, 2 and 3 threads, and the
// same bits as the unblocked formulas written out here (the code before the
// network was split into blocks of neurons), so one thread changed no number.

#include "core/block_pool.hpp"
#include "integrators/integrate.hpp"
#include "models/two_layer_relu.hpp"

#include "relu_support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <vector>

using namespace gradflow;
using gradflow::testing::unit_sphere_data;

namespace {

struct Net {
  Dataset data;
  TwoLayerReluStart start;
};

Net random_net(Eigen::Index m, std::uint64_t seed) {
  Rng rng(seed);
  Net net{unit_sphere_data(10, 60, seed), {}};
  net.start = TwoLayerRelu::draw_start(m, 10, 1.0, rng);
  return net;
}

// −∇L as one product of the whole matrices, the signed mask built column by
// column and u_i as one dot product per sample: the unblocked reference.
Eigen::VectorXd unblocked_velocity(const Net& net, const Eigen::VectorXd& x) {
  const Eigen::Index m = net.start.signs.size(), n = net.data.X.cols();
  const Eigen::Map<const Eigen::MatrixXd> W(x.data(), m, net.data.X.rows());
  const Eigen::VectorXd a = net.start.signs / std::sqrt(static_cast<double>(m));
  const Eigen::MatrixXd& X = net.data.X;
  Eigen::MatrixXd Z(m, n), mask(m, n), Xe(n, X.rows());
  Z.noalias() = W * X;
  Eigen::VectorXd u(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    mask.col(i) = (Z.col(i).array() >= 0.0).cast<double>() * a.array();
    u[i] = mask.col(i).dot(Z.col(i));
  }
  const Eigen::VectorXd e = u - net.data.Y.row(0).transpose();
  for (Eigen::Index i = 0; i < n; ++i) Xe.row(i) = -e[i] * X.col(i).transpose();
  Eigen::VectorXd v(x.size());
  Eigen::Map<Eigen::MatrixXd> V(v.data(), m, X.rows());
  V.noalias() = mask * Xe;
  return v;
}

bool same_bits(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return a.size() == b.size() && (a.array() == b.array()).all();
}

}  // namespace

TEST_CASE("the neuron blocks tile the width with boundaries that depend on the width only") {
  for (const Eigen::Index m : {1L, 100L, 1535L, 1536L, 3071L, 3072L, 4000L, 100000L}) {
    const NeuronBlocks blocks{m};
    Eigen::Index next = 0;
    for (Eigen::Index b = 0; b < blocks.count(); ++b) {
      CHECK(blocks.begin(b) == next);
      CHECK(blocks.begin(b) % 24 == 0);  // Eigen's row groups (neuron_blocks.hpp)
      CHECK(blocks.size(b) >= std::min(m, kNeuronBlock));
      CHECK(blocks.size(b) < 2 * kNeuronBlock);
      next = blocks.end(b);
    }
    CHECK(next == m);
  }
}

TEST_CASE("a block pool runs every block exactly once for any thread count") {
  for (const int threads : {1, 2, 3}) {
    BlockPool pool(threads);
    for (int round = 0; round < 50; ++round) {
      std::vector<std::atomic<int>> hits(37);
      auto work = [&](std::size_t b) { hits[b].fetch_add(1); };
      pool.run(hits.size(), work);
      for (const auto& h : hits) CHECK(h.load() == 1);
    }
  }
  CHECK_THROWS_WITH(BlockPool(0), Catch::Contains("at least 1 thread, got 0"));
}

TEST_CASE("the threaded network field equals the single-thread one bit for bit") {
  // 4000 neurons: two blocks, the second with a remainder; 1000: one block.
  for (const Eigen::Index m : {1000L, 4000L}) {
    INFO("width " << m);
    const Net net = random_net(m, 7);
    const TwoLayerRelu one(net.data, net.start, 1);
    const Eigen::VectorXd x = one.initial_state();
    const Eigen::VectorXd reference = unblocked_velocity(net, x);
    Eigen::VectorXd v1, g1, hv1;
    one.velocity(x, 0.0, v1);
    one.gradient(x, g1);
    const Eigen::VectorXd probe = Eigen::VectorXd::LinSpaced(x.size(), -1.0, 1.0);
    one.hessian_vector(x, probe, hv1);
    CHECK(same_bits(v1, reference));
    CHECK(same_bits(g1, -reference));
    for (const int threads : {2, 3}) {
      INFO(threads << " threads");
      const TwoLayerRelu many(net.data, net.start, threads);
      Eigen::VectorXd v, g, hv;
      many.velocity(x, 0.0, v);
      many.gradient(x, g);
      many.hessian_vector(x, probe, hv);
      CHECK(same_bits(v, v1));
      CHECK(same_bits(g, g1));
      CHECK(same_bits(hv, hv1));
      CHECK(many.loss(x) == one.loss(x));
      CHECK(same_bits(many.predictions(x), one.predictions(x)));
    }
  }
}

TEST_CASE(
    "gradient descent on the threaded network follows the single-thread iterates bit for bit") {
  const Net net = random_net(4000, 11);
  std::vector<Eigen::VectorXd> ends;
  for (const int threads : {1, 2, 3}) {
    const TwoLayerRelu field(net.data, net.start, threads);
    Eigen::VectorXd x = field.initial_state(), v(field.dim());
    for (int k = 0; k < 30; ++k) {  // x_{k+1} = x_k + η v(x_k)
      field.velocity(x, 0.0, v);
      x += 0.5 * v;
    }
    ends.push_back(x);
  }
  // Also the unblocked formulas, stepped the same way.
  Eigen::VectorXd x = TwoLayerRelu(net.data, net.start).initial_state();
  for (int k = 0; k < 30; ++k) x += 0.5 * unblocked_velocity(net, x);
  CHECK(same_bits(ends[0], x));
  CHECK(same_bits(ends[1], ends[0]));
  CHECK(same_bits(ends[2], ends[0]));
}

TEST_CASE("relu_windows on threads follows the single-thread run bit for bit") {
  // 4000 neurons in two blocks; switches happen (the run is not trivial).
  const Net net = random_net(4000, 13);
  const std::vector<double> times{0.0, 0.25, 0.5, 0.75, 1.0};
  const MethodOptions windows{.method = Method::relu_windows, .rtol = 1e-8, .atol = 1e-9};
  std::vector<RunResult> runs;
  for (const int threads : {1, 2, 3}) {
    const TwoLayerRelu field(net.data, net.start, threads);
    runs.push_back(integrate(field, field.initial_state(), times, windows, {.t_end = 1.0}));
    REQUIRE(runs.back().stats.status == RunStatus::completed);
  }
  long crossings = 0;
  for (const auto& [name, value] : runs[0].stats.counters) {
    if (name == "crossings") crossings = value;
  }
  CHECK(crossings > 0);
  for (std::size_t k = 1; k < runs.size(); ++k) {
    INFO(k + 1 << " threads");
    REQUIRE(runs[k].trajectory.size() == runs[0].trajectory.size());
    for (std::size_t r = 0; r < runs[0].trajectory.size(); ++r) {
      CHECK(same_bits(runs[k].trajectory.states[r], runs[0].trajectory.states[r]));
    }
    CHECK(runs[k].stats.steps == runs[0].stats.steps);
    CHECK(runs[k].stats.field_evaluations == runs[0].stats.field_evaluations);
    CHECK(runs[k].stats.counters == runs[0].stats.counters);
  }
}

TEST_CASE("a network refuses a thread count below one") {
  const Net net = random_net(10, 1);
  CHECK_THROWS_WITH(TwoLayerRelu(net.data, net.start, 0),
                    Catch::Contains("thread count must be >= 1, got 0"));
}
