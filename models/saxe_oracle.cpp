#include "models/saxe_oracle.hpp"

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace gradflow {

namespace {

// N = 2, dividing by s: u(t) = u0 / (e^{−2st} + u0·g(t)) with
// g = (1 − e^{−2st})/s, the logistic without the cancellation that the
// familiar s / (1 + (s/u0 − 1) e^{−2st}) suffers at s → 0 (0/0 at s = 0, and
// at s ≈ 1e-16 the digits of 1 + (s/u0 − 1) are lost). g = −expm1(−2st)/s
// keeps full precision for small st, and g = 2t at s = 0, where the ODE is
// u̇ = −2u² and u = u0 / (1 + 2u0 t).
double logistic(double u0, double s, double t) {
  const double rate = 2.0 * s * t;
  const double g = s == 0.0 ? 2.0 * t : -std::expm1(-rate) / s;
  return u0 / (std::exp(-rate) + u0 * g);
}

}  // namespace

double saxe_mode_by_quadrature(double u0, double s, int depth, double t) {
  if (depth < 2 || !(s > 0.0) || !(u0 > 0.0) || !(t >= 0.0))
    throw std::invalid_argument("saxe_mode_by_quadrature: needs depth >= 2, s > 0, u0 > 0, t >= 0");
  if (t == 0.0 || u0 == s) return u0;
  const double N = depth;
  const double w0 = std::pow(u0, 1.0 / N);
  const double w_star = std::pow(s, 1.0 / N);
  const double A = std::pow(w_star, 2.0 - N) / N;
  const auto F = [&](double w) {
    return depth == 2 ? std::log(w) : std::pow(w, 2.0 - N) / (2.0 - N);
  };
  // r(x) = (g(x) − g(w*))/(w* − x) without the cancellation of that
  // quotient near w*: with q(x) = Σ_k w*^{N−1−k} x^k and
  // p_m(x) = (w*^m − x^m)/(w* − x) = Σ_j w*^{m−1−j} x^j,
  //   x q(w*) − w* q(x) = (w* − x) (−w*^{N−1} + x Σ_{k=2}^{N−1} w*^{N−k} p_{k−1}(x)),
  // so r(x) = (−w*^{N−1} + x Σ_{k=2}^{N−1} w*^{N−k} p_{k−1}(x)) / (q(x) q(w*)).
  std::vector<double> star_power(static_cast<std::size_t>(depth) + 1, 1.0);  // w*^k
  for (std::size_t k = 1; k < star_power.size(); ++k) star_power[k] = star_power[k - 1] * w_star;
  const auto power = [&](int k) { return star_power[static_cast<std::size_t>(k)]; };
  const double q_star = N * power(depth - 1);
  const auto r = [&](double x) {
    double q = 0.0;  // Horner: coefficients w*^0 (of x^{N−1}) … w*^{N−1} (of x^0)
    for (int k = 0; k < depth; ++k) q = q * x + power(k);
    double sum = 0.0, p = 1.0, x_power = x;  // p = p_{k−1}(x) from p_1 = 1; x^{k−1}
    for (int k = 2; k < depth; ++k) {
      sum += power(depth - k) * p;
      p = w_star * p + x_power;  // p_k = w* p_{k−1} + x^{k−1}
      x_power *= x;
    }
    return (x * sum - power(depth - 1)) / (q * q_star);
  };
  // r has no pole within ~w*·sin(2π/N) of the segment: one 31-point
  // Gauss–Kronrod rule meets 1e-13 without subdividing, in practice.
  const auto time_at = [&](double w) {
    const double integral =
        boost::math::quadrature::gauss_kronrod<double, 31>::integrate(r, w0, w, 8, 1e-13);
    return (F(w) - F(w0) + A * std::log(std::abs(w_star - w0) / std::abs(w_star - w)) + integral) /
           s;
  };
  const auto rate = [&](double w) {  // dt/dw
    return 1.0 / (std::pow(w, N - 1.0) * (s - std::pow(w, N)));
  };
  // Newton on t(w) = t, kept inside a bracket: t(near) ≤ t < t(far), with
  // far = w* where t(w) → ∞; a step leaving the bracket bisects instead.
  double near = w0, far = w_star, w = w0, t_w = 0.0;
  for (int iteration = 0; iteration < 200; ++iteration) {
    double next = w + (t - t_w) * std::abs(1.0 / rate(w)) * (far > near ? 1.0 : -1.0);
    if (!(std::min(near, far) < next && next < std::max(near, far))) next = 0.5 * (near + far);
    if (next == near || next == far) break;
    const double t_next = time_at(next);
    (t_next <= t ? near : far) = next;
    const bool converged = std::abs(next - w) <= 1e-15 * std::abs(next);
    w = next;
    t_w = t_next;
    if (converged) break;
  }
  return std::pow(w, N);
}

double saxe_mode(double u0, double s, int depth, double t) {
  if (depth == 1) return u0 * std::exp(-t) - s * std::expm1(-t);
  if (depth == 2) return logistic(u0, s, t);
  if (s == 0.0) {
    const double p = (2.0 * depth - 2.0) / depth;
    return std::pow(std::pow(u0, -p) + (2.0 * depth - 2.0) * t, -1.0 / p);
  }
  return saxe_mode_by_quadrature(u0, s, depth, t);
}

Eigen::VectorXd SaxeOracle::modes(double t) const {
  Eigen::VectorXd u(s.size());
  for (Eigen::Index k = 0; k < s.size(); ++k) u[k] = saxe_mode(u0[k], s[k], depth, t);
  return u;
}

}  // namespace gradflow
