#pragma once
// A small semidefinite complementarity problem: find a symmetric k × k C with
//
//   C ⪰ 0,   D(C) = ½·B(C) − A ⪰ 0,   ⟨C, D(C)⟩ = 0,
//
// where B is a positive semidefinite linear map on symmetric matrices. Since
// D is the gradient of the convex f(C) = ¼⟨C, B(C)⟩ − ⟨A, C⟩, C solves it iff
// C minimises f over the PSD cone (the KKT conditions of that program). This is
// how the central flow chooses Σ when several Hessian eigenvalues sit at the
// edge (Cohen et al. 2025, §3.2 and their `sdcp.py`, which solves the same
// program with CVXOPT).
//
// Coordinates: c = svec(C), the upper triangle column by column (pair
// p = j(j+1)/2 + i for i ≤ j) with off-diagonal entries scaled by √2, so that
// ⟨C, C'⟩ = cᵀc'. B is given as a q × q PSD matrix G in these coordinates
// (q = k(k+1)/2), A as a = svec(A).
//
// Method: when G is nonsingular and the unconstrained minimiser c = 2G⁻¹a is
// PSD (every direction of the cluster pushed back, the generic case on the
// edge) it is the answer; otherwise FISTA with adaptive restarts (Beck &
// Teboulle 2009; O'Donoghue & Candès 2015) with projections onto the PSD cone
// (eigendecomposition, negatives clamped), to a relative step of 1e-14.
// Sizes are bounded (k ≤ kMaxComplementaritySize): nothing is allocated.

#include <Eigen/Core>

namespace gradflow {

inline constexpr int kMaxComplementaritySize = 4;
inline constexpr int kMaxComplementarityPairs =
    kMaxComplementaritySize * (kMaxComplementaritySize + 1) / 2;

using SmallSymmetric = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0,
                                     kMaxComplementaritySize, kMaxComplementaritySize>;
using PairMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0,
                                 kMaxComplementarityPairs, kMaxComplementarityPairs>;
using PairVector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxComplementarityPairs, 1>;

struct ComplementarityResult {
  SmallSymmetric C;
  int iterations = 0;  // FISTA iterations (0: the unconstrained minimiser was PSD)
  bool converged = true;
};

// Pair index of (i, j), i ≤ j.
constexpr int pair_index(int i, int j) { return j * (j + 1) / 2 + i; }

PairVector svec(const SmallSymmetric& C);
SmallSymmetric smat(const PairVector& c, int k);

// Throws std::invalid_argument for k outside [1, kMaxComplementaritySize] or
// sizes that do not match.
ComplementarityResult solve_psd_complementarity(const PairMatrix& G, const PairVector& a, int k);

}  // namespace gradflow
