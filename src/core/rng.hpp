#pragma once
// Reproducible random numbers: the same seed gives the same numbers on every
// machine and standard library. std::mt19937_64 is specified bit for bit by the
// standard; std::normal_distribution is not, so normals come from our own
// Marsaglia polar sampler (Marsaglia & Bray 1964) on 53-bit uniforms.

#include <Eigen/Core>

#include <cstdint>
#include <random>
#include <string_view>

namespace gradflow {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  // Uniform on [0, 1) with 53 random bits.
  double uniform();
  // Standard normal N(0, 1).
  double normal();
  // A matrix of i.i.d. N(0, std²) entries, filled column by column.
  Eigen::MatrixXd normal_matrix(Eigen::Index rows, Eigen::Index cols, double std = 1.0);
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// An independent seed for a named purpose ("data", "init", ...), so that
// changing how much one consumer draws never shifts another's numbers.
std::uint64_t derive_seed(std::uint64_t seed, std::string_view purpose);

}  // namespace gradflow
