#include "integrators/cvode_eigen_solver.hpp"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <new>

namespace gradflow::detail {

namespace {

using MatrixMap = Eigen::Map<const Eigen::MatrixXd>;
using VectorMap = Eigen::Map<Eigen::VectorXd>;

struct Content {
  Content(Eigen::Index n, bool sym) : symmetric(sym), llt(n), lu(n) {}
  bool symmetric;
  bool use_llt = false;
  Eigen::LLT<Eigen::MatrixXd> llt;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu;
  EigenSolverCounts counts;
};

Content& content_of(SUNLinearSolver s) { return *static_cast<Content*>(s->content); }

SUNLinearSolver_Type get_type(SUNLinearSolver) { return SUNLINEARSOLVER_DIRECT; }
SUNLinearSolver_ID get_id(SUNLinearSolver) { return SUNLINEARSOLVER_CUSTOM; }

// The factorisations are sized at creation, so setup allocates nothing.
int setup(SUNLinearSolver s, SUNMatrix A) {
  Content& c = content_of(s);
  const Eigen::Index n = SUNDenseMatrix_Rows(A);
  const MatrixMap matrix(SUNDenseMatrix_Data(A), n, n);
  ++c.counts.factorisations;
  if (c.symmetric) {
    c.llt.compute(matrix);
    c.use_llt = c.llt.info() == Eigen::Success;
    if (c.use_llt) return 0;
  }
  ++c.counts.lu_fallbacks;
  c.lu.compute(matrix);
  // A singular pivot makes the solve non-finite: recoverable, CVODE retries
  // with a smaller step (a smaller γ).
  return c.lu.matrixLU().diagonal().cwiseAbs().minCoeff() > 0.0 ? 0 : 1;
}

int solve(SUNLinearSolver s, SUNMatrix /*A*/, N_Vector x, N_Vector b, sunrealtype /*tol*/) {
  Content& c = content_of(s);
  const Eigen::Index n = N_VGetLength(b);
  VectorMap out(N_VGetArrayPointer(x), n);
  out = VectorMap(N_VGetArrayPointer(b), n);
  if (c.use_llt) {
    c.llt.solveInPlace(out);
  } else {
    out = c.lu.permutationP() * out;
    c.lu.matrixLU().triangularView<Eigen::UnitLower>().solveInPlace(out);
    c.lu.matrixLU().triangularView<Eigen::Upper>().solveInPlace(out);
  }
  return out.allFinite() ? 0 : 1;
}

int free_solver(SUNLinearSolver s) {
  if (s == nullptr) return 0;
  delete static_cast<Content*>(s->content);
  s->content = nullptr;
  SUNLinSolFreeEmpty(s);
  return 0;
}

}  // namespace

SUNLinearSolver make_eigen_dense_solver(Eigen::Index dim, bool symmetric, SUNContext context) {
  SUNLinearSolver s = SUNLinSolNewEmpty(context);
  if (s == nullptr) throw std::bad_alloc();
  s->content = new Content(dim, symmetric);
  s->ops->gettype = get_type;
  s->ops->getid = get_id;
  s->ops->setup = setup;
  s->ops->solve = solve;
  s->ops->free = free_solver;
  return s;
}

EigenSolverCounts eigen_solver_counts(SUNLinearSolver solver) { return content_of(solver).counts; }

}  // namespace gradflow::detail
