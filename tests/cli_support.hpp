#pragma once
// Helpers for tests that drive the gradflow command in-process.

#include "cli/command.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace gradflow::testing {

struct CliResult {
  int code;
  std::string out, err;
};

// Runs `gradflow ARGS...` in-process, capturing both streams.
inline CliResult gradflow_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "gradflow");
  std::ostringstream out, err;
  const int code = run_command(args, out, err);
  return {code, out.str(), err.str()};
}

// A fresh, empty directory; `scope` keeps test binaries that run in parallel apart.
inline std::filesystem::path fresh_temp_dir(const std::string& scope, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("gradflow_test_" + scope + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Column `name` of a CSV file the command wrote (a header line, numbers below).
inline std::vector<double> csv_column(const std::filesystem::path& file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::stringstream header(line);
  std::string cell;
  int index = -1;
  for (int c = 0; std::getline(header, cell, ','); ++c) {
    if (cell == name) index = c;
  }
  REQUIRE(index >= 0);
  std::vector<double> values;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    for (int c = 0; std::getline(row, cell, ','); ++c) {
      if (c == index) values.push_back(std::stod(cell));
    }
  }
  return values;
}

// Bad input: `gradflow run` on `spec` exits 2, its message contains
// `expected`, and the output directory is never created.
inline void check_refused(const std::filesystem::path& dir, const std::string& spec,
                          const std::string& expected) {
  write_file(dir / "spec.json", spec);
  const auto out = dir / "out";
  std::filesystem::remove_all(out);
  const CliResult r = gradflow_cli({"run", (dir / "spec.json").string(), "--out", out.string()});
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains(expected));
  CHECK_FALSE(std::filesystem::exists(out));
}

}  // namespace gradflow::testing
