#include "cli/factory_support.hpp"

#include "io/errors.hpp"
#include "io/matrix_file.hpp"

#include <fmt/format.h>

namespace gradflow {

Eigen::MatrixXd read_spec_matrix(const ExperimentSpec& spec, const std::string& relative) {
  return read_matrix_file(spec.base_dir / relative, spec.file, "");
}

bool given_as_file(JsonReader& d, const std::string& count_key) {
  const std::string file_key = count_key + "_file";
  if (!d.has(file_key)) return false;
  if (d.has(count_key)) {
    d.fail(count_key, fmt::format("give either \"{}\" (a count to draw) or \"{}\", not both",
                                  count_key, file_key));
  }
  d.skip(count_key);
  return true;
}

}  // namespace gradflow
