// ActiveRuns: the active neurons of a sweep on the field's threads, merged in
// the order of the active list (see active_runs.hpp).

#include "integrators/relu_windows/active_runs.hpp"

#include <algorithm>

namespace gradflow::detail::relu {

ActiveRuns::Lane::Lane(const Problem& p)
    : runner(p), s(static_cast<std::size_t>(p.n)), modes(p.n), ends(p.n) {
  C.reserve(static_cast<std::size_t>(p.d));
}

ActiveRuns::ActiveRuns(const Problem& p, int lanes) : P_(p) {
  lanes_.reserve(static_cast<std::size_t>(lanes));
  for (int k = 0; k < lanes; ++k) lanes_.emplace_back(p);
}

void ActiveRuns::start(std::size_t active) {
  for (Lane& lane : lanes_) {
    lane.events.clear();
    lane.modes.clear();
    lane.ends.clear();
    lane.log.clear();
  }
  if (slots_.size() < active) slots_.resize(std::max(active, 2 * slots_.size()));
  first_failure_.store(std::numeric_limits<std::size_t>::max());
}

void ActiveRuns::run_one(const Sweep& sweep, std::size_t a, Index r, int lane_index) {
  if (a > first_failure_.load()) return;  // its result would not be used
  Lane& lane = lanes_[static_cast<std::size_t>(lane_index)];
  for (Index i = 0; i < P_.n; ++i) lane.s[static_cast<std::size_t>(i)] = (*sweep.SA)(r, i) != 0.0;
  lane.C.clear();
  auto it = std::lower_bound(sweep.sliding->begin(), sweep.sliding->end(),
                             std::pair<Index, Index>{r, -1});
  for (; it != sweep.sliding->end() && it->first == r; ++it) lane.C.push_back(it->second);
  Slot& slot = slots_[a];
  slot.lane = lane_index;
  slot.events_begin = lane.events.size();
  slot.modes_begin = lane.modes.size();
  slot.log_begin = lane.log.size();
  const auto outcome = lane.runner.run(r, sweep.W + r, P_.m, lane.s.data(), lane.C.data(),
                                       lane.C.size(), *sweep.path, sweep.path_variation,
                                       *sweep.bounds, sweep.h, lane.events, lane.modes, lane.log);
  slot.events_end = lane.events.size();
  slot.modes_end = lane.modes.size();
  slot.log_end = lane.log.size();
  slot.spurious = outcome.spurious;
  if (!outcome.ok) {
    // first_failure_ = min(first_failure_, a)
    std::size_t seen = first_failure_.load();
    while (a < seen && !first_failure_.compare_exchange_weak(seen, a)) {}
    return;
  }
  sweep.end_w->col(static_cast<Index>(a)) = lane.runner.w_end();
  slot.end_mode = lane.ends.push(lane.runner.s().data(), lane.runner.C());
}

long ActiveRuns::merge(std::size_t active, std::vector<Event>& events, ModePool& pool,
                       std::vector<SwitchRecord>& log, ModePool& end_pool,
                       std::vector<std::size_t>& end_mode) const {
  long spurious = 0;
  end_mode.resize(active);
  for (std::size_t a = 0; a < active; ++a) {
    const Slot& slot = slots_[a];
    const Lane& lane = lanes_[static_cast<std::size_t>(slot.lane)];
    // The lane's modes [modes_begin, modes_end) become pool's [first, …).
    const std::size_t first = pool.size();
    for (std::size_t k = slot.modes_begin; k < slot.modes_end; ++k) {
      pool.push(lane.modes.s(k), lane.modes.C(k), lane.modes.C_size(k));
    }
    for (std::size_t k = slot.events_begin; k < slot.events_end; ++k) {
      Event ev = lane.events[k];
      ev.before = ev.before - slot.modes_begin + first;
      ev.after = ev.after - slot.modes_begin + first;
      events.push_back(ev);
    }
    log.insert(log.end(), lane.log.begin() + static_cast<std::ptrdiff_t>(slot.log_begin),
               lane.log.begin() + static_cast<std::ptrdiff_t>(slot.log_end));
    end_mode[a] = end_pool.push(lane.ends.s(slot.end_mode), lane.ends.C(slot.end_mode),
                                lane.ends.C_size(slot.end_mode));
    spurious += slot.spurious;
  }
  return spurious;
}

}  // namespace gradflow::detail::relu
