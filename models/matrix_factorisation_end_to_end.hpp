#pragma once
// The end-to-end flow of the asymmetric matrix factorisation, offered as its
// induced flow as the linear network offers it (Arora, Cohen & Hazan 2018):
//   Ẇ = −Σ_{j=1..N} (WWᵀ)^{(j−1)/N} ∇ℓ(W) (WᵀW)^{(N−j)/N},
// which W = W_N ⋯ W_1 follows exactly from a balanced start. The field is
// EndToEndFlow's (models/end_to_end_flow.hpp); this adaptor names its
// projection "W", as MatrixFactorisation does, so the two flows compare as
// ‖W_a − W_b‖_F, and records the same factorisation metrics of W.

#include "core/field.hpp"
#include "models/end_to_end_flow.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <memory>

namespace gradflow {

class FactorisationEndToEnd final : public Field {
 public:
  // Throws std::invalid_argument as EndToEndFlow does.
  FactorisationEndToEnd(std::shared_ptr<const MatrixLoss> loss, int depth,
                        EndToEndOptions options = {},
                        std::shared_ptr<const FactorisationMetrics> metrics = nullptr)
      : flow_(std::move(loss), depth, std::move(options)), metrics_(std::move(metrics)) {}

  Eigen::Index dim() const override { return flow_.dim(); }
  double loss(const Eigen::VectorXd& x) const override { return flow_.loss(x); }
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override {
    flow_.gradient(x, g);
  }
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override {
    flow_.velocity(x, t, dxdt);
  }
  bool is_gradient_flow() const override { return flow_.is_gradient_flow(); }
  const Layout& layout() const override { return flow_.layout(); }
  std::string describe() const override { return flow_.describe(); }

  bool has_analytic_hessian_vector() const override { return flow_.has_analytic_hessian_vector(); }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override {
    flow_.hessian_vector(x, v, hv);
  }

  std::string projection_name() const override { return "W"; }
  Eigen::MatrixXd project(const Eigen::VectorXd& x) const override { return flow_.project(x); }
  Observation observe(const Eigen::VectorXd& x) const override {
    Observation obs;
    observe_factorised(flow_.project(x), metrics_.get(), obs);
    return obs;
  }

  const EndToEndFlow& flow() const { return flow_; }

 private:
  EndToEndFlow flow_;
  std::shared_ptr<const FactorisationMetrics> metrics_;
};

}  // namespace gradflow
