// Stochastic gradient descent: GD when noiseless, reproducible per seed, time
// as the sum of the steps, noise of the stated law.

#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "integrators/stochastic_gradient_descent.hpp"
#include "models/least_squares.hpp"
#include "models/linear_network.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace gradflow;
using gradflow::testing::random_dataset;

namespace {

// L = 0 everywhere: SGD is then a pure random walk, x_{k+1} = x_k − ηξ_k.
class FlatField final : public Field {
 public:
  explicit FlatField(Eigen::Index dim) { layout_.append("x", dim, 1); }
  Eigen::Index dim() const override { return layout_.dim(); }
  double loss(const Eigen::VectorXd&) const override { return 0.0; }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    g.setZero(x.size());
  }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return "flat"; }

 private:
  Layout layout_;
};

LeastSquares small_least_squares(std::uint64_t seed) {
  Rng rng(seed);
  return LeastSquares(rng.normal_matrix(12, 4), rng.normal_matrix(12, 1));
}

}  // namespace

TEST_CASE("sgd without noise and with a constant step is gradient descent bit for bit") {
  const Dataset data = random_dataset(6, 2, 25, 21);
  const LinearNetwork net(data, {.widths = {6, 4, 3, 2}});
  Rng rng(3);
  const Eigen::VectorXd x0 = net.init_gaussian(0.4, rng);
  const double eta = 0.05;
  const StopOptions stop{.t_end = 2.0};
  for (const auto& times : {sample_times({.kind = SampleGrid::Kind::grid, .spacing = eta}, 2.0),
                            sample_times({.kind = SampleGrid::Kind::linear, .count = 7}, 2.0)}) {
    const RunResult gd = gradient_descent(net, x0, eta, times, stop);
    const RunResult sgd = integrate(
        net, x0, times, {.method = Method::sgd, .dt = eta, .sgd = {.sigma = 0.0, .seed = 9}}, stop);
    REQUIRE(sgd.trajectory.size() == gd.trajectory.size());
    for (std::size_t k = 0; k < gd.trajectory.size(); ++k) {
      INFO("record " << k);
      CHECK(sgd.trajectory.times[k] == gd.trajectory.times[k]);
      CHECK(sgd.trajectory.steps[k] == gd.trajectory.steps[k]);
      CHECK((sgd.trajectory.states[k].array() == gd.trajectory.states[k].array()).all());
    }
    CHECK(sgd.stats.steps == gd.stats.steps);
    CHECK(sgd.stats.stop_time == gd.stats.stop_time);
  }
}

TEST_CASE("sgd with one seed repeats exactly and with another seed differs") {
  const LeastSquares ls = small_least_squares(4);
  const Eigen::VectorXd x0 = Eigen::VectorXd::Ones(4);
  const double eta = 0.5 / ls.lambda_max();
  const std::vector<double> times{0.0, 50 * eta, 100 * eta};
  auto run = [&](std::uint64_t seed) {
    return stochastic_gradient_descent(ls, x0, eta, times, {.sigma = 0.3, .seed = seed},
                                       {.t_end = 100 * eta});
  };
  const RunResult a = run(1), b = run(1), c = run(2);
  REQUIRE(a.trajectory.size() == 3);
  CHECK((a.trajectory.states.back().array() == b.trajectory.states.back().array()).all());
  CHECK((a.trajectory.states.back() - c.trajectory.states.back()).norm() > 1e-3);
  CHECK(a.stats.steps == 100);
}

TEST_CASE("decaying sgd steps put iterate k at the sum of the steps before it") {
  // A 1-D quadratic ½λθ² (X = [√λ], y = 0): θ_{k+1} = (1 − η_kλ)θ_k exactly.
  const double lambda = 4.0;
  const LeastSquares ls(Eigen::MatrixXd::Constant(1, 1, std::sqrt(lambda)),
                        Eigen::VectorXd::Zero(1));
  const Eigen::VectorXd x0 = Eigen::VectorXd::Ones(1);
  const double eta = 1.0, t_end = 3.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 13}, t_end);
  for (StepSchedule schedule : {StepSchedule::inverse_time, StepSchedule::inverse_time_capped}) {
    INFO(to_string(schedule));
    const double beta = 10.0;
    const RunResult r = stochastic_gradient_descent(
        ls, x0, eta, times, {.schedule = schedule, .beta = beta}, {.t_end = t_end});
    REQUIRE(r.stats.status == RunStatus::completed);
    // The same iteration written out: η_k, t_k = Σ_{j<k} η_j summed in order, θ_k.
    std::vector<double> t{0.0}, theta{1.0}, steps;
    for (long k = 0; k <= r.stats.steps; ++k) {
      const double eta_k = schedule == StepSchedule::inverse_time
                               ? eta / static_cast<double>(k + 1)
                               : std::min(eta / static_cast<double>(k + 1), 1.0 / beta);
      steps.push_back(eta_k);
      t.push_back(t.back() + eta_k);
      theta.push_back((1.0 - eta_k * lambda) * theta.back());
    }
    for (std::size_t i = 0; i < r.trajectory.size(); ++i) {
      const auto k = static_cast<std::size_t>(r.trajectory.steps[i]);
      INFO("record " << i << ", step " << k);
      // The same sums in the same order: equal to the last bit.
      CHECK(r.trajectory.times[i] == t[k]);
      CHECK(r.trajectory.states[i][0] == Approx(theta[k]).epsilon(1e-14));
    }
    // Each requested time is recorded at its nearest iterate. A requested time
    // at the midpoint of two iterates (0.25 between 0.2 and 0.3) is a tie up to
    // the round-off of the sums, hence the 1e-12.
    for (double target : times) {
      const auto it = std::min_element(
          r.trajectory.times.begin(), r.trajectory.times.end(),
          [&](double a, double b) { return std::abs(a - target) < std::abs(b - target); });
      const auto k = static_cast<std::size_t>(
          r.trajectory.steps[static_cast<std::size_t>(it - r.trajectory.times.begin())]);
      CHECK(std::abs(t[k] - target) <= std::abs(t[k + 1] - target) + 1e-12);
      if (k > 0) CHECK(std::abs(t[k] - target) <= std::abs(t[k - 1] - target) + 1e-12);
    }
    // The run ends at the iterate nearest t_end, as planned.
    const long last = r.stats.steps;
    CHECK(r.stats.stop_time == t[static_cast<std::size_t>(last)]);
    CHECK(sgd_final_step(eta, schedule, beta, t_end, 1'000'000) == last);
  }
}

TEST_CASE(
    "the capped schedule never steps beyond 1 over beta, which defaults to the sharpness at the "
    "start") {
  const LeastSquares ls = small_least_squares(5);
  const Eigen::VectorXd x0 = Eigen::VectorXd::Ones(4);
  CHECK(resolve_beta(ls, x0, {}) == Approx(ls.lambda_max()).epsilon(1e-10));
  CHECK(resolve_beta(ls, x0, {.beta = 3.0}) == 3.0);
  const double beta = ls.lambda_max();
  for (long k : {0L, 1L, 10L, 1000L}) {
    CHECK(step_size(StepSchedule::inverse_time_capped, 1.0, beta, k) ==
          std::min(1.0 / static_cast<double>(k + 1), 1.0 / beta));
  }
  // A planned horizon matches the sum of the steps (the harmonic series past 1000 terms).
  double t = 0.0;
  for (long k = 0; k < 5000; ++k) t += step_size(StepSchedule::inverse_time_capped, 1.0, beta, k);
  CHECK(schedule_time(StepSchedule::inverse_time_capped, 1.0, beta, 5000) ==
        Approx(t).epsilon(1e-13));
  // A flat start has no curvature to cap by.
  CHECK_THROWS_WITH(resolve_beta(FlatField(3), Eigen::VectorXd::Zero(3), {}),
                    Catch::Contains("give beta explicitly"));
}

TEST_CASE("sgd noise has mean zero and variance sigma squared over dim per coordinate") {
  // On a flat loss x_{k+1} − x_k = −ηξ_k: the increments are the noise itself.
  const Eigen::Index dim = 5;
  const FlatField flat(dim);
  const double sigma = 2.0, eta = 1.0;
  const long K = 20000;
  const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = eta}, K * eta);
  const RunResult r = stochastic_gradient_descent(flat, Eigen::VectorXd::Zero(dim), eta, times,
                                                  {.sigma = sigma, .seed = 77}, {.t_end = K * eta});
  REQUIRE(r.trajectory.size() == static_cast<std::size_t>(K + 1));
  Eigen::MatrixXd xi(K, dim);
  for (long k = 0; k < K; ++k) {
    xi.row(k) = -(r.trajectory.states[static_cast<std::size_t>(k + 1)] -
                  r.trajectory.states[static_cast<std::size_t>(k)])
                     .transpose() /
                eta;
  }
  const double var = sigma * sigma / static_cast<double>(dim);  // σ²/dim
  const double n = static_cast<double>(K);
  for (Eigen::Index c = 0; c < dim; ++c) {
    INFO("coordinate " << c);
    const double mean = xi.col(c).mean();
    const double sample_var = (xi.col(c).array() - mean).square().sum() / (n - 1.0);
    // Five standard errors: the mean's is √(var/n); the sample variance's
    // √(2/(n − 1))·var for normal data.
    CHECK(std::abs(mean) <= 5.0 * std::sqrt(var / n));
    CHECK(std::abs(sample_var - var) <= 5.0 * std::sqrt(2.0 / (n - 1.0)) * var);
  }
  // Independent coordinates: correlation within five standard errors 1/√n.
  const Eigen::VectorXd a = xi.col(0).array() - xi.col(0).mean(),
                        b = xi.col(1).array() - xi.col(1).mean();
  CHECK(std::abs(a.dot(b) / (a.norm() * b.norm())) <= 5.0 / std::sqrt(n));
}

TEST_CASE("sgd above the stability threshold reports its divergence with step and time") {
  const LeastSquares ls = small_least_squares(6);
  const double eta = 2.2 / ls.lambda_max();
  const StopOptions stop{.t_end = 5000 * eta, .max_abs_state = 1e8};
  const RunResult r = stochastic_gradient_descent(
      ls, Eigen::VectorXd::Ones(4), eta, {0.0, stop.t_end}, {.sigma = 0.1, .seed = 1}, stop);
  CHECK(r.stats.status == RunStatus::diverged);
  CHECK_THAT(r.stats.message, Catch::Contains("diverged at step") && Catch::Contains("(t = "));
  CHECK(r.stats.stop_time == static_cast<double>(r.stats.steps) * eta);
  CHECK(r.trajectory.steps.back() == r.stats.steps);
}

TEST_CASE("sgd refuses a step or noise scale out of range") {
  const LeastSquares ls = small_least_squares(7);
  const Eigen::VectorXd x0 = Eigen::VectorXd::Ones(4);
  CHECK_THROWS_WITH(stochastic_gradient_descent(ls, x0, 0.0, {0.0, 1.0}, {}, {.t_end = 1.0}),
                    Catch::Contains("eta > 0"));
  CHECK_THROWS_WITH(
      stochastic_gradient_descent(ls, x0, 0.1, {0.0, 1.0}, {.sigma = -1.0}, {.t_end = 1.0}),
      Catch::Contains("sigma >= 0"));
  // An inverse-time horizon beyond the budget is known before any step.
  CHECK(sgd_final_step(0.01, StepSchedule::inverse_time, 0.0, 1.0, 10'000'000) == -1);
}
