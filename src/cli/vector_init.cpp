#include "cli/vector_init.hpp"

#include "cli/factory_support.hpp"
#include "core/rng.hpp"

#include <fmt/format.h>

namespace gradflow {

VectorInit read_vector_init(const ExperimentSpec& spec, Eigen::Index dim) {
  JsonReader i(spec.init, spec.file, "init");
  const std::string kind = i.choice("kind", {"point", "gaussian", "uniform", "file"});
  VectorInit out;
  if (kind == "point") {
    if (i.has("value") && i.raw("value").is_array()) {
      const std::vector<double> v = i.numbers("value");
      if (static_cast<Eigen::Index>(v.size()) != dim) {
        i.fail("value",
               fmt::format("expected {} numbers (the model's dimension) or one number, got {}", dim,
                           v.size()));
      }
      out.x0 = Eigen::Map<const Eigen::VectorXd>(v.data(), dim);
    } else {
      out.x0 = Eigen::VectorXd::Constant(dim, i.number("value"));
    }
  } else if (kind == "gaussian") {
    const double mean = i.number("mean", 0.0);
    const double std = i.positive_number("std", 1.0);
    out.draw_start = [=](std::uint64_t seed) {
      Rng rng(derive_seed(seed, "init"));
      Eigen::VectorXd x(dim);
      for (Eigen::Index k = 0; k < dim; ++k) x[k] = mean + std * rng.normal();
      return x;
    };
  } else if (kind == "uniform") {
    const double low = i.number("low");
    const double high = i.number("high");
    if (!(high > low)) {
      i.fail("high", fmt::format("expected a number above low = {} (the interval [low, high) must "
                                 "not be empty), got {}",
                                 low, high));
    }
    out.draw_start = [=](std::uint64_t seed) {
      Rng rng(derive_seed(seed, "init"));
      Eigen::VectorXd x(dim);
      for (Eigen::Index k = 0; k < dim; ++k) x[k] = low + (high - low) * rng.uniform();
      return x;
    };
  } else {
    const std::string path = i.string("path");
    const Eigen::MatrixXd flat = read_spec_matrix(spec, path);
    if (flat.size() != dim || (flat.rows() != 1 && flat.cols() != 1)) {
      i.fail("path", fmt::format("{} holds a {} x {} array; expected a flat vector of {} entries",
                                 path, flat.rows(), flat.cols(), dim));
    }
    out.x0 = Eigen::Map<const Eigen::VectorXd>(flat.data(), dim);
  }
  i.finish();
  if (out.draw_start) out.x0 = out.draw_start(spec.seed);
  out.resolved = i.resolved();
  return out;
}

}  // namespace gradflow
