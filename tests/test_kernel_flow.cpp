// The kernel flow u̇ = −H(u − y) (models/kernel_flow.hpp) and its exact
// solver (integrators/exact_linear.hpp): against dopri5 on the same field,
// discrete kernel GD in closed form against iterating it, and the λ_min bound.

#include "core/rng.hpp"
#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/kernel_flow.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>

using namespace gradflow;

namespace {

KernelFlow random_kernel_flow(Eigen::Index n, std::uint64_t seed, Eigen::VectorXd* u0) {
  Rng rng(seed);
  Eigen::MatrixXd X = rng.normal_matrix(10, n);
  X.colwise().normalize();
  const Eigen::VectorXd y = rng.normal_matrix(n, 1);
  *u0 = rng.normal_matrix(n, 1, 0.5);
  return KernelFlow(relu_ntk_infinite_width(X), y, "infinite-width NTK", *u0);
}

}  // namespace

TEST_CASE("the exact kernel flow agrees with dopri5 on the same field") {
  Eigen::VectorXd u0;
  const KernelFlow flow = random_kernel_flow(40, 3, &u0);
  const double T = 20.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 41}, T);
  const RunResult exact = integrate(flow, u0, times, {.method = Method::exact}, {.t_end = T});
  const RunResult ode = integrate(
      flow, u0, times, {.method = Method::dopri5, .rtol = 1e-11, .atol = 1e-13}, {.t_end = T});
  REQUIRE(exact.stats.status == RunStatus::completed);
  REQUIRE(ode.stats.status == RunStatus::completed);
  REQUIRE(exact.trajectory.size() == times.size());
  REQUIRE(ode.trajectory.size() == times.size());
  CHECK(exact.stats.field_evaluations == 0);
  const double scale = (u0 - flow.fixed_point()).norm();
  for (std::size_t k = 0; k < times.size(); ++k) {
    INFO("t = " << times[k]);
    // dopri5's global error on a contracting linear flow stays within a
    // hundred times its local tolerance rtol = 1e-11.
    CHECK((exact.trajectory.states[k] - ode.trajectory.states[k]).norm() <= 1e-9 * scale);
  }
}

TEST_CASE("the exact solution solves du/dt = -H(u - y), checked by its own time derivative") {
  Eigen::VectorXd u0;
  const KernelFlow flow = random_kernel_flow(15, 4, &u0);
  const double t = 1.3, h = 1e-4;
  const RunResult r =
      integrate(flow, u0, {0.0, t - h, t, t + h}, {.method = Method::exact}, {.t_end = t + h});
  const Eigen::VectorXd derivative = (r.trajectory.states[3] - r.trajectory.states[1]) / (2 * h);
  Eigen::VectorXd field;
  flow.velocity(r.trajectory.states[2], t, field);
  // Central difference: error h²‖H‖³‖u − y‖/6 ≈ 1e-8 relative (‖H‖ ≈ n/4 ≈ 4).
  CHECK((derivative - field).norm() <= 1e-6 * field.norm());
}

TEST_CASE("discrete kernel GD in closed form equals iterating it") {
  Eigen::VectorXd u0;
  const KernelFlow flow = random_kernel_flow(30, 5, &u0);
  const double eta = 1.0 / flow.lambda_max();
  const long K = 200;
  const double T = K * eta;
  const auto times = sample_times({.kind = SampleGrid::Kind::grid, .spacing = eta}, T);
  const RunResult gd =
      integrate(flow, u0, times, {.method = Method::euler, .dt = eta}, {.t_end = T});
  REQUIRE(gd.trajectory.size() == static_cast<std::size_t>(K + 1));
  const double scale = (u0 - flow.fixed_point()).norm();
  for (long k = 0; k <= K; k += 20) {
    INFO("step " << k);
    // ‖I − ηH‖ ≤ 1 for η ≤ 1/λ_max: round-off grows at most linearly in k.
    const double roundoff =
        100.0 * static_cast<double>(k + 1) * std::numeric_limits<double>::epsilon() * scale;
    CHECK((gd.trajectory.states[static_cast<std::size_t>(k)] - flow.gd_closed_form(u0, eta, k))
              .norm() <= roundoff);
  }
}

TEST_CASE("the kernel flow's loss stays under the lambda-min bound at every recorded time") {
  Eigen::VectorXd u0;
  const KernelFlow flow = random_kernel_flow(50, 6, &u0);
  REQUIRE(flow.lambda_min() > 0.0);
  const double T = 5.0 / flow.lambda_min();
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 101}, T);
  const RunResult r = integrate(flow, u0, times, {.method = Method::exact}, {.t_end = T});
  const double r0 = (u0 - flow.fixed_point()).squaredNorm();
  for (std::size_t k = 0; k < r.trajectory.size(); ++k) {
    const double t = r.trajectory.times[k];
    const double r2 = (r.trajectory.states[k] - flow.fixed_point()).squaredNorm();
    INFO("t = " << t);
    // ‖u − y‖² = Σ e^{−2λ_k t} c_k² ≤ e^{−2λ_min t} Σ c_k²; round-off 1e-12 relative.
    CHECK(r2 <= std::exp(-2.0 * flow.lambda_min() * t) * r0 * (1.0 + 1e-12));
    // The observation says the same thing: bound_time ≥ t, up to the same
    // round-off 1e-12 in ‖u − y‖², i.e. 1e-12/(2λ_min) in time.
    const Observation obs = flow.observe(r.trajectory.states[k]);
    CHECK(obs.scalars.at(1).first == "bound_time");
    CHECK(obs.scalars.at(1).second >= t - 1e-12 / flow.lambda_min());
    // And the exported columns at that time: the bound and the verdict.
    const Observation at = flow.observe_at(r.trajectory.states[k], t);
    CHECK(at.scalars.at(2).first == "loss_bound");
    CHECK(at.scalars.at(2).second == Approx(0.5 * std::exp(-2.0 * flow.lambda_min() * t) * r0));
    CHECK(at.scalars.at(3).first == "under_bound");
    CHECK(at.scalars.at(3).second == 1.0);
  }
}

TEST_CASE("a kernel flow refuses a kernel that is not symmetric positive semidefinite") {
  const Eigen::VectorXd y = Eigen::VectorXd::Ones(2);
  Eigen::MatrixXd H(2, 2);
  H << 1.0, 0.5, 0.4, 1.0;
  CHECK_THROWS_WITH(KernelFlow(H, y, "test"), Catch::Contains("symmetric"));
  H << 1.0, 2.0, 2.0, 1.0;
  CHECK_THROWS_WITH(KernelFlow(H, y, "test"), Catch::Contains("positive semidefinite"));
  CHECK_THROWS_WITH(KernelFlow(Eigen::MatrixXd::Identity(3, 3), y, "test"),
                    Catch::Contains("3 x 3 kernel and 2 targets"));
}

TEST_CASE("the exact integrator refuses a field that is not linear") {
  // The network of two_layer_relu is not a LinearRelaxationField; a plain
  // Field stand-in is enough here.
  struct Quartic final : Field {
    Layout layout_;
    Quartic() { layout_.append("x", 1, 1); }
    Eigen::Index dim() const override { return 1; }
    double loss(const Eigen::VectorXd& x) const override { return std::pow(x[0], 4); }
    void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
      g.resize(1);
      g[0] = 4 * std::pow(x[0], 3);
    }
    const Layout& layout() const override { return layout_; }
    std::string describe() const override { return "x^4"; }
  } quartic;
  CHECK_THROWS_WITH(integrate(quartic, Eigen::VectorXd::Ones(1), {0.0, 1.0},
                              {.method = Method::exact}, {.t_end = 1.0}),
                    Catch::Contains("exact solves linear flows"));
}
