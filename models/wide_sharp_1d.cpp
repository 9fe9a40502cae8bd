#include "models/wide_sharp_1d.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace gradflow {

namespace {

// The logistic weight s = 1/(1 + e^{−z}) at z = 3(θ − 3), its complement
// 1 − s, and s(1 − s), all from e^{−|z|} so that nothing overflows.
struct Weights {
  double s, sbar, s_sbar;
};
Weights weights(double theta) {
  const double z = 3.0 * (theta - 3.0);
  const double e = std::exp(-std::abs(z));
  const double inv = 1.0 / (1.0 + e);
  return z >= 0.0 ? Weights{inv, e * inv, e * inv * inv} : Weights{e * inv, inv, e * inv * inv};
}

// w·v, or 0 when the weight has underflowed (v may then be huge or infinite).
double weighted(double w, double v) { return w == 0.0 ? 0.0 : w * v; }

double a(double t) { return 10.0 * t * t; }
double b(double t) { return 0.5 * (t - 10.0) * (t - 10.0) + 50.0; }

// Newton's method on f' from `start`; f'' > 0 near both minima.
double newton_minimum(double start) {
  double t = start;
  for (int i = 0; i < 100; ++i) {
    const double step = WideSharp1D::slope(t) / WideSharp1D::curvature(t);
    t -= step;
    if (std::abs(step) <= 1e-15 * std::max(1.0, std::abs(t))) return t;
  }
  throw std::logic_error(fmt::format("Newton's method did not converge from {}", start));
}

}  // namespace

double WideSharp1D::value(double t) {
  const Weights w = weights(t);
  return weighted(w.sbar, a(t)) + weighted(w.s, b(t));
}

double WideSharp1D::slope(double t) {
  const Weights w = weights(t);
  const double ds = 3.0 * w.s_sbar;
  return weighted(w.sbar, 20.0 * t) + weighted(w.s, t - 10.0) + weighted(ds, b(t) - a(t));
}

double WideSharp1D::curvature(double t) {
  const Weights w = weights(t);
  const double ds = 3.0 * w.s_sbar;
  const double dds = 3.0 * ds * (w.sbar - w.s);
  return 20.0 * w.sbar + w.s + weighted(ds, 2.0 * ((t - 10.0) - 20.0 * t)) +
         weighted(dds, b(t) - a(t));
}

WideSharp1D::WideSharp1D() {
  layout_.append("theta", 1, 1);
  minima_.push_back({"sharp", Eigen::VectorXd::Constant(1, newton_minimum(0.0))});
  minima_.push_back({"wide", Eigen::VectorXd::Constant(1, newton_minimum(10.0))});
}

void WideSharp1D::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  g.resize(1);
  g[0] = slope(x[0]);
}

void WideSharp1D::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                 Eigen::VectorXd& hv) const {
  hv.resize(1);
  hv[0] = curvature(x[0]) * v[0];
}

Observation WideSharp1D::observe(const Eigen::VectorXd& x) const {
  return {{{"theta", x[0]}, {"curvature", curvature(x[0])}}, {}};
}

std::string WideSharp1D::describe() const {
  const double sharp = minima_[0].point[0], wide = minima_[1].point[0];
  return fmt::format(
      "1-D wide/sharp landscape f = (10θ² + e^(3(θ−3))((θ−10)²/2 + 50)) / (1 + e^(3(θ−3))): "
      "sharp minimum θ = {:.6g} (f'' = {:.4g}), wide minimum θ = {:.8g} (f'' = {:.4g})",
      sharp, curvature(sharp), wide, curvature(wide));
}

}  // namespace gradflow
