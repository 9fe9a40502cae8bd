#pragma once
// Output that appears whole or not at all (DESIGN.md §6).
//
// An OutputDirectory stages every file in a hidden directory inside the target
// and moves them into place (rename, atomic per file) only in commit(), with
// meta.json last. If the run fails before commit(), the staging directory is
// removed and the target is left as it was; if the process is killed, the next
// OutputDirectory on the same target removes the abandoned staging directory.

#include <filesystem>
#include <string>
#include <vector>

namespace gradflow {

class OutputDirectory {
 public:
  // Creates `target` if needed and checks it is writable, before any work:
  // throws InputError naming the directory otherwise.
  explicit OutputDirectory(std::filesystem::path target);
  ~OutputDirectory();
  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;

  // Stages `relative` (may contain sub-directories) with the given bytes.
  void write(const std::string& relative, const std::string& bytes);
  // Moves every staged file into the target; files named meta.json go last.
  void commit();

  const std::filesystem::path& target() const { return target_; }
  std::vector<std::string> staged() const { return files_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  std::vector<std::string> files_;
};

}  // namespace gradflow
