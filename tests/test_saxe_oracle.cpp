// Saxe's mode solution at any depth (models/saxe_oracle.hpp) against scalar
// RK4 on u̇ = N u^{2−2/N}(s − u), and the general quadrature solution against
// the closed forms; then recorded beside the end-to-end flow from the CLI.
#include "cli_support.hpp"
#include "models/saxe_oracle.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <string>

using gradflow::saxe_mode;
using gradflow::saxe_mode_by_quadrature;
using gradflow::testing::csv_column;
using gradflow::testing::scalar_rk4;

namespace {

double rk4_mode(double u0, double s, int N, double t) {
  // h = 1e-4 on O(1) rates: RK4's error O(h⁴) ≈ 1e-16, plus t/h steps of
  // round-off.
  return scalar_rk4([&](double u) { return N * std::pow(u, 2.0 - 2.0 / N) * (s - u); }, u0, t,
                    1e-4);
}

}  // namespace

TEST_CASE("Saxe's mode solution matches RK4 on the mode ODE at depths 1 to 5") {
  for (int N = 1; N <= 5; ++N) {
    for (const double s : {4.0, 0.3, 0.0}) {
      for (const double u0 : {1e-3, 0.05, 6.0}) {
        const auto rate = [&](double u) { return N * std::pow(u, 2.0 - 2.0 / N) * (s - u); };
        double rk4 = u0, t_previous = 0.0;  // RK4 carried from one time to the next
        for (const double t : {0.0, 0.25, 1.0, 4.0, 8.0}) {
          if (t > t_previous) rk4 = scalar_rk4(rate, rk4, t - t_previous, 1e-4);
          t_previous = t;
          const double oracle = saxe_mode(u0, s, N, t);
          INFO("N = " << N << ", s = " << s << ", u0 = " << u0 << ", t = " << t << ": oracle "
                      << oracle << ", RK4 " << rk4);
          // RK4 at h = 1e-4 on rates up to ~500: error O((hL)⁴) plus 8e4 steps
          // of round-off, ~1e-11 relative.
          CHECK(std::abs(oracle - rk4) <= 1e-10 * std::max(1.0, std::abs(rk4)));
        }
      }
    }
  }
}

TEST_CASE("the general quadrature solution equals the logistic at depth 2 to round-off") {
  for (const double s : {5.0, 1.0, 1e-3}) {
    for (const double u0 : {1e-6, 0.1, 7.0}) {
      for (const double t : {1e-8, 0.1, 1.0, 3.0, 50.0}) {
        const double quadrature = saxe_mode_by_quadrature(u0, s, 2, t);
        const double closed = saxe_mode(u0, s, 2, t);
        INFO("s = " << s << ", u0 = " << u0 << ", t = " << t);
        // Both are accurate to a few ulps of u; quadrature at 1e-14 relative.
        CHECK(quadrature == Approx(closed).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("Saxe's modes rise in the time the plateau formula gives, strongest first") {
  // From u0 ≪ s a depth-N mode spends t ≈ u0^{−(N−2)/N}/(s(N−2)) on its
  // plateau at N ≥ 3 (ln(s/u0)/(2s) at N = 2): stronger modes are learned
  // first, and deeper networks have sharper, later transitions.
  const double u0 = 1e-4;
  for (const int N : {2, 3, 4}) {
    double previous = 0.0;
    for (const double s : {5.0, 3.0, 1.0}) {
      double lo = 0.0, hi = 1e6;  // the time u reaches s/2, by bisection on the oracle
      for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        (saxe_mode(u0, s, N, mid) < 0.5 * s ? lo : hi) = mid;
      }
      const double plateau =
          N == 2 ? std::log(s / u0) / (2.0 * s) : std::pow(u0, -(N - 2.0) / N) / (s * (N - 2.0));
      INFO("N = " << N << ", s = " << s << ": half-way at t = " << lo);
      CHECK(lo > previous);
      CHECK(lo == Approx(plateau).epsilon(0.2));
      previous = lo;
    }
  }
}

TEST_CASE("the CLI records Saxe's mode solution beside the end-to-end flow at depths 1, 3 and 4") {
  const auto dir = gradflow::testing::fresh_temp_dir("saxe_oracle", "depths");
  for (const int depth : {1, 3, 4}) {
    const std::string name = "depth" + std::to_string(depth);
    gradflow::testing::write_file(dir / (name + ".json"), fmt::format(R"({{
      "name": "{}",
      "data": {{"kind": "spectrum", "inputs": 3, "outputs": 3, "singular_values": [5, 3, 1]}},
      "model": {{"kind": "linear_network", "depth": {}, "width": 3, "saxe_oracle": true}},
      "init": {{"kind": "aligned", "scale": 0.05}},
      "t_end": 4,
      "runs": [{{"name": "e2e", "integrator": "dopri5", "flow": "end_to_end", "rtol": 1e-11,
                "atol": 1e-13}}],
      "sample": {{"kind": "linear", "count": 9}}
    }})",
                                                                      name, depth));
    const auto r = gradflow::testing::gradflow_cli(
        {"run", (dir / (name + ".json")).string(), "--out", (dir / name).string(), "-q"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto csv = dir / name / name / "e2e.csv";
    const std::vector<double> t = csv_column(csv, "t");
    const std::vector<double> gap = csv_column(csv, "saxe_gap");
    const double s[] = {5, 3, 1};
    for (int k = 0; k < 3; ++k) {
      const std::vector<double> u = csv_column(csv, "saxe_u_" + std::to_string(k + 1));
      for (std::size_t i = 0; i < t.size(); ++i) {
        INFO("depth " << depth << ", mode " << k + 1 << " at t = " << t[i]);
        CHECK(u[i] == Approx(rk4_mode(0.05, s[k], depth, t[i])).epsilon(1e-9));
      }
    }
    // dopri5 at rtol 1e-11 over a rise amplifying errors ≲ 1e3: the flow
    // meets the oracle well within 1e-7 of ‖S‖_F.
    for (std::size_t i = 0; i < t.size(); ++i) {
      INFO("depth " << depth << " at t = " << t[i]);
      CHECK(gap[i] < 1e-7 * std::sqrt(35.0));
    }
  }
}
