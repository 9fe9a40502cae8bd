#include "python/model_handle.hpp"

#include "core/diagnostics.hpp"
#include "io/memory_matrices.hpp"
#include "python/python_field.hpp"

#include <fmt/format.h>

namespace gradflow::python {

py::list layout_list(const Layout& layout) {
  py::list out;
  for (const Block& b : layout.blocks()) {
    py::dict d;
    d["name"] = b.name;
    d["rows"] = b.rows;
    d["cols"] = b.cols;
    d["offset"] = b.offset;
    d["order"] = "F";
    out.append(d);
  }
  return out;
}

py::dict observation_dict(const Observation& obs) {
  py::dict out;
  for (const auto& [name, value] : obs.scalars) out[py::str(name)] = value;
  for (const auto& [name, m] : obs.matrices) out[py::str(name)] = to_numpy(m);
  return out;
}

py::list flows_list(const ModelInstance& model) {
  py::list out;
  for (const Flow& f : model.flows) {
    py::dict d;
    d["name"] = f.name;
    d["dim"] = f.field->dim();
    d["description"] = f.field->describe();
    d["layout"] = layout_list(f.field->layout());
    d["projection"] = f.field->projection_name();
    d["hessian_method"] = f.field->hessian_method();
    d["velocity_jacobian_method"] = f.field->velocity_jacobian_method();
    d["is_gradient_flow"] = f.field->is_gradient_flow();
    d["x0"] = to_numpy(f.x0);
    out.append(d);
  }
  return out;
}

namespace {
py::object json_to_python(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}
}  // namespace

ModelHandle::ModelHandle(const std::string& spec_json, const std::string& file,
                         const std::string& base_dir, const py::dict& arrays) {
  const std::map<std::string, Eigen::MatrixXd> matrices = to_matrices(arrays);
  const MemoryMatrices scope(matrices);
  std::vector<ExperimentSpec> specs = parse_spec(spec_json, file, base_dir);
  spec_ = std::move(specs.front());
  model_ = build_model(spec_);
}

ModelHandle::ModelHandle(py::object model, Eigen::Index dim) {
  model_.flows.push_back(
      {"python", std::make_unique<PythonField>(std::move(model), dim), Eigen::VectorXd::Zero(dim)});
  model_.data_description = "none (a model defined in Python)";
}

py::list ModelHandle::flows() const { return flows_list(model_); }

py::dict ModelHandle::info() const {
  py::dict out;
  py::dict exports;
  for (const auto& [name, m] : model_.exports) exports[py::str(name)] = to_numpy(m);
  py::dict facts;
  for (const auto& [name, value] : model_.facts) facts[py::str(name)] = value;
  out["exports"] = exports;
  out["facts"] = facts;
  out["data_description"] = model_.data_description;
  out["resolved_data"] = json_to_python(model_.resolved_data);
  out["resolved_model"] = json_to_python(model_.resolved_model);
  out["resolved_init"] = json_to_python(model_.resolved_init);
  return out;
}

const Field& ModelHandle::field(const std::string& flow) const {
  return *model_.flow(flow, "flow", "flow").field;
}

const Eigen::VectorXd& ModelHandle::state(const Field& f, const InputArray& x, const char* what,
                                          Eigen::VectorXd& into) {
  to_vector(x, f.dim(), what, into);
  return into;
}

double ModelHandle::loss(const std::string& flow, const InputArray& x) {
  const Field& f = field(flow);
  return f.loss(state(f, x, "x", x_));
}

py::array_t<double> ModelHandle::gradient(const std::string& flow, const InputArray& x) {
  const Field& f = field(flow);
  out_.resize(f.dim());
  f.gradient(state(f, x, "x", x_), out_);
  return to_numpy(out_);
}

py::array_t<double> ModelHandle::velocity(const std::string& flow, const InputArray& x, double t) {
  const Field& f = field(flow);
  out_.resize(f.dim());
  f.velocity(state(f, x, "x", x_), t, out_);
  return to_numpy(out_);
}

py::array_t<double> ModelHandle::hessian_vector(const std::string& flow, const InputArray& x,
                                                const InputArray& v) {
  const Field& f = field(flow);
  out_.resize(f.dim());
  f.hessian_vector(state(f, x, "x", x_), state(f, v, "v", v_), out_);
  return to_numpy(out_);
}

py::array_t<double> ModelHandle::velocity_jacobian_vector(const std::string& flow,
                                                          const InputArray& x, double t,
                                                          const InputArray& v) {
  const Field& f = field(flow);
  out_.resize(f.dim());
  f.velocity_jacobian_vector(state(f, x, "x", x_), t, state(f, v, "v", v_), out_);
  return to_numpy(out_);
}

py::array_t<double> ModelHandle::hessian(const std::string& flow, const InputArray& x) {
  const Field& f = field(flow);
  return to_numpy(assemble_hessian(f, state(f, x, "x", x_)));
}

py::tuple ModelHandle::sharpness(const std::string& flow, const InputArray& x) {
  const Field& f = field(flow);
  const SharpnessResult s = gradflow::sharpness(f, state(f, x, "x", x_));
  return py::make_tuple(s.value, s.converged);
}

py::array_t<double> ModelHandle::project(const std::string& flow, const InputArray& x) {
  const Field& f = field(flow);
  return to_numpy(f.project(state(f, x, "x", x_)));
}

py::dict ModelHandle::observe(const std::string& flow, const InputArray& x, double t) {
  const Field& f = field(flow);
  return observation_dict(f.observe_at(state(f, x, "x", x_), t));
}

}  // namespace gradflow::python
