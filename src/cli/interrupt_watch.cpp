#include "cli/interrupt_watch.hpp"

#include "io/atomic_file.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <vector>

namespace gradflow {

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::vector<const RunPosition*>& registry() {
  static std::vector<const RunPosition*> positions;
  return positions;
}

// Sent by the destructor to end the watcher (a signal it is waiting for).
constexpr int kWakeUp = SIGUSR2;

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, kWakeUp);
  return set;
}

}  // namespace

RunPosition::RunPosition(std::string experiment, std::string run, ProgressObserver* inner)
    : experiment_(std::move(experiment)), run_(std::move(run)), inner_(inner) {
  const std::lock_guard lock(registry_mutex());
  registry().push_back(this);
}

RunPosition::~RunPosition() {
  const std::lock_guard lock(registry_mutex());
  std::erase(registry(), this);
}

void RunPosition::at_step(double t, long step) noexcept {
  t_.store(t, std::memory_order_relaxed);
  step_.store(step, std::memory_order_relaxed);
  if (inner_ != nullptr) inner_->at_step(t, step);
}

std::string RunPosition::describe() const {
  return fmt::format("experiment \"{}\", run \"{}\" at t = {:.9g}, step {}", experiment_, run_,
                     t_.load(std::memory_order_relaxed), step_.load(std::memory_order_relaxed));
}

std::string describe_run_positions() {
  const std::lock_guard lock(registry_mutex());
  std::string text;
  for (const RunPosition* p : registry()) text += "gradflow:   " + p->describe() + "\n";
  return text;
}

InterruptWatch::InterruptWatch(OutputDirectory& out, std::string spec_path)
    : out_(out), spec_path_(std::move(spec_path)) {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  watcher_ = std::thread([this] {
    const sigset_t signals = watched_signals();
    int signal = 0;
    do {
      if (sigwait(&signals, &signal) != 0 || stopping_.load()) return;
    } while (signal == kWakeUp);
    const std::string where = describe_run_positions();
    const std::string target = std::filesystem::absolute(out_.target()).lexically_normal().string();
    std::string text = fmt::format("\ngradflow: interrupted ({}); ",
                                   signal == SIGINT ? "SIGINT, Ctrl-C" : "SIGTERM");
    text += where.empty() ? "no run was integrating (between runs or writing files)\n"
                          : "the run(s) stopped at:\n" + where;
    text += fmt::format(
        "gradflow: complete experiment folders (with meta.json) in {}/ are kept, nothing of the "
        "others was written; `gradflow run {} --out {} --resume` runs only the rest\n",
        target, spec_path_, target);
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
    out_.abandon();  // waits for a commit in progress, removes the staging folder
    ::_exit(128 + signal);
  });
}

InterruptWatch::~InterruptWatch() {
  stopping_.store(true);
  // Wakes the watcher with a signal it is waiting for; it sees stopping_.
  pthread_kill(watcher_.native_handle(), kWakeUp);
  watcher_.join();
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace gradflow
