#pragma once
// The gradflow command line, as a function so tests can drive it in-process.
//
// Exit status: 0 success (a diverged run is a result, not a failure),
// 2 bad input (nothing written), 1 an unexpected internal error.

#include <iosfwd>
#include <string>
#include <vector>

namespace gradflow {

struct SweepOptions;  // cli/sweep.hpp

// Runs `gradflow run` over several processes (MPI ranks, cli/mpi_sweep.hpp);
// the command hands it the run when distributes() says so, else the
// experiments run on threads in this process. Either way the same files.
class SweepLauncher {
 public:
  SweepLauncher() = default;
  SweepLauncher(const SweepLauncher&) = delete;
  SweepLauncher& operator=(const SweepLauncher&) = delete;
  virtual ~SweepLauncher() = default;
  virtual bool distributes() const = 0;
  // The process that writes the summaries (and then the report).
  virtual bool is_root() const { return true; }
  virtual std::string describe() const = 0;  // for --version, e.g. "with MPI (Open MPI v4.1.4)"
  // The run's exit status, as the threaded run's.
  virtual int run(const std::string& spec_path, const std::string& out_dir, bool quiet,
                  const SweepOptions& options, std::ostream& out, std::ostream& err) = 0;
};

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                SweepLauncher* launcher = nullptr);

}  // namespace gradflow
