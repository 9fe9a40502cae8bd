#pragma once
// CSV: tables out (a header row, then numbers printed with 17 significant
// digits so numpy reads back the exact doubles), numeric matrices in.

#include "core/table.hpp"

#include <Eigen/Core>

#include <string>

namespace gradflow {

std::string csv_text(const Table& table);

// A numeric matrix, comma-separated, one row per line. A first line that is not
// numeric is taken as a header and skipped. Ragged rows, non-numbers, NaN and
// Inf are InputErrors naming the file, line and column.
// nan_allowed: NaN cells ("nan") are read as NaN, e.g. unknown entries of a
// ground truth; Inf is refused either way.
Eigen::MatrixXd read_csv_matrix(const std::string& path, bool nan_allowed = false);

}  // namespace gradflow
