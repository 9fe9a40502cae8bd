#pragma once
// "init" of a model whose state is a plain vector θ ∈ R^dim (least squares,
// the 1-D landscape):
//
//   point     value: a number (every coordinate) or dim numbers
//   gaussian  mean (0), std (1): every coordinate N(mean, std²)
//   uniform   low, high (required, low < high): every coordinate uniform on [low, high)
//   file      path: dim numbers (.npy or .csv), as x0.npy is written
//
// Random kinds draw coordinate by coordinate from Rng(derive_seed(seed,
// "init")); the model's start uses the experiment seed, an ensemble member
// its member seed (through draw_start).

#include "io/spec.hpp"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>

namespace gradflow {

struct VectorInit {
  Eigen::VectorXd x0;
  std::function<Eigen::VectorXd(std::uint64_t seed)> draw_start;  // empty for point and file
  nlohmann::json resolved;
};

// Reads spec.init; throws InputError naming the key.
VectorInit read_vector_init(const ExperimentSpec& spec, Eigen::Index dim);

}  // namespace gradflow
