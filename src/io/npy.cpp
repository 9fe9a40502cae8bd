#include "io/npy.hpp"

#include "io/errors.hpp"
#include "io/npy_header.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

namespace gradflow {

static_assert(std::endian::native == std::endian::little,
              "npy I/O assumes a little-endian machine");

namespace {

std::string header_bytes(const std::string& shape) {
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + header length (2) + dict + padding + '\n' is a
  // multiple of 64 (NEP 1).
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(dict.size());
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>(len >> 8));
  return out + dict;
}

void append_doubles(std::string& out, const double* data, std::size_t n) {
  const std::size_t old = out.size();
  out.resize(old + n * sizeof(double));
  std::memcpy(out.data() + old, data, n * sizeof(double));
}

}  // namespace

std::string npy_bytes(const Eigen::MatrixXd& m) {
  std::string out = header_bytes(fmt::format("({}, {})", m.rows(), m.cols()));
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = m;
  append_doubles(out, row_major.data(), static_cast<std::size_t>(row_major.size()));
  return out;
}

std::string npy_bytes(const Eigen::VectorXd& v) {
  std::string out = header_bytes(fmt::format("({},)", v.size()));
  append_doubles(out, v.data(), static_cast<std::size_t>(v.size()));
  return out;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_input_error(path, "", "cannot open the file (missing or unreadable)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fail = [&](const std::string& what) {
    throw_input_error(path, "", "not a valid .npy file: " + what);
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    fail("missing the \\x93NUMPY magic");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("truncated header");
    for (int i = 0; i < 4; ++i)
      header_len |= std::size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    fail(fmt::format("unsupported format version {}", major));
  }
  if (header_len > kNpyMaxHeaderBytes) {
    fail(fmt::format("header of {} bytes is longer than {} (numpy's own cap)", header_len,
                     kNpyMaxHeaderBytes));
  }
  if (bytes.size() < offset + header_len) fail("truncated header");
  NpyHeader header;
  try {
    header = parse_npy_header(std::string_view(bytes).substr(offset, header_len));
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  const std::string& descr = header.descr;
  const bool fortran = header.fortran_order;
  const std::vector<long long>& shape = header.shape;
  if (shape.empty() || shape.size() > 2) {
    throw_input_error(path, "",
                      fmt::format("expected a 1-D or 2-D array, got {} dimensions", shape.size()));
  }
  std::size_t width = 0;
  if (descr == "<f8" || descr == "<i8")
    width = 8;
  else if (descr == "<f4" || descr == "<i4")
    width = 4;
  else {
    throw_input_error(path, "",
                      fmt::format("unsupported dtype '{}' (expected little-endian float64 '<f8'; "
                                  "float32, int32 and int64 are converted)",
                                  descr));
  }
  const long long rows = shape[0];
  const long long cols = shape.size() == 2 ? shape[1] : 1;
  std::size_t data_bytes = 0;
  try {
    data_bytes = npy_data_bytes(rows, cols, width);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  const std::size_t count = data_bytes / width;
  const std::size_t data_at = offset + header_len;
  if (bytes.size() - data_at != data_bytes) {
    fail(fmt::format("expected {} bytes of data for shape ({}, {}), found {}", data_bytes, rows,
                     cols, bytes.size() - data_at));
  }
  Eigen::VectorXd flat(static_cast<Eigen::Index>(count));
  const char* p = bytes.data() + data_at;
  for (std::size_t i = 0; i < count; ++i, p += width) {
    if (descr == "<f8") {
      double v;
      std::memcpy(&v, p, 8);
      flat[i] = v;
    } else if (descr == "<f4") {
      float v;
      std::memcpy(&v, p, 4);
      flat[i] = v;
    } else if (descr == "<i4") {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      flat[i] = v;
    } else {
      std::int64_t v;
      std::memcpy(&v, p, 8);
      flat[i] = static_cast<double>(v);
    }
  }
  NpyArray out;
  out.one_dimensional = shape.size() == 1;
  if (fortran || out.one_dimensional) {
    out.values = Eigen::Map<const Eigen::MatrixXd>(flat.data(), rows, cols);
  } else {
    out.values =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            flat.data(), rows, cols);
  }
  return out;
}

}  // namespace gradflow
