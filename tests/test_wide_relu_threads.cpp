// The wide two-layer ReLU network on threads (models/two_layer_relu.hpp,
// core/neuron_blocks.hpp): loss, gradient, velocity, Hessian-vector products,
// gradient descent and relu_windows give the same bits for 1, 2, 3 and 4
// threads; the same bits as the formulas written out here with the products
// of the whole matrices and the sums over neurons taken block by block and
// added in block order; and the block-ordered sums agree with an exact
// (long double) sum to round-off.

#include "core/block_pool.hpp"
#include "integrators/integrate.hpp"
#include "models/two_layer_relu.hpp"

#include "relu_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
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

// −∇L with the products of the whole matrices, the signed mask built column
// by column and u_i = Σ_b (Σ_{r in block b} M_ri z_ri), the blocks' sums
// added in block order: the reference, written without the model's code.
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
    u[i] = 0.0;
    const NeuronBlocks blocks{m};
    for (Eigen::Index b = 0; b < blocks.count(); ++b) {
      const Eigen::Index first = blocks.begin(b), count = blocks.size(b);
      u[i] += mask.col(i).segment(first, count).dot(Z.col(i).segment(first, count));
    }
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
  CHECK(kNeuronBlock % 24 == 0);  // Eigen's row groups (neuron_blocks.hpp)
  for (const Eigen::Index m :
       {1L, 23L, 100L, 1007L, 1008L, 1009L, 1031L, 1032L, 2017L, 4000L, 10000L, 100000L}) {
    INFO("width " << m);
    const NeuronBlocks blocks{m};
    Eigen::Index next = 0;
    for (Eigen::Index b = 0; b < blocks.count(); ++b) {
      CHECK(blocks.begin(b) == next);
      CHECK(blocks.begin(b) % 24 == 0);
      // Every block but the last is full; the last has at least one row
      // group (unless the width is below one) and less than a block more.
      if (b + 1 < blocks.count()) CHECK(blocks.size(b) == kNeuronBlock);
      CHECK(blocks.size(b) >= std::min<Eigen::Index>(m, 24));
      CHECK(blocks.size(b) < kNeuronBlock + 24);
      next = blocks.end(b);
    }
    CHECK(next == m);
  }
  CHECK(NeuronBlocks{10000}.count() == 10);  // the 928 left over are a block
  CHECK(NeuronBlocks{2017}.count() == 2);    // 1 left over joins the last block
}

TEST_CASE("a block pool runs every block exactly once for any thread count") {
  for (const int threads : {1, 2, 3, 4}) {
    BlockPool pool(threads);
    for (int round = 0; round < 50; ++round) {
      std::vector<std::atomic<int>> hits(37);
      auto work = [&](std::size_t b) { hits[b].fetch_add(1); };
      pool.run(hits.size(), work);
      for (const auto& h : hits) CHECK(h.load() == 1);
      // With the thread's index: each in [0, threads).
      std::vector<std::atomic<int>> ran_on(hits.size());
      auto indexed = [&](std::size_t b, int thread) { ran_on[b].store(thread + 1); };
      pool.run(ran_on.size(), indexed);
      for (const auto& t : ran_on) CHECK((t.load() >= 1 && t.load() <= threads));
    }
  }
  CHECK_THROWS_WITH(BlockPool(0), Catch::Contains("at least 1 thread, got 0"));
}

TEST_CASE("the threaded network field equals the single-thread one bit for bit") {
  // 1000 neurons: one block; 2017: a block of 1 008 and one of 1 009; 4000:
  // three full blocks and one of 976.
  for (const Eigen::Index m : {1000L, 2017L, 4000L}) {
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
    for (const int threads : {2, 3, 4}) {
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

TEST_CASE("the block-ordered network outputs equal an exact sum of the same terms to round-off") {
  // Widths that are and are not multiples of the block, up to ten blocks.
  for (const Eigen::Index m : {2017L, 4000L, 10080L}) {
    INFO("width " << m);
    const Net net = random_net(m, 17);
    const Eigen::Index n = net.data.X.cols();
    const Eigen::Map<const Eigen::MatrixXd> W(net.start.weights.data(), m, net.data.X.rows());
    const Eigen::MatrixXd Z = W * net.data.X;  // the terms' own rounding is not the sum's
    const double a = 1.0 / std::sqrt(static_cast<double>(m));
    for (const int threads : {1, 2}) {
      const TwoLayerRelu field(net.data, net.start, threads);
      const Eigen::VectorXd u = field.predictions(field.initial_state());
      for (Eigen::Index i = 0; i < n; ++i) {
        long double exact = 0.0L, magnitude = 0.0L;
        for (Eigen::Index r = 0; r < m; ++r) {
          const double term = (net.start.signs[r] * a) * std::max(Z(r, i), 0.0);
          exact += term;  // 64-bit mantissa: exact to ~m·2⁻⁶⁴ of Σ|t|
          magnitude += std::abs(term);
        }
        // Recursive summation (Higham, Accuracy and Stability, §4.2):
        // |ŝ − s| ≤ γ_k Σ|t|, k the longest chain of additions, here at most a
        // block's length (within a block) plus the number of blocks (between).
        const double chain = static_cast<double>(kNeuronBlock + 24 + NeuronBlocks{m}.count());
        const double eps = std::numeric_limits<double>::epsilon() / 2.0;
        INFO("sample " << i << ", " << threads << " thread(s)");
        CHECK(std::abs(static_cast<long double>(u[i]) - exact) <=
              chain * eps * magnitude * (1.0 + 1e-6));
      }
    }
  }
}

TEST_CASE(
    "gradient descent on the threaded network follows the single-thread iterates bit for bit") {
  const Net net = random_net(4000, 11);
  std::vector<Eigen::VectorXd> ends;
  for (const int threads : {1, 2, 3, 4}) {
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
  CHECK(same_bits(ends[3], ends[0]));
}

TEST_CASE("relu_windows on threads follows the single-thread run bit for bit") {
  // 4000 neurons in four blocks (the last of 976); switches happen (the run
  // is not trivial), and the active neurons of each sweep run on the threads.
  const Net net = random_net(4000, 13);
  const std::vector<double> times{0.0, 0.25, 0.5, 0.75, 1.0};
  const MethodOptions windows{
      .method = Method::relu_windows, .rtol = 1e-8, .atol = 1e-9, .record_switches = true};
  std::vector<RunResult> runs;
  for (const int threads : {1, 2, 3, 4}) {
    const TwoLayerRelu field(net.data, net.start, threads);
    runs.push_back(integrate(field, field.initial_state(), times, windows, {.t_end = 1.0}));
    REQUIRE(runs.back().stats.status == RunStatus::completed);
  }
  long crossings = 0, slides = 0;
  for (const auto& [name, value] : runs[0].stats.counters) {
    if (name == "crossings") crossings = value;
    if (name == "slides_started") slides = value;
  }
  CHECK(crossings > 0);
  CHECK(slides > 0);  // sliding neurons' projections and horizons run on the threads too
  for (std::size_t k = 1; k < runs.size(); ++k) {
    INFO(k + 1 << " threads");
    REQUIRE(runs[k].trajectory.size() == runs[0].trajectory.size());
    for (std::size_t r = 0; r < runs[0].trajectory.size(); ++r) {
      CHECK(same_bits(runs[k].trajectory.states[r], runs[0].trajectory.states[r]));
    }
    CHECK(runs[k].stats.steps == runs[0].stats.steps);
    CHECK(runs[k].stats.field_evaluations == runs[0].stats.field_evaluations);
    CHECK(runs[k].stats.counters == runs[0].stats.counters);
    // The switch log, merged from the threads in the order of the active neurons.
    REQUIRE(runs[k].switches.size() == runs[0].switches.size());
    for (std::size_t s = 0; s < runs[0].switches.size(); ++s) {
      const SwitchRecord& a = runs[k].switches[s];
      const SwitchRecord& b = runs[0].switches[s];
      CHECK((a.t == b.t && a.neuron == b.neuron && a.sample == b.sample && a.kind == b.kind &&
             a.alpha == b.alpha));
    }
  }
}

TEST_CASE("a network refuses a thread count below one") {
  const Net net = random_net(10, 1);
  CHECK_THROWS_WITH(TwoLayerRelu(net.data, net.start, 0),
                    Catch::Contains("thread count must be >= 1, got 0"));
}
