#include "cli/factory_support.hpp"

#include "io/errors.hpp"
#include "io/npy.hpp"

namespace gradflow {

Eigen::MatrixXd read_spec_npy(const ExperimentSpec& spec, const std::string& relative) {
  const auto path = spec.base_dir / relative;
  Eigen::MatrixXd m = read_npy(path.string()).values;
  if (!m.allFinite()) throw_input_error(path.string(), "", "contains NaN or Inf");
  return m;
}

}  // namespace gradflow
