#include "io/matrix_file.hpp"

#include "io/csv.hpp"
#include "io/errors.hpp"
#include "io/memory_matrices.hpp"
#include "io/npy.hpp"

#include <fmt/format.h>

namespace gradflow {

Eigen::MatrixXd read_matrix_file(const std::filesystem::path& path, const std::string& spec_file,
                                 const std::string& key) {
  const std::string ext = path.extension().string();
  Eigen::MatrixXd m;
  if (const Eigen::MatrixXd* in_memory = MemoryMatrices::find(path)) {
    m = *in_memory;
  } else if (ext == ".npy") {
    m = read_npy(path.string()).values;
  } else if (ext == ".csv" || ext == ".txt") {
    m = read_csv_matrix(path.string());
  } else {
    throw_input_error(spec_file, key, fmt::format("expected a .npy or .csv file, got \"{}\"", path.string()));
  }
  if (!m.allFinite()) throw_input_error(path.string(), "", "contains NaN or Inf");
  return m;
}

}  // namespace gradflow
