#pragma once
// When has an explicit method's step become bound by stability rather than
// accuracy? That is when a flow is stiff (Hairer & Wanner, Solving ODEs II,
// §IV.2): dopri5 is stable for h·|λ| up to ≈ 3.3 on the negative real axis
// (gradient flow's Jacobian −∇²L has real eigenvalues), so once the accepted
// step h keeps h·ρ(J) near that bound, accuracy would allow more and an
// implicit method pays off. LSODA switches on the same principle (Petzold
// 1983); DOPRI5's own test (Hairer's code) estimates ρ from two stages, which
// odeint does not expose, so ρ is estimated here by power iteration on
// Jacobian-vector products, warm-started from the last estimate's vector.
//
// Cost: kIterations products every kCheckEvery accepted steps (each dopri5
// step is 6 field evaluations): 6 products per 300 evaluations, about 3%.

#include "core/field.hpp"

#include <Eigen/Core>

namespace gradflow::detail {

class StiffnessDetector {
 public:
  static constexpr long kCheckEvery = 50;       // accepted steps between checks
  static constexpr int kIterations = 6;         // power iterations per check
  static constexpr int kStiffChecksInARow = 3;  // checks that must all agree
  // h·ρ above this fraction of the stability bound counts as stability-bound:
  // power iteration approaches ρ from below, and the controller keeps h·ρ
  // around (not above) the bound.
  static constexpr double kBoundFraction = 0.7;
  static constexpr double kDopri5StabilityBound = 3.3;

  explicit StiffnessDetector(const Field& field);

  // After an accepted step of size h ending at (x, t): true once the step has
  // been stability-bound at kStiffChecksInARow consecutive checks.
  bool stiff_after_step(const Eigen::VectorXd& x, double t, double h);

  double last_h_rho() const { return last_h_rho_; }  // h·ρ at the last check
  long jacobian_vector_products() const { return products_; }
  long checks() const { return checks_; }

 private:
  double spectral_radius(const Eigen::VectorXd& x, double t);

  const Field& field_;
  Eigen::VectorXd direction_, image_;
  long steps_since_check_ = 0;
  int stiff_in_a_row_ = 0;
  double last_h_rho_ = 0.0;
  long products_ = 0;
  long checks_ = 0;
};

}  // namespace gradflow::detail
