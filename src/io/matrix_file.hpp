#pragma once
// A numeric matrix from a .npy or .csv file, NaN/Inf refused.

#include <Eigen/Core>

#include <filesystem>
#include <string>

namespace gradflow {

// `spec_file` and `key` name where the path came from, for the error message.
Eigen::MatrixXd read_matrix_file(const std::filesystem::path& path, const std::string& spec_file,
                                 const std::string& key);

}  // namespace gradflow
