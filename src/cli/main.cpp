#include "cli/command.hpp"

#include <cstdio>
#ifdef GRADFLOW_WITH_MPI
#include "cli/mpi_sweep.hpp"
#endif

#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
  // Line-buffered even into a pipe or a file: `gradflow run … | tee log`
  // shows each run's line as it ends, not all of them at exit.
  std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
#ifdef GRADFLOW_WITH_MPI
  // Under mpirun or srun every rank runs this; only rank 0 prints the log and
  // tables (the other ranks report through it).
  gradflow::MpiSession mpi(argc, argv);
  std::vector<std::string> args(argv, argv + argc);
  std::ostringstream discard;
  std::ostream& out = mpi.rank() == 0 ? std::cout : discard;
  return gradflow::run_command(args, out, std::cerr, &mpi);
#else
  std::vector<std::string> args(argv, argv + argc);
  return gradflow::run_command(args, std::cout, std::cerr);
#endif
}
