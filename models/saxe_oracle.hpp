#pragma once
// Saxe, McClelland & Ganguli (2014), at any depth N (Saxe, McClelland &
// Ganguli 2019; Arora, Cohen & Hazan 2018 for the end-to-end flow): on
// whitened inputs (Σxx = I) with Σyx = U S Vᵀ and a balanced start whose
// product is W(0) = U diag(u0) Vᵀ, the flow keeps W(t) = U diag(u(t)) Vᵀ and
// every mode follows the scalar ODE
//     u̇ = N u^{2−2/N} (s − u)
// (the end-to-end flow's N terms (WWᵀ)^{(N−j)/N} ∇ℓ (WᵀW)^{(j−1)/N} each give
// u^{2−2/N}(u − s) on an aligned W). Solved without any ODE integrator:
//   N = 1: u = s + (u0 − s)e^{−t};
//   N = 2: the logistic u0 / (e^{−2st} + u0(1 − e^{−2st})/s);
//   N ≥ 3: t as a function of u in closed form plus a smooth integral
//          (saxe_mode_by_quadrature), inverted by bisection;
//   s = 0: u = (u0^{−(2N−2)/N} + (2N−2)t)^{−N/(2N−2)}.

#include <Eigen/Core>

namespace gradflow {

struct SaxeOracle {
  Eigen::MatrixXd U, V;   // singular vectors of Σyx
  Eigen::VectorXd s, u0;  // its singular values, the start's
  int depth = 2;
  Eigen::VectorXd modes(double t) const;
  Eigen::MatrixXd matrix(double t) const { return U * modes(t).asDiagonal() * V.transpose(); }
};

// One mode at time t ≥ 0: s ≥ 0, u0 > 0 (any u0 at depth 1), depth ≥ 1.
double saxe_mode(double u0, double s, int depth, double t);

// The general solution for depth ≥ 2, s > 0, u0 > 0, also where saxe_mode
// has a closed form (for tests of one against the other). In w = u^{1/N} the
// ODE is ẇ = w^{N−1}(s − w^N), so
//   t(w) = (1/s) [ F(w) − F(w0) + A ln|w* − w0|/|w* − w| + ∫_{w0}^{w} r(x) dx ]
// with w* = s^{1/N}, F(w) = w^{2−N}/(2−N) (ln w at N = 2), A = w*^{2−N}/N and
// r(x) = (g(x) − A)/(w* − x), g(x) = x / Σ_k w*^{N−1−k} x^k, a rational
// function without poles on the positive axis (Gauss–Kronrod); t(w) rises monotonically from 0 at
// w0 to ∞ at w*, and bisection finds the w with t(w) = t to the last bits.
double saxe_mode_by_quadrature(double u0, double s, int depth, double t);

}  // namespace gradflow
