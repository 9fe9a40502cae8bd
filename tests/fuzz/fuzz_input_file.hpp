#pragma once
// The readers under test take a path (as gradflow does): each fuzz input is
// written to one file per process, in /dev/shm when there is one (memory,
// not disk), and read back through the normal code path.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace gradflow::fuzz {

inline std::string input_file(const std::uint8_t* data, std::size_t size, const char* extension) {
  static const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm")
                                               ? "/dev/shm"
                                               : std::filesystem::temp_directory_path();
  const std::string path =
      (dir / ("gradflow_fuzz_" + std::to_string(::getpid()) + extension)).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace gradflow::fuzz
