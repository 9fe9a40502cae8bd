#pragma once
// A numeric matrix from a .npy or .csv file, NaN/Inf refused (NaN allowed on
// request, for a ground truth whose unknown entries are NaN; Inf always refused).

#include <Eigen/Core>

#include <filesystem>
#include <string>

namespace gradflow {

// `spec_file` and `key` name where the path came from, for the error message.
Eigen::MatrixXd read_matrix_file(const std::filesystem::path& path, const std::string& spec_file,
                                 const std::string& key, bool nan_allowed = false);

}  // namespace gradflow
