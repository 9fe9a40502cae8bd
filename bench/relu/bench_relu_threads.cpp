// The width-10 000 two-layer ReLU GD step (n = 100, d = 10) on 1 and 2
// threads (model.threads, models/two_layer_relu.hpp), against this build's
// dgemm of the step's own two shapes, m×d·d×n (Z = WX) and m×n·n×d
// (G = M·diag(e)Xᵀ), timed in the same run. Medians of repeated timings
// (bench/timing.hpp); the machine may be shared, so ratios measured side by
// side say more than absolute rates. Also checks that 30 GD steps on 2
// threads end at the same bits as on 1.
//
// Flop count of a step (as bench_relu_step.cpp): 4mnd + 5mn + 2md.
// Usage: bench_relu_threads [THREADS...]   (default 1 2)

#include "models/two_layer_relu.hpp"
#include "timing.hpp"

#include <Eigen/Core>
#include <fmt/format.h>

#include <cstdlib>
#include <vector>

using namespace gradflow;
using gradflow::bench::time_median;

int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (int k = 1; k < argc; ++k) thread_counts.push_back(std::atoi(argv[k]));
  if (thread_counts.empty()) thread_counts = {1, 2};
  const Eigen::Index m = 10000, d = 10, n = 100;
  const double eta = 1e-3;
  Rng rng(2019);
  Dataset data;
  data.X = rng.normal_matrix(d, n);
  data.X.colwise().normalize();
  data.Y = rng.normal_matrix(1, n);
  const TwoLayerReluStart start = TwoLayerRelu::draw_start(m, d, 1.0, rng);
  const double flops = 4.0 * m * n * d + 5.0 * m * n + 2.0 * m * d;

  // dgemm of the step's shapes, this build (Eigen, one thread).
  const Eigen::MatrixXd W = start.weights, M = Eigen::MatrixXd::Random(m, n);
  const Eigen::MatrixXd Xe = Eigen::MatrixXd::Random(n, d);
  Eigen::MatrixXd Z(m, n), G(m, d);
  const auto gemm = time_median(101, [&] {
    Z.noalias() = W * data.X;
    G.noalias() = M * Xe;
  });
  const double gemm_rate = 4.0 * m * n * d / gemm.median_seconds / 1e9;
  fmt::print(
      "Eigen {}.{}.{} dgemm of the step's shapes (m x d . d x n and m x n . n x d), one "
      "thread: {:.3f} ms median, {:.2f} GFLOP/s\n",
      EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, gemm.median_seconds * 1e3,
      gemm_rate);

  Eigen::VectorXd reference;
  double t_one = 0.0;
  for (const int threads : thread_counts) {
    const TwoLayerRelu net(data, start, threads);
    Eigen::VectorXd x = net.initial_state(), v(net.dim());
    const auto step = time_median(201, [&] {
      net.velocity(x, 0.0, v);
      x += eta * v;
    });
    // 30 steps from the start: the end state must not depend on the threads.
    x = net.initial_state();
    for (int k = 0; k < 30; ++k) {
      net.velocity(x, 0.0, v);
      x += eta * v;
    }
    if (reference.size() == 0) {
      reference = x;
      t_one = step.median_seconds;
    }
    const bool same = (x.array() == reference.array()).all();
    fmt::print(
        "GD step, m = {}, n = {}, d = {}, {} thread(s): {:.3f} ms median (min {:.3f}), {:.2f} "
        "GFLOP/s = {:.0f}% of the dgemm rate, speed-up {:.2f}x; 30 steps {} the first count's "
        "bits\n",
        m, n, d, threads, step.median_seconds * 1e3, step.min_seconds * 1e3,
        flops / step.median_seconds / 1e9, 100.0 * flops / step.median_seconds / 1e9 / gemm_rate,
        t_one / step.median_seconds, same ? "equal" : "DIFFER FROM");
    if (!same) return 1;
  }
  return 0;
}
