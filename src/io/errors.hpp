#pragma once
// Bad input: an exception carrying a complete message (file, key, expected,
// got). The CLI prints it and exits with status 2 before writing anything.

#include <stdexcept>
#include <string>

namespace gradflow {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "FILE: key 'KEY': WHAT"
[[noreturn]] void throw_input_error(const std::string& file, const std::string& key,
                                    const std::string& what);

}  // namespace gradflow
