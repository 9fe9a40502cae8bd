#pragma once
// A table of scalar series: one row per recorded time, named columns.

#include <string>
#include <vector>

namespace gradflow {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;

  std::size_t column_index(const std::string& name) const;  // throws if absent
  std::vector<double> column(const std::string& name) const;
};

}  // namespace gradflow
