#pragma once
// One gradflow run at a time per output folder.
//
// Two runs writing into the same folder would swap experiment folders under
// each other and each write summaries listing only its own. An OutputLock holds
// an exclusive flock(2) on <folder>/.gradflow.lock for its lifetime; a second
// run is refused (InputError, exit 2) with the first one's pid. The kernel
// releases a flock when its process dies, however it dies, so a lock left by a
// killed run never blocks the next one (its file stays, unlocked). A run that
// ends removes the file while it still holds it; a run that locks checks that
// the file it locked is still the one in the folder, and tries again if not,
// so that two runs never hold locks on two different files.
// flock is advisory and local: runs on other machines sharing the folder over
// NFS are not seen (MPI ranks do not take it: rank 0 holds it for them all).

#include <filesystem>

namespace gradflow {

class OutputLock {
 public:
  // Locks `folder` (which must exist) or throws InputError naming it.
  explicit OutputLock(const std::filesystem::path& folder);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  static constexpr const char* kFileName = ".gradflow.lock";

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace gradflow
