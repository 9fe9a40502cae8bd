#pragma once
// A registry model built from a spec (its data, model and init sections) with
// arrays handed over in memory, evaluated state by state from Python: loss,
// gradient, velocity, Hessian-vector products, sharpness, projection and
// observations of any of its flows.

#include "cli/registry.hpp"
#include "io/spec.hpp"
#include "python/arrays.hpp"

#include <pybind11/pybind11.h>

#include <string>

namespace gradflow::python {

class ModelHandle {
 public:
  // `spec_json`: a complete spec (one experiment); `arrays` name -> array,
  // read where the spec names a file of that name.
  ModelHandle(const std::string& spec_json, const std::string& file, const std::string& base_dir,
              const py::dict& arrays);
  // A model defined in Python (python_field.hpp), as the one flow "python".
  ModelHandle(py::object model, Eigen::Index dim);

  py::list flows() const;  // [{name, dim, description, layout, projection, ...}]
  py::dict info() const;   // exports, facts, resolved sections, data description

  double loss(const std::string& flow, const InputArray& x);
  py::array_t<double> gradient(const std::string& flow, const InputArray& x);
  py::array_t<double> velocity(const std::string& flow, const InputArray& x, double t);
  py::array_t<double> hessian_vector(const std::string& flow, const InputArray& x,
                                     const InputArray& v);
  py::array_t<double> velocity_jacobian_vector(const std::string& flow, const InputArray& x,
                                               double t, const InputArray& v);
  py::array_t<double> hessian(const std::string& flow, const InputArray& x);
  py::tuple sharpness(const std::string& flow, const InputArray& x);
  py::array_t<double> project(const std::string& flow, const InputArray& x);
  py::dict observe(const std::string& flow, const InputArray& x, double t);

 private:
  const Field& field(const std::string& flow) const;
  const Eigen::VectorXd& state(const Field& f, const InputArray& x, const char* what,
                               Eigen::VectorXd& into);

  ExperimentSpec spec_;
  ModelInstance model_;
  Eigen::VectorXd x_, v_, out_;  // scratch: evaluations allocate nothing once warm
};

// The flows' layouts and facts as Python objects, shared with the run results.
py::list layout_list(const Layout& layout);
py::dict observation_dict(const Observation& obs);
py::list flows_list(const ModelInstance& model);

}  // namespace gradflow::python
