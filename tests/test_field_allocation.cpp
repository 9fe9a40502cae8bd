// The hot path (the vector field and the stepper loop) allocates nothing per
// call: counted by interposing malloc in this test binary (allocation_counter.cpp),
// which sees Eigen's storage as well as operator new.

#include "integrators/integrate.hpp"
#include "models/end_to_end_flow.hpp"
#include "models/linear_network.hpp"
#include "models/regression_losses.hpp"

#include "allocation_counter.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

using namespace gradflow;
using gradflow::testing::random_dataset;

TEST_CASE("a linear-network field evaluation allocates nothing once warmed up") {
  for (bool residual : {false, true}) {
    INFO("residual " << residual);
    const Dataset data = random_dataset(10, 10, 100, 2);
    const LinearNetwork net(data, {.widths = {10, 10, 10, 10}, .residual = residual});
    Rng rng(1);
    const Eigen::VectorXd x = net.init_gaussian(0.3, rng);
    Eigen::VectorXd v(net.dim());
    net.velocity(x, 0.0, v);
    const long before = testing::heap_allocations_so_far();
    for (int i = 0; i < 100; ++i) net.velocity(x, 0.0, v);
    CHECK(testing::heap_allocations_so_far() - before == 0);
    // So is the Hessian-vector product, which the modified flow evaluates.
    Eigen::VectorXd hv(net.dim());
    net.hessian_vector(x, v, hv);
    const long before_hv = testing::heap_allocations_so_far();
    for (int i = 0; i < 100; ++i) net.hessian_vector(x, v, hv);
    CHECK(testing::heap_allocations_so_far() - before_hv == 0);
    // The loss (used by the loss-threshold stop) is allocation-free too.
    const long before_loss = testing::heap_allocations_so_far();
    double sink = 0.0;
    for (int i = 0; i < 100; ++i) sink += net.loss(x);
    CHECK(testing::heap_allocations_so_far() - before_loss == 0);
    CHECK(sink > 0.0);
  }
}

TEST_CASE("an end-to-end field evaluation allocates nothing once warmed up") {
  // Up to 16 columns the field uses JacobiSVD, which allocates nothing once
  // sized; larger matrices use BDCSVD, which allocates inside Eigen (see
  // end_to_end_flow.hpp) and is not checked here.
  for (const auto& [inputs, outputs] :
       {std::pair<Eigen::Index, Eigen::Index>{10, 1}, {10, 3}, {10, 10}, {24, 16}}) {
    for (int depth : {1, 2, 3}) {
      INFO("inputs " << inputs << ", outputs " << outputs << ", depth " << depth);
      const Dataset data = random_dataset(inputs, outputs, 100, 2);
      const EndToEndFlow e2e(std::make_shared<SquareLoss>(data), depth);
      Rng rng(1);
      const Eigen::VectorXd x = rng.normal_matrix(e2e.dim(), 1);
      Eigen::VectorXd v(e2e.dim());
      e2e.velocity(x, 0.0, v);
      const long before = testing::heap_allocations_so_far();
      for (int i = 0; i < 20; ++i) e2e.velocity(x, 0.0, v);
      CHECK(testing::heap_allocations_so_far() - before == 0);
    }
  }
}

TEST_CASE("an end-to-end field kept on a rank allocates nothing once warmed up") {
  for (const auto& [inputs, outputs] :
       {std::pair<Eigen::Index, Eigen::Index>{10, 1}, {10, 3}, {6, 6}}) {
    for (int depth : {2, 3, 4}) {
      INFO("inputs " << inputs << ", outputs " << outputs << ", depth " << depth);
      const Dataset data = random_dataset(inputs, outputs, 100, 2);
      const EndToEndFlow e2e(std::make_shared<SquareLoss>(data), depth,
                             {.max_rank = outputs == 1 ? 0 : 2});
      Rng rng(1);
      const Eigen::VectorXd x = rng.normal_matrix(e2e.dim(), 1);
      Eigen::VectorXd v(e2e.dim());
      e2e.velocity(x, 0.0, v);
      const long before = testing::heap_allocations_so_far();
      for (int i = 0; i < 20; ++i) e2e.velocity(x, 0.0, v);
      CHECK(testing::heap_allocations_so_far() - before == 0);
    }
  }
}

TEST_CASE("the integration loops allocate the same whether they take few steps or many") {
  const Dataset data = random_dataset(10, 1, 100, 2);
  const LinearNetwork net(data, {.widths = {10, 10, 10, 1}});
  Rng rng(1);
  const Eigen::VectorXd x0 = net.init_gaussian(0.3, rng);
  // bdf: CVODE's steps, Newton iterations, Jacobian rebuilds and (dense)
  // factorisations, or (krylov) GMRES iterations, all in preallocated storage.
  const std::vector<std::pair<Method, LinearSolver>> methods = {
      {Method::euler, LinearSolver::automatic},
      {Method::dopri5, LinearSolver::automatic},
      {Method::fehlberg78, LinearSolver::automatic},
      {Method::rk4, LinearSolver::automatic},
      {Method::bdf, LinearSolver::dense},
      {Method::bdf, LinearSolver::krylov}};
  for (const auto& [m, solver] : methods) {
    INFO(to_string(m) << " " << to_string(solver));
    auto allocations = [&](double t_end) {
      const MethodOptions opts{
          .method = m, .rtol = 1e-9, .atol = 1e-9, .dt = 1e-3, .linear_solver = solver};
      const StopOptions stop{.t_end = t_end, .loss_below = 1e-300};
      const long before = testing::heap_allocations_so_far();
      const RunResult r = integrate(net, x0, {0.0, t_end}, opts, stop);
      REQUIRE(r.trajectory.size() == 2);
      return std::pair{testing::heap_allocations_so_far() - before, r.stats.steps};
    };
    const auto [few, few_steps] = allocations(0.5);
    const auto [many, many_steps] = allocations(5.0);
    CHECK(many_steps > few_steps);
    CHECK(many == few);
  }
}
