#pragma once
// Deep linear network, per-layer gradient flow (DESIGN.md §4).
//
// Parameters W_j ∈ R^{d_j × d_{j-1}}, j = 1..N, end-to-end matrix
// W = A_N ⋯ A_1 with layer matrix A_j = W_j (or I + W_j for the residual
// variant, Hardt & Ma 2017). Loss φ = ℓ(W) for any MatrixLoss ℓ, by default the
// square loss 1/(2n)‖WX − Y‖_F².
//
// Gradient (Arora, Cohen & Hazan 2018, eq. 3):
//   ∇_{W_j} φ = A_{N:j+1}ᵀ ∇ℓ(W) A_{j-1:1}ᵀ.
// With the square loss ∇ℓ(W) = WΣxx − Σyx from second moments computed once,
// so a field evaluation costs O(d0²·dN + Σ_j d_j·d_{j-1}·d0), independent of n.
//
// Invariant of the exact flow: A_{j+1}ᵀA_{j+1} − A_jA_jᵀ is constant in t.

#include "core/dataset.hpp"
#include "core/field.hpp"
#include "core/rng.hpp"
#include "models/matrix_loss.hpp"

#include "models/mode_strengths.hpp"

#include <Eigen/Core>

#include <memory>
#include <vector>

namespace gradflow {

struct LinearNetworkOptions {
  std::vector<Eigen::Index> widths;  // d0, d1, ..., dN (d0 = inputs, dN = outputs)
  bool residual = false;             // layer matrix I + W_j (needs all widths equal)
  ModeBasis modes;                   // non-empty: observe() records mode_k = u_kᵀ W v_k
};

class LinearNetwork final : public Field {
 public:
  // Throws std::invalid_argument when the widths do not fit the loss's matrix
  // (d0 = loss.cols(), dN = loss.rows()).
  LinearNetwork(std::shared_ptr<const MatrixLoss> loss, LinearNetworkOptions options);
  // The square loss 1/(2n)‖WX − Y‖_F² on `data`.
  LinearNetwork(const Dataset& data, LinearNetworkOptions options);

  Eigen::Index dim() const override { return layout_.dim(); }
  double loss(const Eigen::VectorXd& x) const override;
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  const Layout& layout() const override { return layout_; }
  std::string describe() const override;

  bool has_analytic_hessian_vector() const override { return true; }
  // Allocation-free, like velocity().
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;

  std::string projection_name() const override { return "e2e"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return end_to_end(x); }
  // balancedness_j = ‖A_{j+1}ᵀA_{j+1} − A_jA_jᵀ‖_F, j = 1..N-1; e2e_norm; the e2e matrix.
  Observation observe(const Eigen::VectorXd& x) const override;

  int depth() const { return static_cast<int>(options_.widths.size()) - 1; }
  const std::vector<Eigen::Index>& widths() const { return options_.widths; }
  Eigen::MatrixXd end_to_end(const Eigen::VectorXd& x) const;
  // The layer matrix A_j (1-based j): W_j, or I + W_j for the residual variant.
  Eigen::MatrixXd layer_matrix(const Eigen::VectorXd& x, int j) const;

  const std::shared_ptr<const MatrixLoss>& matrix_loss() const { return loss_; }

  // Initialisations, each returning a state of length dim().
  Eigen::VectorXd init_gaussian(double std, Rng& rng) const;
  // Balanced start (DESIGN.md §4): A ~ N(0, scale²)^{dN×d0}, A = UΣVᵀ,
  // W_1 = Σ^{1/N}Vᵀ, W_j = Σ^{1/N}, W_N = UΣ^{1/N}, zero-padded; keeps the top
  // k = min(hidden widths, rank) singular directions when a hidden layer is narrower.
  Eigen::VectorXd init_balanced(double scale, Rng& rng) const;
  // The same split of a given A; rank A is its numerical rank (singular values
  // at or below singular_value_cutoff are zeros), so the rows and columns
  // beyond it are exact zeros and the product stays of that rank along the flow.
  Eigen::VectorXd init_balanced_from(const Eigen::MatrixXd& A) const;
  // W_j = scale · I (ones on the leading diagonal of a rectangular layer).
  Eigen::VectorXd init_identity(double scale) const;
  // Packs layer parameter matrices W_1..W_N (checked against the widths).
  Eigen::VectorXd pack(const std::vector<Eigen::MatrixXd>& layers) const;

 private:
  // Copies the layer matrices A_j of x into scratch and forms the prefix
  // products P_j = A_j ⋯ A_1 (P_0 = I is never formed).
  void forward(const Eigen::VectorXd& x) const;
  void load_layers(const Eigen::VectorXd& x) const;
  // g = scale · ∇L(x) (scale −1 gives the velocity without a negation pass).
  void scaled_gradient(const Eigen::VectorXd& x, double scale, Eigen::VectorXd& g) const;
  void gradient_from_output_side(const Eigen::VectorXd& x, double scale, Eigen::VectorXd& g) const;
  // From the prefix products, B_j = A_{N:j+1}ᵀ ∇ℓ(W) for every j.
  void backward() const;

  std::shared_ptr<const MatrixLoss> loss_;
  LinearNetworkOptions options_;
  Layout layout_;

  // Scratch for the hot path, sized once in the constructor.
  mutable std::vector<Eigen::MatrixXd> layers_;   // A_j, index j-1
  mutable std::vector<Eigen::MatrixXd> prefix_;   // P_j, index j-1
  mutable std::vector<Eigen::MatrixXd> back_;     // B_j = A_{N:j+1}ᵀ ∇ℓ, index j-1
  mutable std::vector<Eigen::MatrixXd> dprefix_;  // directional derivatives of P_j
  mutable std::vector<Eigen::MatrixXd> dback_;    // and of B_j, for hessian_vector
  // The output-side grouping of the gradient, used when dN < d0.
  bool output_side_ = false;
  mutable std::vector<Eigen::MatrixXd> suffix_;  // S_j = A_N ⋯ A_{j+1}, index j
  mutable std::vector<Eigen::MatrixXd> carry_;   // C_j = ∇ℓ A_{j−1:1}ᵀ, index j−1
};

}  // namespace gradflow
