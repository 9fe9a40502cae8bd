#include "core/layout.hpp"

#include <limits>
#include <stdexcept>

namespace gradflow {

void Layout::append(std::string name, Eigen::Index rows, Eigen::Index cols) {
  if (rows <= 0 || cols <= 0) {
    throw std::invalid_argument("block '" + name + "' must have positive rows and cols, got " +
                                std::to_string(rows) + " x " + std::to_string(cols));
  }
  // Overflow-checked: a state this large is refused, never wrapped around.
  constexpr Eigen::Index kMax = std::numeric_limits<Eigen::Index>::max();
  if (rows > kMax / cols || dim_ > kMax - rows * cols) {
    throw std::invalid_argument("block '" + name + "' of " + std::to_string(rows) + " x " +
                                std::to_string(cols) + " makes the state too large to index");
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
