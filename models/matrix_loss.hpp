#pragma once
// A loss ℓ(W) of one rows x cols matrix.
//
// A deep linear network (W = W_N ⋯ W_1), the end-to-end flow (W itself) and a
// factorisation (W = UUᵀ) are parameterisations of one matrix; they share the
// loss through this interface, so every loss works with every one of them.
//
//   value(W)                ℓ(W)
//   gradient(W, G)          G = ∇ℓ(W)         hot path: no allocation once warmed up
//   hessian_action(W, V, D) D = ∇²ℓ(W)[V], the derivative of ∇ℓ along V
//
// Implementations keep scratch space, so one loss object must not be evaluated
// from two threads at once.

#include <Eigen/Core>

#include <string>

namespace gradflow {

using MatrixRef = Eigen::Ref<Eigen::MatrixXd>;
using ConstMatrixRef = Eigen::Ref<const Eigen::MatrixXd>;

class MatrixLoss {
 public:
  virtual ~MatrixLoss() = default;

  virtual Eigen::Index rows() const = 0;
  virtual Eigen::Index cols() const = 0;
  virtual double value(const ConstMatrixRef& W) const = 0;
  virtual void gradient(const ConstMatrixRef& W, MatrixRef G) const = 0;
  virtual void hessian_action(const ConstMatrixRef& W, const ConstMatrixRef& V,
                              MatrixRef D) const = 0;
  virtual std::string describe() const = 0;
};

}  // namespace gradflow
