#pragma once
// Least squares (DESIGN.md §4, "small landscapes"):
//
//   L(θ) = ½‖Xθ − y‖²,   ∇L = Xᵀ(Xθ − y),   ∇²L = XᵀX,
//
// with X ∈ R^{n×d} (rows are samples) and y ∈ Rⁿ; note: a plain sum, not
// divided by n. The Hessian is constant, so gradient descent with step η
// converges from every start iff η < 2/λ_max(XᵀX) (every mode of θ − θ⁺
// contracts by |1 − ηλ_i| per step) and diverges from almost every start
// above it. Gradient flow is the linear field θ̇ = −XᵀX(θ − θ⁺) with θ⁺ the
// minimum-norm least-squares solution (XᵀXθ⁺ = Xᵀy), so the `exact`
// integrator solves it in closed form.
//
// When XᵀX is nonsingular θ⁺ is the unique minimiser, named "minimum".

#include "core/linear_relaxation_field.hpp"
#include "core/named_minima.hpp"

#include <Eigen/Core>

namespace gradflow {

class LeastSquares final : public LinearRelaxationField, public HasNamedMinima {
 public:
  // Throws std::invalid_argument unless X has n = y.size() rows, at least one
  // column, and every entry is finite.
  LeastSquares(Eigen::MatrixXd X, Eigen::VectorXd y);

  Eigen::Index dim() const override { return X_.cols(); }
  double loss(const Eigen::VectorXd& theta) const override;
  void gradient(const Eigen::VectorXd& theta, Eigen::VectorXd& g) const override;
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& theta, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;

  const Eigen::MatrixXd& rate_matrix() const override { return gram_; }
  const Eigen::VectorXd& fixed_point() const override { return solution_; }
  const std::vector<NamedPoint>& named_minima() const override { return minima_; }

  // Extreme eigenvalues of XᵀX; GD is stable iff η < stability_threshold() = 2/λ_max.
  double lambda_max() const { return lambda_max_; }
  double lambda_min() const { return lambda_min_; }
  double stability_threshold() const { return 2.0 / lambda_max_; }
  const Eigen::VectorXd& solution() const { return solution_; }  // θ⁺
  double minimum_loss() const { return loss(solution_); }

 private:
  Eigen::MatrixXd X_;
  Eigen::VectorXd y_;
  Eigen::MatrixXd gram_;      // XᵀX
  Eigen::VectorXd solution_;  // θ⁺
  double lambda_max_ = 0.0, lambda_min_ = 0.0;
  Layout layout_;
  std::vector<NamedPoint> minima_;
  mutable Eigen::VectorXd residual_;  // Xθ − y (scratch of the hot path)
};

}  // namespace gradflow
