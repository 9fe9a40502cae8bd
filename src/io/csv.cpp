#include "io/csv.hpp"

#include "io/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <vector>

namespace gradflow {

std::string csv_text(const Table& table) {
  std::string out;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    out += (c ? "," : "") + table.columns[c];
  }
  out += '\n';
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      out += fmt::format("{:.17g}", row[c]);
    }
    out += '\n';
  }
  return out;
}

namespace {
std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool parse_double(const std::string& text, double& value) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const char* first = t.data();
  if (*first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), value);
  return ec == std::errc() && ptr == t.data() + t.size();
}
}  // namespace

Eigen::MatrixXd read_csv_matrix(const std::string& path, bool nan_allowed) {
  std::ifstream in(path);
  if (!in) throw_input_error(path, "", "cannot open the file (missing or unreadable)");
  std::vector<std::vector<double>> rows;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first
    // cell: left in, it made the first data row look like a header.
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (trim(line).empty()) continue;
    std::vector<std::string> cells;
    std::size_t start = 0;
    for (;;) {
      const auto comma = line.find(',', start);
      cells.push_back(line.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    // Line 1 is a header only when none of its cells is a number: a data row
    // with one mistyped cell must be refused, not dropped as a header.
    if (line_no == 1) {
      double ignored = 0.0;
      if (std::none_of(cells.begin(), cells.end(),
                       [&](const std::string& c) { return parse_double(c, ignored); })) {
        continue;
      }
    }
    std::vector<double> row;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      double v = 0.0;
      if (!parse_double(cells[c], v)) {
        throw_input_error(
            path, "",
            fmt::format("line {}, column {}: '{}' is not a number{}", line_no, c + 1,
                        trim(cells[c]),
                        line_no == 1 ? " (line 1 has numbers too, so it is no header)" : ""));
      }
      if (!std::isfinite(v) && !(nan_allowed && std::isnan(v))) {
        throw_input_error(
            path, "",
            fmt::format("line {}, column {}: {} is not finite", line_no, c + 1, trim(cells[c])));
      }
      row.push_back(v);
    }
    if (!rows.empty() && row.size() != rows.front().size()) {
      throw_input_error(path, "",
                        fmt::format("line {} has {} columns but earlier lines have {}", line_no,
                                    row.size(), rows.front().size()));
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw_input_error(path, "", "no numeric rows");
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()),
                    static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < rows[r].size(); ++c) m(r, c) = rows[r][c];
  }
  return m;
}

}  // namespace gradflow
