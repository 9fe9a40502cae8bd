#pragma once
// End-to-end flow of a depth-N linear network (Arora, Cohen & Hazan 2018, Thm 1):
// the flow that the product W = W_N ⋯ W_1 follows when the layers start
// balanced (DESIGN.md §4):
//
//   Ẇ = −Σ_{j=1..N} (WWᵀ)^{(j−1)/N} ∇ℓ(W) (WᵀW)^{(N−j)/N}.
//
// Fractional powers come from one thin SVD W = U S Vᵀ: (WᵀW)^p = V S^{2p} Vᵀ and
// (WWᵀ)^p = U S^{2p} Uᵀ for p > 0, the identity for p = 0. Singular values below
// the round-off cutoff 10·max(d0, dN)·ε·s_max are exact zeros: they stand for
// structural zeros of W, which a power p < 1 would otherwise inflate from ε into
// a visible, jagged field error (never eigendecompose WᵀW and clamp negatives).
// In the SVD bases, with Ĝ = Uᵀ∇ℓ V, the terms with 0 < j < N sum to
// U (Ĝ ∘ M) Vᵀ, M_kl = Σ_{j=2}^{N−1} s_k^{2(j−1)/N} s_l^{2(N−j)/N};
// the j = 1 and j = N terms keep the parts of ∇ℓ outside the ranges of U and V.
//
// Rank-deficient starts. Along the exact flow from a W(0) of rank k < min(d0, dN)
// the rank stays ≤ k for N ≥ 2 (W = W_N ⋯ W_1 with zero-padded balanced layers;
// in the SVD basis of W the null-null block of Ẇ vanishes). But the field is
// only Hölder-continuous there: a perturbation δ off the rank-k set (an RK
// stage, round-off) moves it by ~δ^{2/N}, which costs an adaptive solver both
// steps and accuracy (measured: 700 rtol and 4x the steps at N = 3). With max_rank = k the field is
// evaluated with the singular values beyond the k-th set to zero, i.e. the
// powers (WWᵀ)^p, (WᵀW)^p of W's best rank-k approximation: the same field on
// the rank-k set, Lipschitz near it, and the set stays invariant.
//
// For one output row (dN = 1) it closes (Arora et al. 2018, Claim 1):
//   Ẇ = −‖W‖^{2−2/N} (∇ℓ + (N−1)⟨∇ℓ, Ŵ⟩Ŵ),  Ŵ = W/‖W‖,
// used automatically; at W = 0 the field is 0 for N ≥ 2 and −∇ℓ for N = 1.
// Forward Euler of this field is the discrete end-to-end update.

#include "core/field.hpp"
#include "models/matrix_loss.hpp"
#include "models/mode_strengths.hpp"
#include "models/saxe_oracle.hpp"

#include <Eigen/SVD>

#include <memory>
#include <optional>

namespace gradflow {

struct EndToEndOptions {
  // Keep W on rank ≤ max_rank (see above); depth ≥ 2 only. Empty: no bound.
  std::optional<Eigen::Index> max_rank;
  // With the oracle's prediction recorded beside the flow (observe_at adds
  // saxe_u_k and saxe_gap = ‖W(t) − U diag(u(t)) Vᵀ‖_F); its depth is the flow's.
  std::optional<SaxeOracle> saxe_oracle;
  // Non-empty: observe() records mode_k = u_kᵀ W v_k (models/mode_strengths.hpp).
  ModeBasis modes;
};

// The rank that the flow from W0 keeps: W0's numerical rank when it is below
// min(rows, cols) and N ≥ 2, else empty (full rank, or depth 1 where −∇ℓ
// changes the rank).
std::optional<Eigen::Index> rank_kept_from(const Eigen::MatrixXd& W0, int depth);

class EndToEndFlow final : public Field {
 public:
  // Throws std::invalid_argument for depth < 1, a Saxe oracle of another
  // depth or (depth ≥ 2) with some u0_k ≤ 0, and a max_rank outside [0, min(d0, dN)] or at depth 1.
  EndToEndFlow(std::shared_ptr<const MatrixLoss> loss, int depth, EndToEndOptions options = {});
  EndToEndFlow(std::shared_ptr<const MatrixLoss> loss, int depth, SaxeOracle oracle);

  Eigen::Index dim() const override { return layout_.dim(); }
  double loss(const Eigen::VectorXd& x) const override;
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;  // ∇ℓ(W)
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  bool is_gradient_flow() const override { return false; }
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  bool has_analytic_hessian_vector() const override { return true; }
  // The Hessian of ℓ(W) (the flow itself is preconditioned, not a gradient flow).
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;

  std::string projection_name() const override { return "e2e"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override;
  // e2e_norm and the singular values sv_1 ≥ sv_2 ≥ … of W.
  Observation observe(const Eigen::VectorXd& x) const override;
  Observation observe_at(const Eigen::VectorXd& x, double t) const override;

  int depth() const { return depth_; }
  // The rank bound in force: min(d0, dN) when none was given.
  Eigen::Index max_rank() const { return max_rank_; }
  // The general (SVD) formula even when dN = 1; for tests of the closed form.
  void velocity_general(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt) const;

 private:
  void velocity_single_output(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt) const;

  std::shared_ptr<const MatrixLoss> loss_;
  int depth_;
  Layout layout_;
  std::optional<SaxeOracle> oracle_;
  Eigen::Index max_rank_;
  ModeBasis modes_;
  // Scratch, sized once.
  mutable Eigen::MatrixXd w_, grad_, GV_, UtG_, Ghat_, sum_, mix_, left_powers_, right_powers_;
  mutable Eigen::VectorXd s_, s_outer_;
  // JacobiSVD is allocation-free once sized; BDCSVD allocates inside Eigen
  // (~4 blocks per 10 columns) but is ~5x faster at 100 x 100, where a few
  // hundred mallocs are < 1% of the SVD. So: Jacobi up to 16 columns (the hot
  // path of small models allocates nothing), divide and conquer above.
  static constexpr Eigen::Index kDivideAndConquerAbove = 16;
  bool divide_and_conquer_ = false;
  mutable Eigen::JacobiSVD<Eigen::MatrixXd> jacobi_;
  mutable Eigen::BDCSVD<Eigen::MatrixXd> divide_;
};

}  // namespace gradflow
