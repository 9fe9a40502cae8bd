#include "io/output_lock.hpp"

#include "io/errors.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gradflow {

namespace {

// The lock file's inode is still the one at `path`: a run that finished
// removed it between our open() and our flock(), and our lock would be on a
// file nobody else can find.
bool still_linked(int fd, const std::filesystem::path& path) {
  struct stat opened {};
  struct stat named {};
  return ::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &named) == 0 &&
         opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

std::string holder_pid(int fd) {
  char holder[32] = {};
  const ssize_t got = ::pread(fd, holder, sizeof holder - 1, 0);
  std::string pid = got > 0 ? std::string(holder, static_cast<std::size_t>(got)) : "?";
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "?" : pid;
}

}  // namespace

OutputLock::OutputLock(const std::filesystem::path& folder) : path_(folder / kFileName) {
  // A few attempts: each lost race (the holder removed the file as it ended)
  // means the folder has just become free.
  for (int attempt = 0; attempt < 16; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw_input_error(
          folder.string(), "",
          fmt::format("cannot create the lock file {} ({})", kFileName, std::strerror(errno)));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string pid = holder_pid(fd_);
      ::close(fd_);
      fd_ = -1;
      if (error == EWOULDBLOCK) {
        throw_input_error(
            folder.string(), "",
            fmt::format("another gradflow run (pid {}) is writing into this output folder; wait "
                        "for it to finish or choose another --out",
                        pid));
      }
      throw_input_error(folder.string(), "",
                        fmt::format("cannot lock {} ({})", kFileName, std::strerror(error)));
    }
    if (still_linked(fd_, path_)) break;
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0) {
    throw_input_error(folder.string(), "",
                      fmt::format("cannot lock {}: other runs keep replacing it", kFileName));
  }
  // Our pid, for the message a second run prints.
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  // Removed while still held, so that a finished run leaves the folder as
  // clean as it found it; a run that opened the old file meanwhile sees it
  // unlinked and tries again (still_linked).
  ::unlink(path_.c_str());
  ::close(fd_);  // releases the flock
}

}  // namespace gradflow
