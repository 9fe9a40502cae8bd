#pragma once
// The residual e(τ) of a ReLU network over one window of relu_windows
// (integrators/relu_windows.hpp), and its integral R(τ) = ∫₀^τ e, when the
// kernel H is piecewise constant in τ: ė = −H e.
//
// Each piece [τ_s, τ_s + δ_s) stores the Taylor vectors v_p = (−H)^p e(τ_s),
// so that on it (Taylor's theorem for the matrix exponential)
//   e(τ_s + δ)  = Σ_p v_p δ^p / p!          (= e^{−Hδ} e(τ_s)),
//   R(τ_s + δ)  = R(τ_s) + Σ_p v_p δ^{p+1} / (p+1)!,
//   ė(τ_s + δ)  = Σ_p v_{p+1} δ^p / p!.
// Pieces are at most `max_length` long with ‖H‖·max_length ≤ ½ (the caller's
// bound), and the series is cut once a term is below 2⁻⁵⁶ of ‖e(τ_s)‖∞: since
// the terms then shrink at least by ½ each, the truncation is at round-off.
// Storage grows to the largest window seen and is reused (no allocation in
// steady state).
// Invariant: e and R are continuous across pieces (each piece starts from the
// previous piece's end values), and e(τ) solves ė = −H e to round-off.

#include <Eigen/Core>

#include <vector>

namespace gradflow::detail {

class ResidualPath {
 public:
  explicit ResidualPath(Eigen::Index n = 0);

  // Starts a path at τ = 0 with e(0) = e0, R(0) = 0.
  void start(const Eigen::VectorXd& e0);
  // Extends the path from its current end to tau_end under ė = −H e.
  void extend(const Eigen::MatrixXd& H, double tau_end, double max_length);

  double end_time() const { return tau_; }
  const Eigen::VectorXd& end_residual() const { return e_; }
  const Eigen::VectorXd& end_integral() const { return R_; }
  std::size_t pieces() const { return starts_.size(); }
  double piece_start(std::size_t s) const { return starts_[s]; }

  // Writes e(τ), R(τ) and, if edot is non-null, ė(τ) (τ in [0, end_time()]).
  void evaluate(double tau, double* e, double* R, double* edot = nullptr) const;

 private:
  std::size_t piece_of(double tau) const;

  Eigen::Index n_;
  std::vector<double> starts_;  // τ_s
  std::vector<std::size_t>
      first_;                     // index of v_0 of piece s in terms_ (units of n), plus a sentinel
  std::vector<double> terms_;     // v_p of every piece, n doubles each
  std::vector<double> integral_;  // R(τ_s), n doubles per piece
  double tau_ = 0.0;
  Eigen::VectorXd e_, R_, next_, scratch_;
};

}  // namespace gradflow::detail
