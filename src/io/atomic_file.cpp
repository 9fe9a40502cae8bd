#include "io/atomic_file.hpp"

#include "io/errors.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace gradflow {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kStagingPrefix = ".gradflow-staging-";

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "host";
  return name;
}

// A run killed before commit() (Ctrl-C, SIGKILL) cannot clean up after itself;
// the next run in the same directory removes staging folders whose process is
// gone, so only complete files remain. Staging folders are named
// <prefix><pid>.<host>: MPI ranks on other machines share the folder, and a
// pid says nothing about another host's processes, so only this host's (or
// unnamed, older) ones are checked.
void remove_abandoned_staging(const fs::path& target) {
  std::error_code ec;
  const std::string host = host_name();
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) != 0) continue;
    char* rest = nullptr;
    const long pid = std::strtol(name.c_str() + kStagingPrefix.size(), &rest, 10);
    const std::string owner = *rest == '.' ? std::string(rest + 1) : std::string();
    if (!owner.empty() && owner != host) continue;
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

}  // namespace

OutputDirectory::OutputDirectory(fs::path target) : target_(std::move(target)) {
  std::error_code ec;
  fs::create_directories(target_, ec);
  if (ec || !fs::is_directory(target_)) {
    throw_input_error(target_.string(), "",
                      fmt::format("cannot create the output directory ({})",
                                  ec ? ec.message() : "a file of that name exists"));
  }
  remove_abandoned_staging(target_);
  staging_ = target_ / fmt::format("{}{}.{}", kStagingPrefix, ::getpid(), host_name());
  fs::create_directories(staging_, ec);
  std::ofstream probe(staging_ / ".probe");
  if (ec || !probe) {
    throw_input_error(target_.string(), "", "the output directory is not writable");
  }
  probe.close();
  fs::remove(staging_ / ".probe", ec);
}

OutputDirectory::~OutputDirectory() {
  std::error_code ec;
  fs::remove_all(staging_, ec);  // nothing half-written is left behind
}

void OutputDirectory::write(const std::string& relative, const std::string& bytes) {
  const fs::path path = staging_ / relative;
  std::error_code ec;
  {
    // Two experiments creating their folders at once must not race on a
    // shared parent directory.
    const std::lock_guard lock(mutex_);
    fs::create_directories(path.parent_path(), ec);
  }
  // C stdio rather than a stream: errno says why a write failed (no space
  // left on device, file too large, quota), and the user needs the reason.
  int error = ec ? ec.value() : 0;
  if (error == 0) {
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) {
      error = errno;
    } else {
      if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) error = errno;
      if (std::fflush(out) != 0 && error == 0) error = errno;
      if (std::fclose(out) != 0 && error == 0) error = errno;
    }
  }
  if (error != 0) {
    throw_input_error(
        target_.string(), "",
        fmt::format("cannot write the output file {} ({})", relative, std::strerror(error)));
  }
  const std::lock_guard lock(mutex_);
  files_.push_back(relative);
}

namespace {
bool under(const std::string& file, const std::string& prefix) {
  return prefix.empty() ||
         (file.size() > prefix.size() && file.compare(0, prefix.size(), prefix) == 0 &&
          file[prefix.size()] == '/');
}
}  // namespace

namespace {

// fsync of a file or directory: the data and the directory entries reach the
// disk before the swap that publishes them, so a power cut cannot publish a
// folder whose files are empty (ext4's delayed allocation).
void sync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (directory) {
    ::fsync(fd);
  } else {
    ::fdatasync(fd);  // the data and its size; times and permissions may wait
  }
  ::close(fd);
}

void sync_tree(const fs::path& root) {
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    sync_path(entry.path(), entry.is_directory(ec));
  }
  sync_path(root, true);
}

// A test hook: GRADFLOW_TEST_KILL_IN_COMMIT=before_swap|after_swap kills the
// process there (SIGKILL, no clean-up), to show a kill during a commit leaves
// either the old or the new folder whole. Unset in normal use.
void maybe_killed_at(const char* point) {
  const char* chosen = std::getenv("GRADFLOW_TEST_KILL_IN_COMMIT");
  if (chosen != nullptr && std::strcmp(chosen, point) == 0) ::raise(SIGKILL);
}

// renameat2(RENAME_EXCHANGE): both names exist before and after, the swap is
// one atomic step. Called through syscall() because glibc before 2.28 has no
// wrapper. False where the kernel or file system does not support it (EINVAL,
// ENOSYS): the caller falls back to two renames.
bool exchange(const fs::path& a, const fs::path& b) {
  if (std::getenv("GRADFLOW_TEST_NO_EXCHANGE") != nullptr) return false;
#ifdef SYS_renameat2
  constexpr unsigned kRenameExchange = 2;  // RENAME_EXCHANGE, <linux/fs.h>
  if (::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), kRenameExchange) == 0)
    return true;
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
    throw std::system_error(errno, std::generic_category(),
                            fmt::format("swapping {} into place", b.string()));
  }
#endif
  return false;
}

}  // namespace

bool OutputDirectory::holds_gradflow_folder(const fs::path& folder) {
  std::error_code ec;
  return fs::is_directory(folder, ec) && fs::is_regular_file(folder / "meta.json", ec);
}

// Publishes staging_/prefix as target_/prefix in one step. Where a folder of
// that name exists it is exchanged with the new one (both stay whole at every
// instant) and the old one, now in staging, is removed. Without
// RENAME_EXCHANGE the old folder is renamed aside first: a kill between the two
// renames leaves neither in the target (the next run removes both from the
// abandoned staging folder), never a mix of old and new files.
void OutputDirectory::swap_in(const std::string& prefix, const std::vector<std::string>& files) {
  const fs::path fresh = staging_ / prefix;
  const fs::path dest = target_ / prefix;
  std::error_code ec;
  const bool replaces = fs::exists(fs::symlink_status(dest, ec));
  if (replaces && !fs::is_directory(fs::symlink_status(dest, ec))) {
    throw_input_error(target_.string(), "",
                      fmt::format("cannot write the experiment folder {}: a file of that name is "
                                  "in the way (move it away or choose another --out)",
                                  prefix));
  }
  if (replaces && !holds_gradflow_folder(dest)) {
    // No meta.json: perhaps a folder an older gradflow left half-committed,
    // perhaps the user's. Replaced only if the new folder has a file of each
    // name it holds (what a file-by-file overwrite would have done anyway);
    // a file of the user's is never deleted.
    for (const auto& entry : fs::recursive_directory_iterator(dest, ec)) {
      if (entry.is_directory(ec)) continue;
      const std::string name =
          (fs::path(prefix) / entry.path().lexically_relative(dest)).generic_string();
      if (std::find(files.begin(), files.end(), name) == files.end()) {
        throw_input_error(target_.string(), "",
                          fmt::format("the folder {} holds {}, which gradflow did not write (no "
                                      "meta.json), and a run replaces its experiment folder "
                                      "whole: move it away or choose another --out",
                                      prefix, name));
      }
    }
  }
  // On disk before an earlier result is deleted: after a power cut the folder
  // must not hold new names with empty contents where the old result was. A
  // first write risks nothing older and skips the syncs (about 50 ms per
  // folder on ext4, which a sweep of thousands of experiments would feel).
  if (replaces) sync_tree(fresh);
  maybe_killed_at("before_swap");
  if (!replaces) {
    fs::rename(fresh, dest);
  } else if (exchange(fresh, dest)) {
    maybe_killed_at("after_swap");
    fs::remove_all(fresh, ec);  // the old folder, now in staging
  } else {
    const fs::path aside = staging_ / (".old-" + prefix);
    fs::rename(dest, aside);
    maybe_killed_at("after_swap");
    fs::rename(fresh, dest);
    fs::remove_all(aside, ec);
  }
  if (replaces) sync_path(target_, true);
}

std::size_t OutputDirectory::commit_matching(const std::string& prefix) {
  std::vector<std::string> chosen;
  {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> rest;
    for (std::string& f : files_) (under(f, prefix) ? chosen : rest).push_back(std::move(f));
    files_ = std::move(rest);
  }
  const std::lock_guard publishing(commit_mutex_);
  if (!prefix.empty()) {
    // One experiment's folder: staged whole, published whole.
    if (!chosen.empty()) swap_in(prefix, chosen);
  } else {
    // Folders staged under the target (experiments the Python API writes)
    // are published whole, as commit(prefix) does; then the top-level files
    // (the summaries), each rename atomic.
    std::vector<std::string> top;
    std::vector<std::pair<std::string, std::vector<std::string>>> folders;
    for (const std::string& f : chosen) {
      const std::size_t slash = f.find('/');
      if (slash == std::string::npos) {
        top.push_back(f);
        continue;
      }
      const std::string folder = f.substr(0, slash);
      auto it = std::find_if(folders.begin(), folders.end(),
                             [&](const auto& entry) { return entry.first == folder; });
      if (it == folders.end()) it = folders.insert(folders.end(), {folder, {}});
      it->second.push_back(f);
    }
    for (const auto& [folder, files] : folders) swap_in(folder, files);
    for (const std::string& f : top) {
      const fs::path dest = target_ / f;
      if (fs::exists(dest)) sync_path(staging_ / f, false);  // as in swap_in
      fs::create_directories(dest.parent_path());
      fs::rename(staging_ / f, dest);
    }
    sync_path(target_, true);
  }
  const std::lock_guard lock(mutex_);
  committed_ += chosen.size();
  return chosen.size();
}

std::size_t OutputDirectory::commit() { return commit_matching(""); }

std::size_t OutputDirectory::commit(const std::string& prefix) {
  if (prefix.empty() || prefix.find('/') != std::string::npos || prefix[0] == '.') {
    throw std::invalid_argument("OutputDirectory::commit: the prefix must be one folder name");
  }
  return commit_matching(prefix);
}

std::vector<std::string> OutputDirectory::remove_folders_except(
    const std::vector<std::string>& keep) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(target_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    if (!holds_gradflow_folder(entry.path())) continue;  // the user's: never touched
    // Renamed into staging first: it vanishes from the target in one step.
    const fs::path gone = staging_ / (".stale-" + name);
    fs::rename(entry.path(), gone, ec);
    if (ec) continue;
    fs::remove_all(gone, ec);
    removed.push_back(name);
  }
  std::sort(removed.begin(), removed.end());
  if (!removed.empty()) sync_path(target_, true);
  return removed;
}

void OutputDirectory::abandon() {
  commit_mutex_.lock();  // never released: the process exits
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void OutputDirectory::discard(const std::string& prefix) {
  const std::lock_guard lock(mutex_);
  std::erase_if(files_, [&](const std::string& f) { return under(f, prefix); });
  std::error_code ec;
  fs::remove_all(staging_ / prefix, ec);
}

std::vector<std::string> OutputDirectory::staged() const {
  const std::lock_guard lock(mutex_);
  return files_;
}

std::size_t OutputDirectory::committed() const {
  const std::lock_guard lock(mutex_);
  return committed_;
}

}  // namespace gradflow
