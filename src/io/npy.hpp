#pragma once
// NumPy .npy files (format 1.0/2.0/3.0): float64 2-D (or 1-D) arrays.
// Reading accepts little-endian float64/float32/int32/int64, C or Fortran order;
// anything else is an InputError naming the file and what was found.

#include <Eigen/Core>

#include <string>

namespace gradflow {

struct NpyArray {
  Eigen::MatrixXd values;  // a 1-D array of length k is returned as k x 1
  bool one_dimensional = false;
};

NpyArray read_npy(const std::string& path);

// The bytes of a .npy file holding `m` (rows x cols, float64, C order).
std::string npy_bytes(const Eigen::MatrixXd& m);
// A 1-D array.
std::string npy_bytes(const Eigen::VectorXd& v);

}  // namespace gradflow
