#include "integrators/relu_windows/kernel_share.hpp"

#include <cmath>

namespace gradflow::detail::relu {

double KernelShare::apply_change(MatrixXd& H, const std::uint8_t* s0, const Index* C0,
                                 std::size_t c0, const std::uint8_t* s1, const Index* C1,
                                 std::size_t c1) {
  const Index n = P_.n;
  const double k2 = P_.kappa * P_.kappa;
  double fro2 = 0.0;
  for (Index i = 0; i < n; ++i) changed_[i] = s0[i] != s1[i];
  for (Index j = 0; j < n; ++j) {
    if (!changed_[j]) continue;
    for (Index i = 0; i < n; ++i) {
      const double delta = k2 * (s1[j] * s1[i] - s0[j] * s0[i]) * P_.G(j, i);
      if (delta == 0.0) continue;
      H(j, i) += delta;
      fro2 += delta * delta;
      if (!changed_[i]) {
        H(i, j) += delta;
        fro2 += delta * delta;
      }
    }
  }
  double fro = std::sqrt(fro2);
  if (c0 > 0) fro += add_sliding(H, s0, C0, c0, +k2);
  if (c1 > 0) fro += add_sliding(H, s1, C1, c1, -k2);
  return fro;
}

double KernelShare::add_sliding(MatrixXd& H, const std::uint8_t* s, const Index* C, std::size_t c,
                                double factor) {
  if (!gram_.factor(P_.G, C, c)) return 0.0;
  const auto rows = static_cast<Index>(c);
  for (Index i = 0; i < P_.n; ++i) {
    for (Index q = 0; q < rows; ++q) T_(q, i) = s[i] ? P_.G(C[q], i) : 0.0;
  }
  Y_.topRows(rows) = T_.topRows(rows);
  for (Index i = 0; i < P_.n; ++i) gram_.solve(&Y_(0, i));
  H.noalias() += factor * T_.topRows(rows).transpose() * Y_.topRows(rows);
  // ‖TᵀK⁻¹T‖_F ≤ trace (it is PSD) = Σ_q T_q · Y_q.
  return std::abs(factor) * T_.topRows(rows).cwiseProduct(Y_.topRows(rows)).sum();
}

}  // namespace gradflow::detail::relu
