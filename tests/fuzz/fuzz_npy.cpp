// libFuzzer target: the .npy reader (read_npy). Any input must give an array
// or an InputError; a crash, a sanitizer report or another exception is a
// finding. Built by the fuzz preset (scripts/fuzz.sh).

#include "fuzz_input_file.hpp"
#include "io/errors.hpp"
#include "io/npy.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gradflow::fuzz::input_file(data, size, ".npy");
  try {
    const gradflow::NpyArray a = gradflow::read_npy(path);
    // Touch every value: a wrong size would show under AddressSanitizer.
    volatile double sum = a.values.sum();
    (void)sum;
  } catch (const gradflow::InputError&) {}
  return 0;
}
