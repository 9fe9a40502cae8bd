// SGD allocates nothing per step once warmed up: the allocations of a run do
// not depend on how many steps it takes (malloc is interposed, see
// allocation_counter.hpp).

#include "integrators/stochastic_gradient_descent.hpp"
#include "models/least_squares.hpp"
#include "models/wide_sharp_1d.hpp"
#include "core/rng.hpp"

#include "allocation_counter.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;

TEST_CASE("sgd allocates the same whether it takes few steps or many, for every schedule") {
  Rng rng(3);
  const LeastSquares ls(rng.normal_matrix(30, 8), rng.normal_matrix(30, 1));
  const WideSharp1D landscape;
  const Eigen::VectorXd x8 = Eigen::VectorXd::Ones(8), x1 = Eigen::VectorXd::Constant(1, 5.0);
  for (StepSchedule schedule :
       {StepSchedule::constant, StepSchedule::inverse_time, StepSchedule::inverse_time_capped}) {
    for (const auto& [field, x0] :
         {std::pair<const Field*, const Eigen::VectorXd*>{&ls, &x8}, {&landscape, &x1}}) {
      INFO(to_string(schedule) << " on " << field->describe());
      const double eta = schedule == StepSchedule::constant ? 1e-3 : 0.05;
      auto allocations = [&](double t_end) {
        const SgdOptions options{.schedule = schedule, .sigma = 0.5, .beta = 50.0, .seed = 1};
        const long before = testing::heap_allocations_so_far();
        const RunResult r =
            stochastic_gradient_descent(*field, *x0, eta, {0.0, t_end}, options, {.t_end = t_end});
        REQUIRE(r.trajectory.size() == 2);
        return std::pair{testing::heap_allocations_so_far() - before, r.stats.steps};
      };
      const auto [few, few_steps] = allocations(0.1);
      const auto [many, many_steps] = allocations(0.3);
      CHECK(many_steps > few_steps);
      CHECK(many == few);
    }
  }
}

TEST_CASE("the landscape fields allocate nothing per evaluation once warmed up") {
  Rng rng(4);
  const LeastSquares ls(rng.normal_matrix(30, 8), rng.normal_matrix(30, 1));
  const WideSharp1D landscape;
  for (const auto& [field, x] :
       {std::pair<const Field*, Eigen::VectorXd>{&ls, Eigen::VectorXd::Ones(8)},
        {&landscape, Eigen::VectorXd::Constant(1, 5.0)}}) {
    INFO(field->describe());
    Eigen::VectorXd v(x.size()), hv(x.size());
    field->velocity(x, 0.0, v);
    field->hessian_vector(x, v, hv);
    const long before = testing::heap_allocations_so_far();
    double sink = 0.0;
    for (int i = 0; i < 100; ++i) {
      field->velocity(x, 0.0, v);
      field->hessian_vector(x, v, hv);
      sink += field->loss(x);
    }
    CHECK(testing::heap_allocations_so_far() - before == 0);
    CHECK(std::isfinite(sink));
  }
}
