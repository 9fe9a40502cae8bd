#pragma once
// A regression data set in DESIGN.md's orientation: X is d0 x n and Y is dN x n
// (columns are samples). Loaders accept either orientation and transpose here.

#include "core/rng.hpp"

#include <Eigen/Core>

#include <string>

namespace gradflow {

struct Dataset {
  Eigen::MatrixXd X;  // d0 x n
  Eigen::MatrixXd Y;  // dN x n
  std::string description;

  Eigen::Index samples() const { return X.cols(); }
  Eigen::Index input_dim() const { return X.rows(); }
  Eigen::Index output_dim() const { return Y.rows(); }
};

struct SineDataOptions {
  Eigen::Index samples = 100;
  Eigen::Index input_dim = 10;
  Eigen::Index output_dim = 1;
  double noise_std = 0.1;
};

// The course set y = Wᵀ sin(x) + ε: x ~ N(0, I), W ~ N(0, I) (output_dim x
// input_dim), ε ~ N(0, noise_std² I), sin taken element-wise. Draw order, fixed
// for reproducibility: W column by column, then X sample by sample, then ε.
Dataset make_sine_dataset(const SineDataOptions& options, Rng& rng);

// Throws std::invalid_argument naming the problem (sizes, NaN/Inf entries).
void validate_dataset(const Dataset& data);

}  // namespace gradflow
