#pragma once
// Asymmetric (deep) matrix factorisation W = W_N ⋯ W_1 of an m × n matrix,
// depth N >= 1 (N = 1 is W itself), trained by gradient flow on a MatrixLoss
// ℓ of W — matrix completion on the observed entries Ω,
//   ℓ(W) = 1/(2|Ω|) Σ_{(i,j)∈Ω} (W_ij − W*_ij)²,
// or matrix sensing 1/(2m') Σ_k (⟨A_k, W⟩ − y_k)² (the normalisations of the
// symmetric factorisation's losses, models/matrix_completion.hpp and
// models/matrix_sensing.hpp). Arora, Cohen, Hu & Luo 2019, "Implicit
// regularization in deep matrix factorization"; Razin & Cohen 2020,
// "Implicit regularization in deep learning may not be explainable by norms".
//
// Layers W_1 ∈ R^{k×n}, W_j ∈ R^{k×k} (1 < j < N), W_N ∈ R^{m×k}: hidden width
// k, by default min(m, n) (d × d factors for a d × d target, as in both
// papers; a product of width ≥ min(m, n) can reach every m × n matrix).
// Gradient (Arora, Cohen & Hazan 2018, eq. 3):
//   ∂φ/∂W_j = (W_N ⋯ W_{j+1})ᵀ ∇ℓ(W) (W_{j−1} ⋯ W_1)ᵀ,
// with the Hessian-vector product of the deep linear network: the model is a
// LinearNetwork (models/linear_network.hpp) on the loss ℓ with widths
// (n, k, …, k, m), seen through a thin adaptor that names its projection "W"
// and observes the factorisation metrics (symmetric_factorisation_metrics.hpp)
// besides the network's balancedness_j.
//
// Starts (α > 0):
//   gaussian  every entry of every W_j i.i.d. N(0, α²) (the papers' "small
//             initialisation": α is the entries' standard deviation),
//   balanced  W(0) = A, A ∈ R^{m×n} i.i.d. N(0, α²) (or a given W(0)), split
//             W_1 = Σ^{1/N}Pᵀ, W_j = Σ^{1/N}, W_N = QΣ^{1/N} from A = QΣPᵀ,
//             zero-padded (Arora, Cohen, Golowich & Hu 2018), so that
//             W_{j+1}ᵀW_{j+1} = W_jW_jᵀ at t = 0,
//   identity  W_j = α·I (the rectangular identity for non-square layers).
// From a balanced start W(t) follows the end-to-end flow (models/end_to_end_flow.hpp,
// Arora, Cohen & Hazan 2018):
//   Ẇ = −Σ_{j=1..N} (WWᵀ)^{(j−1)/N} ∇ℓ(W) (WᵀW)^{(N−j)/N}.

#include "core/field.hpp"
#include "models/linear_network.hpp"
#include "models/matrix_loss.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <memory>

namespace gradflow {

struct MatrixFactorisationOptions {
  int depth = 3;           // N >= 1
  Eigen::Index width = 0;  // k, every hidden width; 0: min(m, n)
};

// Not final: the symmetric kind's deep variant (symmetric_factorisation_deep.hpp)
// is this model with square factors and one more metric.
class MatrixFactorisation : public Field {
 public:
  // Throws std::invalid_argument for no loss, depth < 1 or width < 0.
  MatrixFactorisation(const std::shared_ptr<const MatrixLoss>& loss,
                      MatrixFactorisationOptions options,
                      std::shared_ptr<const FactorisationMetrics> metrics = nullptr);

  Eigen::Index dim() const override { return net_.dim(); }
  double loss(const Eigen::VectorXd& x) const override { return net_.loss(x); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    net_.gradient(x, g);
  }
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override {
    net_.velocity(x, t, dxdt);
  }
  const Layout& layout() const override { return net_.layout(); }
  std::string describe() const override;

  bool has_analytic_hessian_vector() const override { return true; }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    net_.hessian_vector(x, v, hv);
  }

  std::string projection_name() const override { return "W"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return net_.end_to_end(x); }
  // balancedness_j (j = 1..N−1) and the factorisation metrics of W.
  Observation observe(const Eigen::VectorXd& x) const override;

  const LinearNetwork& network() const { return net_; }
  int depth() const { return net_.depth(); }
  Eigen::Index rows() const { return net_.widths().back(); }   // m
  Eigen::Index cols() const { return net_.widths().front(); }  // n
  Eigen::Index width() const;                                  // k (N >= 2), else min(m, n)
  Eigen::MatrixXd product(const Eigen::VectorXd& x) const { return net_.end_to_end(x); }

  Eigen::VectorXd init_gaussian(double alpha, Rng& rng) const;
  Eigen::VectorXd init_balanced(double alpha, Rng& rng) const;
  Eigen::VectorXd init_balanced_from(const Eigen::MatrixXd& W0) const;
  Eigen::VectorXd init_identity(double alpha) const;

 private:
  static LinearNetworkOptions widths_for(const std::shared_ptr<const MatrixLoss>& loss,
                                         const MatrixFactorisationOptions& options);

  LinearNetwork net_;
  std::shared_ptr<const FactorisationMetrics> metrics_;
};

}  // namespace gradflow
