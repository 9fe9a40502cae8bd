#pragma once
// A neuron's share of the empirical kernel, H_r = κ²(G ∘ s sᵀ − Tᵀ K⁻¹ T) with
// T = G_{C,:} diag(s), K = G_CC (the projection Π_C removes the sliding
// directions), and the update of H when one neuron switches mode. The window's
// residual path follows ė = −H e with H = Σ_r H_r piecewise constant.
// Invariant: H stays the sum of the shares of the modes applied (the product
// parts are exact integers times κ²G, the sliding parts are rank |C| terms).

#include "integrators/relu_windows/problem.hpp"
#include "integrators/relu_windows/small_gram.hpp"

#include <cstdint>
#include <vector>

namespace gradflow::detail::relu {

// A neuron's kernel share H_r = κ²(G ∘ s sᵀ − Tᵀ K⁻¹ T), T = G_{C,:} diag(s):
// adds sign·κ²·(sliding part) to H, and applies changes of the product part.
class KernelShare {
 public:
  KernelShare(const Problem& p)
      : P_(p), gram_(p.d), T_(p.d, p.n), Y_(p.d, p.n), changed_(static_cast<std::size_t>(p.n)) {}

  // H += κ² (G ∘ (s₁s₁ᵀ − s₀s₀ᵀ)) − κ²(P(s₁, C₁) − P(s₀, C₀)); returns ‖ΔH‖_F
  // (an upper bound when sliding sets are involved).
  double apply_change(MatrixXd& H, const std::uint8_t* s0, const Index* C0, std::size_t c0,
                      const std::uint8_t* s1, const Index* C1, std::size_t c1);

  // H += factor · Tᵀ K⁻¹ T; returns |factor|·‖Tᵀ K⁻¹ T‖_F. A dependent set
  // (never built by the Filippov rule) adds nothing.
  double add_sliding(MatrixXd& H, const std::uint8_t* s, const Index* C, std::size_t c,
                     double factor);

 private:
  const Problem& P_;
  SmallGram gram_;
  MatrixXd T_, Y_;
  std::vector<std::uint8_t> changed_;
};

}  // namespace gradflow::detail::relu
