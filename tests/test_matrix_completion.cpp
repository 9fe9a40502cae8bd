// The matrix completion loss: derivatives against finite differences, the
// sparse factor path against the dense one, and Ω sampled without replacement.

#include "models/matrix_completion.hpp"
#include "models/psd_ground_truth.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace gradflow;

namespace {

MatrixCompletionLoss completion_problem(Eigen::Index d, Eigen::Index r, Eigen::Index count,
                                        std::uint64_t seed) {
  Rng rng(seed);
  const Eigen::MatrixXd truth = make_psd_ground_truth({.size = d, .rank = r}, rng);
  return MatrixCompletionLoss(truth, sample_observed_entries(d, count, rng));
}

}  // namespace

TEST_CASE("the completion gradient and Hessian action match finite differences") {
  const MatrixCompletionLoss loss = completion_problem(6, 2, 15, 1);
  Rng rng(2);
  const Eigen::MatrixXd W = rng.normal_matrix(6, 6), V = rng.normal_matrix(6, 6);
  Eigen::MatrixXd G(6, 6), D(6, 6), Gp(6, 6), Gm(6, 6);
  loss.gradient(W, G);
  // Quadratic loss: central differences are exact up to round-off ε·ℓ/h ≈ 1e-12.
  const Eigen::MatrixXd fd = gradflow::testing::finite_difference_matrix_gradient(loss, W, 1e-4);
  CHECK((G - fd).norm() <= 1e-8 * fd.norm());
  // Only observed entries carry gradient.
  CHECK((G.array() != 0.0).count() == 15);
  loss.hessian_action(W, V, D);
  loss.gradient(W + 1e-3 * V, Gp);
  loss.gradient(W - 1e-3 * V, Gm);
  // Affine gradient: the difference quotient is exact up to round-off.
  CHECK((D - (Gp - Gm) / 2e-3).norm() <= 1e-9 * D.norm());
}

TEST_CASE("the sparse factor path of completion equals the dense path through W = UUᵀ") {
  for (Eigen::Index k : {Eigen::Index{3}, Eigen::Index{8}, Eigen::Index{11}}) {
    INFO("k = " << k);
    const MatrixCompletionLoss loss = completion_problem(8, 3, 30, 3);
    Rng rng(4);
    const Eigen::MatrixXd U = rng.normal_matrix(8, k);
    const Eigen::MatrixXd W = U * U.transpose();
    Eigen::MatrixXd G(8, 8), D(8, k);
    loss.gradient(W, G);
    loss.symmetric_gradient_times_factor(U, D);
    const Eigen::MatrixXd dense = (G + G.transpose()) * U;
    // Same sums in a different order: round-off, a few ε relative.
    CHECK((D - dense).norm() <= 1e-13 * dense.norm());
    CHECK(loss.value_at_factor(U) == Approx(loss.value(W)).epsilon(1e-13));
  }
}

TEST_CASE("observed entries are distinct, in range, sorted and reproducible") {
  Rng a(5), b(5);
  const auto omega = sample_observed_entries(10, 40, a);
  CHECK(omega == sample_observed_entries(10, 40, b));
  REQUIRE(omega.size() == 40);
  std::set<std::pair<Eigen::Index, Eigen::Index>> seen;
  for (std::size_t e = 0; e < omega.size(); ++e) {
    CHECK(omega[e].row >= 0);
    CHECK(omega[e].row < 10);
    CHECK(omega[e].col >= 0);
    CHECK(omega[e].col < 10);
    seen.insert({omega[e].col, omega[e].row});
    if (e > 0) {
      CHECK(std::pair(omega[e - 1].col, omega[e - 1].row) < std::pair(omega[e].col, omega[e].row));
    }
  }
  CHECK(seen.size() == 40);
  Rng c(6);
  CHECK(sample_observed_entries(3, 9, c).size() == 9);  // every entry, each once
}

TEST_CASE("every entry is observed with probability |Ω|/d²") {
  // d = 3, |Ω| = 3: each of the 9 entries is in Ω with probability 1/3. Over
  // 3000 draws its count is Binomial(3000, 1/3): mean 1000, sd 25.8; 5 sd = 129.
  Rng rng(7);
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(3, 3);
  for (int rep = 0; rep < 3000; ++rep) {
    for (const auto& [i, j] : sample_observed_entries(3, 3, rng)) counts(i, j) += 1.0;
  }
  INFO(counts);
  CHECK((counts.array() - 1000.0).abs().maxCoeff() <= 129.0);
}

TEST_CASE("bad observed entries are refused naming the entry") {
  CHECK_THROWS_WITH(MatrixCompletionLoss(4, {}, {}),
                    Catch::Contains("at least one observed entry, got 0"));
  CHECK_THROWS_WITH(MatrixCompletionLoss(4, {{0, 1}, {4, 2}}, {1.0, 2.0}),
                    Catch::Contains("observed entry 1 is (4, 2), outside the 4 x 4 matrix"));
  CHECK_THROWS_WITH(MatrixCompletionLoss(4, {{0, 1}, {-1, 2}}, {1.0, 2.0}),
                    Catch::Contains("outside the 4 x 4"));
  CHECK_THROWS_WITH(MatrixCompletionLoss(4, {{2, 1}, {0, 3}, {2, 1}}, {1.0, 2.0, 1.0}),
                    Catch::Contains("observed entry (2, 1) is listed twice (entries 0 and 2)"));
  Rng rng(1);
  CHECK_THROWS_WITH(sample_observed_entries(3, 10, rng), Catch::Contains("between 1 and d² = 9"));
  Eigen::MatrixXd not_integer(1, 2);
  not_integer << 1.5, 2.0;
  CHECK_THROWS_WITH(entries_from_array(not_integer), Catch::Contains("expected an integer"));
  CHECK_THROWS_WITH(entries_from_array(Eigen::MatrixXd::Zero(4, 3)),
                    Catch::Contains("|Ω| x 2 array"));
}
