#include "cli/eta_sweep.hpp"
#include "core/compare.hpp"
#include "core/diagnostics.hpp"
#include "integrators/integrate.hpp"
#include "models/linear_network.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

using namespace gradflow;
using gradflow::testing::random_dataset;

TEST_CASE("the Hessian extremes of least squares are those of XXᵀ/n") {
  const Dataset data = random_dataset(6, 1, 50, 3);
  const LinearNetwork net(data, {.widths = {6, 1}});
  const Eigen::VectorXd eig =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(data.X * data.X.transpose() / 50.0)
          .eigenvalues();
  const HessianExtremes h = hessian_extremes(net, Eigen::VectorXd::Zero(6));
  CHECK(h.min == Approx(eig.minCoeff()).epsilon(1e-12));
  CHECK(h.max == Approx(eig.maxCoeff()).epsilon(1e-12));
}

TEST_CASE("the analytic and the finite-difference Hessians agree") {
  // The base-class fallback (central differences of the gradient) against the
  // model's analytic Hessian-vector products.
  const Dataset data = random_dataset(4, 2, 30, 5);
  const LinearNetwork net(data, {.widths = {4, 3, 2}});
  struct FdOnly final : Field {
    const LinearNetwork& m;
    explicit FdOnly(const LinearNetwork& model) : m(model) {}
    Eigen::Index dim() const override { return m.dim(); }
    double loss(const Eigen::VectorXd& x) const override { return m.loss(x); }
    void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override { m.gradient(x, g); }
    const Layout& layout() const override { return m.layout(); }
    std::string describe() const override { return "fd"; }
  } fd(net);
  Rng rng(2);
  const Eigen::VectorXd x = net.init_gaussian(0.7, rng);
  const Eigen::MatrixXd H = assemble_hessian(net, x);
  const Eigen::MatrixXd Hfd = assemble_hessian(fd, x);
  // Central differences at h ≈ ε^{1/3}: error ≈ ε^{2/3} ≈ 4e-11 relative.
  CHECK((H - Hfd).norm() <= 1e-7 * H.norm());
  CHECK(fd.hessian_method() != net.hessian_method());
  // A product of layers has saddle directions: the Hessian is indefinite here.
  const HessianExtremes h = hessian_extremes(net, x);
  CHECK(h.min < 0.0);
  CHECK(h.max > 0.0);
}

TEST_CASE("diagnostics report loss, gradient norm and balancedness per record") {
  const Dataset data = random_dataset(3, 2, 10, 9);
  const LinearNetwork net(data, {.widths = {3, 2, 2}});
  Rng rng(1);
  Trajectory t;
  const Eigen::VectorXd x = net.init_gaussian(0.5, rng);
  t.record(0.0, 0, x);
  t.record(0.5, 3, 2.0 * x);
  const Diagnostics d = diagnose(net, t, {.hessian_eigenvalues = true});
  REQUIRE(d.series.columns == std::vector<std::string>{"t", "step", "loss", "grad_norm", "hess_min",
                                                       "hess_max", "balancedness_1",
                                                       "balancedness_max", "power_identity_1",
                                                       "e2e_norm", "sv_1", "sv_2"});
  REQUIRE(d.series.rows.size() == 2);
  CHECK(d.series.rows[1][0] == 0.5);
  CHECK(d.series.rows[1][1] == 3.0);
  CHECK(d.series.rows[1][2] == net.loss(2.0 * x));
  // Balancedness is quadratic in the layers, the e2e norm of depth 2 too.
  CHECK(d.series.rows[1][6] == Approx(4.0 * d.series.rows[0][6]));
  CHECK(d.series.rows[1][7] == d.series.rows[1][6]);
  CHECK(d.series.rows[1][9] == Approx(4.0 * d.series.rows[0][9]));
  REQUIRE(d.stacked_matrices.size() == 1);
  CHECK(d.stacked_matrices[0].first == "e2e");
  CHECK(d.stacked_matrices[0].second.rows() == 2);
  CHECK(d.stacked_matrices[0].second.cols() == 6);
}

TEST_CASE("runs are compared only at matched times") {
  const Dataset data = random_dataset(3, 1, 10, 9);
  const LinearNetwork net(data, {.widths = {3, 1}});
  Trajectory a, b;
  const Eigen::VectorXd x = Eigen::VectorXd::Ones(3);
  for (int k = 0; k <= 4; ++k) a.record(k * 0.1, k, x * k);
  b.record(0.0, 0, x);
  b.record(0.2, 7, x);
  b.record(0.25, 8, x);
  b.record(0.4, 9, x * 2);
  const Comparison c = compare_runs({net, a}, {net, b});
  REQUIRE(c.series.rows.size() == 3);
  CHECK(c.series.rows[1][0] == Approx(0.2));
  CHECK(c.series.rows[1][2] == 7.0);
  CHECK(c.has_state_dist);
  CHECK(c.max_state_dist == Approx(std::sqrt(3.0) * 2.0));
  CHECK(c.has_projection_dist);
}

TEST_CASE("states are compared only between runs with the same layout") {
  // Per-layer state (W1, W2) against the end-to-end state (W) of equal size:
  // only the projection distance is meaningful.
  const Dataset data = random_dataset(2, 2, 10, 9);
  const LinearNetwork layers(data, {.widths = {2, 1, 2}});  // 2 + 2 = 4 entries
  const LinearNetwork single(data, {.widths = {2, 2}});     // 4 entries, block W1 only
  Trajectory a, b;
  a.record(0.0, 0, Eigen::VectorXd::Ones(4));
  b.record(0.0, 0, Eigen::VectorXd::Ones(4));
  const Comparison c = compare_runs({layers, a}, {single, b});
  CHECK_FALSE(c.has_state_dist);
  CHECK(c.has_projection_dist);
  CHECK(compare_runs({layers, a}, {layers, b}).has_state_dist);
}

TEST_CASE("Lanczos sharpness equals the dense eigensolver's largest eigenvalue") {
  for (const std::vector<Eigen::Index>& widths :
       {std::vector<Eigen::Index>{6, 5, 4, 2}, std::vector<Eigen::Index>{10, 12, 12, 3}}) {
    const Dataset data = random_dataset(widths.front(), widths.back(), 40, 4);
    const LinearNetwork net(data, {.widths = widths});
    Rng rng(3);
    const Eigen::VectorXd x = net.init_gaussian(0.5, rng);
    INFO("dim " << net.dim());
    const SharpnessResult lanczos = sharpness_lanczos(net, x);
    REQUIRE(lanczos.converged);
    // Lanczos to relative tolerance 1e-10 against a dense solve of the same
    // Hessian (assembled from the same products): 1e-8 relative is the required bound.
    CHECK(lanczos.value == Approx(hessian_extremes(net, x).max).epsilon(1e-8));
  }
}

TEST_CASE("the log-log slope of an exact power law is its exponent") {
  const std::vector<double> x{0.04, 0.02, 0.01, 0.005};
  std::vector<double> y;
  for (double v : x) y.push_back(3.0 * std::pow(v, 1.5));
  CHECK(log_log_slope(x, y) == Approx(1.5).epsilon(1e-12));
}
