#include "models/end_to_end_flow.hpp"

#include "models/matrix_powers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradflow {

std::optional<Eigen::Index> rank_kept_from(const Eigen::MatrixXd& W0, int depth) {
  const Eigen::Index rank = numerical_rank(W0);
  if (depth < 2 || rank >= std::min(W0.rows(), W0.cols())) return std::nullopt;
  return rank;
}

EndToEndFlow::EndToEndFlow(std::shared_ptr<const MatrixLoss> loss, int depth,
                           EndToEndOptions options)
    : loss_(std::move(loss)), depth_(depth), modes_(std::move(options.modes)) {
  if (!loss_) throw std::invalid_argument("the end-to-end flow needs a loss");
  if (depth_ < 1) {
    throw std::invalid_argument(
        fmt::format("the end-to-end flow needs depth N >= 1, got {}", depth_));
  }
  const Eigen::Index rows = loss_->rows(), cols = loss_->cols();
  const Eigen::Index r = std::min(rows, cols);
  max_rank_ = r;
  if (options.max_rank) {
    if (depth_ < 2) {
      throw std::invalid_argument(
          "keeping W on a rank applies from depth N = 2 on (at depth 1 the flow −∇ℓ changes the "
          "rank)");
    }
    if (*options.max_rank < 0 || *options.max_rank > r) {
      throw std::invalid_argument(fmt::format(
          "the rank to keep must be between 0 and min(dN, d0) = {}, got {}", r, *options.max_rank));
    }
    max_rank_ = *options.max_rank;
  }
  if (options.saxe_oracle) {
    if (options.saxe_oracle->depth != depth_) {
      throw std::invalid_argument(fmt::format("the Saxe oracle is for depth {}, the flow's is {}",
                                              options.saxe_oracle->depth, depth_));
    }
    if (depth_ >= 2 && (options.saxe_oracle->u0.array() <= 0.0).any()) {
      throw std::invalid_argument("the Saxe oracle needs every initial mode u0_k > 0");
    }
    oracle_ = std::move(options.saxe_oracle);
  }
  layout_.append("W", rows, cols);
  grad_.resize(rows, cols);
  w_.resize(rows, cols);
  GV_.resize(rows, r);
  UtG_.resize(r, cols);
  Ghat_.resize(r, r);
  sum_.resize(rows, cols);
  s_.resize(r);
  s_outer_.resize(r);
  mix_.resize(r, r);
  left_powers_.resize(r, std::max(depth_ - 2, 0));
  right_powers_.resize(r, std::max(depth_ - 2, 0));
  divide_and_conquer_ = r > kDivideAndConquerAbove;
  const unsigned thin = Eigen::ComputeThinU | Eigen::ComputeThinV;
  if (divide_and_conquer_) {
    divide_ = Eigen::BDCSVD<Eigen::MatrixXd>(rows, cols, thin);
  } else {
    jacobi_ = Eigen::JacobiSVD<Eigen::MatrixXd>(rows, cols, thin);
  }
}

EndToEndFlow::EndToEndFlow(std::shared_ptr<const MatrixLoss> loss, int depth, SaxeOracle oracle)
    : EndToEndFlow(std::move(loss), depth, EndToEndOptions{.saxe_oracle = std::move(oracle)}) {}

Observation EndToEndFlow::observe_at(const Eigen::VectorXd& x, double t) const {
  Observation obs = observe(x);
  if (oracle_) {
    const Eigen::VectorXd u = oracle_->modes(t);
    for (Eigen::Index k = 0; k < u.size(); ++k)
      obs.scalars.emplace_back(fmt::format("saxe_u_{}", k + 1), u[k]);
    obs.scalars.emplace_back("saxe_gap", (project(x) - oracle_->matrix(t)).norm());
  }
  return obs;
}

std::string EndToEndFlow::describe() const {
  const std::string rank = max_rank_ < std::min(loss_->rows(), loss_->cols())
                               ? fmt::format(", kept on rank <= {}", max_rank_)
                               : "";
  return fmt::format("end-to-end flow of a depth-{} linear network, W {} x {}{}, {}", depth_,
                     loss_->rows(), loss_->cols(), rank, loss_->describe());
}

double EndToEndFlow::loss(const Eigen::VectorXd& x) const {
  return loss_->value(layout_.view(x, 0));
}

void EndToEndFlow::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  g.resize(dim());
  loss_->gradient(layout_.view(x, 0), layout_.view(g, 0));
}

void EndToEndFlow::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                  Eigen::VectorXd& hv) const {
  hv.resize(dim());
  loss_->hessian_action(layout_.view(x, 0), layout_.view(v, 0), layout_.view(hv, 0));
}

Eigen::MatrixXd EndToEndFlow::project(const Eigen::VectorXd& x) const { return layout_.view(x, 0); }

Observation EndToEndFlow::observe(const Eigen::VectorXd& x) const {
  Observation obs;
  const Eigen::MatrixXd W = layout_.view(x, 0);
  obs.scalars.emplace_back("e2e_norm", W.norm());
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(W).singularValues();
  for (Eigen::Index k = 0; k < s.size(); ++k)
    obs.scalars.emplace_back(fmt::format("sv_{}", k + 1), s[k]);
  modes_.observe(W, obs);
  return obs;
}

void EndToEndFlow::velocity(const Eigen::VectorXd& x, double, Eigen::VectorXd& dxdt) const {
  if (loss_->rows() == 1) {
    velocity_single_output(x, dxdt);
  } else {
    velocity_general(x, dxdt);
  }
}

void EndToEndFlow::velocity_single_output(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt) const {
  dxdt.resize(dim());
  loss_->gradient(layout_.view(x, 0), grad_);
  const double N = depth_;
  const double norm = x.norm();
  // W = 0, or W kept on rank 0 (a zero start, N ≥ 2 only).
  if (norm == 0.0 || max_rank_ == 0) {
    // ‖W‖^{2−2/N} vanishes for N ≥ 2; for N = 1 the flow is plain −∇ℓ.
    if (depth_ == 1) {
      dxdt = -Eigen::Map<const Eigen::VectorXd>(grad_.data(), grad_.size());
    } else {
      dxdt.setZero();
    }
    return;
  }
  const Eigen::Map<const Eigen::VectorXd> g(grad_.data(), grad_.size());
  const double along = g.dot(x) / norm;  // ⟨∇ℓ, Ŵ⟩
  const double scale = std::pow(norm, 2.0 - 2.0 / N);
  dxdt = -scale * (g + ((N - 1.0) * along / norm) * x);
}

void EndToEndFlow::velocity_general(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt) const {
  dxdt.resize(dim());
  const auto W = layout_.view(x, 0);
  auto out = layout_.view(dxdt, 0);
  loss_->gradient(W, grad_);
  if (depth_ == 1) {
    out = -grad_;
    return;
  }
  // compute() takes a const MatrixXd&: a Map would become a fresh temporary.
  w_ = W;
  if (divide_and_conquer_) {
    divide_.compute(w_);
  } else {
    jacobi_.compute(w_);
  }
  const Eigen::MatrixXd& U = divide_and_conquer_ ? divide_.matrixU() : jacobi_.matrixU();
  const Eigen::MatrixXd& V = divide_and_conquer_ ? divide_.matrixV() : jacobi_.matrixV();
  s_ = divide_and_conquer_ ? divide_.singularValues() : jacobi_.singularValues();
  const double cutoff = singular_value_cutoff(W.rows(), W.cols(), s_.size() ? s_[0] : 0.0);
  for (Eigen::Index k = 0; k < s_.size(); ++k) {
    if (s_[k] <= cutoff || k >= max_rank_) s_[k] = 0.0;
  }
  const double N = depth_;
  const double outer = 2.0 * (N - 1.0) / N;  // the power of S in the j = 1 and j = N terms
  for (Eigen::Index k = 0; k < s_.size(); ++k) s_outer_[k] = std::pow(s_[k], outer);

  // j = 1: ∇ℓ V S^{2(N−1)/N} Vᵀ
  GV_.noalias() = grad_ * V;
  UtG_.noalias() = U.transpose() * grad_;
  if (depth_ > 2) Ghat_.noalias() = UtG_ * V;  // Uᵀ∇ℓV, before the scalings below
  GV_.array().rowwise() *= s_outer_.transpose().array();
  sum_.noalias() = GV_ * V.transpose();
  // j = N: U S^{2(N−1)/N} Uᵀ ∇ℓ
  UtG_.array().colwise() *= s_outer_.array();
  sum_.noalias() += U * UtG_;
  // 1 < j < N: U (Ĝ ∘ M) Vᵀ
  if (depth_ > 2) {
    // M = Σ_j a_j b_jᵀ with a_j = s^{2(j−1)/N}, b_j = s^{2(N−j)/N}: 2r(N−2)
    // powers and one r x r x (N−2) product instead of r²(N−2) pairs of powers.
    for (int j = 2; j < depth_; ++j) {
      for (Eigen::Index k = 0; k < s_.size(); ++k) {
        left_powers_(k, j - 2) = std::pow(s_[k], 2.0 * (j - 1) / N);
        right_powers_(k, j - 2) = std::pow(s_[k], 2.0 * (depth_ - j) / N);
      }
    }
    mix_.noalias() = left_powers_ * right_powers_.transpose();
    Ghat_.array() *= mix_.array();
    GV_.noalias() = U * Ghat_;
    sum_.noalias() += GV_ * V.transpose();
  }
  out = -sum_;
}

}  // namespace gradflow
