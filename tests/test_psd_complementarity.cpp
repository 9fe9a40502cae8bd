// The small semidefinite complementarity problem of the central flow
// (core/psd_complementarity.hpp), checked by its definition: C ⪰ 0,
// D = ½B(C) − A ⪰ 0 and ⟨C, D⟩ = 0, on random problems whose solutions are
// interior (full rank), on the boundary (rank-deficient) and zero.

#include "core/psd_complementarity.hpp"
#include "core/rng.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

using namespace gradflow;

namespace {

struct Kkt {
  double min_c, min_d, complementarity, scale;
};

// B(C) from vectors T_ij (i ≤ j): B(C)_ij = ⟨T_ij, Σ_kl C_kl T_kl⟩, written
// out in matrix form with no svec scaling, independent of the solver's coordinates.
Kkt check(const std::vector<Eigen::VectorXd>& T, const SmallSymmetric& A, const SmallSymmetric& C,
          int k) {
  auto t = [&](int i, int j) -> const Eigen::VectorXd& {
    return T[static_cast<std::size_t>(pair_index(std::min(i, j), std::max(i, j)))];
  };
  Eigen::VectorXd v = Eigen::VectorXd::Zero(T[0].size());
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) v += C(i, j) * t(i, j);
  }
  Eigen::MatrixXd D(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) D(i, j) = 0.5 * t(i, j).dot(v) - A(i, j);
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ec(Eigen::MatrixXd(C), Eigen::EigenvaluesOnly);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ed(D, Eigen::EigenvaluesOnly);
  const double scale = std::max({Eigen::MatrixXd(C).norm() * D.norm(),
                                 Eigen::MatrixXd(A).norm() * Eigen::MatrixXd(C).norm(), 1e-300});
  return {ec.eigenvalues().minCoeff(), ed.eigenvalues().minCoeff(),
          (Eigen::MatrixXd(C).cwiseProduct(D)).sum(), scale};
}

}  // namespace

TEST_CASE(
    "the complementarity solution is PSD, pushes back only rising directions and is "
    "complementary") {
  Rng rng(11);
  int interior = 0, boundary = 0, zero = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int k = 1 + trial % kMaxComplementaritySize;
    const int q = k * (k + 1) / 2;
    const Eigen::Index n = 12;
    std::vector<Eigen::VectorXd> T;
    for (int p = 0; p < q; ++p) T.push_back(rng.normal_matrix(n, 1));
    SmallSymmetric A(k, k);
    for (int j = 0; j < k; ++j) {
      for (int i = 0; i <= j; ++i) A(i, j) = A(j, i) = rng.normal();
    }
    // G and a in svec coordinates (off-diagonal pairs weighted √2).
    auto w = [&](int p) {
      for (int j = 0;; ++j) {
        if (p < pair_index(0, j + 1)) return p == pair_index(j, j) ? 1.0 : std::sqrt(2.0);
      }
    };
    PairMatrix G(q, q);
    for (int p = 0; p < q; ++p) {
      for (int r = 0; r < q; ++r)
        G(p, r) = w(p) * w(r) * T[static_cast<std::size_t>(p)].dot(T[static_cast<std::size_t>(r)]);
    }
    const PairVector a = svec(A);
    const ComplementarityResult res = solve_psd_complementarity(G, a, k);
    REQUIRE(res.converged);
    const Kkt kkt = check(T, A, res.C, k);
    INFO("trial " << trial << ", k = " << k << ": min eig C " << kkt.min_c << ", min eig D "
                  << kkt.min_d << ", <C, D> " << kkt.complementarity << ", iterations "
                  << res.iterations);
    // FISTA stops at a relative step of 1e-14; with condition numbers up to
    // ~1e4 here the KKT residuals are below 1e-9 of the problem's scale.
    CHECK(kkt.min_c >= -1e-12 * std::max(1.0, Eigen::MatrixXd(res.C).norm()));
    CHECK(kkt.min_d >= -1e-9 * std::max(1.0, kkt.scale));
    CHECK(std::abs(kkt.complementarity) <= 1e-9 * std::max(1.0, kkt.scale));
    const double rank_test = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(Eigen::MatrixXd(res.C))
                                 .eigenvalues()
                                 .minCoeff();
    if (Eigen::MatrixXd(res.C).norm() == 0.0) {
      ++zero;
    } else if (rank_test > 1e-8) {
      ++interior;
    } else {
      ++boundary;
    }
  }
  INFO("interior " << interior << ", boundary " << boundary << ", zero " << zero);
  // The random problems reach every kind of solution.
  CHECK(interior > 0);
  CHECK(boundary > 0);
  CHECK(zero > 0);
}

TEST_CASE("the complementarity problem of one eigenvalue is the closed form max(0, 2a over g)") {
  for (double a : {-1.5, 0.0, 0.7}) {
    PairMatrix G(1, 1);
    G(0, 0) = 3.0;
    PairVector av(1);
    av[0] = a;
    CHECK(solve_psd_complementarity(G, av, 1).C(0, 0) ==
          Approx(std::max(0.0, 2.0 * a / 3.0)).margin(1e-15));
  }
}

TEST_CASE("the complementarity solver refuses sizes it was not built for") {
  PairMatrix G = PairMatrix::Identity(3, 3);
  PairVector a = PairVector::Zero(3);
  CHECK_THROWS_WITH(solve_psd_complementarity(G, a, 3), Catch::Contains("k(k+1)/2"));
}
