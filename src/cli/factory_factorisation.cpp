// model.kind = "symmetric_factorisation": W = UUᵀ trained on matrix sensing or
// matrix completion (Gunasekar et al. 2017; Arora, Cohen, Hu & Luo 2019).
//
// Flows: "U" (the parameter flow, default), "W" (the induced flow closed in W,
// from W(0) = U(0)U(0)ᵀ) and "deep" (W = W_N ⋯ W_1 of N square d x d factors
// of the same symmetric target, balanced from the same W(0) unless init.deep
// gives its start); all three project to "W", so any two runs compare as
// ‖W_a − W_b‖_F. A non-symmetric or non-square target, or other factor
// shapes, is the kind "matrix_factorisation" (factory_matrix_factorisation.cpp).
//
// Spec keys (defaults in brackets):
//   data.kind                  "sensing" or "completion"
//   data.size, data.rank       d and r of a generated W* = BBᵀ, B ~ N(0, 1/r)
//   data.ground_truth_file     or W* from .npy (d x d, symmetric); then no rank
//   data.psd [true]            W* declared positive semidefinite: checked
//   data.measurements          sensing: m, drawn symmetric Gaussian
//   data.measurements_file     or A from .npy: m x d², row i = A_i flattened
//   data.targets_file          sensing: b from .npy/.csv (m values), e.g. noisy
//                              measurements; [b = A(W*)]
//   data.observed              completion: |Ω|, uniform without replacement
//   data.observed_file         or Ω from .npy: |Ω| x 2, 0-based (row, col)
//   model.width [d]            k, the columns of U
//   model.depth [3]            N of the "deep" flow
//   model.top_singular_values [5]   sigma_1..sigma_q recorded
//   init.kind                  "gaussian" (U₀ ~ N(0, 1/k)), "identity" (I_{d×k})
//                              or "file" (init.path: d x k, or flat d·k as x0.npy)
//   init.alpha                 α > 0 in U(0) = α·U₀ (required; [1] for "file")
//   init.deep                  the "deep" flow's own start instead of the balanced
//                              split of U(0)U(0)ᵀ: {"layers": [W1, …, WN]} (d x d
//                              each) or {"end_to_end": W(0)} (d x d, split balanced)
// Exports (record.data): ground_truth, sensing_measurements and
// sensing_targets, or completion_observed, and U0 (unscaled): fed back through
// the *_file keys and init.kind = "file" they reproduce a run bit for bit.
//
// Randomness: the data seed derive_seed(seed, "data") is split once more by
// purpose, "ground_truth" and "measurements" / "observed", so loading W* from a
// file leaves the generated measurements unchanged and vice versa. U₀ is drawn
// from derive_seed(seed, "init").

#include "cli/factory_support.hpp"
#include "core/rng.hpp"
#include "io/errors.hpp"
#include "models/induced_w_flow.hpp"
#include "models/matrix_completion.hpp"
#include "models/matrix_sensing.hpp"
#include "models/psd_ground_truth.hpp"
#include "models/symmetric_factorisation.hpp"
#include "models/symmetric_factorisation_deep.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

namespace gradflow {

namespace {

struct GroundTruth {
  Eigen::MatrixXd matrix;
  std::string description;
};

GroundTruth read_ground_truth(JsonReader& d, const ExperimentSpec& spec, std::uint64_t data_seed) {
  const bool psd = d.boolean("psd", true);
  if (d.has("ground_truth_file")) {
    const std::string path = d.string("ground_truth_file");
    if (d.has("rank")) {
      d.fail(
          "rank",
          "the rank is that of ground_truth_file; give either \"size\" and \"rank\" or the file");
    }
    d.skip("rank");
    const Eigen::MatrixXd raw = read_spec_matrix(spec, path);
    // W = UUᵀ fits a symmetric square W* only; a general one is the other kind's.
    const bool general =
        raw.rows() != raw.cols() || (raw - raw.transpose()).cwiseAbs().maxCoeff() >
                                        kGroundTruthSymmetryTolerance * raw.cwiseAbs().maxCoeff();
    if (general) {
      try {
        validated_ground_truth(raw, psd);
      } catch (const std::invalid_argument& e) {
        d.fail("ground_truth_file",
               fmt::format("{} ({}); a non-symmetric or non-square target is the model kind "
                           "\"matrix_factorisation\" (W = W_N ⋯ W_1 of an m x n matrix)",
                           e.what(), path));
      }
    }
    GroundTruth t{checked(d, "ground_truth_file", [&] { return validated_ground_truth(raw, psd); }),
                  fmt::format("W* {} x {} from {}", raw.rows(), raw.cols(), path)};
    if (d.has("size")) {
      const long size = d.positive_integer("size");
      if (size != t.matrix.rows()) {
        d.fail("size",
               fmt::format("{} is {} x {}, but size = {}", path, raw.rows(), raw.cols(), size));
      }
    } else {
      d.skip("size");
    }
    return t;
  }
  d.skip("ground_truth_file");
  const long size = d.positive_integer("size");
  const long rank = d.positive_integer("rank");
  if (rank > size)
    d.fail("rank", fmt::format("expected a rank between 1 and size = {}, got {}", size, rank));
  Rng rng(derive_seed(data_seed, "ground_truth"));
  return {make_psd_ground_truth({.size = size, .rank = rank}, rng),
          fmt::format("W* = BBᵀ {} x {} of rank {}, B ~ N(0, 1/{})", size, size, rank, rank)};
}

// data.targets_file: the measured b_i themselves (e.g. noisy ⟨A_i, W*⟩ + ε_i),
// one per measurement, instead of b = A(W*).
Eigen::VectorXd read_sensing_targets(const JsonReader& d, const ExperimentSpec& spec,
                                     const std::string& path, Eigen::Index count) {
  const std::string key = "targets_file";
  Eigen::MatrixXd raw;
  try {
    raw = read_spec_matrix(spec, path);
  } catch (const InputError& e) {
    d.fail(key, e.what());  // NaN or Inf inside, unreadable, not .npy/.csv
  }
  if (raw.rows() != 1 && raw.cols() != 1) {
    d.fail(key, fmt::format("{} holds a {} x {} array; expected a vector of m = {} targets b_i, "
                            "one per measurement",
                            path, raw.rows(), raw.cols(), count));
  }
  if (raw.size() != count) {
    d.fail(key, fmt::format("{} holds {} targets; expected m = {}, one per measurement", path,
                            raw.size(), count));
  }
  return Eigen::Map<const Eigen::VectorXd>(raw.data(), raw.size());
}

// init.deep: the deep flow's start given as its N layers, or as W(0) split
// into balanced layers (zero-padded beyond its numerical rank).
Eigen::VectorXd read_deep_start(JsonReader& r, const ExperimentSpec& spec,
                                const DeepFactorisation& deep) {
  const Eigen::Index d = deep.network().widths().front();
  const bool layers = r.has("layers"), end_to_end = r.has("end_to_end");
  if (layers && end_to_end) {
    r.fail("end_to_end",
           "give either \"layers\" (W1 … WN) or \"end_to_end\" (W(0), split into balanced layers), "
           "not both");
  }
  if (!layers && !end_to_end) {
    r.fail("layers",
           "missing: give \"layers\" (W1 … WN, d x d each) or \"end_to_end\" (W(0), d x d)");
  }
  auto check_square = [&](const std::string& key, const std::string& path, const Eigen::MatrixXd& M,
                          const std::string& what) {
    if (M.rows() != d || M.cols() != d) {
      r.fail(key,
             fmt::format("{} holds a {} x {} matrix; {} of the deep flow must be d x d = {} x {}",
                         path, M.rows(), M.cols(), what, d, d));
    }
  };
  if (end_to_end) {
    r.skip("layers");
    const std::string path = r.string("end_to_end");
    const Eigen::MatrixXd W0 = read_spec_matrix(spec, path);
    check_square("end_to_end", path, W0, "W(0)");
    return deep.balanced_start(W0);
  }
  r.skip("end_to_end");
  const std::vector<std::string> paths = r.strings("layers");
  if (static_cast<int>(paths.size()) != deep.depth()) {
    r.fail("layers",
           fmt::format("expected {} paths, one per layer W1 … W{} (model.depth = {}), got {}",
                       deep.depth(), deep.depth(), deep.depth(), paths.size()));
  }
  std::vector<Eigen::MatrixXd> matrices;
  for (std::size_t j = 0; j < paths.size(); ++j) {
    matrices.push_back(read_spec_matrix(spec, paths[j]));
    check_square("layers", paths[j], matrices.back(), fmt::format("layer W{}", j + 1));
  }
  return deep.network().pack(matrices);
}

}  // namespace

ModelInstance build_symmetric_factorisation(const ExperimentSpec& spec) {
  ModelInstance out;
  const std::uint64_t data_seed = derive_seed(spec.seed, "data");

  // --- data: the ground truth and its observations
  JsonReader d(spec.data, spec.file, "data");
  const std::string task = d.choice("kind", {"sensing", "completion"});
  const GroundTruth truth = read_ground_truth(d, spec, data_seed);
  const Eigen::Index size = truth.matrix.rows();
  out.exports.emplace_back("ground_truth", truth.matrix);

  std::shared_ptr<const MatrixLoss> loss;
  FactorisationMetricsOptions metric_options{.truth = truth.matrix};
  if (task == "sensing") {
    Eigen::MatrixXd A;
    std::string source;
    if (given_as_file(d, "measurements")) {
      const std::string path = d.string("measurements_file");
      A = read_spec_matrix(spec, path);
      if (A.cols() != size * size) {
        d.fail(
            "measurements_file",
            fmt::format(
                "{} holds a {} x {} array; expected m x d² = m x {} (row i: A_i flattened, d = {})",
                path, A.rows(), A.cols(), size * size, size));
      }
      source = "from " + path;
    } else {
      d.skip("measurements_file");
      const long m = d.positive_integer("measurements");
      Rng rng(derive_seed(data_seed, "measurements"));
      A = draw_symmetric_gaussian_measurements(size, m, rng);
      source = "symmetric Gaussian";
    }
    const std::string key = d.has("measurements_file") ? "measurements_file" : "measurements";
    Eigen::VectorXd b;
    if (d.has("targets_file")) {
      const std::string path = d.string("targets_file");
      b = read_sensing_targets(d, spec, path, A.rows());
      source += ", targets b from " + path;
    } else {
      d.skip("targets_file");
      b = sensing_targets(A, truth.matrix);
    }
    auto sensing = checked(d, key, [&] { return std::make_shared<const MatrixSensingLoss>(A, b); });
    out.data_description = fmt::format("matrix sensing, {}, m = {} measurements ({})",
                                       truth.description, sensing->measurement_count(), source);
    out.exports.emplace_back("sensing_measurements", std::move(A));
    out.exports.emplace_back("sensing_targets", std::move(b));
    loss = std::move(sensing);
  } else {
    std::vector<MatrixEntry> entries;
    std::string key;
    if (given_as_file(d, "observed")) {
      key = "observed_file";
      const Eigen::MatrixXd raw = read_spec_matrix(spec, d.string(key));
      entries = checked(d, key, [&] { return entries_from_array(raw); });
    } else {
      d.skip("observed_file");
      key = "observed";
      const long count = d.positive_integer(key);
      Rng rng(derive_seed(data_seed, "observed"));
      entries = checked(d, key, [&] { return sample_observed_entries(size, count, rng); });
    }
    auto completion = checked(d, key, [&] {
      return std::make_shared<const MatrixCompletionLoss>(truth.matrix, entries);
    });
    metric_options.unobserved_mask = Eigen::MatrixXd::Ones(size, size);
    for (const auto& [i, j] : completion->entries()) metric_options.unobserved_mask(i, j) = 0.0;
    out.data_description =
        fmt::format("matrix completion, {}, |Ω| = {} of {} entries observed{}", truth.description,
                    completion->observed_count(), size * size,
                    key == "observed" ? " (uniform without replacement)" : " (from file)");
    out.exports.emplace_back("completion_observed", entries_to_array(completion->entries()));
    loss = std::move(completion);
  }
  d.finish();
  out.resolved_data = d.resolved();
  out.resolved_data["size"] = size;

  // --- model: the width of U, the depth of the deep flow, what to observe
  JsonReader m(spec.model, spec.file, "model");
  m.string("kind");
  const long width = m.positive_integer("width", size);
  const long depth = m.positive_integer("depth", 3);
  const long top = m.integer("top_singular_values", 5);
  if (top < 0) m.fail("top_singular_values", fmt::format("expected an integer >= 0, got {}", top));
  metric_options.top_singular_values = top;
  m.finish();
  out.resolved_model = m.resolved();
  auto metrics = std::make_shared<const FactorisationMetrics>(std::move(metric_options));
  auto factor = checked(m, "width", [&] {
    return std::make_unique<SymmetricFactorisation>(
        loss, SymmetricFactorisationOptions{.width = width}, metrics);
  });
  auto w_flow = std::make_unique<InducedWFlow>(loss, metrics);
  auto deep = checked(m, "depth", [&] {
    return std::make_unique<DeepFactorisation>(loss, static_cast<int>(depth), metrics);
  });

  // --- init: U(0) = α·U₀
  JsonReader i(spec.init, spec.file, "init");
  const std::string init = i.choice("kind", {"gaussian", "identity", "file"});
  const double alpha =
      i.positive_number("alpha", init == "file" ? std::optional(1.0) : std::nullopt);
  Eigen::MatrixXd U0;
  if (init == "gaussian") {
    Rng rng(derive_seed(spec.seed, "init"));
    U0 = gaussian_direction(size, width, rng);
  } else if (init == "identity") {
    U0 = identity_direction(size, width);
  } else {
    const std::string path = i.string("path");
    U0 = read_spec_matrix(spec, path);
    // A flat vector of d·k entries is a state as x0.npy holds it (column-major).
    if ((U0.cols() == 1 || U0.rows() == 1) && U0.size() == size * width && width > 1) {
      U0 = Eigen::Map<const Eigen::MatrixXd>(U0.data(), size, width).eval();
    }
    checked(i, "path", [&] { return factor->pack(U0); });
  }
  std::optional<Eigen::VectorXd> deep_given;
  if (i.has("deep")) {
    JsonReader deep_init = i.object("deep");
    deep_given = read_deep_start(deep_init, spec, *deep);
    deep_init.finish();
    i.adopt("deep", deep_init);
  } else {
    i.skip("deep");
  }
  i.finish();
  out.resolved_init = i.resolved();
  out.exports.emplace_back("U0", U0);

  Eigen::VectorXd x0 = factor->pack(alpha * U0);
  const Eigen::MatrixXd W0 = factor->product(x0);
  // The W-flow keeps an exactly symmetric start exactly symmetric; a general
  // product UUᵀ is symmetric only up to round-off.
  const Eigen::MatrixXd W0_sym = 0.5 * (W0 + W0.transpose());
  Eigen::VectorXd w0 = w_flow->pack(W0_sym);
  Eigen::VectorXd deep0 = deep_given ? std::move(*deep_given) : deep->balanced_start(W0_sym);
  out.flows.push_back({"U", std::move(factor), std::move(x0)});
  out.flows.push_back({"W", std::move(w_flow), std::move(w0)});
  out.flows.push_back({"deep", std::move(deep), std::move(deep0)});
  return out;
}

}  // namespace gradflow
