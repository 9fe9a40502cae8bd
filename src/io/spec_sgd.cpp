#include "io/spec_sgd.hpp"

#include <fmt/format.h>

namespace gradflow {

void read_step_size(JsonReader& r, RunSpec& run) {
  if (r.has("eta_over_stability")) {
    if (r.has("eta")) r.fail("eta", "give either \"eta\" or \"eta_over_stability\", not both");
    r.skip("eta");
    run.eta_over_stability = r.positive_number("eta_over_stability");
    return;
  }
  r.skip("eta_over_stability");
  if (!r.has("eta")) {
    r.fail("eta",
           "missing required key (expected a step size > 0, or \"eta_over_stability\": c for "
           "η = c·2/λ_max(∇²L(x0)))");
  }
  run.method.dt = r.positive_number("eta");
}

void read_sgd_keys(JsonReader& r, RunSpec& run) {
  SgdOptions& sgd = run.method.sgd;
  sgd.sigma = r.number("sigma");
  if (sgd.sigma < 0.0) {
    r.fail("sigma",
           fmt::format("expected a noise scale >= 0 (ξ ~ N(0, σ²I/dim)), got {}", sgd.sigma));
  }
  sgd.schedule = parse_schedule(r.choice("schedule", schedule_names(), "constant"));
  if (r.has("beta")) {
    if (sgd.schedule != StepSchedule::inverse_time_capped) {
      r.fail("beta",
             fmt::format("beta caps the step of the inverse_time_capped schedule; this run's "
                         "schedule is {}",
                         to_string(sgd.schedule)));
    }
    sgd.beta = r.positive_number("beta");
  } else {
    r.skip("beta");
  }
}

void read_ensemble(JsonReader& r, RunSpec& run) {
  if (!r.has("ensemble")) {
    r.skip("ensemble");
    return;
  }
  JsonReader e = r.object("ensemble");
  const bool sgd = run.method.method == Method::sgd;
  EnsembleSpec& ens = run.ensemble;
  ens.size = e.positive_integer("size");
  const std::string vary = e.choice("vary", {"start", "noise"}, sgd ? "noise" : "start");
  if (vary == "noise" && !sgd) {
    e.fail("vary",
           fmt::format("\"noise\" varies the noise of sgd runs only; {} is deterministic, so "
                       "every member would be the same (use \"start\")",
                       to_string(run.method.method)));
  }
  ens.vary = vary == "start" ? EnsembleSpec::Vary::start : EnsembleSpec::Vary::noise;
  ens.grad_tolerance = e.positive_number("grad_tolerance", 1e-6);
  e.finish();
  r.adopt("ensemble", e);
}

}  // namespace gradflow
