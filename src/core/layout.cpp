#include "core/layout.hpp"

#include <stdexcept>

namespace gradflow {

void Layout::append(std::string name, Eigen::Index rows, Eigen::Index cols) {
  if (rows <= 0 || cols <= 0) {
    throw std::invalid_argument("block '" + name + "' must have positive rows and cols, got " +
                                std::to_string(rows) + " x " + std::to_string(cols));
  }
  blocks_.push_back(Block{std::move(name), rows, cols, dim_});
  dim_ += rows * cols;
}

const Block& Layout::block(const std::string& name) const {
  for (const Block& b : blocks_) {
    if (b.name == name) return b;
  }
  throw std::out_of_range("layout has no block named '" + name + "'");
}

}  // namespace gradflow
