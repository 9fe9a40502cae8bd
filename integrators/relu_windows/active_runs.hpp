#pragma once
// The active neurons of one relu_windows sweep (integrators/relu_windows.hpp),
// each integrated by a NeuronRunner along the sweep's residual path, shared by
// the field's threads (core/block_pool.hpp): one lane per thread holds a
// runner and collects the switches (events, their modes, the switch log) of
// the neurons that thread ran. merge() then appends every neuron's switches in
// the order of the active list, its modes renumbered: the events, mode pool
// and log are those of one thread running the neurons in turn, so the sweep's
// result does not depend on the number of threads (nor on which thread ran
// which neuron).
// Invariant: storage grows to the largest sweep seen and is then reused.

#include "integrators/relu_windows/mode_pool.hpp"
#include "integrators/relu_windows/neuron_runner.hpp"
#include "integrators/relu_windows/problem.hpp"
#include "integrators/relu_windows/residual_path.hpp"

#include <atomic>
#include <cstdint>
#include <limits>
#include <vector>

namespace gradflow::detail::relu {

class ActiveRuns {
 public:
  // `lanes` = the number of threads that may call run_one() (thread indices
  // 0 .. lanes − 1).
  ActiveRuns(const Problem& p, int lanes);

  // Before a sweep over `active` neurons: clears the lanes.
  void start(std::size_t active);

  // One sweep's fixed inputs.
  struct Sweep {
    const double* W;  // m × d, column-major
    const MatrixXd* SA;
    const std::vector<std::pair<Index, Index>>* sliding;  // sorted by neuron
    const ResidualPath* path;
    double path_variation;
    const Bounds* bounds;
    double h;
    MatrixXd* end_w;  // d × active: column a receives neuron a's end state
  };

  // Integrates active neuron a (= neuron r) on thread `lane`. After a failed
  // run (more switches than the runner's cap), later neurons of the list are
  // skipped: only the first failure counts.
  void run_one(const Sweep& sweep, std::size_t a, Index r, int lane);

  // The index in the active list of the first failed neuron, or the list's
  // size if every run succeeded.
  std::size_t first_failure(std::size_t active) const {
    const std::size_t f = first_failure_.load();
    return f < active ? f : active;
  }

  // Appends the neurons' switches in the order of the active list to
  // `events` (modes to `pool`) and `log`, their end modes to `end_pool`
  // (end_mode[a]); returns the muted round-off zeros of the sweep. Needs
  // every run successful.
  long merge(std::size_t active, std::vector<Event>& events, ModePool& pool,
             std::vector<SwitchRecord>& log, ModePool& end_pool,
             std::vector<std::size_t>& end_mode) const;

 private:
  struct Lane {
    explicit Lane(const Problem& p);
    NeuronRunner runner;
    std::vector<std::uint8_t> s;
    std::vector<Index> C;
    std::vector<Event> events;
    ModePool modes, ends;
    std::vector<SwitchRecord> log;
  };
  // Where neuron a's output sits in its lane.
  struct Slot {
    int lane = 0;
    std::size_t events_begin = 0, events_end = 0;
    std::size_t modes_begin = 0, modes_end = 0;
    std::size_t log_begin = 0, log_end = 0;
    std::size_t end_mode = 0;
    long spurious = 0;
  };

  const Problem& P_;
  std::vector<Lane> lanes_;
  std::vector<Slot> slots_;
  std::atomic<std::size_t> first_failure_{std::numeric_limits<std::size_t>::max()};
};

}  // namespace gradflow::detail::relu
