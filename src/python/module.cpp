// _gradflow: the C++ side of `import gradflow` (python/gradflow wraps it;
// docs/python.md). Bad input raises gradflow.SpecError, a ValueError carrying
// the CLI's message.

#include "core/run_options.hpp"
#include "io/errors.hpp"
#include "python/experiment_handle.hpp"
#include "python/model_handle.hpp"

#include <pybind11/stl.h>

#ifndef GRADFLOW_VERSION
#define GRADFLOW_VERSION "unknown"
#endif

namespace py = pybind11;
using namespace gradflow::python;

PYBIND11_MODULE(_gradflow, m) {
  m.doc() = "gradflow's C++ core (use the gradflow package, not this module)";
  m.attr("__version__") = GRADFLOW_VERSION;
  py::register_exception<gradflow::InputError>(m, "SpecError", PyExc_ValueError);

  m.def(
      "methods", [] { return gradflow::method_names(); }, "Integrator names");

  py::class_<ModelHandle>(m, "ModelHandle")
      .def(py::init<const std::string&, const std::string&, const std::string&, const py::dict&>(),
           py::arg("spec"), py::arg("file"), py::arg("base_dir"), py::arg("arrays"))
      .def(py::init<py::object, Eigen::Index>(), py::arg("model"), py::arg("dim"))
      .def("flows", &ModelHandle::flows)
      .def("info", &ModelHandle::info)
      .def("loss", &ModelHandle::loss)
      .def("gradient", &ModelHandle::gradient)
      .def("velocity", &ModelHandle::velocity)
      .def("hessian_vector", &ModelHandle::hessian_vector)
      .def("velocity_jacobian_vector", &ModelHandle::velocity_jacobian_vector)
      .def("hessian", &ModelHandle::hessian)
      .def("sharpness", &ModelHandle::sharpness)
      .def("project", &ModelHandle::project)
      .def("observe", &ModelHandle::observe);

  py::class_<ExperimentHandle, std::shared_ptr<ExperimentHandle>>(m, "ExperimentHandle")
      .def_property_readonly("name", &ExperimentHandle::name)
      .def_property_readonly("log", &ExperimentHandle::log)
      .def("summary", &ExperimentHandle::summary)
      .def("states", &ExperimentHandle::states)
      .def("projections", &ExperimentHandle::projections)
      .def("meta_json", &ExperimentHandle::meta_json);

  m.def(
      "run_spec",
      [](const std::string& spec, bool from_file, const std::string& file,
         const std::string& base_dir, const py::dict& arrays, py::object python_model,
         const py::dict& flow_starts, const std::string& out_dir) {
        return run_spec({.spec = spec,
                         .from_file = from_file,
                         .file = file,
                         .base_dir = base_dir,
                         .arrays = arrays,
                         .python_model = std::move(python_model),
                         .flow_starts = flow_starts,
                         .out_dir = out_dir});
      },
      py::arg("spec"), py::arg("from_file"), py::arg("file"), py::arg("base_dir"),
      py::arg("arrays"), py::arg("python_model"), py::arg("flow_starts"), py::arg("out_dir"));

  m.def("compare", &compare, py::arg("a"), py::arg("i"), py::arg("b"), py::arg("j"));
}
