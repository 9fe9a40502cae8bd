#pragma once
// Helpers shared by the model factories of the registry.

#include "cli/registry.hpp"
#include "io/json_reader.hpp"

#include <Eigen/Core>

#include <stdexcept>
#include <string>

namespace gradflow {

// A matrix from a .npy or .csv file named relative to the spec; NaN/Inf refused.
Eigen::MatrixXd read_spec_matrix(const ExperimentSpec& spec, const std::string& relative);

// A data key that is either a count to draw (`count_key`) or a file
// (`count_key` + "_file"): true when the file is given, refusing both.
bool given_as_file(JsonReader& d, const std::string& count_key);

// Runs `make`, turning a model's std::invalid_argument into an InputError on `key`.
template <class F>
auto checked(const JsonReader& r, const std::string& key, F&& make) {
  try {
    return make();
  } catch (const std::invalid_argument& e) {
    r.fail(key, e.what());
  }
}

// Model factories, one per kind (one file each).
ModelInstance build_linear_network(const ExperimentSpec& spec);
ModelInstance build_symmetric_factorisation(const ExperimentSpec& spec);
ModelInstance build_matrix_factorisation(const ExperimentSpec& spec);
ModelInstance build_two_layer_relu(const ExperimentSpec& spec);
ModelInstance build_least_squares(const ExperimentSpec& spec);
ModelInstance build_wide_sharp_1d(const ExperimentSpec& spec);

}  // namespace gradflow
