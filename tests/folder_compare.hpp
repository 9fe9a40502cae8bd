#pragma once
// Two gradflow output folders compared file by file, timing fields aside: the
// C++ twin of scripts/compare_outputs.py for tests that drive the command
// in-process (every file byte for byte, meta.json without its keys holding
// wall-clock seconds).

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace gradflow::testing {

inline nlohmann::json without_timing(const nlohmann::json& value) {
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, v] : value.items()) {
      if (key.find("seconds") == std::string::npos) out[key] = without_timing(v);
    }
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : value) out.push_back(without_timing(v));
    return out;
  }
  return value;
}

inline std::set<std::string> files_under(const std::filesystem::path& root) {
  std::set<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files.insert(std::filesystem::relative(e.path(), root).string());
  }
  return files;
}

inline std::string bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The differences, one line each; empty when the folders agree.
inline std::vector<std::string> folder_differences(const std::filesystem::path& a,
                                                   const std::filesystem::path& b) {
  std::vector<std::string> diffs;
  const auto fa = files_under(a), fb = files_under(b);
  for (const auto& f : fa) {
    if (!fb.contains(f)) diffs.push_back(f + ": only in " + a.string());
  }
  for (const auto& f : fb) {
    if (!fa.contains(f)) diffs.push_back(f + ": only in " + b.string());
  }
  for (const auto& f : fa) {
    if (!fb.contains(f)) continue;
    const std::string x = bytes_of(a / f), y = bytes_of(b / f);
    const bool meta = std::filesystem::path(f).filename() == "meta.json";
    const bool same =
        meta ? without_timing(nlohmann::json::parse(x)) == without_timing(nlohmann::json::parse(y))
             : x == y;
    if (!same) diffs.push_back(f + (meta ? ": differs (timing fields aside)" : ": differs"));
  }
  return diffs;
}

}  // namespace gradflow::testing
