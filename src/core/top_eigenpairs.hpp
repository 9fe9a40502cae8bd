#pragma once
// The few largest eigenpairs of a Hessian ∇²L(x), from Hessian-vector
// products only, warm-started from the previous call: what a field needs when
// it evaluates the sharpness S(x) = λ_max(∇²L(x)) and its eigenvector at every
// evaluation (the central flow, models/central_flow.hpp).
//
// Method: block Krylov subspaces with Rayleigh–Ritz (block Lanczos with full
// reorthogonalisation; Golub & Van Loan, "Matrix Computations", §10.3). A cycle
// starts from a block V of b = pairs + 1 orthonormal vectors — the previous
// call's Ritz vectors plus one fixed pseudo-random probe, so that an eigenvalue
// rising from below is seen too — builds span{V, HV, …, H^{m−1}V} (m block
// steps, b·m products), and takes the Ritz pairs of the projected matrix.
// A pair is converged when its residual ‖Hy − θy‖ ≤ tolerance · max|θ|; the
// eigenvalue is then accurate to about residual²/gap, the vector to
// residual/gap. Unconverged cycles restart from their Ritz vectors. A block
// handles (nearly) repeated eigenvalues up to its size, where a single-vector
// Lanczos run would see one. States of at most `dense_max_dim` (≤ 24) entries are
// solved densely (dim products and an O(dim³) eigensolve): the Krylov basis
// would span the whole space anyway.
//
// Allocation-free once constructed (the hot path of a field evaluation).

#include "core/field.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <vector>

namespace gradflow {

// The projected problems are small (at most kMaxRayleighRitz), and stored in
// matrices of that fixed capacity: Eigen's dense eigensolver then keeps its
// Householder workspace on the stack instead of the heap.
inline constexpr Eigen::Index kMaxRayleighRitz = 24;
using ProjectedMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kMaxRayleighRitz, kMaxRayleighRitz>;

struct TopEigenpairsOptions {
  int pairs = 2;                    // the largest eigenpairs wanted (most at construction)
  int block_steps = 4;              // m: block Krylov steps per cycle
  double tolerance = 1e-10;         // relative residual of a converged pair
  int max_cycles = 60;              // then the result is returned as not converged
  Eigen::Index dense_max_dim = 12;  // raised to (pairs + 1)·block_steps, at most kMaxRayleighRitz
};

class TopEigenpairs {
 public:
  TopEigenpairs(Eigen::Index dim, TopEigenpairsOptions options);

  // The `pairs` (≤ options.pairs) largest eigenpairs of ∇²L(x), descending.
  // Returns false if they did not converge within max_cycles (the best Ritz
  // pairs are kept). Starts from the previous call's vectors.
  bool compute(const Field& field, const Eigen::VectorXd& x, int pairs);

  double value(int i) const { return values_[i]; }
  // Unit eigenvector i (dim entries).
  auto vector(int i) const { return ritz_vectors_.col(i); }
  int pairs() const { return pairs_; }

  // Totals since construction.
  long hessian_vector_products() const { return products_; }
  long cycles() const { return cycles_; }
  long unconverged() const { return unconverged_; }

  // Forgets the warm start (the next call starts from the probes alone).
  void reset();

 private:
  void apply(const Field& field, const Eigen::VectorXd& x, Eigen::Index col);
  // Orthonormalises column c of basis_ against columns [0, c), replacing it
  // by the next probe when it has (numerically) nothing new.
  void orthonormalise(Eigen::Index c);
  bool dense_solve(const Field& field, const Eigen::VectorXd& x, int pairs);

  Eigen::Index dim_;
  TopEigenpairsOptions options_;
  int max_block_;
  Eigen::MatrixXd probes_;  // dim × probe_count fixed pseudo-random unit vectors
  Eigen::Index next_probe_ = 0;
  Eigen::MatrixXd basis_;         // Q, dim × (b·m) at most
  Eigen::MatrixXd images_;        // HQ
  ProjectedMatrix projected_;     // QᵀHQ
  Eigen::VectorXd coefficients_;  // Gram–Schmidt scratch
  Eigen::VectorXd in_, out_;      // Hessian-vector product arguments
  std::vector<Eigen::SelfAdjointEigenSolver<ProjectedMatrix>> solvers_;  // one per basis size
  Eigen::MatrixXd ritz_vectors_;                                         // dim × max_block
  Eigen::MatrixXd ritz_images_;
  Eigen::VectorXd values_;
  ProjectedMatrix dense_;  // the assembled Hessian (small states)
  Eigen::SelfAdjointEigenSolver<ProjectedMatrix> dense_solver_;
  int pairs_ = 0;
  bool warm_ = false;
  long products_ = 0;
  long cycles_ = 0;
  long unconverged_ = 0;
};

}  // namespace gradflow
