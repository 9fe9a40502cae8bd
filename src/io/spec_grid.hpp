#pragma once
// Product sweeps: a spec's top-level "grid" maps dotted paths to lists of
// values, and stands for one experiment per combination (the Cartesian
// product), each named from its values ("depth3_observed100_seed2").
//
// Paths name any key of the spec: "model.depth", "seed", and keys inside a
// run by the run's name, "runs.gd.eta" (runs is an array, reached by name).
// Keys are taken in the order written; the last one varies fastest. Values are
// validated by the same readers as a written value, so an unknown key is
// refused with the valid keys of its object.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace gradflow {

// One key of the grid: its dotted path as written, and its values.
struct GridAxis {
  std::string path;                    // "runs.gd.eta"
  std::vector<nlohmann::json> values;  // non-empty
  std::vector<std::string> labels;     // how each value reads in a name ("0.01", "4x4")
};

// The value one experiment of the sweep took on one axis.
struct GridValue {
  std::string path;      // as written in the grid ("runs.gd.eta")
  std::string key;       // the same in the readers' terms ("runs[1].eta"): errors name it
  nlohmann::json value;  // the value set there
  std::string label;     // the value as it reads in the experiment's name
};

// The default of "max_experiments": a grid (times the experiments list) larger
// than this is refused before any work, with the count.
inline constexpr long kDefaultMaxExperiments = 10'000;

// Reads "grid" of the spec text (keys in written order); throws InputError
// naming "grid.<path>" for a value list that is not a non-empty array of
// numbers, strings, booleans or arrays of them, or that holds one value twice.
std::vector<GridAxis> read_grid(const std::string& text, const nlohmann::json& grid,
                                const std::string& file);

// The number of experiments of the grid; throws InputError (key "grid") when
// `per_point` × the product of the list sizes exceeds `max_experiments`.
long grid_size(const std::vector<GridAxis>& axes, long per_point, long max_experiments,
               const std::string& file);

// Combination `index` (0 ≤ index < product of sizes; the last axis fastest).
std::vector<std::size_t> grid_combination(const std::vector<GridAxis>& axes, long index);

// Sets each axis' value of the combination into `spec` (a whole experiment),
// creating objects on the way; a run is found by its name (or, when unnamed,
// its integrator). Throws InputError naming the grid key when a path runs
// through a value that is not an object or names no run (listing the runs).
std::vector<GridValue> apply_grid_point(nlohmann::json& spec, const std::vector<GridAxis>& axes,
                                        const std::vector<std::size_t>& combination,
                                        const std::string& file);

// "depth3_observed100_seed2": the last component of each path and the value.
std::string grid_point_name(const std::vector<GridValue>& point);

}  // namespace gradflow
