#pragma once
// The experiment spec: a JSON file (comments allowed) describing data, model,
// initialisation, runs and what to record. docs/spec.md lists every key.
//
// A spec may hold "experiments": [ {...}, ... ]; each entry is merged over the
// rest of the file (RFC 7386 merge patch: objects merge, arrays and values
// replace), so a depth or step-size sweep is a few lines.

#include "core/sample_times.hpp"
#include "core/run_options.hpp"
#include "io/errors.hpp"
#include "io/spec_grid.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gradflow {

// "ensemble": the run repeated by `size` members with seeds derived from the
// experiment seed and the member index, its loss and gradient norm aggregated.
struct EnsembleSpec {
  enum class Vary { start, noise };
  long size = 0;                 // 0: a single run
  Vary vary = Vary::start;       // start: each member draws its start; noise: sgd noise only
  double grad_tolerance = 1e-6;  // final ‖∇L‖ above it: outcome "not_converged"
};

struct RunSpec {
  std::string name;
  std::string flow;           // which of the model's flows; empty: its first (default) flow
  double modified_eta = 0.0;  // > 0: integrate that flow's modified flow for GD with this step
  MethodOptions method;
  // > 0 (euler, sgd): η = value · 2/λ_max(∇²L(x0)), resolved once the model is built.
  double eta_over_stability = 0.0;
  EnsembleSpec ensemble;
  double central_eta = 0.0;  // > 0: integrate that flow's central flow for GD with this step
  long average_window = 0;   // euler: window of GD's time average in comparisons (0: not set)
};

struct RecordSpec {
  bool hessian = false;    // smallest and largest Hessian eigenvalue per record
  bool sharpness = false;  // λ_max(∇²L) per record (Lanczos for large states); 2/η for GD runs
  long sharpness_every = 1;  // sharpness at every k-th record (and the last)
  bool states = false;       // <run>.states.npy, records x dim
  bool final_state = false;  // <run>.final_state.npy, 1 x dim: the last recorded state only
  // > 0: <run>.states.npy and the projection files keep at most this many
  // records, evenly spread, always the first and the last (thinned_records).
  long max_records = 0;
  bool projection = false;  // <run>.<projection>.npy, e.g. the e2e matrix per record
  bool data = true;         // the data the model used (e.g. data_X.npy, data_Y.npy) and x0.npy
  bool events = false;      // <run>.events.csv: every switch of event_driven / relu_windows runs
};

// "eta_sweep": GD at each step size against one gradient-flow reference (and,
// with "modified", against each step's modified flow), with log-log slopes.
struct EtaSweep {
  std::vector<double> values;  // empty: no sweep
  bool modified = true;
  // Generated run names, per value: gd_<η>, mf_<η>; the reference is "gf".
  static std::string gd_name(double eta);
  static std::string modified_name(double eta);
};

struct ExperimentSpec {
  std::string name;
  std::string file;                // the spec file, for error messages
  std::filesystem::path base_dir;  // relative paths resolve against it
  std::uint64_t seed = 0;
  nlohmann::json data;   // read by the model registry (data is model-specific)
  nlohmann::json model;  // read by the model registry
  nlohmann::json init;   // read by the model registry
  double t_end = 1.0;
  // max_memory_gib in bytes; by default this machine's physical memory
  // (cli/resource_estimate.hpp refuses runs whose estimate exceeds it).
  double max_memory_bytes = 0.0;
  // warn_states_gib in bytes: a run whose recorded states (.npy files) would
  // exceed it is warned about in the log and meta.json before any work.
  double warn_states_bytes = 1024.0 * 1024.0 * 1024.0;
  SampleGrid sample;
  StopOptions stop;
  RecordSpec record;
  std::vector<RunSpec> runs;
  EtaSweep sweep;
  std::vector<std::pair<std::string, std::string>> comparisons;
  nlohmann::json resolved;  // every generic key with defaults filled in
  // An entry of "experiments": its place ("experiments[2]") and the patch it
  // merged over the rest of the file; empty for a spec without experiments.
  std::string origin;
  nlohmann::json override_patch;
  // A point of "grid": the value of each grid key (empty without a grid).
  std::vector<GridValue> grid;
};

// Whether a run integrates a flow with switching surfaces: one with
// "central_eta", or the "network" flow (the default) of a two_layer_relu model.
bool switched_flow(const nlohmann::json& model, bool central_eta, const std::string& flow);
// The integrator of a run that names none: dopri5 with "adaptive": false, else
// event_driven for a switched flow, else auto.
std::string default_integrator_name(bool switched, bool fixed_step);

// The error re-keyed to where the user wrote the value: a key set by the
// grid becomes "grid.<path>", one set by the experiment's override
// "experiments[i].<key>"; another key keeps its name, and the message says
// which experiment it was read for.
InputError in_experiment(const InputError& error, const ExperimentSpec& spec);

// The records a states file keeps of `records` when at most `max_records`
// are asked for (0: all): record ⌊j·(records − 1)/(max_records − 1)⌋ for
// j = 0 … max_records − 1, so the first and the last are always kept.
std::vector<std::size_t> thinned_records(std::size_t records, long max_records);

// Reads and validates a spec file; throws InputError (file, key, expected, got).
std::vector<ExperimentSpec> read_spec_file(const std::filesystem::path& path);
// The same from text (`file` names it in messages, `base_dir` anchors paths).
std::vector<ExperimentSpec> parse_spec(const std::string& text, const std::string& file,
                                       const std::filesystem::path& base_dir);

}  // namespace gradflow
