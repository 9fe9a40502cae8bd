// model.kind = "matrix_factorisation": the asymmetric (deep) factorisation
// W = W_N ⋯ W_1 of an m × n matrix trained on matrix completion (Arora, Cohen,
// Hu & Luo 2019; Razin & Cohen 2020), models/matrix_factorisation.hpp.
//
// Flows: "layers" (the parameter flow, default) and "end_to_end" (the induced
// flow of W from W(0) = W_N(0) ⋯ W_1(0), kept on that start's numerical rank
// when it is rank-deficient, as the linear network's); both project to "W".
//
// Spec keys (defaults in brackets):
//   data.kind ["completion"]     or "sensing" (models/gaussian_sensing.hpp)
//   data.rows, data.cols, data.rank   a generated W* = BCᵀ (low_rank_ground_truth.hpp)
//   data.ground_truth_file       or W* from .npy/.csv, m x n; NaN marks an unknown entry
//   data.observed                |Ω|, the first |Ω| entries of one random order of
//                                the known entries (nested across counts for a seed)
//   data.observed_file           or Ω from .npy/.csv: |Ω| x 2, 0-based (row, col)
//                                [with a ground-truth file and neither: every known entry]
//   data.measurements            sensing: m', Gaussian A_k (or data.measurements_file,
//                                m' x mn); data.targets_file: y [A vec W*]
//   model.depth [3], model.width [min(m, n)], model.top_singular_values [5]
//   init.kind                    "gaussian" | "balanced" | "identity" | "file"
//   init.alpha                   α > 0 (gaussian, balanced without end_to_end, identity)
//   init.end_to_end              balanced: W(0) from a file instead of N(0, α²)
//   init.layers / init.path      file: the N layer matrices W1 … WN, or the flat state
//
// Randomness: derive_seed(seed, "data") split into "ground_truth" and
// "observed"; the start from derive_seed(seed, "init").

#include "cli/factory_support.hpp"
#include "cli/resource_estimate.hpp"
#include "core/rng.hpp"
#include "io/errors.hpp"
#include "io/matrix_file.hpp"
#include "models/end_to_end_flow.hpp"
#include "models/gaussian_sensing.hpp"
#include "models/low_rank_ground_truth.hpp"
#include "models/matrix_completion.hpp"
#include "models/matrix_factorisation.hpp"
#include "models/matrix_factorisation_end_to_end.hpp"
#include "models/symmetric_factorisation_metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <optional>

namespace gradflow {

namespace {

struct Truth {
  Eigen::MatrixXd matrix;  // NaN where unknown
  std::string description;
  bool from_file = false;
};

Truth read_truth(JsonReader& d, const ExperimentSpec& spec, std::uint64_t data_seed) {
  if (d.has("ground_truth_file")) {
    const std::string path = d.string("ground_truth_file");
    if (d.has("rank")) {
      d.fail("rank",
             "the rank is that of ground_truth_file; give either \"rows\", \"cols\" and \"rank\" "
             "or the file");
    }
    d.skip("rank");
    const Eigen::MatrixXd W =
        read_matrix_file(spec.base_dir / path, spec.file, d.key_path("ground_truth_file"), true);
    for (const char* key : {"rows", "cols"}) {
      if (!d.has(key)) {
        d.skip(key);
        continue;
      }
      const long given = d.positive_integer(key);
      const Eigen::Index actual = std::string(key) == "rows" ? W.rows() : W.cols();
      if (given != actual) {
        d.fail(key,
               fmt::format("{} is {} x {}, but {} = {}", path, W.rows(), W.cols(), key, given));
      }
    }
    const auto unknown = W.array().isNaN().count();
    return {W,
            fmt::format("W* {} x {} from {}{}", W.rows(), W.cols(), path,
                        unknown > 0 ? fmt::format(" ({} unknown entries)", unknown) : ""),
            true};
  }
  d.skip("ground_truth_file");
  const long rows = d.positive_integer("rows");
  const long cols = d.positive_integer("cols");
  const long rank = d.positive_integer("rank");
  if (rank > std::min(rows, cols)) {
    d.fail("rank", fmt::format("expected a rank between 1 and min(rows, cols) = {}, got {}",
                               std::min(rows, cols), rank));
  }
  Rng rng(derive_seed(data_seed, "ground_truth"));
  return {make_low_rank_ground_truth({.rows = rows, .cols = cols, .rank = rank}, rng),
          fmt::format("W* = BCᵀ {} x {} of rank {}, B ~ N(0, 1), C ~ N(0, 1/{})", rows, cols, rank,
                      rank)};
}

// Ω: from a file, drawn (nested: the first |Ω| entries of one random order of
// the known entries), or every known entry of a ground-truth file.
std::vector<MatrixEntry> read_observed(JsonReader& d, const ExperimentSpec& spec,
                                       const Truth& truth, std::uint64_t data_seed,
                                       std::string& key) {
  const Eigen::MatrixXd& W = truth.matrix;
  const auto known = static_cast<long>(W.size() - W.array().isNaN().count());
  if (given_as_file(d, "observed")) {
    key = "observed_file";
    const std::string path = d.string(key);
    const Eigen::MatrixXd raw = read_spec_matrix(spec, path);
    std::vector<MatrixEntry> entries = checked(d, key, [&] { return entries_from_array(raw); });
    for (std::size_t e = 0; e < entries.size(); ++e) {
      const auto [i, j] = entries[e];
      if (i < 0 || i >= W.rows() || j < 0 || j >= W.cols()) continue;  // the loss says so
      if (std::isnan(W(i, j))) {
        d.fail(key, fmt::format("{}: observed entry {} is ({}, {}), where the ground truth is NaN "
                                "(unknown); expected only entries with a known value",
                                path, e, i, j));
      }
    }
    return entries;
  }
  d.skip("observed_file");
  if (!d.has("observed") && truth.from_file && known < W.size()) {
    d.skip("observed");
    key = "ground_truth_file";
    std::vector<MatrixEntry> entries;
    for (Eigen::Index j = 0; j < W.cols(); ++j) {
      for (Eigen::Index i = 0; i < W.rows(); ++i) {
        if (!std::isnan(W(i, j))) entries.push_back({i, j});
      }
    }
    return entries;
  }
  key = "observed";
  const long count = d.positive_integer(key);
  if (count > known) {
    d.fail(key, fmt::format("expected between 1 and the {} known entries of the {} x {} ground "
                            "truth, got {}",
                            known, W.rows(), W.cols(), count));
  }
  Rng rng(derive_seed(data_seed, "observed"));
  std::vector<MatrixEntry> entries;
  for (const MatrixEntry& e : observation_order(W.rows(), W.cols(), rng)) {
    if (std::isnan(W(e.row, e.col))) continue;
    entries.push_back(e);
    if (static_cast<long>(entries.size()) == count) break;
  }
  return entries;
}

// Completion: Ω, its loss, and the metrics' mask of unobserved entries.
std::shared_ptr<const MatrixLoss> completion_data(JsonReader& d, const ExperimentSpec& spec,
                                                  const Truth& truth, std::uint64_t data_seed,
                                                  FactorisationMetricsOptions& metric_options,
                                                  ModelInstance& out) {
  const Eigen::Index rows = truth.matrix.rows(), cols = truth.matrix.cols();
  d.skip("measurements");  // listed among the valid keys of an error message
  d.skip("measurements_file");
  d.skip("targets_file");
  std::string key;
  const std::vector<MatrixEntry> entries = read_observed(d, spec, truth, data_seed, key);
  auto completion = checked(
      d, key, [&] { return std::make_shared<const MatrixCompletionLoss>(truth.matrix, entries); });
  metric_options.unobserved_mask = Eigen::MatrixXd::Ones(rows, cols);
  metric_options.observed_error = true;
  for (const auto& [i, j] : completion->entries()) metric_options.unobserved_mask(i, j) = 0.0;
  const auto unknown = static_cast<double>(truth.matrix.array().isNaN().count());
  out.data_description = fmt::format(
      "matrix completion, {}, |Ω| = {} of {} entries observed ({}){}", truth.description,
      completion->observed_count(), rows * cols,
      key == "observed" ? "first of a random order, nested across counts"
                        : (key == "observed_file" ? "from file" : "every known entry"),
      unknown > 0 ? "; reconstruction_error and unobserved_error unavailable (W* has unknown "
                    "entries): observed_error only"
                  : "");
  out.exports.emplace_back("completion_observed", entries_to_array(completion->entries()));
  out.facts = {{"observed_entries", static_cast<double>(completion->observed_count())},
               {"unknown_truth_entries", unknown}};
  return completion;
}

// Sensing: m' Gaussian measurements (or from a file) of a fully known W*.
std::shared_ptr<const MatrixLoss> sensing_data(JsonReader& d, const ExperimentSpec& spec,
                                               const Truth& truth, std::uint64_t data_seed,
                                               ModelInstance& out) {
  const Eigen::MatrixXd& W = truth.matrix;
  const Eigen::Index rows = W.rows(), cols = W.cols();
  d.skip("observed");
  d.skip("observed_file");
  const auto unknown = W.array().isNaN().count();
  if (unknown > 0) {
    d.fail("ground_truth_file",
           fmt::format("sensing measures every entry of W*, but {} of them are NaN (unknown); "
                       "expected a fully known W*, or data.kind \"completion\"",
                       unknown));
  }
  Eigen::MatrixXd A;
  std::string key, source;
  if (given_as_file(d, "measurements")) {
    key = "measurements_file";
    const std::string path = d.string(key);
    A = read_spec_matrix(spec, path);
    source = "from " + path;
  } else {
    d.skip("measurements_file");
    key = "measurements";
    const long count = d.positive_integer(key);
    Rng rng(derive_seed(data_seed, "measurements"));
    A = draw_gaussian_measurements(rows, cols, count, rng);
    source = "Gaussian";
  }
  if (A.cols() != rows * cols) {
    d.fail(key, fmt::format("the measurements are {} x {}; expected m' x (m·n) = m' x {} (row k: "
                            "A_k flattened column-major, W* {} x {})",
                            A.rows(), A.cols(), rows * cols, rows, cols));
  }
  Eigen::VectorXd y;
  if (d.has("targets_file")) {
    const std::string path = d.string("targets_file");
    const Eigen::MatrixXd raw = read_spec_matrix(spec, path);
    if ((raw.rows() != 1 && raw.cols() != 1) || raw.size() != A.rows()) {
      d.fail("targets_file", fmt::format("{} holds a {} x {} array; expected a vector of m' = {} "
                                         "targets y_k, one per measurement",
                                         path, raw.rows(), raw.cols(), A.rows()));
    }
    y = Eigen::Map<const Eigen::VectorXd>(raw.data(), raw.size());
    source += ", targets y from " + path;
  } else {
    d.skip("targets_file");
    y = A * Eigen::Map<const Eigen::VectorXd>(W.data(), W.size());
  }
  auto sensing = checked(
      d, key, [&] { return std::make_shared<const GaussianSensingLoss>(rows, cols, A, y); });
  out.data_description = fmt::format("matrix sensing, {}, m' = {} measurements ({})",
                                     truth.description, sensing->measurement_count(), source);
  out.exports.emplace_back("sensing_measurements", std::move(A));
  out.exports.emplace_back("sensing_targets", std::move(y));
  return sensing;
}

}  // namespace

ModelInstance build_matrix_factorisation(const ExperimentSpec& spec) {
  ModelInstance out;
  const std::uint64_t data_seed = derive_seed(spec.seed, "data");

  // --- data: W* and the task (completion on Ω, or sensing)
  JsonReader d(spec.data, spec.file, "data");
  const std::string task = d.choice("kind", {"completion", "sensing"}, "completion");
  const Truth truth = read_truth(d, spec, data_seed);
  FactorisationMetricsOptions metric_options{.truth = truth.matrix};
  std::shared_ptr<const MatrixLoss> loss =
      task == "completion" ? completion_data(d, spec, truth, data_seed, metric_options, out)
                           : sensing_data(d, spec, truth, data_seed, out);
  d.finish();
  const Eigen::Index rows = truth.matrix.rows(), cols = truth.matrix.cols();
  out.resolved_data = d.resolved();
  out.resolved_data["rows"] = rows;
  out.resolved_data["cols"] = cols;
  out.exports.insert(out.exports.begin(), {"ground_truth", truth.matrix});

  // --- model
  JsonReader m(spec.model, spec.file, "model");
  m.string("kind");
  const long depth = m.positive_integer("depth", 3);
  const long width = m.positive_integer("width", std::min(rows, cols));
  const long top = m.integer("top_singular_values", 5);
  if (top < 0) m.fail("top_singular_values", fmt::format("expected an integer >= 0, got {}", top));
  metric_options.top_singular_values = top;
  m.finish();
  {
    // Sized before the layers are built: depth 4e9 would fill memory there.
    const double k = static_cast<double>(width), layers = static_cast<double>(depth);
    const double parameters = depth == 1
                                  ? static_cast<double>(rows * cols)
                                  : k * static_cast<double>(rows + cols) + (layers - 2.0) * k * k;
    require_memory(spec, depth > width ? "model.depth" : "model.width",
                   4.0 * sizeof(double) * parameters,
                   fmt::format("a factorisation of depth {} and width {} ({:.3g} parameters, 4 "
                               "state-sized vectors at least)",
                               depth, width, parameters));
  }
  out.resolved_model = m.resolved();
  // Shapes agree by construction and no observed entry of W* is NaN (refused above).
  auto metrics = std::make_shared<const FactorisationMetrics>(std::move(metric_options));
  auto model = checked(m, "depth", [&] {
    return std::make_unique<MatrixFactorisation>(
        loss, MatrixFactorisationOptions{.depth = static_cast<int>(depth), .width = width},
        metrics);
  });

  // --- init
  JsonReader i(spec.init, spec.file, "init");
  const std::string kind = i.choice("kind", {"gaussian", "balanced", "identity", "file"});
  Rng rng(derive_seed(spec.seed, "init"));
  Eigen::VectorXd x0;
  if (kind == "gaussian") {
    x0 = model->init_gaussian(i.positive_number("alpha"), rng);
  } else if (kind == "identity") {
    x0 = model->init_identity(i.positive_number("alpha"));
  } else if (kind == "balanced") {
    if (i.has("end_to_end")) {
      if (i.has("alpha")) {
        i.fail("alpha", "give either \"alpha\" (W(0) ~ N(0, α²)) or \"end_to_end\", not both");
      }
      i.skip("alpha");
      const std::string path = i.string("end_to_end");
      const Eigen::MatrixXd W0 = read_spec_matrix(spec, path);
      if (W0.rows() != rows || W0.cols() != cols) {
        i.fail("end_to_end", fmt::format("{} holds a {} x {} matrix; expected W(0) of the ground "
                                         "truth's shape, {} x {}",
                                         path, W0.rows(), W0.cols(), rows, cols));
      }
      x0 = model->init_balanced_from(W0);
    } else {
      i.skip("end_to_end");
      x0 = model->init_balanced(i.positive_number("alpha"), rng);
    }
  } else if (i.has("layers")) {
    i.skip("path");
    std::vector<Eigen::MatrixXd> layers;
    for (const auto& path : i.strings("layers")) layers.push_back(read_spec_matrix(spec, path));
    x0 = checked(i, "layers", [&] { return model->network().pack(layers); });
  } else {
    // A flat state, as x0.npy holds it (the layers column-major, W1 first).
    const std::string path = i.string("path");
    const Eigen::MatrixXd flat = read_spec_matrix(spec, path);
    if (flat.size() != model->dim() || (flat.rows() != 1 && flat.cols() != 1)) {
      i.fail("path", fmt::format("{} holds a {} x {} array; expected a flat vector of {} entries "
                                 "(the layers W1..W{} column-major, as x0.npy is written), or "
                                 "give \"layers\": [W1, ...]",
                                 path, flat.rows(), flat.cols(), model->dim(), model->depth()));
    }
    x0 = Eigen::Map<const Eigen::VectorXd>(flat.data(), flat.size());
  }
  i.finish();
  out.resolved_init = i.resolved();

  const Eigen::MatrixXd W0 = model->product(x0);
  auto e2e = std::make_unique<FactorisationEndToEnd>(
      loss, static_cast<int>(depth),
      EndToEndOptions{.max_rank = rank_kept_from(W0, static_cast<int>(depth))}, metrics);
  out.flows.push_back({"layers", std::move(model), std::move(x0)});
  out.flows.push_back(
      {"end_to_end", std::move(e2e), Eigen::Map<const Eigen::VectorXd>(W0.data(), W0.size())});
  return out;
}

}  // namespace gradflow
