#pragma once
// Output that appears whole or not at all (DESIGN.md §6).
//
// An OutputDirectory stages every file in a hidden directory inside the target
// and publishes them only in commit(). An experiment's folder is built whole in
// staging, synced to disk, and swapped in with one rename (renameat2 with
// RENAME_EXCHANGE where an earlier result is there, whose folder is then
// removed): at every instant the target holds either the old folder or the new
// one, whole. If the run fails before commit(), the staging directory is
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
  // Publishes everything staged: each folder whole (as commit(prefix)), then
  // the top-level files, each with one rename.
  // Returns the number of files moved.
  std::size_t commit();
  // Publishes the folder `prefix` (one folder name) staged whole: it replaces
  // any earlier folder of that name in one step, files the new run does not
  // write included. A folder of that name without a meta.json holding a file
  // the new one has not is the user's: InputError, and it is left as it was.
  std::size_t commit(const std::string& prefix);
  // Removes the target's folders that hold a meta.json (gradflow's results)
  // and are not named in `keep`: experiments an earlier spec produced that
  // this one does not. Other folders and files (the user's) are never touched.
  // Returns the names removed, sorted.
  std::vector<std::string> remove_folders_except(const std::vector<std::string>& keep);
  // A folder gradflow wrote: it holds a meta.json.
  static bool holds_gradflow_folder(const std::filesystem::path& folder);
  // Drops the files staged under `prefix/` (a unit that failed).
  void discard(const std::string& prefix);

  // For a process about to exit on a signal: waits for a commit in progress
  // to finish, blocks every later one and removes the staging folder.
  void abandon();

  const std::filesystem::path& target() const { return target_; }
  std::vector<std::string> staged() const;  // not yet committed
  std::size_t committed() const;            // files moved into the target so far

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  std::vector<std::string> files_;  // staged, not yet committed or discarded
  std::size_t committed_ = 0;
  mutable std::mutex mutex_;
  std::mutex commit_mutex_;  // held while files are published
  std::size_t commit_matching(const std::string& prefix);
  void swap_in(const std::string& prefix, const std::vector<std::string>& files);
};

}  // namespace gradflow
