// One gradient-descent step of the width-10 000 two-layer ReLU network
// (n = 100, d = 10) against the dgemm rate of the same build, measured in the
// same run. Writes the data, the start and the step's result as .npy into the
// directory given as argv[1], so bench/relu/relu_step.py times numpy and
// PyTorch on the very same step and checks they agree to round-off.
//
// Flop count of a step (the usual convention, 45 MFLOP at these sizes):
// Z = WX and G = M·diag(e)Xᵀ, 2mnd each, plus ~5mn elementwise (relu, mask,
// predictions), plus the axpy W += ηV (2md).

#include "io/npy.hpp"
#include "models/two_layer_relu.hpp"

#include <Eigen/Core>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

using namespace gradflow;

namespace {

// The fastest of `reps` runs: the least disturbed by other processes on a
// shared machine (every implementation below is timed the same way).
template <class F>
double best_seconds(F&& f, int reps) {
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < reps; ++i) {
    const auto s = std::chrono::steady_clock::now();
    f();
    best =
        std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
  }
  return best;
}

void write(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "bench_relu_data";
  std::filesystem::create_directories(dir);
  const Eigen::Index m = 10000, d = 10, n = 100;
  const double eta = 1e-3;

  // dgemm of this build (Eigen, same flags), square 1000³.
  const Eigen::Index N = 1000;
  const Eigen::MatrixXd A = Eigen::MatrixXd::Random(N, N), B = Eigen::MatrixXd::Random(N, N);
  Eigen::MatrixXd C(N, N);
  const double t_gemm = best_seconds([&] { C.noalias() = A * B; }, 10);
  const double gemm_rate = 2.0 * N * N * N / t_gemm / 1e9;

  Rng rng(2019);
  Dataset data;
  data.X = rng.normal_matrix(d, n);
  data.X.colwise().normalize();
  data.Y = rng.normal_matrix(1, n);
  const TwoLayerRelu net(data, TwoLayerRelu::draw_start(m, d, 1.0, rng));
  const Eigen::VectorXd x0 = net.initial_state();
  Eigen::VectorXd x = x0, v(net.dim());

  // The step, as gradient descent runs it: x ← x + η v(x).
  auto step = [&] {
    net.velocity(x, 0.0, v);
    x += eta * v;
  };
  step();
  const Eigen::VectorXd x1 = x;
  const int reps = 200;
  x = x0;
  const double t_step = best_seconds(step, reps);
  const double flops = 4.0 * m * n * d + 5.0 * m * n + 2.0 * m * d;
  const double rate = flops / t_step / 1e9;

  write(dir / "X.npy", npy_bytes(Eigen::MatrixXd(data.X.transpose())));  // n × d
  write(dir / "y.npy", npy_bytes(Eigen::VectorXd(data.Y.row(0).transpose())));
  write(dir / "a.npy", npy_bytes(net.signs()));
  write(dir / "W0.npy", npy_bytes(net.weights(x0)));
  write(dir / "W1.npy", npy_bytes(net.weights(x1)));
  std::ofstream(dir / "gradflow.txt")
      << fmt::format("{:.9g} {:.9g} {:.9g} {:.9g}\n", t_step, rate, gemm_rate, eta);

  fmt::print("gradflow (Eigen {}.{}.{}, one thread, this build's flags)\n", EIGEN_WORLD_VERSION,
             EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
  fmt::print("  dgemm 1000^3 (Eigen):        {:8.2f} GFLOP/s\n", gemm_rate);
  fmt::print(
      "  GD step, m = {}, n = {}, d = {}: {:.3f} ms (best of {}), {:.1f} MFLOP, {:.2f} GFLOP/s = "
      "{:.0f}% of dgemm\n",
      m, n, d, t_step * 1e3, reps, flops / 1e6, rate, 100.0 * rate / gemm_rate);
  return 0;
}
