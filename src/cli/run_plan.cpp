#include "cli/run_plan.hpp"

#include "cli/resource_estimate.hpp"

#include "core/diagnostics.hpp"
#include "core/rng.hpp"
#include "integrators/stochastic_gradient_descent.hpp"
#include "io/errors.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

namespace gradflow {

std::uint64_t member_seed(std::uint64_t experiment_seed, long index) {
  return derive_seed(experiment_seed, fmt::format("member {}", index));
}

namespace {

// η = c·2/λ_max(∇²L(x0)).
void resolve_relative_step(const ExperimentSpec& spec, std::size_t r, const Flow& flow,
                           const Field& field, RunPlan& plan) {
  const RunSpec& run = spec.runs[r];
  const std::string key = fmt::format("runs[{}].eta_over_stability", r);
  if (!field.is_gradient_flow()) {
    throw_input_error(spec.file, key,
                      fmt::format("the threshold 2/λ_max(∇²L) is that of gradient descent on a "
                                  "gradient flow; this flow's "
                                  "velocity is not −∇L ({}): give \"eta\"",
                                  field.describe()));
  }
  const double lambda = sharpness(field, flow.x0).value;
  if (!(lambda > 0.0) || !std::isfinite(lambda)) {
    throw_input_error(spec.file, key,
                      fmt::format("the sharpness λ_max(∇²L(x0)) is {} at the start: no positive "
                                  "curvature to scale the step "
                                  "by; give \"eta\"",
                                  lambda));
  }
  plan.sharpness_at_x0 = lambda;
  plan.method.dt = run.eta_over_stability * 2.0 / lambda;
  if (!std::isfinite(plan.method.dt)) {
    throw_input_error(spec.file, key,
                      fmt::format("η = {} · 2/λ_max = {} · 2/{:.6g} overflows a double: expected a "
                                  "value that gives a finite step",
                                  run.eta_over_stability, run.eta_over_stability, lambda));
  }
  if (run.method.method != Method::euler) return;
  // GD takes whole steps: ⌈t_end/η⌉ of them (a ratio within round-off of an
  // integer is that integer), the last iterate recorded as well.
  const double ratio = spec.t_end / plan.method.dt;
  const double steps =
      std::abs(ratio - std::round(ratio)) <= 1e-9 * ratio ? std::round(ratio) : std::ceil(ratio);
  // Counted in floating point: a huge horizon or a tiny step is refused here,
  // before any work, instead of overflowing an integer step count.
  if (!(steps <= static_cast<double>(spec.stop.max_steps))) {
    throw_input_error(spec.file, key,
                      fmt::format("gradient descent at η = {:.6g} (= {} · 2/λ_max) would take "
                                  "{:.6g} steps to reach t_end = {}, "
                                  "more than stop.max_steps = {}: lower t_end, raise "
                                  "eta_over_stability or stop.max_steps",
                                  plan.method.dt, run.eta_over_stability, steps, spec.t_end,
                                  spec.stop.max_steps));
  }
  plan.stop.t_end = steps * plan.method.dt;
  if (std::abs(plan.stop.t_end - plan.times.back()) <= 1e-9 * spec.t_end) {
    plan.times.back() = plan.stop.t_end;
  } else {
    plan.times.push_back(plan.stop.t_end);
  }
}

double member_beta(const ExperimentSpec& spec, std::size_t r, const Field& field,
                   const Eigen::VectorXd& x0, const SgdOptions& sgd, const std::string& which) {
  try {
    return resolve_beta(field, x0, sgd);
  } catch (const std::invalid_argument& e) {
    throw_input_error(spec.file, fmt::format("runs[{}].schedule", r),
                      fmt::format("{}: {}", which, e.what()));
  }
}

// An inverse-time schedule reaches t only after about e^{t/η} steps: refuse a
// horizon beyond the step budget before any work.
void check_reachable(const ExperimentSpec& spec, std::size_t r, const MethodOptions& m) {
  if (m.sgd.schedule == StepSchedule::constant) return;
  if (sgd_final_step(m.dt, m.sgd.schedule, m.sgd.beta, spec.t_end, spec.stop.max_steps) >= 0)
    return;
  throw_input_error(
      spec.file, fmt::format("runs[{}].schedule", r),
      fmt::format("reaching t_end = {} with the {} schedule (η = {:.6g}) takes more than "
                  "stop.max_steps = {} "
                  "steps (t_k = Σ η_j grows like η ln k, t = {:.6g} after max_steps): lower t_end, "
                  "raise eta or "
                  "stop.max_steps",
                  spec.t_end, to_string(m.sgd.schedule), m.dt, spec.stop.max_steps,
                  schedule_time(m.sgd.schedule, m.dt, m.sgd.beta, spec.stop.max_steps)));
}

}  // namespace

RunPlan plan_run(const ExperimentSpec& spec, std::size_t r, const Flow& flow, const Field& field,
                 const std::vector<double>& times) {
  const RunSpec& run = spec.runs[r];
  RunPlan plan{.method = run.method, .times = times, .stop = spec.stop};
  if (run.eta_over_stability > 0.0) resolve_relative_step(spec, r, flow, field, plan);

  const bool sgd = run.method.method == Method::sgd;
  const bool capped = sgd && run.method.sgd.schedule == StepSchedule::inverse_time_capped;
  const bool own_starts = run.ensemble.size > 0 && run.ensemble.vary == EnsembleSpec::Vary::start;
  if (sgd) plan.method.sgd.seed = derive_seed(member_seed(spec.seed, 0), "noise");
  if (capped) {
    if (run.method.sgd.beta > 0.0) {
      plan.beta_source = "spec";
    } else if (own_starts) {
      plan.beta_source = "sharpness λ_max(∇²L) at each member's start (members CSV)";
    } else {
      plan.beta_source = "sharpness λ_max(∇²L(x0)) at the start";
      plan.method.sgd.beta = member_beta(spec, r, field, flow.x0, run.method.sgd, "at the start");
    }
  }
  if (sgd && !(capped && own_starts && run.method.sgd.beta == 0.0))
    check_reachable(spec, r, plan.method);

  if (run.ensemble.size == 0) return plan;
  if (own_starts && !flow.draw_start) {
    throw_input_error(
        spec.file, fmt::format("runs[{}].ensemble.vary", r),
        fmt::format(
            "every member draws its own start, but the start of flow \"{}\" (init.kind = \"{}\") "
            "cannot be "
            "redrawn per member: use a random vector start (\"uniform\" or \"gaussian\", models "
            "least_squares and wide_sharp_1d){}",
            flow.name,
            spec.init.contains("kind") && spec.init["kind"].is_string()
                ? spec.init["kind"].get<std::string>()
                : "?",
            sgd ? ", or \"vary\": \"noise\"" : ""));
  }
  // Sized before any member is built: ensemble.size 1e12 would fill memory here.
  require_memory(spec, fmt::format("runs[{}].ensemble.size", r),
                 static_cast<double>(run.ensemble.size) *
                     ensemble_member_bytes(static_cast<double>(field.dim()),
                                           static_cast<double>(plan.times.size())),
                 fmt::format("an ensemble of {} members of dim {} with {} records each",
                             run.ensemble.size, field.dim(), plan.times.size()));
  plan.members.reserve(static_cast<std::size_t>(run.ensemble.size));
  for (long m = 0; m < run.ensemble.size; ++m) {
    EnsembleMember member{
        .index = m, .seed = member_seed(spec.seed, m), .x0 = {}, .method = plan.method};
    member.x0 = own_starts ? flow.draw_start(member.seed) : flow.x0;
    if (sgd) member.method.sgd.seed = derive_seed(member.seed, "noise");
    if (capped && own_starts && run.method.sgd.beta == 0.0) {
      member.method.sgd.beta = member_beta(spec, r, field, member.x0, run.method.sgd,
                                           fmt::format("at the start of member {}", m));
      check_reachable(spec, r, member.method);
    }
    plan.members.push_back(std::move(member));
  }
  return plan;
}

nlohmann::json plan_json(const ExperimentSpec& spec, const RunSpec& run, const RunPlan& plan) {
  nlohmann::json j = nlohmann::json::object();
  if (run.eta_over_stability > 0.0) {
    j["eta"] = plan.method.dt;
    j["eta_over_stability"] = run.eta_over_stability;
    j["sharpness_at_x0"] = plan.sharpness_at_x0;
    j["stability_threshold"] = 2.0 / plan.sharpness_at_x0;
    if (plan.stop.t_end != spec.t_end) j["t_end_of_run"] = plan.stop.t_end;
  }
  if (run.method.method == Method::sgd) {
    const SgdOptions& s = plan.method.sgd;
    nlohmann::json sgd = {{"schedule", to_string(s.schedule)},
                          {"eta", plan.method.dt},
                          {"sigma", s.sigma},
                          {"noise", "xi_k ~ N(0, sigma^2 I / dim)"}};
    if (run.ensemble.size == 0) sgd["noise_seed"] = s.seed;
    if (s.schedule == StepSchedule::inverse_time_capped) {
      sgd["beta"] = s.beta > 0.0 ? nlohmann::json(s.beta) : nlohmann::json(nullptr);
      sgd["beta_source"] = plan.beta_source;
    }
    j["sgd"] = sgd;
  }
  return j;
}

}  // namespace gradflow
