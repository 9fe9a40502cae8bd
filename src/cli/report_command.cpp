#include "cli/report_command.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;  // NOLINT: POSIX names it so

namespace gradflow {

namespace {

constexpr const char* kDefaultPython = "/usr/bin/python3";
constexpr const char* kInstallHint =
    "the report needs Debian's Python 3 with matplotlib and the gradflow package "
    "(apt-get install python3-matplotlib; build the _gradflow target or cmake --install "
    "--component python; docs/python.md)";

std::string python_interpreter() {
  const char* chosen = std::getenv("GRADFLOW_PYTHON");
  return (chosen != nullptr && *chosen != '\0') ? chosen : kDefaultPython;
}

// build/<preset>/python beside the executable, when this gradflow runs from
// a build tree; empty for an installed one.
std::string build_tree_python_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const auto dir = exe.parent_path() / "python";
  return std::filesystem::is_regular_file(dir / "gradflow" / "report.py", ec) ? dir.string()
                                                                              : std::string();
}

// The environment with `dir` first on PYTHONPATH.
std::vector<std::string> child_environment(const std::string& dir) {
  std::vector<std::string> env;
  std::string old_path;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("PYTHONPATH=", 0) == 0) {
      old_path = entry.substr(std::strlen("PYTHONPATH="));
    } else {
      env.push_back(entry);
    }
  }
  std::string path = dir;
  if (!old_path.empty()) path = path.empty() ? old_path : path + ":" + old_path;
  if (!path.empty()) env.push_back("PYTHONPATH=" + path);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  p.reserve(strings.size() + 1);
  for (auto& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

}  // namespace

int write_html_report(const std::string& dir, bool quiet, std::ostream& out, std::ostream& err) {
  const std::string python = python_interpreter();
  if (access(python.c_str(), X_OK) != 0) {
    fmt::print(err, "gradflow: error: {} not found or not executable: {}\n", python, kInstallHint);
    return 1;
  }
  std::vector<std::string> args{python, "-m", "gradflow.report", dir};
  if (quiet) args.emplace_back("--quiet");
  std::vector<std::string> env = child_environment(build_tree_python_dir());
  auto argv = pointers(args);
  auto envp = pointers(env);
  out.flush();  // our lines before the child's
  err.flush();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), envp.data());
  if (spawned != 0) {
    fmt::print(err, "gradflow: error: cannot start {}: {}; {}\n", python, std::strerror(spawned),
               kInstallHint);
    return 1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fmt::print(err, "gradflow: error: waiting for {}: {}\n", python, std::strerror(errno));
      return 1;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) return 2;  // not a result: Python said so
  fmt::print(err, "gradflow: error: the report of {} failed ({} {}); {}\n", dir, python,
             WIFEXITED(status) ? fmt::format("exited {}", WEXITSTATUS(status))
                               : fmt::format("killed by signal {}", WTERMSIG(status)),
             kInstallHint);
  return 1;
}

}  // namespace gradflow
