#include "python/arrays.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <limits>

namespace gradflow::python {

namespace {
std::string shape_text(const py::array& a) {
  std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
  return fmt::format("({}{})", fmt::join(shape, ", "), shape.size() == 1 ? "," : "");
}
}  // namespace

Eigen::MatrixXd to_matrix(const InputArray& a) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  if (a.ndim() > 2) {
    throw py::value_error(fmt::format("expected a 1-D or 2-D array, got {} dimensions", a.ndim()));
  }
  const Eigen::Index rows = a.ndim() == 0 ? 1 : a.shape(0);
  const Eigen::Index cols = a.ndim() == 2 ? a.shape(1) : 1;
  return Eigen::Map<const RowMajor>(a.data(), rows, cols);
}

void to_vector(const InputArray& a, Eigen::Index expected, const char* what, Eigen::VectorXd& out) {
  if (a.size() != expected || a.ndim() > 2 ||
      (a.ndim() == 2 && a.shape(0) != 1 && a.shape(1) != 1)) {
    throw py::value_error(
        fmt::format("{} has shape {} but the model's state has {} entries (expected "
                    "shape ({},))",
                    what, shape_text(a), expected, expected));
  }
  out = Eigen::Map<const Eigen::VectorXd>(a.data(), expected);
}

std::map<std::string, Eigen::MatrixXd> to_matrices(const py::dict& arrays) {
  std::map<std::string, Eigen::MatrixXd> out;
  for (const auto& [name, value] : arrays) {
    out.emplace(py::cast<std::string>(name), to_matrix(py::cast<InputArray>(value)));
  }
  return out;
}

py::array_t<double> to_numpy(const Eigen::VectorXd& v) {
  py::array_t<double> out(v.size());
  if (v.size() > 0) std::memcpy(out.mutable_data(), v.data(), sizeof(double) * v.size());
  return out;
}

py::array_t<double> to_numpy(const Eigen::MatrixXd& m) {
  py::array_t<double> out({m.rows(), m.cols()});
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      out.mutable_data(), m.rows(), m.cols()) = m;
  return out;
}

py::array_t<double> stack_rows(const std::vector<Eigen::VectorXd>& rows, Eigen::Index dim) {
  py::array_t<double> out({static_cast<py::ssize_t>(rows.size()), static_cast<py::ssize_t>(dim)});
  double* p = out.mutable_data();
  for (const Eigen::VectorXd& r : rows) {
    if (dim > 0) std::memcpy(p, r.data(), sizeof(double) * dim);
    p += dim;
  }
  return out;
}

py::tuple table_to_numpy(const Table& table) {
  const auto cols = static_cast<py::ssize_t>(table.columns.size());
  py::array_t<double> values({static_cast<py::ssize_t>(table.rows.size()), cols});
  double* p = values.mutable_data();
  for (const auto& row : table.rows) {
    for (py::ssize_t c = 0; c < cols; ++c)
      *p++ = c < static_cast<py::ssize_t>(row.size()) ? row[c]
                                                      : std::numeric_limits<double>::quiet_NaN();
  }
  py::list names;
  for (const auto& c : table.columns) names.append(c);
  return py::make_tuple(names, values);
}

}  // namespace gradflow::python
