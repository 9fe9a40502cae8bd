#include "io/output_names.hpp"

#include <fmt/format.h>

namespace gradflow {

namespace {
bool safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '+';
}
}  // namespace

std::string unsafe_name_reason(const std::string& name) {
  if (name.empty()) return "it is empty";
  if (name == "." || name == "..") return fmt::format("\"{}\" names a directory, not a file", name);
  if (name.size() > kMaxNameBytes) {
    return fmt::format("it is {} bytes long, more than {}", name.size(), kMaxNameBytes);
  }
  for (std::size_t k = 0; k < name.size(); ++k) {
    if (!safe_char(name[k])) {
      const auto byte = static_cast<unsigned char>(name[k]);
      const std::string shown = byte >= 0x20 && byte < 0x7f
                                    ? fmt::format("'{}'", name[k])
                                    : fmt::format("the byte 0x{:02x}", byte);
      return fmt::format("character {} (counted from 1) is {}", k + 1, shown);
    }
  }
  return {};
}

std::string safe_name(const std::string& name) {
  std::string out = name.substr(0, kMaxNameBytes);
  for (char& c : out) {
    if (!safe_char(c)) c = '_';
  }
  if (!out.empty() && out[0] == '.') out[0] = '_';
  return out.empty() ? std::string("experiment") : out;
}

std::string printable_name(const std::string& name) {
  constexpr std::size_t kShown = 60;
  std::string out;
  for (std::size_t k = 0; k < name.size() && k < kShown; ++k) {
    const auto byte = static_cast<unsigned char>(name[k]);
    out += byte >= 0x20 && byte < 0x7f ? std::string(1, name[k]) : fmt::format("\\x{:02x}", byte);
  }
  if (name.size() > kShown) out += fmt::format("… ({} bytes)", name.size());
  return out;
}

}  // namespace gradflow
