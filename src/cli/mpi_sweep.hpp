#pragma once
// gradflow run under an MPI launcher (mpirun -n K, srun): the experiments of
// the spec are handed out to K ranks, each running them on its --jobs threads,
// on one shared output folder. The files are those of a single-process run.
//
// Rank 0 prepares every experiment (bad input stops all ranks before any
// work, exit 2), skips complete folders with --resume, and hands out the rest
// one at a time as threads become free, on every rank including its own:
// long and short experiments mix without a static split. Each rank prepares
// only the experiments it is given, writes and commits their folders itself
// (through its own staging folder), and sends back the unit's report (its log,
// table and summary rows, a few kB); rank 0 prints the logs in spec order and
// writes summary_runs.csv and summary_comparisons.csv. A unit that fails is
// named, the others finish, and the exit status is non-zero; a rank that dies
// is reported by the launcher, and `--resume` completes what was missing.
//
// Only the main thread of a rank calls MPI (MPI_THREAD_FUNNELED); it polls
// with short sleeps rather than blocking, since a blocking receive in Open MPI
// spins and would take a core from the rank's own experiment threads.

#include "cli/command.hpp"

#include <string>

namespace gradflow {

class MpiSession : public SweepLauncher {
 public:
  // Initialises MPI when a launcher started this process (OMPI_COMM_WORLD_SIZE,
  // PMIX_RANK, PMI_RANK or PMI_SIZE in the environment): a plain `gradflow`
  // call never starts MPI.
  MpiSession(int& argc, char**& argv);
  ~MpiSession() override;
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // More than one rank: `run` distributes its experiments.
  bool distributes() const override { return size_ > 1; }
  bool is_root() const override { return rank_ == 0; }
  std::string describe() const override;
  int run(const std::string& spec_path, const std::string& out_dir, bool quiet,
          const SweepOptions& options, std::ostream& out, std::ostream& err) override;

 private:
  bool initialised_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace gradflow
