#include "core/dataset.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace gradflow {

Dataset make_sine_dataset(const SineDataOptions& options, Rng& rng) {
  if (options.samples <= 0 || options.input_dim <= 0 || options.output_dim <= 0) {
    throw std::invalid_argument(
        fmt::format("sine data set needs positive sizes, got n = {}, d = {}, outputs = {}",
                    options.samples, options.input_dim, options.output_dim));
  }
  if (!(options.noise_std >= 0.0)) {
    throw std::invalid_argument(fmt::format("noise_std must be >= 0, got {}", options.noise_std));
  }
  const Eigen::MatrixXd w = rng.normal_matrix(options.output_dim, options.input_dim);
  Dataset data;
  data.X = rng.normal_matrix(options.input_dim, options.samples);
  const Eigen::MatrixXd noise =
      rng.normal_matrix(options.output_dim, options.samples, options.noise_std);
  data.Y = w * data.X.array().sin().matrix() + noise;
  data.description =
      fmt::format("y = W sin(x) + eps, n = {}, d = {}, outputs = {}, noise_std = {}",
                  options.samples, options.input_dim, options.output_dim, options.noise_std);
  return data;
}

void validate_dataset(const Dataset& data) {
  if (data.X.cols() == 0 || data.X.rows() == 0) {
    throw std::invalid_argument("data set has no samples or no input features");
  }
  if (data.X.cols() != data.Y.cols()) {
    throw std::invalid_argument(fmt::format(
        "X has {} samples but Y has {} (the two should be equal)", data.X.cols(), data.Y.cols()));
  }
  if (!data.X.allFinite()) throw std::invalid_argument("X contains NaN or Inf");
  if (!data.Y.allFinite()) throw std::invalid_argument("Y contains NaN or Inf");
}

}  // namespace gradflow
