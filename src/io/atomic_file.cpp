#include "io/atomic_file.hpp"

#include "io/errors.hpp"

#include <fmt/format.h>
#include <signal.h>
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

std::size_t OutputDirectory::commit_matching(const std::string& prefix) {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> chosen, rest;
  for (std::string& f : files_) (under(f, prefix) ? chosen : rest).push_back(std::move(f));
  files_ = std::move(rest);
  if (!prefix.empty()) {
    // Whatever meta.json an earlier run left says "complete" about files
    // that are about to be replaced: remove it before the first rename.
    std::error_code ec;
    fs::remove(target_ / prefix / "meta.json", ec);
  }
  std::stable_partition(chosen.begin(), chosen.end(),
                        [](const std::string& f) { return fs::path(f).filename() != "meta.json"; });
  for (const std::string& f : chosen) {
    const fs::path dest = target_ / f;
    fs::create_directories(dest.parent_path());
    fs::rename(staging_ / f, dest);
  }
  committed_ += chosen.size();
  return chosen.size();
}

std::size_t OutputDirectory::commit() { return commit_matching(""); }

std::size_t OutputDirectory::commit(const std::string& prefix) {
  if (prefix.empty()) throw std::invalid_argument("OutputDirectory::commit: empty prefix");
  return commit_matching(prefix);
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
