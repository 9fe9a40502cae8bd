#pragma once
// Bad input: an exception carrying a complete message (file, key, expected,
// got). The CLI prints it and exits with status 2 before writing anything.

#include <stdexcept>
#include <string>

namespace gradflow {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // The parts of the message, kept so that a caller can re-key the error
  // (an experiment's override names "experiments[i].model.hidden").
  InputError(const std::string& message, std::string file, std::string key, std::string what)
      : std::runtime_error(message),
        file_(std::move(file)),
        key_(std::move(key)),
        what_(std::move(what)) {}
  const std::string& file() const { return file_; }
  const std::string& key() const { return key_; }  // empty: none named, or an unstructured message
  const std::string& reason() const { return what_; }

 private:
  std::string file_, key_, what_;
};

// "FILE: key 'KEY': WHAT"
[[noreturn]] void throw_input_error(const std::string& file, const std::string& key,
                                    const std::string& what);

}  // namespace gradflow
