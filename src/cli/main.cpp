#include "cli/command.hpp"

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  // Line-buffered even into a pipe or a file: `gradflow run … | tee log`
  // shows each run's line as it ends, not all of them at exit.
  std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
  std::vector<std::string> args(argv, argv + argc);
  return gradflow::run_command(args, std::cout, std::cerr);
}
