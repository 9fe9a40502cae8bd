// libFuzzer target: a spec through `gradflow check`, the same code path as the
// command (run_command). Any input must give status 0 (valid) or 2 (a clear
// error); status 1 (an internal error: the input is at fault, the message
// does not say so) aborts, as do crashes and sanitizer reports.

#include "cli/command.hpp"
#include "fuzz_input_file.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gradflow::fuzz::input_file(data, size, ".json");
  std::ostringstream out, err;
  const int status = gradflow::run_command({"gradflow", "check", path}, out, err);
  if (status != 0 && status != 2) {
    std::fprintf(stderr, "gradflow check exited %d:\n%s\n", status, err.str().c_str());
    std::abort();
  }
  return 0;
}
