#include "io/errors.hpp"

namespace gradflow {

void throw_input_error(const std::string& file, const std::string& key, const std::string& what) {
  std::string msg = file;
  if (!key.empty()) msg += (msg.empty() ? "" : ": ") + std::string("key '") + key + "'";
  msg += (msg.empty() ? "" : ": ") + what;
  throw InputError(msg, file, key, what);
}

}  // namespace gradflow
