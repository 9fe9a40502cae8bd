#pragma once
// numpy <-> Eigen at the module's boundary. The Python package converts and
// checks dtypes first (python/gradflow/_arrays.py), so these take float64.
// Inputs are read through a Map where numpy's layout allows (no copy); every
// array handed back to Python owns its data.

#include "core/table.hpp"

#include <Eigen/Core>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <map>
#include <string>
#include <vector>

namespace gradflow::python {

namespace py = pybind11;

using InputArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A 0-, 1- or 2-D array as a matrix; 1-D arrays of length k are k x 1 (as a
// .npy file of that shape reads).
Eigen::MatrixXd to_matrix(const InputArray& a);
// Any array with `expected` entries, read as a flat vector; ValueError naming
// both shapes otherwise.
void to_vector(const InputArray& a, Eigen::Index expected, const char* what, Eigen::VectorXd& out);
// name -> array, for MemoryMatrices.
std::map<std::string, Eigen::MatrixXd> to_matrices(const py::dict& arrays);

py::array_t<double> to_numpy(const Eigen::VectorXd& v);
py::array_t<double> to_numpy(const Eigen::MatrixXd& m);
// Rows are the vectors (records x dim).
py::array_t<double> stack_rows(const std::vector<Eigen::VectorXd>& rows, Eigen::Index dim);
// (columns, rows x columns values).
py::tuple table_to_numpy(const Table& table);

}  // namespace gradflow::python
