#pragma once
// Metrics of a recorded matrix W for the factorisation experiments
// (Gunasekar et al. 2017; Arora, Cohen, Hu & Luo 2019), computed from recorded
// states through Field::observe, never inside the field:
//
//   reconstruction_error  ‖W − W*‖_F / ‖W*‖_F
//   unobserved_error      ‖P_Ωᶜ(W − W*)‖_F / ‖P_Ωᶜ(W*)‖_F (completion only; Ωᶜ
//                         are the ordered pairs not in Ω; absolute error when
//                         W* vanishes on Ωᶜ)
//   observed_error        ‖P_Ω(W − W*)‖_F / ‖P_Ω(W*)‖_F (when asked for:
//                         completion in the asymmetric factorisation)
//
// W* may be rectangular (the asymmetric factorisation) and may hold NaN on
// entries nobody knows (a completion problem given as a file): then
// reconstruction_error and unobserved_error, which need them, are not
// recorded at all (never a NaN column); observed_error still is.
//   nuclear_norm          Σ_i σ_i(W)
//   effective_rank        exp(−Σ_i p_i log p_i), p_i = σ_i / Σ_j σ_j
//                         (Roy & Vetterli 2007); 0 for W = 0
//   sigma_1 … sigma_q     the q largest singular values
//
// Singular values, not eigenvalues: the deep variant's W need not be symmetric,
// and round-off can leave a symmetric W slightly indefinite.

#include "core/field.hpp"

#include <Eigen/Core>

namespace gradflow {

struct FactorisationMetricsOptions {
  Eigen::MatrixXd truth;                 // W* (m × n, NaN where unknown); empty: no errors
  Eigen::MatrixXd unobserved_mask;       // 1 on entries outside Ω, 0 on Ω; empty: sensing
  Eigen::Index top_singular_values = 5;  // q, capped at min(m, n)
  bool observed_error = false;           // record observed_error (needs unobserved_mask)
};

class FactorisationMetrics {
 public:
  // Throws std::invalid_argument for mismatched shapes or q < 0.
  explicit FactorisationMetrics(FactorisationMetricsOptions options);

  // Appends the scalars above for W (and W itself, as the matrix "W").
  void observe(const Eigen::MatrixXd& W, Observation& out) const;

  const Eigen::MatrixXd& truth() const { return options_.truth; }
  // False when W* is absent or has unknown (NaN) entries.
  bool truth_fully_known() const { return truth_known_; }

 private:
  FactorisationMetricsOptions options_;
  bool truth_known_ = false;
  double truth_norm_ = 0.0;
  double unobserved_truth_norm_ = 0.0;
  double observed_truth_norm_ = 0.0;
  Eigen::MatrixXd observed_truth_;  // P_Ω(W*), zeros elsewhere (NaN-free)
};

// What every factorisation flow records of its W: the metrics when it has
// them, else W itself (as the matrix "W").
void observe_factorised(const Eigen::MatrixXd& W, const FactorisationMetrics* metrics,
                        Observation& out);

// Effective rank of singular values σ (Roy & Vetterli 2007), exposed for tests.
double effective_rank(const Eigen::VectorXd& singular_values);

}  // namespace gradflow
