#pragma once
// How a flat state vector splits into named matrices.
//
// Every model keeps its parameters in one Eigen::VectorXd (odeint needs a flat
// state); each block is a column-major rows x cols matrix starting at `offset`.
// Exporters write the layout into meta.json so that a numpy user can recover
// block b as x[off:off+rows*cols].reshape((rows, cols), order="F").

#include <Eigen/Core>

#include <string>
#include <vector>

namespace gradflow {

struct Block {
  std::string name;
  Eigen::Index rows = 0;
  Eigen::Index cols = 0;
  Eigen::Index offset = 0;

  Eigen::Index size() const { return rows * cols; }
};

class Layout {
 public:
  Layout() = default;

  // Appends a block right after the previous one.
  void append(std::string name, Eigen::Index rows, Eigen::Index cols);

  const std::vector<Block>& blocks() const { return blocks_; }
  Eigen::Index dim() const { return dim_; }
  const Block& block(const std::string& name) const;

  Eigen::Map<const Eigen::MatrixXd> view(const Eigen::VectorXd& x, std::size_t b) const {
    const Block& blk = blocks_[b];
    return {x.data() + blk.offset, blk.rows, blk.cols};
  }
  Eigen::Map<Eigen::MatrixXd> view(Eigen::VectorXd& x, std::size_t b) const {
    const Block& blk = blocks_[b];
    return {x.data() + blk.offset, blk.rows, blk.cols};
  }

 private:
  std::vector<Block> blocks_;
  Eigen::Index dim_ = 0;
};

}  // namespace gradflow
