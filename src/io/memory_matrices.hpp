#pragma once
// Matrices handed over in memory instead of files (the Python module passes
// numpy arrays this way): while a MemoryMatrices scope is alive on a thread,
// read_matrix_file() on that thread resolves a path whose file name is one of
// the scope's names to that matrix, with the same checks as a file (NaN/Inf
// refused), so a spec naming arrays behaves exactly like one naming files.

#include <Eigen/Core>

#include <filesystem>
#include <map>
#include <string>

namespace gradflow {

class MemoryMatrices {
 public:
  // `matrices` must outlive the scope. Scopes nest: the innermost one is searched.
  explicit MemoryMatrices(const std::map<std::string, Eigen::MatrixXd>& matrices);
  ~MemoryMatrices();
  MemoryMatrices(const MemoryMatrices&) = delete;
  MemoryMatrices& operator=(const MemoryMatrices&) = delete;

  // The matrix named by `path`'s file name in the innermost scope of this thread, or null.
  static const Eigen::MatrixXd* find(const std::filesystem::path& path);

 private:
  const std::map<std::string, Eigen::MatrixXd>* previous_;
};

}  // namespace gradflow
