#include "python/python_field.hpp"

#include "python/arrays.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>

namespace gradflow::python {

namespace {

py::object optional_attribute(const py::object& model, const char* name) {
  return py::hasattr(model, name) ? py::object(model.attr(name)) : py::object(py::none());
}

std::string shape_text(const py::array& a) {
  std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
  return fmt::format("({}{})", fmt::join(shape, ", "), shape.size() == 1 ? "," : "");
}

// The callback's result as dim numbers: a float64 array of shape (dim,) is
// copied as it is; other real dtypes are converted; anything else is refused
// with both shapes (or the dtype) in the message.
// Once per model: a float32 (or float16) result carries ~7 digits, which the
// run's error control at rtol 1e-8 cannot see through.
void warn_precision(const std::string& what, const py::array& a, bool& warned) {
  if (warned) return;
  warned = true;
  py::object category = py::reinterpret_borrow<py::object>(PyExc_UserWarning);
  try {
    category = py::module_::import("gradflow._arrays").attr("DtypeWarning");
  } catch (const py::error_already_set&) {
    // The module alone (without the package): a plain UserWarning.
  }
  const std::string message = fmt::format(
      "{} returned a {} array, converted to float64 (its "
      "precision limits the run's)",
      what, py::str(a.dtype()).cast<std::string>());
  if (PyErr_WarnEx(category.ptr(), message.c_str(), 1) != 0) throw py::error_already_set();
}

void read_result(const py::object& result, Eigen::Index dim, const std::string& what,
                 Eigen::VectorXd& out, bool& warned) {
  using Exact = py::array_t<double, py::array::c_style>;
  if (Exact::check_(result)) {  // the common case, without conversions
    const auto a = py::reinterpret_borrow<Exact>(result);
    if (a.ndim() == 1 && a.shape(0) == dim) {
      out.resize(dim);
      std::memcpy(out.data(), a.data(), sizeof(double) * dim);
      return;
    }
  }
  py::array a = py::array::ensure(result);
  if (!a) {
    PyErr_Clear();
    throw py::type_error(fmt::format("{} returned {}, expected an array of {} numbers", what,
                                     py::str(py::type::of(result)).cast<std::string>(), dim));
  }
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u') {
    throw py::type_error(fmt::format("{} returned an array of dtype '{}' (expected float64)", what,
                                     py::str(a.dtype()).cast<std::string>()));
  }
  if (kind == 'f' && a.itemsize() < 8) warn_precision(what, a, warned);
  if (a.ndim() != 1 || a.shape(0) != dim) {
    throw py::value_error(
        fmt::format("{} returned an array of shape {}; expected shape ({},), the "
                    "state's",
                    what, shape_text(a), dim));
  }
  const auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  out.resize(dim);
  std::memcpy(out.data(), d.data(), sizeof(double) * dim);
}

}  // namespace

const py::array_t<double>& PythonField::Argument::hold(const Eigen::VectorXd& x) {
  // Reused only when nothing else refers to it: a model that kept the array
  // (or a view of it) from an earlier call keeps what it was given.
  if (array.size() != x.size() || array.ref_count() > 1 || !array.writeable()) {
    array = py::array_t<double>(x.size());
  }
  std::memcpy(array.mutable_data(), x.data(), sizeof(double) * x.size());
  return array;
}

PythonField::PythonField(py::object model, Eigen::Index dim) : model_(std::move(model)), dim_(dim) {
  for (const char* required : {"loss", "gradient"}) {
    if (!py::hasattr(model_, required)) {
      throw py::type_error(fmt::format(
          "a model defined in Python needs loss(x) and gradient(x) methods; {} has no {}",
          py::str(py::type::of(model_)).cast<std::string>(), required));
    }
  }
  loss_ = model_.attr("loss");
  gradient_ = model_.attr("gradient");
  hessian_vector_ = optional_attribute(model_, "hessian_vector");
  observe_ = optional_attribute(model_, "observe");
  py::object name = optional_attribute(model_, "name");
  name_ = name.is_none() ? py::cast<std::string>(py::type::of(model_).attr("__name__"))
                         : py::cast<std::string>(py::str(name));
  py::object blocks = optional_attribute(model_, "layout");
  if (blocks.is_none()) {
    layout_.append("x", dim_, 1);
  } else {
    for (const py::handle b : blocks) {
      const auto t = py::cast<py::tuple>(b);
      if (t.size() != 3) throw py::value_error("layout entries are (name, rows, cols) tuples");
      layout_.append(py::cast<std::string>(t[0]), py::cast<Eigen::Index>(t[1]),
                     py::cast<Eigen::Index>(t[2]));
    }
    if (layout_.dim() != dim_) {
      throw py::value_error(
          fmt::format("the layout of {} holds {} entries but the state has {} (the "
                      "two should be equal)",
                      name_, layout_.dim(), dim_));
    }
  }
  gradient_what_ = name_ + ".gradient(x)";
  description_ =
      fmt::format("model defined in Python: {} (dim {}, {})", name_, dim_,
                  has_analytic_hessian_vector()
                      ? "Hessian-vector products from Python"
                      : "Hessian-vector products by central differences of its gradient");
}

double PythonField::loss(const Eigen::VectorXd& x) const {
  const py::object r = loss_(x_.hold(x));
  try {
    return py::cast<double>(r);
  } catch (const py::cast_error&) {
    throw py::type_error(fmt::format("{}.loss(x) returned {}, expected a float", name_,
                                     py::str(py::type::of(r)).cast<std::string>()));
  }
}

void PythonField::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  read_result(gradient_(x_.hold(x)), dim_, gradient_what_, g, warned_precision_);
}

void PythonField::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                 Eigen::VectorXd& hv) const {
  if (hessian_vector_.is_none()) {
    Field::hessian_vector(x, v, hv);
    return;
  }
  read_result(hessian_vector_(x_.hold(x), v_.hold(v)), dim_, name_ + ".hessian_vector(x, v)", hv,
              warned_precision_);
}

Observation PythonField::observe(const Eigen::VectorXd& x) const {
  Observation out;
  if (observe_.is_none()) return out;
  const py::dict values = observe_(x_.hold(x));
  std::vector<std::string> keys;
  for (const auto& [key, value] : values) keys.push_back(py::cast<std::string>(key));
  // Each observation is a column (or a stacked matrix) of the run: the same
  // names on every call.
  if (observe_keys_.empty()) {
    observe_keys_ = keys;
  } else if (keys != observe_keys_) {
    throw py::value_error(
        fmt::format("{}.observe(x) returned the keys [{}], earlier [{}]: it must "
                    "return the same names every time",
                    name_, fmt::join(keys, ", "), fmt::join(observe_keys_, ", ")));
  }
  for (const auto& [key, value] : values) {
    const std::string name = py::cast<std::string>(key);
    const py::array a = py::array::ensure(value);
    if (a && a.ndim() > 0) {
      out.matrices.emplace_back(name, to_matrix(py::cast<InputArray>(a)));
    } else {
      out.scalars.emplace_back(name, py::cast<double>(value));
    }
  }
  return out;
}

}  // namespace gradflow::python
