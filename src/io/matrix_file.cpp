#include "io/matrix_file.hpp"

#include "io/csv.hpp"
#include "io/errors.hpp"
#include "io/memory_matrices.hpp"
#include "io/npy.hpp"

#include <fmt/format.h>

#include <cmath>
#include <system_error>

namespace gradflow {

namespace {

// "row 3, column 2 (zero-based: [2, 1]) is inf": the first non-finite entry
// (the first infinite one when NaN is allowed).
std::string first_non_finite(const Eigen::MatrixXd& m, bool nan_allowed = false) {
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      if (!std::isfinite(m(r, c)) && !(nan_allowed && std::isnan(m(r, c)))) {
        return fmt::format("row {}, column {} (counted from 1) is {}", r + 1, c + 1, m(r, c));
      }
    }
  }
  return "every entry is finite";
}

bool acceptable(const Eigen::MatrixXd& m, bool nan_allowed) {
  return nan_allowed ? !m.array().isInf().any() : m.allFinite();
}

std::string refusal(bool nan_allowed) {
  return nan_allowed ? "contains Inf" : "contains NaN or Inf";
}

}  // namespace

Eigen::MatrixXd read_matrix_file(const std::filesystem::path& path, const std::string& spec_file,
                                 const std::string& key, bool nan_allowed) {
  const std::string ext = path.extension().string();
  // Matrices handed over in memory (the Python package) under a path-like name.
  if (const Eigen::MatrixXd* in_memory = MemoryMatrices::find(path)) {
    if (!acceptable(*in_memory, nan_allowed)) {
      throw_input_error(spec_file, key,
                        fmt::format("\"{}\" {}: {}", path.string(), refusal(nan_allowed),
                                    first_non_finite(*in_memory, nan_allowed)));
    }
    return *in_memory;
  }
  if (ext != ".npy" && ext != ".csv" && ext != ".txt") {
    throw_input_error(spec_file, key,
                      fmt::format("expected a .npy or .csv file, got \"{}\"", path.string()));
  }
  // A directory opens as a stream and fails only when read (an exception of
  // the standard library, not the user's mistake spelled out): say so first.
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    throw_input_error(spec_file, key,
                      fmt::format("\"{}\" is {}, expected a .npy or .csv file", path.string(),
                                  std::filesystem::is_directory(path, ec) ? "a directory"
                                                                          : "not a regular file"));
  }
  Eigen::MatrixXd m;
  try {
    m = ext == ".npy" ? read_npy(path.string()).values
                      : read_csv_matrix(path.string(), nan_allowed);
    if (!acceptable(m, nan_allowed)) {
      throw_input_error(path.string(), "",
                        refusal(nan_allowed) + ": " + first_non_finite(m, nan_allowed));
    }
  } catch (const InputError& e) {
    // The data file's own message ("x.csv: line 3, ..."), under the spec key that named it.
    if (key.empty()) throw;
    throw_input_error(spec_file, key, e.what());
  } catch (const std::ios_base::failure& e) {
    throw_input_error(spec_file, key,
                      fmt::format("cannot read \"{}\": {}", path.string(), e.what()));
  }
  return m;
}

}  // namespace gradflow
