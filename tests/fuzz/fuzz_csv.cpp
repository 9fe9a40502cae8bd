// libFuzzer target: the CSV matrix reader (read_csv_matrix). Any input must
// give a matrix or an InputError.

#include "fuzz_input_file.hpp"
#include "io/csv.hpp"
#include "io/errors.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gradflow::fuzz::input_file(data, size, ".csv");
  try {
    const Eigen::MatrixXd m = gradflow::read_csv_matrix(path);
    volatile double sum = m.sum();
    (void)sum;
  } catch (const gradflow::InputError&) {}
  return 0;
}
