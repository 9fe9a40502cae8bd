#include "io/spec.hpp"

#include "io/errors.hpp"
#include "io/json_reader.hpp"
#include "io/json_text.hpp"
#include "io/output_names.hpp"
#include "io/spec_central.hpp"
#include "io/spec_sgd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <unistd.h>

namespace gradflow {

using nlohmann::json;

bool switched_flow(const json& model, bool central_eta, const std::string& flow) {
  if (central_eta) return true;
  const bool relu =
      model.is_object() && model.contains("kind") && model["kind"] == "two_layer_relu";
  return relu && (flow.empty() || flow == "network");
}

std::string default_integrator_name(bool switched, bool fixed_step) {
  // auto is dopri5 bit for bit while the flow is not stiff and switches to
  // bdf when dopri5's step becomes stability-bound; it has no fixed-step
  // mode, so "adaptive": false keeps dopri5's scheme. A flow with switching
  // surfaces needs its switches located: dopri5 or auto stepping across them
  // crawls (minutes where event_driven takes a fraction of a second) to a
  // first-order answer.
  if (fixed_step) return "dopri5";
  return switched ? "event_driven" : "auto";
}

std::vector<std::size_t> thinned_records(std::size_t records, long max_records) {
  std::vector<std::size_t> kept;
  const auto wanted = static_cast<std::size_t>(max_records);
  if (max_records <= 0 || records <= wanted) {
    kept.resize(records);
    for (std::size_t k = 0; k < records; ++k) kept[k] = k;
    return kept;
  }
  kept.reserve(wanted);
  // Integer arithmetic: the same rows on every machine, first and last exact.
  for (std::size_t j = 0; j < wanted; ++j) kept.push_back(j * (records - 1) / (wanted - 1));
  return kept;
}

std::string EtaSweep::gd_name(double eta) { return fmt::format("gd_{}", eta); }
std::string EtaSweep::modified_name(double eta) { return fmt::format("mf_{}", eta); }

namespace {

// A record is a row of every output: 1e8 of them is already gigabytes.
constexpr long kMaxSampleCount = 100'000'000;

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return std::numeric_limits<double>::infinity();
  return static_cast<double>(pages) * static_cast<double>(page_size);
}

// A relative tolerance below the double's round-off (2.2e-16) cannot be met
// by any integrator (dopri5's first step then underflows to NaN), and one of 1
// or more accepts any answer: refuse both.
double read_relative_tolerance(JsonReader& r, double fallback) {
  const double rtol = r.positive_number("rtol", fallback);
  constexpr double kRoundOff = std::numeric_limits<double>::epsilon();
  if (rtol < kRoundOff || rtol >= 1.0) {
    r.fail("rtol", fmt::format("expected a relative tolerance in [{:.3g}, 1), got {}: below a "
                               "double's round-off no integrator can meet it, and 1 or more "
                               "accepts any answer",
                               kRoundOff, rtol));
  }
  return rtol;
}

SampleGrid read_sample(JsonReader r, double default_spacing, json& resolved) {
  SampleGrid s;
  const std::string kind =
      r.choice("kind", {"grid", "linear", "log", "list"}, default_spacing > 0 ? "grid" : "linear");
  if (kind == "grid") {
    s.kind = SampleGrid::Kind::grid;
    s.spacing = r.positive_number(
        "spacing", default_spacing > 0 ? std::optional(default_spacing) : std::nullopt);
  } else if (kind == "linear" || kind == "log") {
    s.kind = kind == "linear" ? SampleGrid::Kind::linear : SampleGrid::Kind::log;
    // Range-checked as read (64-bit), before narrowing to int: 2^32 + 1 must
    // not become 1.
    const long count = r.positive_integer("count", 101);
    if (count > kMaxSampleCount) {
      r.fail("count", fmt::format("expected at most {} records, got {}", kMaxSampleCount, count));
    }
    s.count = static_cast<int>(count);
    if (s.kind == SampleGrid::Kind::log) s.log_start = r.positive_number("start", 1e-3);
  } else {
    s.kind = SampleGrid::Kind::list;
    s.times = r.numbers("times");
  }
  r.finish();
  resolved = r.resolved();
  return s;
}

// Every file the experiment folder will hold whose name the spec decides,
// each once and short enough for the file system: a comparison listed twice or
// a run named "compare_a_vs_b" would otherwise fail at the very end, while the
// files are moved into place. `user_runs` runs come from "runs", the rest from
// "eta_sweep".
void check_output_files(const ExperimentSpec& e, std::size_t user_runs, bool compare_listed,
                        const JsonReader& r) {
  std::map<std::string, std::string> files;  // file name -> the key that made it
  auto add = [&](const std::string& file, const std::string& key) {
    if (file.size() > kMaxFileNameBytes) {
      r.fail(
          key,
          fmt::format(
              "the output file \"{}\" would be {} bytes long, more than {}: use shorter run names",
              printable_name(file), file.size(), kMaxFileNameBytes));
    }
    const auto [it, fresh] = files.emplace(file, key);
    if (!fresh) {
      r.fail(key,
             fmt::format(
                 "its output file \"{}\" is also written for '{}': names of output files must be "
                 "unique (rename a run, or list each comparison once)",
                 file, it->second));
    }
  };
  add("meta.json", "name");
  if (!e.sweep.values.empty()) add("eta_sweep.csv", "eta_sweep");
  for (std::size_t i = 0; i < e.runs.size(); ++i) {
    const RunSpec& run = e.runs[i];
    const std::string key =
        i < user_runs ? fmt::format("runs[{}].name", i) : std::string("eta_sweep");
    if (run.ensemble.size > 0) {
      add(run.name + ".ensemble.csv", key);
      add(run.name + ".members.csv", key);
    } else {
      add(run.name + ".csv", key);
      if (e.record.states) add(run.name + ".states.npy", key);
      if (e.record.final_state) add(run.name + ".final_state.npy", key);
    }
  }
  for (std::size_t i = 0; i < e.comparisons.size(); ++i) {
    const auto& [a, b] = e.comparisons[i];
    add(fmt::format("compare_{}_vs_{}.csv", a, b),
        compare_listed ? fmt::format("compare[{}]", i)
                       : std::string(e.sweep.values.empty() ? "compare" : "eta_sweep"));
  }
}

// `model`: the spec's, which decides the default integrator of its flows.
RunSpec read_run(JsonReader& r, const json& model) {
  RunSpec run;
  const bool fixed_step = !r.has("integrator") && r.has("adaptive") &&
                          r.raw("adaptive").is_boolean() && !r.raw("adaptive").get<bool>();
  const std::string flow =
      r.has("flow") && r.raw("flow").is_string() ? r.raw("flow").get<std::string>() : "";
  const std::string integrator = r.choice(
      "integrator", method_names(),
      default_integrator_name(switched_flow(model, r.has("central_eta"), flow), fixed_step));
  run.method.method = parse_method(integrator);
  run.name = r.string("name", integrator);
  if (r.has("flow")) {
    run.flow = r.string("flow");
  } else {
    r.skip("flow");
  }
  if (r.has("modified_eta")) {
    run.modified_eta = r.positive_number("modified_eta");
  } else {
    r.skip("modified_eta");
  }
  if (run.method.method == Method::euler || run.method.method == Method::sgd) {
    read_step_size(r, run);
    if (run.method.method == Method::sgd) read_sgd_keys(r, run);
  } else {
    const bool fixed_only = run.method.method == Method::rk4;
    run.method.adaptive = fixed_only ? false : r.boolean("adaptive", true);
    if (run.method.adaptive) {
      run.method.rtol = read_relative_tolerance(r, 1e-8);
      run.method.atol = r.positive_number("atol", 1e-10);
      run.method.max_dt = r.number("max_dt", 0.0);
      if (run.method.max_dt < 0)
        r.fail("max_dt",
               fmt::format("expected a number >= 0 (0: no limit), got {}", run.method.max_dt));
      run.method.initial_dt = r.number("initial_dt", 0.0);
      if (run.method.initial_dt < 0)
        r.fail("initial_dt",
               fmt::format("expected a number >= 0 (0: automatic), got {}", run.method.initial_dt));
      if (run.method.method == Method::bdf || run.method.method == Method::automatic) {
        run.method.linear_solver =
            parse_linear_solver(r.choice("linear_solver", {"auto", "dense", "krylov"}, "auto"));
      }
    } else {
      if (run.method.method == Method::bulirsch_stoer) {
        r.fail("adaptive",
               "bulirsch_stoer has no fixed-step mode; use rk4, dopri5, cash_karp54 or fehlberg78");
      }
      run.method.dt = r.positive_number("dt");
    }
  }
  read_ensemble(r, run);
  read_central_keys(r, run);
  r.finish();
  return run;
}

ExperimentSpec read_experiment(const json& root, const std::string& file,
                               const std::filesystem::path& base_dir,
                               const std::string& default_name) {
  JsonReader r(root, file, "");
  ExperimentSpec e;
  e.file = file;
  e.base_dir = base_dir;
  // A derived name is made safe; a name the user wrote must be safe as given.
  e.name = r.string("name", safe_name(default_name));
  if (const std::string why = unsafe_name_reason(e.name); !why.empty() || e.name[0] == '.') {
    r.fail("name",
           fmt::format(
               "expected a name usable as a directory (letters, digits, _ - . +, at most {} "
               "bytes, not starting with '.'), got \"{}\": {}",
               kMaxNameBytes, printable_name(e.name), why.empty() ? "it starts with '.'" : why));
  }
  if (e.name == "summary_runs.csv" || e.name == "summary_comparisons.csv") {
    r.fail("name", fmt::format("\"{}\" is the name of a summary file beside the experiment folders",
                               e.name));
  }
  const long seed = r.integer("seed", 0);
  if (seed < 0) r.fail("seed", fmt::format("expected an integer >= 0, got {}", seed));
  e.seed = static_cast<std::uint64_t>(seed);
  // Already expanded by parse_spec (listed here as valid top-level keys).
  r.skip("experiments");
  r.skip("grid");
  r.skip("max_experiments");
  e.data = r.has("data") ? r.raw("data") : json::object();
  if (!e.data.is_object()) r.fail("data", "expected an object, got " + describe_json(e.data));

  if (!r.has("model")) r.fail("model", "missing required key (expected an object with a \"kind\")");
  e.model = r.raw("model");
  if (!e.model.is_object()) r.fail("model", "expected an object, got " + describe_json(e.model));
  if (!r.has("init")) r.fail("init", "missing required key (expected an object with a \"kind\")");
  e.init = r.raw("init");
  if (!e.init.is_object()) r.fail("init", "expected an object, got " + describe_json(e.init));

  e.t_end = r.positive_number("t_end");
  // Not in `resolved` unless given: the default is the machine's, and the
  // same spec must give the same meta.json on every machine.
  e.max_memory_bytes = r.has("max_memory_gib")
                           ? r.positive_number("max_memory_gib") * 1024.0 * 1024.0 * 1024.0
                           : physical_memory_bytes();
  // Not in `resolved` unless given either: adding the key must not change
  // the meta.json of specs that do not use it.
  if (r.has("warn_states_gib"))
    e.warn_states_bytes = r.positive_number("warn_states_gib") * 1024.0 * 1024.0 * 1024.0;

  std::vector<JsonReader> runs;
  if (r.has("runs") || !r.has("eta_sweep")) runs = r.objects("runs");
  if (runs.empty() && !r.has("eta_sweep"))
    r.fail("runs", "expected at least one run, got an empty array");
  std::set<std::string> names;
  double smallest_eta = 0.0;
  for (auto& rr : runs) {
    e.runs.push_back(read_run(rr, e.model));
    const RunSpec& run = e.runs.back();
    if (!names.insert(run.name).second) {
      rr.fail("name", fmt::format("duplicate run name \"{}\" (names must be unique)", run.name));
    }
    if (const std::string why = unsafe_name_reason(run.name); !why.empty()) {
      rr.fail(
          "name",
          fmt::format("expected a name usable as a file name (letters, digits, _ - . +, at most {} "
                      "bytes), got \"{}\": {}",
                      kMaxNameBytes, printable_name(run.name), why));
    }
    if (run.method.method == Method::euler &&
        (smallest_eta == 0.0 || run.method.dt < smallest_eta)) {
      smallest_eta = run.method.dt;
    }
  }
  r.adopt("runs", runs);
  if (r.has("eta_sweep")) {
    JsonReader sw = r.object("eta_sweep");
    e.sweep.values = sw.numbers("values");
    if (e.sweep.values.size() < 2)
      sw.fail("values", "expected at least two step sizes to fit a slope");
    for (double eta : e.sweep.values) {
      if (!(eta > 0.0)) sw.fail("values", fmt::format("expected step sizes > 0, got {}", eta));
    }
    const double smallest = *std::min_element(e.sweep.values.begin(), e.sweep.values.end());
    for (double eta : e.sweep.values) {
      const double ratio = eta / smallest;
      if (std::abs(ratio - std::round(ratio)) > 1e-9 * ratio) {
        sw.fail("values",
                fmt::format("every step must be a whole multiple of the smallest ({}), so that "
                            "all GD iterates meet the reference's records; {} is not",
                            smallest, eta));
      }
    }
    e.sweep.modified = sw.boolean("modified", true);
    const std::string flow = sw.has("flow") ? sw.string("flow") : (sw.skip("flow"), std::string());
    MethodOptions reference{.rtol = read_relative_tolerance(sw, 1e-12),
                            .atol = sw.positive_number("atol", 1e-14)};
    sw.finish();
    r.adopt("eta_sweep", sw);
    // The reference is integrated once, tighter than the smallest gap it must resolve.
    e.runs.push_back({"gf", flow, 0.0, reference});
    for (double eta : e.sweep.values) {
      e.runs.push_back({EtaSweep::gd_name(eta), flow, 0.0, {.method = Method::euler, .dt = eta}});
      e.comparisons.emplace_back(EtaSweep::gd_name(eta), "gf");
      if (e.sweep.modified) {
        e.runs.push_back({EtaSweep::modified_name(eta), flow, eta, reference});
        e.comparisons.emplace_back(EtaSweep::gd_name(eta), EtaSweep::modified_name(eta));
      }
    }
    for (const RunSpec& run : e.runs) {
      if (!names.insert(run.name).second) {
        r.fail("eta_sweep",
               fmt::format("the sweep's run name \"{}\" is already taken by a run", run.name));
      }
    }
    smallest_eta = smallest_eta == 0.0 ? smallest : std::min(smallest_eta, smallest);
  } else {
    r.skip("eta_sweep");
  }

  // By default a spec with a GD run records every GD step, so that every
  // iterate has a flow state to be compared with.
  json resolved_sample;
  e.sample = read_sample(r.object("sample", false), smallest_eta, resolved_sample);

  JsonReader stop = r.object("stop", false);
  if (stop.has("loss_below")) e.stop.loss_below = stop.number("loss_below");
  e.stop.max_abs_state = stop.positive_number("max_abs_state", 1e30);
  e.stop.max_steps = stop.positive_integer("max_steps", 10'000'000);
  e.stop.t_end = e.t_end;
  stop.finish();
  r.adopt("stop", stop);

  JsonReader rec = r.object("record", false);
  e.record.hessian = rec.boolean("hessian", false);
  e.record.sharpness = rec.boolean("sharpness", false);
  if (e.record.sharpness) {
    e.record.sharpness_every = rec.positive_integer("sharpness_every", 1);
  } else if (rec.has("sharpness_every")) {
    rec.fail("sharpness_every", "applies only with \"sharpness\": true (sharpness is off)");
  }
  e.record.states = rec.boolean("states", false);
  e.record.final_state = rec.boolean("final_state", false);
  if (rec.has("max_records")) {
    e.record.max_records = rec.integer("max_records");
    if (e.record.max_records < 2) {
      rec.fail("max_records",
               fmt::format("expected an integer >= 2 (the first and the last record are always "
                           "kept), got {}",
                           e.record.max_records));
    }
  }
  e.record.projection = rec.boolean("projection", false);
  e.record.data = rec.boolean("data", true);
  e.record.events = rec.boolean("events", false);
  rec.finish();
  r.adopt("record", rec);

  if (r.has("compare")) {
    const json& pairs = r.raw("compare");
    if (!pairs.is_array())
      r.fail("compare", "expected an array of [run, run] pairs, got " + describe_json(pairs));
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const json& p = pairs[i];
      const std::string key = fmt::format("compare[{}]", i);
      if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
        r.fail(key, "expected a pair of run names like [\"gd\", \"gf\"], got " + describe_json(p));
      }
      for (const auto& n : p) {
        if (names.count(n.get<std::string>()) == 0) {
          r.fail(key, fmt::format("no run named \"{}\" (runs: {})", n.get<std::string>(),
                                  fmt::join(names, ", ")));
        }
        for (const RunSpec& run : e.runs) {
          if (run.name == n.get<std::string>() && run.ensemble.size > 0) {
            r.fail(key, fmt::format("run \"{}\" is an ensemble: its members have no single "
                                    "trajectory to compare (compare single runs)",
                                    run.name));
          }
        }
      }
      e.comparisons.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
    }
  } else if (!e.sweep.values.empty()) {
    // The sweep's own comparisons, generated above.
  } else {
    // Default: every pair of single runs (not ensembles), in spec order.
    for (std::size_t i = 0; i < e.runs.size(); ++i) {
      for (std::size_t j = i + 1; j < e.runs.size(); ++j) {
        if (e.runs[i].ensemble.size > 0 || e.runs[j].ensemble.size > 0) continue;
        e.comparisons.emplace_back(e.runs[i].name, e.runs[j].name);
      }
    }
  }
  json compare = json::array();
  for (const auto& [a, b] : e.comparisons) compare.push_back({a, b});
  r.finish();
  check_output_files(e, runs.size(), r.has("compare"), r);

  e.resolved = r.resolved();
  e.resolved["sample"] = resolved_sample;
  e.resolved["compare"] = compare;
  e.resolved["seed"] = e.seed;
  return e;
}

}  // namespace

namespace {

// Whether the value at `key` ("model.hidden[0]") was written by the merge
// patch: objects merge key by key, anything else is replaced whole.
bool written_by_patch(const json& patch, const std::string& key) {
  const json* at = &patch;
  std::size_t start = 0;
  while (start <= key.size()) {
    if (!at->is_object()) return true;  // an array or value replaced whole by the patch
    const std::size_t end = key.find_first_of(".[", start);
    const std::string part =
        key.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const auto it = at->find(part);
    if (it == at->end()) return false;
    at = &*it;
    if (end == std::string::npos || key[end] == '[')
      return true;  // the named value, or an array of the patch
    start = end + 1;
  }
  return true;
}

// Whether the reader's `key` lies on the path a grid value was set at: the
// value itself, a key inside it, or an object on the way to it (an unknown
// key "modle" of the grid path "modle.depth").
bool on_grid_path(const std::string& key, const std::string& grid_key) {
  const auto starts = [](const std::string& s, const std::string& prefix) {
    return s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0 &&
           (s[prefix.size()] == '.' || s[prefix.size()] == '[');
  };
  return key == grid_key || starts(key, grid_key) || starts(grid_key, key);
}

}  // namespace

InputError in_experiment(const InputError& error, const ExperimentSpec& spec) {
  if (!error.key().empty()) {
    for (const GridValue& g : spec.grid) {
      if (!on_grid_path(error.key(), g.key)) continue;
      const std::string key = "grid." + g.path;
      const std::string reason =
          fmt::format("at '{}' (experiment \"{}\", value {}): {}", error.key(),
                      printable_name(spec.name), g.value.dump(), error.reason());
      return InputError(fmt::format("{}: key '{}': {}", error.file(), key, reason), error.file(),
                        key, reason);
    }
  }
  if (spec.origin.empty()) return error;
  const std::string name = printable_name(spec.name);
  if (!error.key().empty() && spec.override_patch.is_object() &&
      written_by_patch(spec.override_patch, error.key())) {
    const std::string key = spec.origin + "." + error.key();
    return InputError(fmt::format("{}: key '{}' (experiment \"{}\"): {}", error.file(), key, name,
                                  error.reason()),
                      error.file(), key, error.reason());
  }
  return InputError(
      fmt::format("{} (read for experiment \"{}\", {})", error.what(), name, spec.origin),
      error.file(), error.key(), error.reason());
}

std::vector<ExperimentSpec> parse_spec(const std::string& text, const std::string& file,
                                       const std::filesystem::path& base_dir) {
  // Nesting depth, duplicate keys and overflowing numbers are refused here,
  // before any copy of the value (io/json_text.hpp).
  const json root = parse_json_text(text, file);
  if (!root.is_object())
    throw_input_error(file, "",
                      "expected a JSON object at the top level, got " + describe_json(root));
  const std::string stem = std::filesystem::path(file).stem().string();
  json base = root;
  base.erase("experiments");
  base.erase("grid");
  base.erase("max_experiments");

  long max_experiments = kDefaultMaxExperiments;
  if (root.contains("max_experiments")) {
    const json& m = root.at("max_experiments");
    if (!m.is_number_integer() || m.get<long>() < 1) {
      throw_input_error(
          file, "max_experiments",
          "expected an integer >= 1, got " + (m.is_number() ? m.dump() : describe_json(m)));
    }
    max_experiments = m.get<long>();
  }

  // The experiments' merge patches (one empty patch without "experiments").
  std::vector<json> patches;
  if (root.contains("experiments")) {
    const json& list = root.at("experiments");
    if (!list.is_array() || list.empty()) {
      throw_input_error(file, "experiments",
                        "expected a non-empty array of objects, got " + describe_json(list));
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string key = fmt::format("experiments[{}]", i);
      if (!list[i].is_object())
        throw_input_error(file, key, "expected an object, got " + describe_json(list[i]));
      if (!list[i].contains("name") || !list[i].at("name").is_string()) {
        throw_input_error(file, key + ".name",
                          "every experiment needs a \"name\" string (its output directory)");
      }
      patches.push_back(list[i]);
    }
  }
  const bool listed = !patches.empty();
  if (!listed) patches.emplace_back(json::object());

  // The product is counted before any experiment is read.
  std::vector<GridAxis> axes;
  long points = 1;
  if (root.contains("grid")) {
    axes = read_grid(text, root.at("grid"), file);
    points = grid_size(axes, static_cast<long>(patches.size()), max_experiments, file) /
             static_cast<long>(patches.size());
  } else if (static_cast<long>(patches.size()) > max_experiments) {
    throw_input_error(file, "experiments",
                      fmt::format("{} experiments, more than max_experiments = {}", patches.size(),
                                  max_experiments));
  }

  std::vector<ExperimentSpec> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < patches.size(); ++i) {
    for (long p = 0; p < points; ++p) {
      json merged = base;
      merged.merge_patch(patches[i]);
      ExperimentSpec where;
      if (listed) {
        where.origin = fmt::format("experiments[{}]", i);
        where.override_patch = patches[i];
        where.name = patches[i].at("name").get<std::string>();
      }
      if (!axes.empty()) {
        where.grid = apply_grid_point(merged, axes, grid_combination(axes, p), file);
        const std::string point_name = grid_point_name(where.grid);
        where.name = listed ? where.name + "_" + point_name : point_name;
        merged["name"] = where.name;
      }
      try {
        out.push_back(read_experiment(merged, file, base_dir, stem));
      } catch (const InputError& err) {
        throw in_experiment(err, where);
      }
      out.back().origin = where.origin;
      out.back().override_patch = where.override_patch;
      out.back().grid = where.grid;
      if (!names.insert(out.back().name).second) {
        throw_input_error(file, axes.empty() ? where.origin + ".name" : "grid",
                          fmt::format("duplicate experiment name \"{}\"", out.back().name));
      }
    }
  }
  return out;
}

std::vector<ExperimentSpec> read_spec_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    throw_input_error(path.string(), "", "cannot open the spec file (missing or unreadable)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_spec(ss.str(), path.string(), path.parent_path());
}

}  // namespace gradflow
