// Speed of the end-to-end flow: the end-to-end field costs one SVD of the dN x d0 matrix per
// evaluation plus products. Reports field evaluations per second for
// d0 = dN = 100, N = 3, and the share of that time spent in the SVD (timed
// alone on the same matrix), and the wall time of the balanced-start
// per-layer vs end-to-end comparison at d = 10.

#include "core/rng.hpp"
#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/end_to_end_flow.hpp"
#include "models/linear_network.hpp"
#include "models/regression_losses.hpp"

#include <Eigen/SVD>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace gradflow;

namespace {

// Median over `repeats` of the seconds per call of `f` run `calls` times.
template <class F>
double median_seconds_per_call(F&& f, int calls, int repeats) {
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < calls; ++c) f();
    samples.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / calls);
  }
  std::nth_element(samples.begin(), samples.begin() + repeats / 2, samples.end());
  return samples[static_cast<std::size_t>(repeats / 2)];
}

Dataset random_regression(Eigen::Index inputs, Eigen::Index outputs, Eigen::Index n,
                          std::uint64_t seed) {
  Rng rng(seed);
  Dataset d;
  d.X = rng.normal_matrix(inputs, n);
  d.Y = rng.normal_matrix(outputs, inputs) * d.X + 0.1 * rng.normal_matrix(outputs, n);
  return d;
}

}  // namespace

int main() {
  {
    const Dataset data = random_regression(100, 100, 500, 1);
    auto loss = std::make_shared<SquareLoss>(data);
    const EndToEndFlow e2e(loss, 3);
    Rng rng(2);
    const Eigen::VectorXd x = rng.normal_matrix(e2e.dim(), 1) * 0.1;
    Eigen::VectorXd v(e2e.dim());
    const double field = median_seconds_per_call([&] { e2e.velocity(x, 0.0, v); }, 50, 11);
    const Eigen::MatrixXd W = Eigen::Map<const Eigen::MatrixXd>(x.data(), 100, 100);
    // The same SVD the field uses (BDCSVD), timed alone on the same matrix.
    Eigen::BDCSVD<Eigen::MatrixXd> bdc(100, 100, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const double divide = median_seconds_per_call([&] { bdc.compute(W); }, 50, 11);
    fmt::print("end-to-end field, d0 = dN = 100, N = 3:\n");
    fmt::print("  {:.1f} field evaluations/s ({:.3f} ms each)\n", 1.0 / field, field * 1e3);
    fmt::print("  SVD alone (BDCSVD, 100 x 100): {:.3f} ms = {:.0f}% of a field evaluation\n",
               divide * 1e3, 100.0 * divide / field);
    Eigen::JacobiSVD<Eigen::MatrixXd> jacobi(100, 100, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const double one_sided = median_seconds_per_call([&] { jacobi.compute(W); }, 20, 5);
    fmt::print("  for reference, JacobiSVD on the same matrix: {:.3f} ms\n", one_sided * 1e3);
  }
  {
    // The balanced-start comparison of data/e2e_comparison.json's "balanced"
    // experiment: d = 10 inputs, 3 outputs, hidden widths 10, 10, T = 10.
    Rng data_rng(derive_seed(1, "data"));
    const Dataset data =
        make_sine_dataset({.samples = 100, .input_dim = 10, .output_dim = 3}, data_rng);
    auto loss = std::make_shared<SquareLoss>(data);
    const LinearNetwork net(loss, {.widths = {10, 10, 10, 3}});
    const EndToEndFlow e2e(loss, 3);
    Rng rng(derive_seed(1, "init"));
    const Eigen::VectorXd x0 = net.init_balanced(1.0, rng);
    const Eigen::MatrixXd W0 = net.end_to_end(x0);
    const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = 0.05}, 10.0);
    const MethodOptions tight{.rtol = 1e-11, .atol = 1e-13};
    const auto start = std::chrono::steady_clock::now();
    const RunResult a = integrate(net, x0, times, tight, {.t_end = 10.0});
    const RunResult b = integrate(e2e, Eigen::Map<const Eigen::VectorXd>(W0.data(), W0.size()),
                                  times, tight, {.t_end = 10.0});
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double gap = 0.0;
    for (std::size_t k = 0; k < times.size(); ++k) {
      const Eigen::MatrixXd We =
          Eigen::Map<const Eigen::MatrixXd>(b.trajectory.states[k].data(), 3, 10);
      gap = std::max(gap, (net.end_to_end(a.trajectory.states[k]) - We).norm());
    }
    fmt::print(
        "balanced comparison at d = 10 (per-layer + end-to-end flow, rtol 1e-11, T = 10):\n");
    fmt::print(
        "  {:.2f} ms in all ({} + {} field evaluations), max ‖W_layers − W_e2e‖_F = {:.2e}\n",
        wall * 1e3, a.stats.field_evaluations, b.stats.field_evaluations, gap);
  }
}
