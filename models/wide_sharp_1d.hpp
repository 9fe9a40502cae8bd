#pragma once
// A 1-D landscape with a sharp and a wide minimum (DESIGN.md §4, "small
// landscapes"): with z = 3(θ − 3) and the logistic weight s = 1/(1 + e^{−z}),
//
//   f(θ) = (10θ² + e^{z}((θ − 10)²/2 + 50)) / (1 + e^{z})
//        = (1 − s)·a(θ) + s·b(θ),   a = 10θ²,   b = (θ − 10)²/2 + 50.
//
// The logistic form never evaluates e^{z} itself (which overflows for
// θ ≳ 240); s and 1 − s come from e^{−|z|} ≤ 1, and a term whose weight has
// underflowed to zero is dropped rather than multiplied (0·∞ would be NaN for
// |θ| ≳ 1e154). Derivatives, with s' = 3s(1 − s) and s'' = 3s'(1 − 2s):
//
//   f'  = (1 − s)a' + s b' + s'(b − a)
//   f'' = (1 − s)a'' + s b'' + 2s'(b' − a') + s''(b − a).
//
// Minima (found by Newton's method on f' at construction): "sharp" at
// θ ≈ −0.00178 (f ≈ 0.0123, f'' ≈ 20.1; the global minimum) and "wide" at
// θ ≈ 10.000002 (f ≈ 50, f'' ≈ 1.0). GD with step η is stable at a minimum
// of curvature λ iff η < 2/λ: η = 0.3 cannot stay in the sharp minimum
// (2/20.1 ≈ 0.0995) but can in the wide one, η = 4 in neither.

#include "core/field.hpp"
#include "core/named_minima.hpp"

namespace gradflow {

class WideSharp1D final : public Field, public HasNamedMinima {
 public:
  WideSharp1D();

  Eigen::Index dim() const override { return 1; }
  double loss(const Eigen::VectorXd& x) const override { return value(x[0]); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;
  // theta and the curvature f''(θ) per record.
  Observation observe(const Eigen::VectorXd& x) const override;

  const std::vector<NamedPoint>& named_minima() const override { return minima_; }

  // f, f', f'' at θ.
  static double value(double theta);
  static double slope(double theta);
  static double curvature(double theta);

 private:
  Layout layout_;
  std::vector<NamedPoint> minima_;
};

}  // namespace gradflow
