#include "cli/central_flow_run.hpp"

#include "core/diagnostics.hpp"
#include "io/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradflow {

std::unique_ptr<Field> wrap_central_flow(const ExperimentSpec& spec, std::size_t r,
                                         const Field& field, const Eigen::VectorXd& x0) {
  const std::string key = fmt::format("runs[{}].central_eta", r);
  const double eta = spec.runs[r].central_eta;
  std::unique_ptr<CentralFlow> central;
  try {
    central = std::make_unique<CentralFlow>(field, eta);
  } catch (const std::invalid_argument& e) {
    throw_input_error(spec.file, key, e.what());
  }
  // The flow starts as gradient flow: GD must be stable at the start.
  const double s0 = sharpness(field, x0).value;
  if (s0 > (1.0 + 1e-9) * central->threshold()) {
    throw_input_error(
        spec.file, key,
        fmt::format("GD with step {} starts beyond the edge of stability: the sharpness at the "
                    "start is {:.6g} > "
                    "2/eta = {:.6g}, so GD does not oscillate about a central flow from there (it "
                    "catapults or "
                    "diverges first); the central flow starts below the edge: use eta < {:.6g}",
                    eta, s0, central->threshold(), 2.0 / s0));
  }
  return central;
}

namespace {

struct EdgeSummary {
  double time_on_edge = 0.0;
  int entries = 0, exits = 0, most = 0;
  double first_entry = NAN, first_several = NAN;
};

EdgeSummary summarise(const CentralFlow& flow, double stop_time) {
  EdgeSummary s;
  int k = flow.start_count();
  double since = 0.0;
  s.most = k;
  if (k > 0) s.first_entry = 0.0;
  for (const EdgeEvent& e : flow.events()) {
    if (k > 0) s.time_on_edge += e.t - since;
    if (e.from == 0 && e.to > 0) {
      ++s.entries;
      if (std::isnan(s.first_entry)) s.first_entry = e.t;
    }
    if (e.from > 0 && e.to == 0) ++s.exits;
    if (e.to >= 2 && std::isnan(s.first_several)) s.first_several = e.t;
    s.most = std::max(s.most, e.to);
    k = e.to;
    since = e.t;
  }
  if (k > 0) s.time_on_edge += stop_time - since;
  return s;
}

nlohmann::json time_or_null(double t) {
  return std::isnan(t) ? nlohmann::json(nullptr) : nlohmann::json(t);
}

}  // namespace

nlohmann::json central_flow_json(const CentralFlow& flow, const RunOutcome& run) {
  const double stop = run.result.stats.stop_time;
  const EdgeSummary s = summarise(flow, stop);
  const CentralFlowCounts c = flow.counts();
  nlohmann::json events = nlohmann::json::array();
  for (const EdgeEvent& e : flow.events())
    events.push_back({{"t", e.t}, {"from", e.from}, {"to", e.to}});
  const double per = stop > 0.0 ? 1.0 / stop : NAN;
  const double per_edge = s.time_on_edge > 0.0 ? 1.0 / s.time_on_edge : NAN;
  const long evaluations = c.stable_evaluations + c.edge_evaluations;
  nlohmann::json j = {
      {"eta", flow.eta()},
      {"two_over_eta", flow.threshold()},
      {"grad_S_method", flow.grad_s_method()},
      {"eigensolver",
       "block Lanczos (Krylov) with Rayleigh-Ritz, warm-started, top k+1 pairs, "
       "relative residual 1e-10 (core/top_eigenpairs.hpp)"},
      {"edge_band", kEdgeBand},
      {"edge_count_at_start", flow.start_count()},
      {"events", events},
      {"first_entry_time", time_or_null(s.first_entry)},
      {"entries", s.entries},
      {"exits", s.exits},
      {"time_on_edge", s.time_on_edge},
      {"most_eigenvalues_at_edge", s.most},
      {"several_eigenvalues_first_time", time_or_null(s.first_several)},
      {"counters",
       {{"stable_evaluations", c.stable_evaluations},
        {"edge_evaluations", c.edge_evaluations},
        {"margin_evaluations", c.margin_evaluations},
        {"eigensolves", c.eigensolves},
        {"eigensolve_cycles", c.eigensolve_cycles},
        {"unconverged_eigensolves", c.unconverged_eigensolves},
        {"hessian_vector_products", c.hessian_vector_products},
        {"gradients", c.gradients},
        {"sdcp_solves", c.sdcp_solves},
        {"cluster_cap_hits", c.cluster_cap_hits}}},
      {"per_unit_time",
       {{"field_evaluations", static_cast<double>(evaluations) * per},
        {"hessian_vector_products", static_cast<double>(c.hessian_vector_products) * per}}},
      {"per_unit_time_on_edge",
       {{"edge_evaluations", static_cast<double>(c.edge_evaluations) * per_edge}}},
  };
  if (c.cluster_cap_hits > 0) {
    j["note"] = fmt::format(
        "an eigenvalue beyond the {} held at the edge reached 2/eta {} times and was not held: "
        "from "
        "there the flow is not the central flow (its sharpness spectrum exceeds 2/eta)",
        kMaxEdgeCluster, c.cluster_cap_hits);
  }
  return j;
}

std::string central_flow_log(const CentralFlow& flow, const RunOutcome& run) {
  const double stop = run.result.stats.stop_time;
  const EdgeSummary s = summarise(flow, stop);
  const CentralFlowCounts c = flow.counts();
  std::string line;
  if (s.entries == 0 && flow.start_count() == 0) {
    line = fmt::format(
        "central flow (eta = {}): never reached the edge 2/eta = {:.6g} (gradient flow throughout)",
        flow.eta(), flow.threshold());
  } else {
    line = fmt::format(
        "central flow (eta = {}): on the edge 2/eta = {:.6g} for {:.6g} of {:.6g} time units, "
        "first "
        "entry at t = {:.6g}, {} entries, {} exits, at most {} eigenvalue(s) held",
        flow.eta(), flow.threshold(), s.time_on_edge, stop, s.first_entry, s.entries, s.exits,
        s.most);
  }
  line +=
      fmt::format("; {} Hessian-vector products ({:.4g} per unit time)", c.hessian_vector_products,
                  stop > 0.0 ? static_cast<double>(c.hessian_vector_products) / stop : 0.0);
  if (c.unconverged_eigensolves > 0) {
    line += fmt::format("; {} eigensolves did not converge", c.unconverged_eigensolves);
  }
  if (c.cluster_cap_hits > 0) {
    line += fmt::format("; WARNING: more than {} eigenvalues reached the edge (not held)",
                        kMaxEdgeCluster);
  }
  return line;
}

}  // namespace gradflow
