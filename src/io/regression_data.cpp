#include "io/regression_data.hpp"

#include "io/errors.hpp"
#include "io/matrix_file.hpp"

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include <cmath>

namespace gradflow {

namespace {

// kind "spectrum": whitened inputs and YXᵀ/n = U diag(s) Vᵀ with the listed s
// (core/spectrum_dataset.hpp); the singular vectors are drawn unless given.
Dataset read_spectrum_data(JsonReader& r, const RegressionDataOptions& options) {
  SpectrumDataOptions o;
  o.inputs = r.positive_integer("inputs", 3);
  o.outputs = r.positive_integer("outputs", 3);
  o.samples = r.positive_integer("samples", std::max<long>(100, o.inputs));
  const std::vector<double> s = r.numbers("singular_values");
  o.singular_values =
      Eigen::Map<const Eigen::VectorXd>(s.data(), static_cast<Eigen::Index>(s.size()));
  const auto read_vectors = [&](const char* key) {
    if (!r.has(key)) return Eigen::MatrixXd();
    const auto path = options.base_dir / r.string(key);
    return read_matrix_file(path, r.file(), r.key_path(key));
  };
  o.left = read_vectors("left_vectors");
  o.right = read_vectors("right_vectors");
  Rng rng(derive_seed(options.seed, "data"));
  try {
    *options.spectrum = make_spectrum_dataset(o, rng);
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    const char* key =
        what.rfind("U ", 0) == 0 || what.find("of U") != std::string::npos   ? "left_vectors"
        : what.rfind("V ", 0) == 0 || what.find("of V") != std::string::npos ? "right_vectors"
        : what.find("samples") != std::string::npos                          ? "samples"
                                                                             : "singular_values";
    r.fail(key, what);
  }
  return options.spectrum->data;
}

}  // namespace

Dataset read_regression_data(JsonReader& r, const RegressionDataOptions& options) {
  std::vector<std::string> kinds = {"sine", "files"};
  if (options.spectrum != nullptr) kinds.emplace_back("spectrum");
  const std::string kind = r.choice("kind", kinds, "sine");
  Dataset data;
  if (kind == "spectrum") {
    data = read_spectrum_data(r, options);
  } else if (kind == "sine") {
    SineDataOptions sine;
    sine.samples = r.positive_integer("samples", 100);
    sine.input_dim = r.positive_integer("inputs", 10);
    sine.output_dim = r.positive_integer("outputs", 1);
    sine.noise_std = r.number("noise_std", 0.1);
    if (sine.noise_std < 0.0) {
      r.fail("noise_std", fmt::format("expected a number >= 0, got {}", sine.noise_std));
    }
    Rng rng(derive_seed(options.seed, "data"));
    data = make_sine_dataset(sine, rng);
    // y = W sin(x) + ε: only the noise can overflow (|W sin x| is a few units).
    if (!data.Y.allFinite()) {
      r.fail("noise_std",
             fmt::format("y = W sin(x) + ε with ε ~ N(0, {}²) overflows a double: expected a "
                         "noise level that keeps y finite",
                         sine.noise_std));
    }
  } else {
    const auto x_path = options.base_dir / r.string("x");
    const auto y_path = options.base_dir / r.string("y");
    const bool rows = r.choice("orientation", {"samples_as_rows", "samples_as_columns"},
                               "samples_as_rows") == "samples_as_rows";
    const Eigen::MatrixXd X = read_matrix_file(x_path, r.file(), r.key_path("x"));
    const Eigen::MatrixXd Y = read_matrix_file(y_path, r.file(), r.key_path("y"));
    // A 1-D y (read as n x 1) is a single output whatever the orientation.
    const bool y_is_vector = !rows && Y.cols() == 1 && Y.rows() > 1;
    data.X = rows ? Eigen::MatrixXd(X.transpose()) : X;
    data.Y = (rows || y_is_vector) ? Eigen::MatrixXd(Y.transpose()) : Y;
    if (data.X.cols() != data.Y.cols()) {
      r.fail("y", fmt::format("X ({}) has {} samples but Y ({}) has {} (orientation {}: samples "
                              "are {}; the two counts should be equal)",
                              x_path.string(), data.X.cols(), y_path.string(), data.Y.cols(),
                              rows ? "samples_as_rows" : "samples_as_columns",
                              rows ? "rows" : "columns"));
    }
    data.description = fmt::format("files X = {}, Y = {}", x_path.string(), y_path.string());
  }
  if (r.boolean("unit_norm_inputs", false)) {
    const Eigen::RowVectorXd norms = data.X.colwise().norm();
    if ((norms.array() == 0.0).any())
      r.fail("unit_norm_inputs", "an input x_i is zero and cannot be normalised");
    data.X = data.X.array().rowwise() / norms.array();
    data.description += ", inputs scaled to unit norm";
  }
  // Σxx = XXᵀ/n = I exactly (Saxe et al. 2014's setting): X ← Σxx^{-1/2} X,
  // after generating y, so the targets keep their meaning.
  if (r.boolean("whiten_inputs", false)) {
    const double n = static_cast<double>(data.samples());
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(data.X * data.X.transpose() / n);
    if (eig.eigenvalues().minCoeff() <= 1e-12 * eig.eigenvalues().maxCoeff()) {
      r.fail("whiten_inputs",
             "the inputs' second moment XXᵀ/n is singular (fewer samples than inputs, "
             "or collinear inputs) and cannot be whitened");
    }
    data.X = eig.operatorInverseSqrt() * data.X;
    data.description += ", inputs whitened (XXᵀ/n = I)";
  }
  // Per-coordinate input scales make a problem ill-conditioned on purpose
  // (the Hessian's spectrum spreads with the squares of the scales): the
  // setting of stiff gradient flows. Applied last, after y was generated.
  if (r.has("input_scales")) {
    const std::vector<double> scales = r.numbers("input_scales");
    if (static_cast<Eigen::Index>(scales.size()) != data.X.rows()) {
      r.fail("input_scales",
             fmt::format("expected one scale per input coordinate ({} numbers), got {}",
                         data.X.rows(), scales.size()));
    }
    for (std::size_t k = 0; k < scales.size(); ++k) {
      if (!(scales[k] > 0.0) || !std::isfinite(scales[k])) {
        r.fail("input_scales",
               fmt::format("expected numbers > 0, got {} at index {}", scales[k], k));
      }
      data.X.row(static_cast<Eigen::Index>(k)) *= scales[k];
    }
    data.description += ", inputs scaled per coordinate";
  } else {
    r.skip("input_scales");
  }
  r.finish();
  try {
    validate_dataset(data);
  } catch (const std::invalid_argument& e) {
    r.fail("kind", e.what());
  }
  return data;
}

}  // namespace gradflow
