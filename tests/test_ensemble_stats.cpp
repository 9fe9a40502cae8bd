// Statistics across the members of an ensemble against direct computation,
// and the outcome labels of its runs.

#include "core/ensemble_stats.hpp"
#include "core/outcome_label.hpp"
#include "core/rng.hpp"
#include "models/least_squares.hpp"
#include "models/wide_sharp_1d.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace gradflow;

TEST_CASE("summary statistics equal a direct computation and leave out non-finite values") {
  const double nan = std::numeric_limits<double>::quiet_NaN(),
               inf = std::numeric_limits<double>::infinity();
  const SummaryStats s = summarise({3, 1, 4, nan, 1, 5, 9, inf, 2, 6});
  CHECK(s.count == 8);
  // Sorted: 1 1 2 3 4 5 6 9. Mean 31/8; squared deviations sum to 52.875.
  CHECK(s.mean == Approx(31.0 / 8.0).epsilon(1e-15));
  CHECK(s.std == Approx(std::sqrt(52.875 / 7.0)).epsilon(1e-15));
  CHECK(s.min == 1.0);
  CHECK(s.max == 9.0);
  // numpy.quantile([1,1,2,3,4,5,6,9], [.25, .5, .75]) = 1.75, 3.5, 5.25.
  CHECK(s.q25 == Approx(1.75).epsilon(1e-15));
  CHECK(s.median == Approx(3.5).epsilon(1e-15));
  CHECK(s.q75 == Approx(5.25).epsilon(1e-15));
  const SummaryStats one = summarise({7.0});
  CHECK(one.std == 0.0);
  CHECK(one.median == 7.0);
  CHECK(std::isnan(summarise({nan}).mean));
}

TEST_CASE(
    "the ensemble table aggregates members per recorded time and drops members after they stop") {
  MemberSeries a{{0.0, 1.0, 2.0}, {0, 10, 20}, {4.0, 2.0, 1.0}, {1.0, 0.5, 0.25}};
  MemberSeries b{{0.0, 1.0, 2.0}, {0, 10, 20}, {6.0, 4.0, 3.0}, {3.0, 1.5, 0.75}};
  MemberSeries c{{0.0, 1.3}, {0, 13}, {5.0, 1e40}, {2.0, 1e20}};  // diverged at t = 1.3
  const Table t = aggregate_members({a, c, b});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.column("t") == std::vector<double>{0.0, 1.0, 2.0});
  CHECK(t.column("step") == std::vector<double>{0, 10, 20});
  CHECK(t.column("members") == std::vector<double>{3, 2, 2});
  CHECK(t.column("loss_mean")[0] == Approx(5.0));
  CHECK(t.column("loss_median")[0] == Approx(5.0));
  CHECK(t.column("loss_std")[0] == Approx(1.0));  // {4, 5, 6}
  CHECK(t.column("loss_mean")[1] == Approx(3.0));
  CHECK(t.column("loss_min")[2] == 1.0);
  CHECK(t.column("loss_max")[2] == 3.0);
  CHECK(t.column("grad_norm_mean")[2] == Approx(0.5));
  CHECK(t.column("grad_norm_q75")[2] == Approx(0.625));  // 0.25 + 0.75·(0.75 − 0.25)
  // Adaptive members reach a time in different numbers of steps: no common step.
  MemberSeries d = b;
  d.steps = {0, 11, 20};
  CHECK(std::isnan(aggregate_members({a, d}).column("step")[1]));
  CHECK(aggregate_members({a, d}).column("step")[2] == 20.0);
}

TEST_CASE("outcome labels: diverged, not converged, the nearest named minimum, or converged") {
  const WideSharp1D f;
  const Eigen::VectorXd near_wide = Eigen::VectorXd::Constant(1, 9.9);
  CHECK(outcome_label(f, RunStatus::diverged, near_wide, 0.0, 1e-6) == "diverged");
  CHECK(outcome_label(f, RunStatus::completed, near_wide, 1e-3, 1e-6) == "not_converged");
  CHECK(outcome_label(f, RunStatus::completed, near_wide, std::nan(""), 1e-6) == "not_converged");
  CHECK(outcome_label(f, RunStatus::completed, near_wide, 1e-8, 1e-6) == "wide");
  CHECK(outcome_label(f, RunStatus::step_budget, Eigen::VectorXd::Constant(1, 0.1), 1e-8, 1e-6) ==
        "sharp");
  CHECK(outcome_labels(f) ==
        std::vector<std::string>{"diverged", "not_converged", "sharp", "wide"});
  Rng rng(1);
  const LeastSquares underdetermined(rng.normal_matrix(2, 3), rng.normal_matrix(2, 1));
  CHECK(outcome_label(underdetermined, RunStatus::loss_below, Eigen::VectorXd::Zero(3), 0.0,
                      1e-6) == "converged");
  CHECK(outcome_labels(underdetermined).back() == "converged");
}
