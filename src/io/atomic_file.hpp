#pragma once
// Output that appears whole or not at all (DESIGN.md §6).
//
// An OutputDirectory stages every file in a hidden directory inside the target
// and moves them into place (rename, atomic per file) only in commit(), with
// meta.json last. If the run fails before commit(), the staging directory is
// removed and the target is left as it was; if the process is killed, the next
// OutputDirectory on the same target removes the abandoned staging directory.
//
// A sweep commits each experiment folder as soon as it is done (commit(prefix)),
// so a run interrupted midway leaves complete folders (meta.json present) and
// nothing of the others: `gradflow run --resume` skips the complete ones.
// write, commit and discard may be called from several threads at once.

#include <filesystem>
#include <mutex>
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
  // Returns the number of files moved.
  std::size_t commit();
  // The same for the files staged under `prefix/` only. An older
  // `prefix/meta.json` in the target is removed first, so the folder never
  // looks complete while it holds a mix of old and new files.
  std::size_t commit(const std::string& prefix);
  // Drops the files staged under `prefix/` (a unit that failed).
  void discard(const std::string& prefix);

  const std::filesystem::path& target() const { return target_; }
  std::vector<std::string> staged() const;  // not yet committed
  std::size_t committed() const;            // files moved into the target so far

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  std::vector<std::string> files_;  // staged, not yet committed or discarded
  std::size_t committed_ = 0;
  mutable std::mutex mutex_;
  std::size_t commit_matching(const std::string& prefix);
};

}  // namespace gradflow
