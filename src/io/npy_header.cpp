#include "io/npy_header.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <stdexcept>

namespace gradflow {

namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool accept(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, std::string_view where) {
    if (!accept(c)) fail(fmt::format("expected '{}' {}", c, where));
  }
  // A Python string literal in single or double quotes, without escapes
  // (numpy writes none in the keys and dtypes it accepts).
  std::string quoted(std::string_view what) {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') fail(fmt::format("expected a quoted {}", what));
    const std::size_t end = text_.find(q, pos_ + 1);
    if (end == std::string_view::npos) fail(fmt::format("unterminated {}", what));
    std::string out(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  bool word(std::string_view w) {
    skip_space();
    if (text_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  long long dimension() {
    skip_space();
    if (peek() == '-') fail("negative dimension in 'shape'");
    long long value = 0;
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + text_.size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range) fail("a dimension in 'shape' is too large");
    if (ec != std::errc() || ptr == first) fail("'shape' must be a tuple of integers");
    pos_ += static_cast<std::size_t>(ptr - first);
    // numpy may write a Python 2 long suffix.
    if (peek() == 'L') ++pos_;
    return value;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument(fmt::format("{} (header byte {})", what, pos_));
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::vector<long long> shape_tuple(Cursor& c) {
  c.expect('(', "to open 'shape'");
  std::vector<long long> shape;
  while (!c.accept(')')) {
    c.skip_space();
    if (c.at_end()) c.fail("'shape' is not closed");
    if (shape.size() == 32) c.fail("'shape' has more than 32 dimensions");
    shape.push_back(c.dimension());
    if (!c.accept(',')) {
      c.expect(')', "to close 'shape'");  // e.g. "(1 2)"
      break;
    }
  }
  return shape;
}

}  // namespace

NpyHeader parse_npy_header(std::string_view dict) {
  if (dict.size() > kNpyMaxHeaderBytes) {
    throw std::invalid_argument(fmt::format(
        "header of {} bytes is longer than {} (numpy's own cap)", dict.size(), kNpyMaxHeaderBytes));
  }
  Cursor c(dict);
  NpyHeader h;
  bool seen_descr = false, seen_order = false, seen_shape = false;
  c.expect('{', "at the start of the header");
  while (!c.accept('}')) {
    const std::string key = c.quoted("key");
    c.expect(':', fmt::format("after '{}'", key));
    auto once = [&c, &key](bool& seen) {
      if (seen) c.fail(fmt::format("'{}' appears twice", key));
      seen = true;
    };
    if (key == "descr") {
      once(seen_descr);
      h.descr = c.quoted("'descr'");
    } else if (key == "fortran_order") {
      once(seen_order);
      if (c.word("True"))
        h.fortran_order = true;
      else if (c.word("False"))
        h.fortran_order = false;
      else
        c.fail("'fortran_order' must be True or False");
    } else if (key == "shape") {
      once(seen_shape);
      h.shape = shape_tuple(c);
    } else {
      c.fail(fmt::format("unknown key '{}' (expected descr, fortran_order, shape)",
                         key.substr(0, 40)));
    }
    if (!c.accept(',')) {
      c.expect('}', "to close the header");
      break;
    }
  }
  c.skip_space();
  if (!c.at_end()) c.fail("text after the header's closing '}'");
  if (!seen_descr) c.fail("no 'descr'");
  if (!seen_order) c.fail("no 'fortran_order'");
  if (!seen_shape) c.fail("no 'shape'");
  return h;
}

std::size_t npy_data_bytes(long long rows, long long cols, std::size_t width) {
  constexpr auto kMax = std::numeric_limits<std::size_t>::max();
  const auto r = static_cast<std::size_t>(rows), k = static_cast<std::size_t>(cols);
  if (rows < 0 || cols < 0 || (k != 0 && r > kMax / k) || (r * k != 0 && r * k > kMax / width)) {
    throw std::invalid_argument(fmt::format("shape ({}, {}) is too large", rows, cols));
  }
  return r * k * width;
}

}  // namespace gradflow
