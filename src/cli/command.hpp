#pragma once
// The gradflow command line, as a function so tests can drive it in-process.
//
// Exit status: 0 success (a diverged run is a result, not a failure),
// 2 bad input (nothing written), 1 an unexpected internal error.

#include <iosfwd>
#include <string>
#include <vector>

namespace gradflow {

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gradflow
