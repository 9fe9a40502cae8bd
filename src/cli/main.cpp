#include "cli/command.hpp"

#include <iostream>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return gradflow::run_command(args, std::cout, std::cerr);
}
