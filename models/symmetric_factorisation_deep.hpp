#pragma once
// Deep matrix factorisation W = W_N ⋯ W_1 (Arora, Cohen, Hu & Luo 2019) on the
// loss of a symmetric factorisation experiment: the deep linear network of
// models/linear_network.hpp with all widths d and the same MatrixLoss, seen
// through a thin adaptor that
//   - names its projection "W" (the linear network calls it "e2e"), so that a
//     comparison with the U-flow or the W-flow measures ‖W_a − W_b‖_F, and
//   - observes the factorisation metrics of W (symmetric_factorisation_metrics.hpp)
//     plus the network's balancedness_j and symmetry_drift = ‖W − Wᵀ‖_F: the
//     product of N general factors is not symmetric, only its loss is shared.
// Everything else (loss, gradient, Hessian-vector products, layout "W1".."WN")
// is the linear network's. It is kept here, with its square factors and
// symmetric target, for the symmetric experiments that compare it with UUᵀ;
// the general asymmetric family (any m × n target, NaN-unknown entries, other
// widths and starts, its own end-to-end flow) is models/matrix_factorisation.hpp.
//
// Start: balanced from a given W(0) (DESIGN.md §4): W(0) = QΣPᵀ, W_1 = Σ^{1/N}Pᵀ,
// W_j = Σ^{1/N}, W_N = QΣ^{1/N}; for W(0) = U(0)U(0)ᵀ every flow starts at the
// same W. Σ is cut at W(0)'s numerical rank k and the layers are zero beyond
// it, so W stays of rank ≤ k as the exact flow does (a U(0) of width k < d
// gives such a W(0); round-off singular values raised to 1/N would not).

#include "core/field.hpp"
#include "models/linear_network.hpp"
#include "models/matrix_loss.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <memory>

namespace gradflow {

class DeepFactorisation final : public Field {
 public:
  // Throws std::invalid_argument for depth < 1 or a non-square loss.
  DeepFactorisation(const std::shared_ptr<const MatrixLoss>& loss, int depth,
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

  bool has_analytic_hessian_vector() const override { return net_.has_analytic_hessian_vector(); }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    net_.hessian_vector(x, v, hv);
  }

  std::string projection_name() const override { return "W"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return net_.end_to_end(x); }
  Observation observe(const Eigen::VectorXd& x) const override;

  const LinearNetwork& network() const { return net_; }
  int depth() const { return net_.depth(); }
  // The balanced start whose end-to-end matrix is W0 (d × d).
  Eigen::VectorXd balanced_start(const Eigen::MatrixXd& W0) const {
    return net_.init_balanced_from(W0);
  }

 private:
  static LinearNetworkOptions square_widths(const std::shared_ptr<const MatrixLoss>& loss,
                                            int depth);

  LinearNetwork net_;
  std::shared_ptr<const FactorisationMetrics> metrics_;
};

}  // namespace gradflow
