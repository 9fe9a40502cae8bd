#pragma once
// The window loop of relu_windows (integrators/relu_windows.hpp): screening
// (window_screening.cpp), the fixed point of the residual path over the active
// neurons (solve_window), and the commit of an accepted window.
// Invariant: between windows, x_ (W), SA_ (c_r s_ri), count_ (Σ_r s_ri s_rj,
// exact integers) and sliding_ describe one consistent mode of the network.

#include "integrators/integrate.hpp"
#include "integrators/relu_windows.hpp"
#include "integrators/relu_windows/active_runs.hpp"
#include "integrators/relu_windows/kernel_share.hpp"
#include "integrators/relu_windows/mode_pool.hpp"
#include "integrators/relu_windows/neuron_runner.hpp"
#include "integrators/relu_windows/problem.hpp"
#include "integrators/relu_windows/residual_path.hpp"
#include "integrators/relu_windows/small_gram.hpp"

#include "core/block_pool.hpp"
#include "core/neuron_blocks.hpp"
#include "core/relu_filippov_rule.hpp"

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace gradflow::detail::relu {

class WindowIntegrator {
 public:
  WindowIntegrator(const ShallowReluField& field, const MethodOptions& method,
                   const StopOptions& stop);

  ReluWindowsResult run(const VectorXd& x0, const std::vector<double>& times);

 private:
  Eigen::Map<MatrixXd> W() { return {x_.data(), P_.m, P_.d}; }

  void pattern_of(Index r, std::vector<std::uint8_t>& s) const {
    for (Index i = 0; i < P_.n; ++i) s[static_cast<std::size_t>(i)] = SA_(r, i) != 0.0;
  }

  // work(block, first, count) for every block of neurons, on the field's
  // threads: the bulk products, the blocks' shares of the sums over neurons
  // and the screening, the same operations for any thread count
  // (core/neuron_blocks.hpp).
  template <class Work>
  void for_neuron_blocks(Work&& work) {
    for_each_neuron_block(blocks_, threads_.get(), std::forward<Work>(work));
  }

  // Z = WX and u_i = Σ_r SA_ri z_ri, each block's share added in block order.
  void predict();
  // Scratch of one thread for the sliding neurons' projections and horizons.
  struct SlidingLane {
    explicit SlidingLane(const Problem& p)
        : y(p.d, p.n), gram(p.d), wrow(p.d), v(static_cast<std::size_t>(p.d)) {
      C.reserve(static_cast<std::size_t>(p.d));
    }
    std::vector<Index> C;
    MatrixXd y;
    SmallGram gram;
    VectorXd wrow;
    std::vector<double> v;
  };
  // work(k, lane) for the k-th neuron with sliding pairs (its pairs are
  // sliding_[sliding_runs_[k], sliding_runs_[k + 1]), their samples in
  // lane.C), on the field's threads; each neuron's work must be its own.
  template <class Work>
  void for_sliding_neurons(Work&& work) {
    sliding_runs_.clear();
    for (std::size_t b = 0; b < sliding_.size();) {
      sliding_runs_.push_back(b);
      const Index r = sliding_[b].first;
      while (b < sliding_.size() && sliding_[b].first == r) ++b;
    }
    sliding_runs_.push_back(sliding_.size());
    auto run = [&](std::size_t k, int lane_index) {
      SlidingLane& lane = sliding_lanes_[static_cast<std::size_t>(lane_index)];
      lane.C.clear();
      for (std::size_t p = sliding_runs_[k]; p < sliding_runs_[k + 1]; ++p)
        lane.C.push_back(sliding_[p].second);
      work(k, lane);
    };
    const std::size_t count = sliding_runs_.size() - 1;
    if (threads_) {
      threads_->run(count, run);
    } else {
      for (std::size_t k = 0; k < count; ++k) run(k, 0);
    }
  }
  // The certified horizon of sliding neuron r (samples lane.C): its z-margins
  // and the two margins of each sliding weight.
  double sliding_horizon(Index r, SlidingLane& lane, double q0, double max_rate) const;

  void initialise(const VectorXd& x0);
  void begin_window();
  double choose_length(double limit);
  bool solve_window(double h, double t);
  void commit(double t);

  const ShallowReluField& field_;
  const MethodOptions& method_;
  const StopOptions& stop_;
  const Problem P_;
  VectorXd x_;
  MatrixXd SA_;     // c_r s_ri (0 on the negative side and on sliding pairs)
  MatrixXd count_;  // Σ_r s_ri s_rj, exact integers
  std::vector<std::pair<Index, Index>> sliding_, sliding_next_;
  // window start
  MatrixXd Z_, Zdot_, Wdot_, EXt_, H0_, H_;
  MatrixXd partial_;  // n × blocks: each block's share of u
  VectorXd u_, e0_, edot0_, last_e_;
  Eigen::ArrayXd horizon_, column_;
  std::vector<double> sorted_;
  Bounds bounds_;
  double crude_variation_ = 0.0;
  Index active_cap_ = 0;
  std::vector<Index> active_;
  std::vector<std::uint8_t> is_active_;
  // fixed point
  ResidualPath paths_[2];
  double variation_[2] = {0.0, 0.0};
  int accepted_ = 0;
  std::vector<Event> events_;
  std::vector<SwitchRecord> sweep_log_;  // the sweep's switches (times within the window)
  std::vector<SwitchRecord> log_;        // the run's switches (with method.record_switches)
  std::vector<std::size_t> order_;
  ModePool pool_, end_pool_;
  MatrixXd end_w_;
  std::vector<std::size_t> end_mode_;
  long window_spurious_ = 0;
  ActiveRuns runs_;
  KernelShare share_;
  SmallGram gram_;
  // scratch
  std::vector<std::uint8_t> s_tmp_;
  std::vector<Index> c_tmp_;
  VectorXd wrow_, ea_, eb_, ra_;
  std::vector<double> vc_;
  std::vector<double> recent_;
  double bulk_cost_ = 0.0, neuron_cost_ = 0.0;
  Index active_target_ = 0;
  double h_cap_ = kInf;
  ReluWindowCounts counts_;
  double last_defect_ = 0.0;
  std::vector<std::size_t> sliding_runs_;   // each sliding neuron's first pair, and the end
  std::vector<std::uint8_t> sliding_ok_;    // per sliding neuron: its Gram matrix factors
  std::vector<SlidingLane> sliding_lanes_;  // one per thread
  NeuronBlocks blocks_;
  std::unique_ptr<BlockPool> threads_;  // null: one thread (or one block)
};

}  // namespace gradflow::detail::relu
