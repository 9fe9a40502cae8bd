#pragma once
// A model written in Python, integrated by the C++ integrators: a Field whose
// loss, gradient and (optionally) Hessian-vector product call back into a
// Python object. Without hessian_vector the Field's central differences of
// the gradient stand in (bdf's Jacobian-vector products, the modified flow,
// sharpness); the run metadata says so.
//
// The Python object provides:
//   loss(x) -> float            gradient(x) -> array of dim() numbers
//   optional: hessian_vector(x, v) -> array, observe(x) -> {name: float or
//   array}, layout = [(name, rows, cols), ...] (column-major blocks of x),
//   name (a string for the description).
// x is a float64 array the model may keep or modify: it is reused for the
// next call only when the model kept no reference to it (saves an allocation
// per call).
//
// Callbacks run with the GIL held: runs of a Python model never release it.
// A Python exception inside a callback propagates as py::error_already_set,
// stops the run, and is re-raised in Python with its traceback.

#include "core/field.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace gradflow::python {

namespace py = pybind11;

class PythonField final : public Field {
 public:
  // Reads the object's methods and layout once; `dim` is the state's length.
  PythonField(py::object model, Eigen::Index dim);

  Eigen::Index dim() const override { return dim_; }
  double loss(const Eigen::VectorXd& x) const override;
  void gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const override;
  const Layout& layout() const override { return layout_; }
  std::string describe() const override { return description_; }
  bool has_analytic_hessian_vector() const override { return !hessian_vector_.is_none(); }
  void hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                      Eigen::VectorXd& hv) const override;
  Observation observe(const Eigen::VectorXd& x) const override;

  const py::object& model() const { return model_; }

 private:
  py::object model_;
  py::object loss_, gradient_, hessian_vector_, observe_;
  Eigen::Index dim_;
  Layout layout_;
  std::string name_;
  std::string description_;
  std::string gradient_what_;
  mutable std::vector<std::string> observe_keys_;
  mutable bool warned_precision_ = false;

  // The array passed to the callbacks.
  struct Argument {
    py::array_t<double> array;
    const py::array_t<double>& hold(const Eigen::VectorXd& x);
  };
  mutable Argument x_, v_;
};

}  // namespace gradflow::python
