#pragma once
// The data every part of relu_windows (integrators/relu_windows.hpp) shares:
// the network's fixed quantities (Problem) and the per-window bounds that the
// screening and the neuron runner certify against (Bounds).
//
// Notation: X (d × n) inputs, G = XᵀX, c_r = ±κ output weights, W (m × d).
// A neuron's mode is its positive set S_r (s_ri = 1) and its sliding set C_r
// (pairs on their surface, s_ri = 0 there). In a mode, with Π = I − X_C K⁻¹X_Cᵀ,
// K = G_CC:   ẇ_r = −c_r M e,   M = Π X diag(s)   (d × n),
//             w_r(τ) = w_r(τ_a) − c_r M (R(τ) − R(τ_a)),
// the sliding weights v = L e, L = −K⁻¹ G_{C,:} diag(s) (α_ri = v_i / e_i), and
// the neuron's share of the kernel H_r = κ² (G ∘ s sᵀ − (G_{C,:}diag s)ᵀ K⁻¹ (G_{C,:}diag s)).
//
// Invariant: a Problem is immutable once made; Bounds hold for the exact
// solution and for every residual path the window's fixed point visits.

#include "core/shallow_relu_field.hpp"

#include <Eigen/Core>

#include <limits>

namespace gradflow::detail::relu {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Transition = SwitchedField::Transition;

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxSweeps = 12;
constexpr int kRootIterations = 200;

struct Problem {
  MatrixXd X;             // d × n
  VectorXd y;             // n
  VectorXd c;             // m, ±kappa
  double kappa = 0.0;     // |c_r|
  MatrixXd G;             // XᵀX
  VectorXd gram_row;      // γ_i = ‖G_{i,:}‖₂
  VectorXd input_norm;    // ‖x_i‖
  double x_norm = 0.0;    // ‖X‖₂
  double gram_max = 0.0;  // λ_max(G)
  Index m = 0, n = 0, d = 0;
};

// Throws std::invalid_argument if the state is not an m × d first layer or the
// output weights differ in magnitude.
Problem make_problem(const ShallowReluField& field);

// Bounds over one window that hold for the exact solution and for every
// path the fixed point visits (each is the flow of some activation pattern
// in which only active neurons differ from the window's start).
//
// The rate ė = −He: on a piece with constant H, ‖He‖ does not grow
// (d/dτ ‖He‖² = −2 eᵀH³e ≤ 0), and a switch adds at most ‖ΔH‖‖e‖, so
// ‖ė(τ)‖ ≤ ‖H(0)e(0)‖ + V ‖e(0)‖ with V the total variation of H.
struct Bounds {
  double lambda = 0.0;    // Λ̄ ≥ λ_max(H(τ))
  double residual = 0.0;  // ‖e(0)‖₂ ≥ ‖e(τ)‖₂ (H ⪰ 0)
  double rate = 0.0;      // ‖H(0)e(0)‖₂
  double time_tol = 0.0;  // event times are located to this
};

}  // namespace gradflow::detail::relu
