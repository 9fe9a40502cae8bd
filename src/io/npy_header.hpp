#pragma once
// The header of a .npy file: a Python dict literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
// (NEP 1). Parsed by hand, in one pass and without recursion, so a hostile
// header costs time linear in its length and no stack: no regular
// expressions (std::regex recurses per character and overflows the stack on
// a long string).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gradflow {

// numpy's own cap on header length (numpy.lib.format, max_header_size).
inline constexpr std::size_t kNpyMaxHeaderBytes = 10'000;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<long long> shape;  // each ≥ 0
};

// Throws std::invalid_argument saying what is wrong: a missing or repeated
// key, an unknown key, a malformed value, a negative or overflowing dimension.
NpyHeader parse_npy_header(std::string_view dict);

// rows·cols·width in bytes, or throws std::invalid_argument when the product
// does not fit in std::size_t.
std::size_t npy_data_bytes(long long rows, long long cols, std::size_t width);

}  // namespace gradflow
