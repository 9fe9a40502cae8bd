// model.kind = "linear_network": a deep linear network with two flows, the
// per-layer gradient flow ("layers", the default) and the end-to-end flow of
// its product ("end_to_end", Arora, Cohen & Hazan 2018), started from the
// product of the initial layers unless init.end_to_end names a matrix, and
// kept on that start's numerical rank when it is rank-deficient.

#include "cli/factory_support.hpp"
#include "cli/resource_estimate.hpp"
#include "io/errors.hpp"
#include "core/rng.hpp"
#include "io/regression_data.hpp"
#include "models/end_to_end_flow.hpp"
#include "models/linear_network.hpp"
#include "models/matrix_powers.hpp"
#include "models/regression_losses.hpp"

#include <Eigen/SVD>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace gradflow {

namespace {

// A state, its velocity and the integrator's stages: any run holds at least
// this many state-sized vectors.
constexpr double kStateCopies = 4.0;

// model.saxe_oracle: Saxe's mode solution applies at any depth to the square
// loss, whitened inputs and a start aligned with the SVD of Σyx (balanced
// layers: the end-to-end flow it is recorded beside assumes them); refuse
// otherwise.
SaxeOracle saxe_oracle_for(const ExperimentSpec& spec, const SquareLoss* square,
                           const Eigen::MatrixXd& W0, int depth) {
  const std::string key = "model.saxe_oracle";
  if (square == nullptr) throw_input_error(spec.file, key, "the closed form needs the square loss");
  const Eigen::MatrixXd& sxx = square->input_moment();
  const double whitening = (sxx - Eigen::MatrixXd::Identity(sxx.rows(), sxx.cols())).norm();
  if (whitening > 1e-8 * std::sqrt(static_cast<double>(sxx.rows()))) {
    throw_input_error(
        spec.file, key,
        fmt::format(
            "the closed form needs whitened inputs, XXᵀ/n = I (got ‖XXᵀ/n − I‖_F = {:.3g}); set "
            "data.whiten_inputs: true",
            whitening));
  }
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(square->cross_moment(),
                                        Eigen::ComputeThinU | Eigen::ComputeThinV);
  SaxeOracle oracle{svd.matrixU(), svd.matrixV(), svd.singularValues(), {}, depth};
  oracle.u0 = (oracle.U.transpose() * W0 * oracle.V).diagonal();
  const double misalignment =
      (W0 - oracle.U * oracle.u0.asDiagonal() * oracle.V.transpose()).norm();
  if (misalignment > 1e-8 * std::max(W0.norm(), 1e-300)) {
    throw_input_error(spec.file, key,
                      fmt::format("the closed form needs a start W(0) = U diag(u0) Vᵀ aligned with "
                                  "the SVD of YXᵀ/n, u0 > 0 "
                                  "(got a misalignment of {:.3g}); use init.kind = \"aligned\"",
                                  misalignment));
  }
  // Aligned, but a mode may start at zero: a u0_k at round-off level is an
  // exact zero (e.g. W(0) of lower rank than YXᵀ/n, or with no component on a
  // null mode), where the flow of depth ≥ 2 stays at 0 instead of rising from
  // u0 > 0 (depth 1 relaxes every mode linearly, from any u0).
  if (depth == 1) return oracle;
  const double s_cut =
      singular_value_cutoff(W0.rows(), W0.cols(), oracle.s.size() ? oracle.s[0] : 0.0);
  const double u_cut = singular_value_cutoff(W0.rows(), W0.cols(), oracle.u0.cwiseAbs().maxCoeff());
  for (Eigen::Index k = 0; k < oracle.u0.size(); ++k) {
    const double u = oracle.u0[k];
    if (u > u_cut) continue;
    const std::string mode =
        oracle.s[k] <= s_cut
            ? fmt::format("s_{} = {:.3g} (a null mode of YXᵀ/n)", k + 1, oracle.s[k])
            : fmt::format("s_{} = {:.3g}", k + 1, oracle.s[k]);
    const std::string start = std::abs(u) <= u_cut
                                  ? fmt::format(
                                        "u0_{} = 0 up to round-off (|u0_{}| = {:.3g}): W(0) has no "
                                        "component on this mode",
                                        k + 1, k + 1, std::abs(u))
                                  : fmt::format("u0_{} = {:.3g} < 0", k + 1, u);
    throw_input_error(
        spec.file, key,
        fmt::format("the mode solution at depth >= 2 starts from u0_k = u_kᵀW(0)v_k > 0 on every "
                    "mode, "
                    "but mode {} has {} and {}; "
                    "use init.kind = \"aligned\", which starts every mode at scale > 0",
                    k + 1, mode, start));
  }
  return oracle;
}

// The least-squares optimum L* = min 1/(2n)‖WX − Y‖_F² over end-to-end
// matrices of rank ≤ r (the narrowest layer). With B (n × q) an orthonormal
// basis of X's row space, WX ranges over the rank-≤r matrices with rows in it,
// so (Eckart–Young) 2n·L* = ‖Y‖² − Σ_{i≤r} σ_i(Y B)².
double optimal_square_loss(const Dataset& data, Eigen::Index rank) {
  const Eigen::JacobiSVD<Eigen::MatrixXd> x_svd(data.X, Eigen::ComputeThinV);
  const Eigen::VectorXd& sx = x_svd.singularValues();
  const double cut =
      sx.size() > 0 ? singular_value_cutoff(data.X.rows(), data.X.cols(), sx[0]) : 0.0;
  Eigen::Index q = 0;
  while (q < sx.size() && sx[q] > cut) ++q;
  const Eigen::MatrixXd YB = data.Y * x_svd.matrixV().leftCols(q);
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(YB).singularValues();
  const Eigen::Index kept = std::min<Eigen::Index>(rank, s.size());
  const double fitted = s.head(kept).squaredNorm();
  return std::max(0.0, data.Y.squaredNorm() - fitted) / (2.0 * static_cast<double>(data.samples()));
}

}  // namespace

ModelInstance build_linear_network(const ExperimentSpec& spec) {
  ModelInstance out;
  JsonReader d(spec.data, spec.file, "data");
  SpectrumDataset spectrum;  // filled by data.kind "spectrum" only
  const Dataset data = read_regression_data(
      d, {.seed = spec.seed, .base_dir = spec.base_dir, .spectrum = &spectrum});
  out.resolved_data = d.resolved();
  out.data_description = data.description;
  // Samples as rows, the orientation "files" data reads by default, so the
  // exported files can be fed straight back in.
  out.exports.emplace_back("data_X", data.X.transpose());
  out.exports.emplace_back("data_Y", data.Y.transpose());
  // With a chosen spectrum both flows record the mode strengths u_kᵀ W v_k.
  ModeBasis modes;
  if (spectrum.U.size() > 0) {
    modes = {spectrum.U, spectrum.V};
    out.exports.emplace_back("spectrum_U", spectrum.U);
    out.exports.emplace_back("spectrum_V", spectrum.V);
  }

  JsonReader m(spec.model, spec.file, "model");
  m.string("kind");
  std::vector<Eigen::Index> widths{data.input_dim()};
  if (m.has("depth") || m.has("width")) {
    if (m.has("hidden"))
      m.fail("hidden", "give either \"hidden\" or \"depth\" and \"width\", not both");
    const long depth = m.positive_integer("depth");
    const long width = m.positive_integer("width", depth == 1 ? 1 : std::optional<long>());
    // Sized before the layer list is built: depth 4e9 would fill memory here.
    const auto d0 = static_cast<double>(data.input_dim()),
               dN = static_cast<double>(data.output_dim());
    const auto w = static_cast<double>(width), layers = static_cast<double>(depth);
    const double parameters = depth == 1 ? d0 * dN : w * (d0 + dN) + (layers - 2.0) * w * w;
    require_memory(spec, depth > width ? "model.depth" : "model.width",
                   kStateCopies * sizeof(double) * parameters,
                   fmt::format("a linear network of depth {} and width {} ({:.3g} parameters, {} "
                               "state-sized vectors at least)",
                               depth, width, parameters, kStateCopies));
    for (long j = 1; j < depth; ++j) widths.push_back(width);
  } else {
    m.skip("depth");  // listed among the valid keys of an error message
    m.skip("width");
    const std::vector<long> hidden = m.positive_integers("hidden");
    double parameters = 0.0, previous = static_cast<double>(data.input_dim());
    for (long h : hidden) {
      parameters += previous * static_cast<double>(h);
      previous = static_cast<double>(h);
    }
    parameters += previous * static_cast<double>(data.output_dim());
    require_memory(spec, "model.hidden", kStateCopies * sizeof(double) * parameters,
                   fmt::format("a linear network with hidden widths {} ({:.3g} parameters, {} "
                               "state-sized vectors at least)",
                               fmt::join(hidden, ", "), parameters, kStateCopies));
    for (long h : hidden) widths.push_back(h);
  }
  widths.push_back(data.output_dim());
  const LinearNetworkOptions options{
      .widths = widths, .residual = m.boolean("residual", false), .modes = modes};
  JsonReader l = m.object("loss", false);
  std::shared_ptr<const MatrixLoss> loss;
  std::shared_ptr<const SquareLoss> square;  // the aligned start and the Saxe oracle need Σyx
  if (l.choice("kind", {"square", "lp"}, "square") == "square") {
    square = std::make_shared<SquareLoss>(data);
    loss = square;
  } else {
    const double p = l.number("p", 4.0);
    loss = checked(l, "p", [&] { return std::make_shared<LpLoss>(data, p); });
  }
  l.finish();
  m.adopt("loss", l);
  const bool saxe_oracle = m.boolean("saxe_oracle", false);
  m.finish();
  auto net = checked(m, "hidden", [&] { return std::make_unique<LinearNetwork>(loss, options); });
  out.resolved_model = m.resolved();
  out.resolved_model["widths"] = widths;
  if (square && !options.residual) {
    const Eigen::Index rank = *std::min_element(widths.begin(), widths.end());
    const double optimal = optimal_square_loss(data, rank);
    out.facts = {{"optimal_loss", optimal}, {"optimal_loss_rank", static_cast<double>(rank)}};
  }

  JsonReader i(spec.init, spec.file, "init");
  const std::string kind =
      i.choice("kind", {"gaussian", "balanced", "aligned", "identity", "file"});
  Rng rng(derive_seed(spec.seed, "init"));
  Eigen::VectorXd x0;
  if (kind == "gaussian") {
    x0 = net->init_gaussian(i.positive_number("std", 0.1), rng);
  } else if (kind == "balanced") {
    const double scale = i.positive_number("scale", 1.0);
    x0 = checked(i, "kind", [&] { return net->init_balanced(scale, rng); });
  } else if (kind == "aligned") {
    // W(0) = U (scale·I) Vᵀ with Σyx = U S Vᵀ, split into balanced layers: the
    // start of Saxe et al.'s analysis, every mode at u0 = scale.
    if (!square) i.fail("kind", "the aligned start needs the square loss (it aligns with YXᵀ/n)");
    const double scale = i.positive_number("scale", 1e-2);
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(square->cross_moment(),
                                          Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::MatrixXd W = scale * svd.matrixU() * svd.matrixV().transpose();
    x0 = checked(i, "kind", [&] { return net->init_balanced_from(W); });
  } else if (kind == "identity") {
    x0 = net->init_identity(i.number("scale", 1.0));
  } else if (i.has("layers")) {
    std::vector<Eigen::MatrixXd> layers;
    for (const auto& path : i.strings("layers")) layers.push_back(read_spec_matrix(spec, path));
    x0 = checked(i, "layers", [&] { return net->pack(layers); });
  } else {
    const std::string path = i.string("path");
    const Eigen::MatrixXd flat = read_spec_matrix(spec, path);
    if (flat.size() != net->dim() || (flat.rows() != 1 && flat.cols() != 1)) {
      i.fail("path",
             fmt::format(
                 "{} holds a {} x {} array; expected a flat vector of {} entries (the layers "
                 "W1..W{} in "
                 "column-major order, as x0.npy is written), or give \"layers\": [W1.npy, ...]",
                 path, flat.rows(), flat.cols(), net->dim(), net->depth()));
    }
    x0 = Eigen::Map<const Eigen::VectorXd>(flat.data(), flat.size());
  }
  // Noise on top of any start: a balanced start plus perturb·N(0, I) has an
  // imbalance δ that grows with perturb, the knob of the e2e comparison.
  const double perturb = i.number("perturb", 0.0);
  if (perturb < 0.0) i.fail("perturb", fmt::format("expected a number >= 0, got {}", perturb));
  if (perturb > 0.0) {
    for (Eigen::Index k = 0; k < x0.size(); ++k) x0[k] += perturb * rng.normal();
  }
  Eigen::MatrixXd W0 = net->end_to_end(x0);
  if (i.has("end_to_end")) {
    const std::string path = i.string("end_to_end");
    W0 = read_spec_matrix(spec, path);
    if (W0.rows() != loss->rows() || W0.cols() != loss->cols()) {
      i.fail("end_to_end", fmt::format("{} holds a {} x {} matrix; the end-to-end matrix must be "
                                       "dN x d0 = {} x {}",
                                       path, W0.rows(), W0.cols(), loss->rows(), loss->cols()));
    }
  } else {
    i.skip("end_to_end");
  }
  i.finish();
  out.resolved_init = i.resolved();
  // A rank-deficient W(0) (e.g. a hidden layer narrower than d0 and dN) stays
  // of its rank along the exact flow: the end-to-end flow keeps it there.
  EndToEndOptions e2e_options{.max_rank = rank_kept_from(W0, net->depth()), .modes = modes};
  if (saxe_oracle) e2e_options.saxe_oracle = saxe_oracle_for(spec, square.get(), W0, net->depth());
  auto e2e = std::make_unique<EndToEndFlow>(loss, net->depth(), std::move(e2e_options));
  out.flows.push_back({"layers", std::move(net), std::move(x0)});
  out.flows.push_back(
      {"end_to_end", std::move(e2e), Eigen::Map<const Eigen::VectorXd>(W0.data(), W0.size())});
  return out;
}

}  // namespace gradflow
