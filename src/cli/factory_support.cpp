#include "cli/factory_support.hpp"

#include "io/errors.hpp"
#include "io/matrix_file.hpp"

namespace gradflow {

Eigen::MatrixXd read_spec_matrix(const ExperimentSpec& spec, const std::string& relative) {
  return read_matrix_file(spec.base_dir / relative, spec.file, "");
}

}  // namespace gradflow
