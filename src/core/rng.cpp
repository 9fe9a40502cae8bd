#include "core/rng.hpp"

#include <cmath>

namespace gradflow {

double Rng::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u = 0.0;
  double v = 0.0;
  double s = 0.0;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

Eigen::MatrixXd Rng::normal_matrix(Eigen::Index rows, Eigen::Index cols, double std) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = std * normal();
  }
  return m;
}

std::uint64_t Rng::below(std::uint64_t n) {
  // Rejection sampling: unbiased, and specified exactly (unlike
  // std::uniform_int_distribution).
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t r = 0;
  do {
    r = engine_();
  } while (r >= limit);
  return r % n;
}

namespace {
// splitmix64 finaliser (Steele, Lea & Flood 2014): a good 64-bit mixer.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

std::uint64_t derive_seed(std::uint64_t seed, std::string_view purpose) {
  std::uint64_t h = mix(seed);
  for (char c : purpose) h = mix(h ^ static_cast<unsigned char>(c));
  return h;
}

}  // namespace gradflow
