// The network as a field: predictions, loss, gradient −∇L (relu'(0) = 1),
// Hessian-vector products; the construction and the random start.
// Invariant: velocity() and hessian_vector() allocate nothing (scratch sized
// in the constructor).

#include "models/two_layer_relu.hpp"
#include "models/two_layer_relu/mode_data.hpp"

#include "models/kernel_flow.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <utility>

namespace gradflow {

TwoLayerRelu::TwoLayerRelu(const Dataset& data, const TwoLayerReluStart& start, int threads) {
  validate_dataset(data);
  if (threads < 1) {
    throw std::invalid_argument(fmt::format("the thread count must be >= 1, got {}", threads));
  }
  if (data.output_dim() != 1) {
    throw std::invalid_argument(
        fmt::format("a two-layer ReLU network has one output; the targets have {} rows (outputs)",
                    data.output_dim()));
  }
  const Eigen::Index m = start.signs.size();
  const Eigen::Index d = data.input_dim();
  const Eigen::Index n = data.samples();
  if (m == 0) throw std::invalid_argument("the width m must be at least 1, got 0");
  for (Eigen::Index r = 0; r < m; ++r) {
    if (start.signs[r] != 1.0 && start.signs[r] != -1.0) {
      throw std::invalid_argument(
          fmt::format("output sign a_{} must be +1 or -1, got {}", r, start.signs[r]));
    }
  }
  if (start.weights.rows() != m || start.weights.cols() != d) {
    throw std::invalid_argument(fmt::format(
        "the first-layer weights must be m x d = {} x {} (one row w_r per neuron), got {} x {}", m,
        d, start.weights.rows(), start.weights.cols()));
  }
  if (!start.weights.allFinite()) throw std::invalid_argument("the weights contain NaN or Inf");
  X_ = data.X;
  y_ = data.Y.row(0).transpose();
  H_inf_ = relu_ntk_infinite_width(X_);  // checks ‖x_i‖ = 1
  gram_ = X_.transpose() * X_;
  signs_ = start.signs;
  scaled_signs_ = signs_ / std::sqrt(static_cast<double>(m));
  W0_ = start.weights;
  layout_.append("W", m, d);
  blocks_.width = m;
  threads_ = threads;
  if (threads > 1 && blocks_.count() > 1) pool_ = std::make_shared<BlockPool>(threads);

  Z_.resize(m, n);
  mask_.resize(m, n);
  Xe_.resize(n, d);
  u_.resize(n);
  e_.resize(n);
  jv_.resize(n);
  partial_.resize(n, blocks_.count());
  row_.resize(d);
  rule_ = ReluFilippovRule(X_);
  small_v_.resize(static_cast<std::size_t>(n));
  small_h_.resize(static_cast<std::size_t>(n));
  set_.reserve(static_cast<std::size_t>(n));

  const Eigen::VectorXd x0 = initial_state();
  u0_ = predictions(x0);
  initial_residual_sq_ = (u0_ - y_).squaredNorm();
  H0_ = empirical_kernel(x0);
  pattern0_ = (W0_ * X_).array() >= 0.0;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H_inf_, Eigen::EigenvaluesOnly);
  lambda_min_inf_ = eig.eigenvalues().minCoeff();
}

TwoLayerReluStart TwoLayerRelu::draw_start(Eigen::Index width, Eigen::Index input_dim, double kappa,
                                           Rng& rng) {
  if (width <= 0)
    throw std::invalid_argument(fmt::format("the width m must be >= 1, got {}", width));
  if (!(kappa >= 0.0)) {
    throw std::invalid_argument(fmt::format("the init scale kappa must be >= 0, got {}", kappa));
  }
  TwoLayerReluStart s;
  s.signs.resize(width);
  for (Eigen::Index r = 0; r < width; ++r) s.signs[r] = rng.below(2) == 0 ? 1.0 : -1.0;
  s.weights = rng.normal_matrix(width, input_dim, kappa);
  return s;
}

std::string TwoLayerRelu::describe() const {
  return fmt::format(
      "two-layer ReLU network, width m = {}, d = {}, n = {}, first layer trained, "
      "lambda_min(H_inf) = {:.6g}",
      width(), input_dim(), samples(), lambda_min_inf_);
}

Eigen::VectorXd TwoLayerRelu::initial_state() const {
  return Eigen::Map<const Eigen::VectorXd>(W0_.data(), W0_.size());
}

Eigen::MatrixXd TwoLayerRelu::weights(const Eigen::VectorXd& x) const { return layout_.view(x, 0); }

template <class Work>
void TwoLayerRelu::for_neuron_blocks(Work&& work) const {
  for_each_neuron_block(blocks_, pool_.get(), std::forward<Work>(work));
}

void TwoLayerRelu::forward(const Eigen::VectorXd& x, const ModeData* mode) const {
  const auto W = layout_.view(x, 0);
  const Eigen::Index n = samples();
  const Eigen::MatrixXd& signed_mask = mode == nullptr ? mask_ : mode->signed_active;
  for_neuron_blocks([&](Eigen::Index b, Eigen::Index first, Eigen::Index count) {
    Z_.middleRows(first, count).noalias() = W.middleRows(first, count) * X_;
    // Column by column, while Z's column is in cache: the mask (a cast of the
    // comparison vectorises; a select or branch per entry is ten times
    // slower) and the block's share of u_i = Σ_r M_ri z_ri.
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto z = Z_.col(i).segment(first, count);
      if (mode == nullptr) {
        mask_.col(i).segment(first, count) =
            (z.array() >= 0.0).cast<double>() * scaled_signs_.segment(first, count).array();
      }
      partial_(i, b) = signed_mask.col(i).segment(first, count).dot(z);
    }
  });
  sum_in_block_order(partial_, u_);
  e_ = u_ - y_;
  for (Eigen::Index i = 0; i < n; ++i) Xe_.row(i) = -e_[i] * X_.col(i).transpose();
}

double TwoLayerRelu::loss(const Eigen::VectorXd& x) const {
  const auto W = layout_.view(x, 0);
  for_neuron_blocks([&](Eigen::Index b, Eigen::Index first, Eigen::Index count) {
    Z_.middleRows(first, count).noalias() = W.middleRows(first, count) * X_;
    for (Eigen::Index i = 0; i < samples(); ++i) {
      partial_(i, b) =
          scaled_signs_.segment(first, count).dot(Z_.col(i).segment(first, count).cwiseMax(0.0));
    }
  });
  sum_in_block_order(partial_, u_);
  return 0.5 * (u_ - y_).squaredNorm();
}

Eigen::VectorXd TwoLayerRelu::predictions(const Eigen::VectorXd& x) const {
  loss(x);
  return u_;
}

void TwoLayerRelu::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  velocity(x, 0.0, g);  // the velocity −∇L
  g = -g;
}

void TwoLayerRelu::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                  Eigen::VectorXd& hv) const {
  forward(x, nullptr);  // the signed mask M of x; Z_ and Xe_ are free again after it
  // (Jv)_i = Σ_r M_ri v_rᵀx_i, then (Jᵀz)_r = Σ_i M_ri z_i x_iᵀ = (M diag(z) Xᵀ)_r.
  const auto V = layout_.view(v, 0);
  for_neuron_blocks([&](Eigen::Index b, Eigen::Index first, Eigen::Index count) {
    Z_.middleRows(first, count).noalias() = V.middleRows(first, count) * X_;
    for (Eigen::Index i = 0; i < samples(); ++i) {
      partial_(i, b) = mask_.col(i).segment(first, count).dot(Z_.col(i).segment(first, count));
    }
  });
  sum_in_block_order(partial_, jv_);
  for (Eigen::Index i = 0; i < samples(); ++i) Xe_.row(i) = jv_[i] * X_.col(i).transpose();
  hv.resize(dim());
  auto HV = layout_.view(hv, 0);
  for_neuron_blocks([&](Eigen::Index /*b*/, Eigen::Index first, Eigen::Index count) {
    HV.middleRows(first, count).noalias() = mask_.middleRows(first, count) * Xe_;
  });
}

void TwoLayerRelu::velocity(const Eigen::VectorXd& x, double /*t*/, Eigen::VectorXd& dxdt) const {
  forward(x, nullptr);
  dxdt.resize(dim());
  auto V = layout_.view(dxdt, 0);
  for_neuron_blocks([&](Eigen::Index /*b*/, Eigen::Index first, Eigen::Index count) {
    V.middleRows(first, count).noalias() = mask_.middleRows(first, count) * Xe_;
  });
}

}  // namespace gradflow
