#include "models/matrix_completion.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_set>

namespace gradflow {

namespace {

bool column_major_less(const MatrixEntry& a, const MatrixEntry& b) {
  return a.col != b.col ? a.col < b.col : a.row < b.row;
}

}  // namespace

std::vector<MatrixEntry> sample_observed_entries(Eigen::Index size, Eigen::Index count, Rng& rng) {
  if (size <= 0)
    throw std::invalid_argument(fmt::format("the matrix size d must be positive, got {}", size));
  const auto n = static_cast<std::uint64_t>(size) * static_cast<std::uint64_t>(size);
  if (count <= 0 || static_cast<std::uint64_t>(count) > n) {
    throw std::invalid_argument(
        fmt::format("the number of observed entries must be between 1 and d² = {} (d = {}), got {}",
                    n, size, count));
  }
  // Floyd (Bentley & Floyd 1987): a uniformly random count-subset of [0, n).
  std::unordered_set<std::uint64_t> chosen;
  chosen.reserve(static_cast<std::size_t>(count));
  std::vector<std::uint64_t> picked;
  picked.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t j = n - static_cast<std::uint64_t>(count); j < n; ++j) {
    const std::uint64_t t = rng.below(j + 1);
    const std::uint64_t take = chosen.insert(t).second ? t : j;
    if (take == j) chosen.insert(j);
    picked.push_back(take);
  }
  std::sort(picked.begin(), picked.end());  // linear index = col·d + row: column-major order
  std::vector<MatrixEntry> out;
  out.reserve(picked.size());
  const auto d = static_cast<std::uint64_t>(size);
  for (std::uint64_t p : picked) {
    out.push_back({static_cast<Eigen::Index>(p % d), static_cast<Eigen::Index>(p / d)});
  }
  return out;
}

std::vector<MatrixEntry> observation_order(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  if (rows <= 0 || cols <= 0) {
    throw std::invalid_argument(
        fmt::format("the matrix must have positive sizes, got {} x {}", rows, cols));
  }
  const auto n = static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols);
  std::vector<std::uint64_t> order(n);
  std::iota(order.begin(), order.end(), std::uint64_t{0});
  for (std::uint64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  std::vector<MatrixEntry> out;
  out.reserve(order.size());
  const auto m = static_cast<std::uint64_t>(rows);
  for (std::uint64_t p : order) {
    out.push_back({static_cast<Eigen::Index>(p % m), static_cast<Eigen::Index>(p / m)});
  }
  return out;
}

std::vector<MatrixEntry> nested_observed_entries(Eigen::Index rows, Eigen::Index cols,
                                                 Eigen::Index count, Rng& rng) {
  const auto n = static_cast<std::uint64_t>(std::max<Eigen::Index>(rows, 0)) *
                 static_cast<std::uint64_t>(std::max<Eigen::Index>(cols, 0));
  if (count <= 0 || static_cast<std::uint64_t>(count) > n) {
    throw std::invalid_argument(
        fmt::format("the number of observed entries must be between 1 and m·n = {} ({} x {}), "
                    "got {}",
                    n, rows, cols, count));
  }
  std::vector<MatrixEntry> out = observation_order(rows, cols, rng);
  out.resize(static_cast<std::size_t>(count));
  std::sort(out.begin(), out.end(), column_major_less);
  return out;
}

std::vector<MatrixEntry> entries_from_array(const Eigen::MatrixXd& indices) {
  if (indices.cols() != 2) {
    throw std::invalid_argument(fmt::format(
        "observed entries must be an |Ω| x 2 array of 0-based (row, col) indices, got {} x {}",
        indices.rows(), indices.cols()));
  }
  std::vector<MatrixEntry> out;
  out.reserve(static_cast<std::size_t>(indices.rows()));
  for (Eigen::Index e = 0; e < indices.rows(); ++e) {
    for (Eigen::Index c = 0; c < 2; ++c) {
      const double v = indices(e, c);
      if (!std::isfinite(v) || v != std::floor(v) || std::abs(v) > 9.0e15) {
        throw std::invalid_argument(fmt::format(
            "observed entry {} has the index {} in column {}; expected an integer", e, v, c));
      }
    }
    out.push_back(
        {static_cast<Eigen::Index>(indices(e, 0)), static_cast<Eigen::Index>(indices(e, 1))});
  }
  return out;
}

Eigen::MatrixXd entries_to_array(const std::vector<MatrixEntry>& entries) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(entries.size()), 2);
  for (std::size_t e = 0; e < entries.size(); ++e) {
    out(static_cast<Eigen::Index>(e), 0) = static_cast<double>(entries[e].row);
    out(static_cast<Eigen::Index>(e), 1) = static_cast<double>(entries[e].col);
  }
  return out;
}

MatrixCompletionLoss::MatrixCompletionLoss(const Eigen::MatrixXd& truth,
                                           std::vector<MatrixEntry> entries)
    : MatrixCompletionLoss(truth.rows(), truth.cols(), entries, [&] {
        std::vector<double> values;
        values.reserve(entries.size());
        for (const MatrixEntry& e : entries) {
          const bool inside =
              e.row >= 0 && e.row < truth.rows() && e.col >= 0 && e.col < truth.cols();
          values.push_back(inside ? truth(e.row, e.col) : 0.0);  // range is reported below
        }
        return values;
      }()) {}

MatrixCompletionLoss::MatrixCompletionLoss(Eigen::Index size, std::vector<MatrixEntry> entries,
                                           std::vector<double> values)
    : MatrixCompletionLoss(size, size, std::move(entries), std::move(values)) {}

MatrixCompletionLoss::MatrixCompletionLoss(Eigen::Index rows, Eigen::Index cols,
                                           std::vector<MatrixEntry> entries,
                                           std::vector<double> values)
    : rows_(rows), cols_(cols) {
  if (rows <= 0 || cols <= 0) {
    throw std::invalid_argument(
        fmt::format("the matrix sizes must be positive, got {} x {}", rows, cols));
  }
  if (entries.empty())
    throw std::invalid_argument("matrix completion needs at least one observed entry, got 0");
  if (entries.size() != values.size()) {
    throw std::invalid_argument(
        fmt::format("{} observed entries but {} values", entries.size(), values.size()));
  }
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const MatrixEntry& x = entries[e];
    if (x.row < 0 || x.row >= rows || x.col < 0 || x.col >= cols) {
      throw std::invalid_argument(
          fmt::format("observed entry {} is ({}, {}), outside the {} x {} matrix (indices are "
                      "0-based, expected rows 0..{} and columns 0..{})",
                      e, x.row, x.col, rows, cols, rows - 1, cols - 1));
    }
    if (!std::isfinite(values[e])) {
      throw std::invalid_argument(
          fmt::format("observed entry {} ({}, {}) has a non-finite value", e, x.row, x.col));
    }
  }
  std::vector<std::size_t> order(entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return column_major_less(entries[a], entries[b]);
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const MatrixEntry& a = entries[order[k - 1]];
    const MatrixEntry& b = entries[order[k]];
    if (a == b) {
      throw std::invalid_argument(
          fmt::format("observed entry ({}, {}) is listed twice (entries {} and {}); expected each "
                      "entry at most once",
                      a.row, a.col, order[k - 1], order[k]));
    }
  }
  entries_.reserve(entries.size());
  values_.reserve(values.size());
  for (std::size_t k : order) {
    entries_.push_back(entries[k]);
    values_.push_back(values[k]);
  }
}

std::string MatrixCompletionLoss::describe() const {
  if (rows_ == cols_) {
    return fmt::format("matrix completion 1/(2|Ω|) Σ_Ω (W_ij − W*_ij)², |Ω| = {}, d = {}",
                       observed_count(), rows_);
  }
  return fmt::format("matrix completion 1/(2|Ω|) Σ_Ω (W_ij − W*_ij)², |Ω| = {}, {} x {}",
                     observed_count(), rows_, cols_);
}

double MatrixCompletionLoss::value(const ConstMatrixRef& W) const {
  double sum = 0.0;
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const double r = W(entries_[e].row, entries_[e].col) - values_[e];
    sum += r * r;
  }
  return 0.5 * sum / static_cast<double>(entries_.size());
}

void MatrixCompletionLoss::gradient(const ConstMatrixRef& W, MatrixRef G) const {
  const double inv = 1.0 / static_cast<double>(entries_.size());
  G.setZero();
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const auto [i, j] = entries_[e];
    G(i, j) = (W(i, j) - values_[e]) * inv;
  }
}

void MatrixCompletionLoss::hessian_action(const ConstMatrixRef&, const ConstMatrixRef& V,
                                          MatrixRef D) const {
  const double inv = 1.0 / static_cast<double>(entries_.size());
  D.setZero();
  for (const auto& [i, j] : entries_) D(i, j) = V(i, j) * inv;
}

double MatrixCompletionLoss::value_at_factor(const ConstMatrixRef& U) const {
  factor_t_ = U.transpose();
  double sum = 0.0;
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const auto [i, j] = entries_[e];
    const double r = factor_t_.col(i).dot(factor_t_.col(j)) - values_[e];
    sum += r * r;
  }
  return 0.5 * sum / static_cast<double>(entries_.size());
}

void MatrixCompletionLoss::symmetric_gradient_times_factor(const ConstMatrixRef& U,
                                                           MatrixRef D) const {
  const double inv = 1.0 / static_cast<double>(entries_.size());
  factor_t_ = U.transpose();
  gradient_t_.setZero(factor_t_.rows(), factor_t_.cols());
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const auto [i, j] = entries_[e];
    const double rho = (factor_t_.col(i).dot(factor_t_.col(j)) - values_[e]) * inv;
    gradient_t_.col(i) += rho * factor_t_.col(j);
    gradient_t_.col(j) += rho * factor_t_.col(i);
  }
  D = gradient_t_.transpose();
}

}  // namespace gradflow
