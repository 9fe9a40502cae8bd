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
#include <system_error>

namespace gradflow {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kStagingPrefix = ".gradflow-staging-";

// A run killed before commit() (Ctrl-C, SIGKILL) cannot clean up after itself;
// the next run in the same directory removes staging folders whose process is
// gone, so only complete files remain.
void remove_abandoned_staging(const fs::path& target) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + kStagingPrefix.size(), nullptr, 10);
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
  staging_ = target_ / fmt::format("{}{}", kStagingPrefix, ::getpid());
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
  fs::create_directories(path.parent_path(), ec);
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
    throw_input_error(target_.string(), "",
                      fmt::format("cannot write the output file {} ({}); the folder was left as "
                                  "it was",
                                  relative, std::strerror(error)));
  }
  files_.push_back(relative);
}

void OutputDirectory::commit() {
  std::stable_partition(files_.begin(), files_.end(),
                        [](const std::string& f) { return fs::path(f).filename() != "meta.json"; });
  for (const std::string& f : files_) {
    const fs::path dest = target_ / f;
    fs::create_directories(dest.parent_path());
    fs::rename(staging_ / f, dest);
  }
}

}  // namespace gradflow
