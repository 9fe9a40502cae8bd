#pragma once
// What a run integrates once the model is built (prepare_experiment):
//
// - a step given as eta_over_stability = c becomes η = c·2/λ_max(∇²L(x0)),
//   the sharpness at the flow's start x0 (x0.npy; for random starts the one
//   drawn from the experiment seed); a GD run with such a step takes
//   ⌈t_end/η⌉ steps (t_end is rarely a whole number of them), its last
//   iterate at ⌈t_end/η⌉·η ≥ t_end;
// - the capped SGD schedule gets β (given, or the sharpness at the start);
// - SGD gets its noise seed, an ensemble its members. Member m has the seed
//   derive_seed(experiment seed, "member m"), its start is drawn from that
//   seed (so member m of every run in a spec starts from the same point) and
//   its noise from derive_seed(member seed, "noise"). A single SGD run is
//   member 0.

#include "cli/registry.hpp"
#include "core/run_options.hpp"
#include "io/spec.hpp"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gradflow {

std::uint64_t member_seed(std::uint64_t experiment_seed, long index);

struct EnsembleMember {
  long index = 0;
  std::uint64_t seed = 0;
  Eigen::VectorXd x0;
  MethodOptions method;  // the run's, with this member's noise seed and β
};

struct RunPlan {
  MethodOptions method;       // with η, β and the noise seed resolved
  std::vector<double> times;  // the experiment's, plus a relative-η GD run's last iterate
  StopOptions stop;
  double sharpness_at_x0 = std::numeric_limits<double>::quiet_NaN();  // with eta_over_stability
  std::string beta_source;              // capped schedule: where β came from
  std::vector<EnsembleMember> members;  // empty for a single run
};

// Throws InputError naming runs[r].<key>.
RunPlan plan_run(const ExperimentSpec& spec, std::size_t r, const Flow& flow, const Field& field,
                 const std::vector<double>& times);

// The run's entries for meta.json (resolved step, SGD options); {} if none.
nlohmann::json plan_json(const ExperimentSpec& spec, const RunSpec& run, const RunPlan& plan);

}  // namespace gradflow
