#include "io/spec_grid.hpp"

#include "io/errors.hpp"
#include "io/json_reader.hpp"
#include "io/output_names.hpp"
#include "io/spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

namespace gradflow {

using nlohmann::json;

namespace {

std::string grid_key(const std::string& path) { return "grid." + path; }

// How a value reads in an experiment's name: numbers in their shortest exact
// form (0.01, 1e-05), strings as written, arrays joined by 'x' ([4, 4] → 4x4).
std::string value_label(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  std::vector<std::string> parts;
  for (const json& item : v) parts.push_back(value_label(item));
  return fmt::format("{}", fmt::join(parts, "x"));
}

bool scalar(const json& v) { return v.is_number() || v.is_string() || v.is_boolean(); }

bool nameable(const json& v) {
  if (scalar(v)) return true;
  if (!v.is_array() || v.empty()) return false;
  for (const json& item : v) {
    if (!scalar(item)) return false;
  }
  return true;
}

// The name a run of `spec` is known by: its "name", else its integrator's (as
// read_run names it).
std::string run_name_of(const json& run, const json& spec) {
  if (run.contains("name") && run.at("name").is_string()) return run.at("name").get<std::string>();
  if (run.contains("integrator") && run.at("integrator").is_string())
    return run.at("integrator").get<std::string>();
  const bool fixed_step = run.contains("adaptive") && run.at("adaptive") == false;
  const std::string flow =
      run.contains("flow") && run.at("flow").is_string() ? run.at("flow").get<std::string>() : "";
  const json model = spec.contains("model") ? spec.at("model") : json();
  return default_integrator_name(switched_flow(model, run.contains("central_eta"), flow),
                                 fixed_step);
}

}  // namespace

std::vector<GridAxis> read_grid(const std::string& text, const json& grid,
                                const std::string& file) {
  if (!grid.is_object() || grid.empty()) {
    throw_input_error(file, "grid",
                      "expected a non-empty object of dotted paths to value lists, like "
                      "{\"model.depth\": [2, 3]}, got " +
                          describe_json(grid));
  }
  // The order of the keys as written (nlohmann::json sorts them): the text
  // was validated by parse_json_text, so this parse succeeds.
  const auto ordered = nlohmann::ordered_json::parse(text, nullptr, true, true);
  std::vector<GridAxis> axes;
  for (const auto& [path, unused] : ordered.at("grid").items()) {
    const json& list = grid.at(path);
    const std::string key = grid_key(path);
    if (path.empty() || path.front() == '.' || path.back() == '.' ||
        path.find("..") != std::string::npos) {
      throw_input_error(file, key,
                        "expected a dotted path of keys like \"model.depth\" or \"runs.gd.eta\"");
    }
    if (!list.is_array())
      throw_input_error(file, key, "expected an array of values, got " + describe_json(list));
    if (list.empty()) {
      throw_input_error(file, key,
                        "expected at least one value, got an empty list (the product would "
                        "hold no experiment)");
    }
    GridAxis axis{path, {}, {}};
    std::set<std::string> seen;
    for (std::size_t j = 0; j < list.size(); ++j) {
      const json& v = list[j];
      if (!nameable(v)) {
        throw_input_error(file, fmt::format("{}[{}]", key, j),
                          "expected a number, string, boolean or a non-empty array of them (the "
                          "experiment is named from it), got " +
                              describe_json(v));
      }
      const std::string label = value_label(v);
      if (!seen.insert(label).second) {
        throw_input_error(file, fmt::format("{}[{}]", key, j),
                          fmt::format("the value {} is listed twice", v.dump()));
      }
      axis.values.push_back(v);
      axis.labels.push_back(label);
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

long grid_size(const std::vector<GridAxis>& axes, long per_point, long max_experiments,
               const std::string& file) {
  // Multiplied with a guard: the count is refused before it could overflow.
  long count = per_point;
  std::vector<std::string> sizes;
  bool over = count > max_experiments;
  for (const GridAxis& a : axes) {
    sizes.push_back(fmt::format("{} ({})", a.path, a.values.size()));
    const long n = static_cast<long>(a.values.size());
    if (!over && count > max_experiments / n) over = true;
    if (!over) count *= n;
  }
  if (over) {
    long double exact = per_point;
    for (const GridAxis& a : axes) exact *= static_cast<long double>(a.values.size());
    throw_input_error(
        file, "grid",
        fmt::format("the grid would create {:.0f} experiments ({}{}), more than max_experiments = "
                    "{} (raise \"max_experiments\" if this is meant)",
                    static_cast<double>(exact), fmt::join(sizes, " × "),
                    per_point > 1 ? fmt::format(" × {} experiments", per_point) : std::string(),
                    max_experiments));
  }
  return count;
}

std::vector<std::size_t> grid_combination(const std::vector<GridAxis>& axes, long index) {
  std::vector<std::size_t> combination(axes.size());
  for (std::size_t k = axes.size(); k-- > 0;) {
    const long n = static_cast<long>(axes[k].values.size());
    combination[k] = static_cast<std::size_t>(index % n);
    index /= n;
  }
  return combination;
}

std::vector<GridValue> apply_grid_point(json& spec, const std::vector<GridAxis>& axes,
                                        const std::vector<std::size_t>& combination,
                                        const std::string& file) {
  std::vector<GridValue> point;
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const GridAxis& axis = axes[k];
    json* at = &spec;
    std::string reader_key;  // "runs[1].eta"
    std::string rest = axis.path;
    while (true) {
      if (!at->is_object()) {
        throw_input_error(
            file, grid_key(axis.path),
            fmt::format("'{}' is {}, not an object with keys", reader_key, describe_json(*at)));
      }
      const std::size_t dot = rest.find('.');
      const std::string part = rest.substr(0, dot);
      reader_key += (reader_key.empty() ? "" : ".") + part;
      if (dot == std::string::npos) {
        (*at)[part] = axis.values[combination[k]];
        break;
      }
      rest = rest.substr(dot + 1);
      json& next = (*at)[part];  // created as null when absent: becomes an object below
      if (next.is_null()) next = json::object();
      if (part == "runs" && at == &spec && next.is_array()) {
        // A run by its name; names may hold dots ("gd_0.01"), so the longest
        // name that starts the rest of the path wins.
        std::vector<std::string> names;
        std::size_t found = next.size();
        std::size_t found_length = 0;
        for (std::size_t i = 0; i < next.size(); ++i) {
          const std::string name = run_name_of(next[i], spec);
          names.push_back(name);
          if (rest.size() > name.size() && rest.compare(0, name.size(), name) == 0 &&
              rest[name.size()] == '.' && name.size() > found_length) {
            found = i;
            found_length = name.size();
          }
        }
        if (found == next.size()) {
          throw_input_error(file, grid_key(axis.path),
                            fmt::format("no run named as the path says after \"runs.\" (runs: {}); "
                                        "a run is reached by its name, \"runs.<name>.<key>\"",
                                        fmt::join(names, ", ")));
        }
        reader_key += fmt::format("[{}]", found);
        rest = rest.substr(found_length + 1);
        at = &next[found];
        continue;
      }
      at = &next;
    }
    point.push_back(
        {axis.path, reader_key, axis.values[combination[k]], axis.labels[combination[k]]});
  }
  return point;
}

std::string grid_point_name(const std::vector<GridValue>& point) {
  std::vector<std::string> parts;
  for (const GridValue& v : point) {
    const std::size_t dot = v.path.rfind('.');
    parts.push_back((dot == std::string::npos ? v.path : v.path.substr(dot + 1)) + v.label);
  }
  return safe_name(fmt::format("{}", fmt::join(parts, "_")));
}

}  // namespace gradflow
