#pragma once
// What a run produces: states at the recorded times, and how the run went.

#include <Eigen/Core>

#include <string>
#include <utility>
#include <vector>

namespace gradflow {

// Why a run stopped. Numerical outcomes are values the caller inspects, never
// exceptions (a diverging GD run is a result).
enum class RunStatus {
  completed,            // reached t_end
  loss_below,           // loss fell below the requested threshold
  diverged,             // state or loss became non-finite or exceeded the bound
  step_budget,          // max_steps taken before t_end
  step_size_underflow,  // the adaptive step shrank below what time can resolve
  interrupted           // the thread's progress observer asked the run to stop
};

const char* to_string(RunStatus status);

struct RunStats {
  RunStatus status = RunStatus::completed;
  std::string message;      // human-readable detail (step and time of a divergence)
  long steps = 0;           // accepted steps
  long rejected_steps = 0;  // -1 where the stepper cannot tell
  long field_evaluations = 0;
  double wall_seconds = 0.0;
  double stop_time = 0.0;  // time reached
  // Integrator-specific counts (e.g. switching events, crossings, sliding
  // pairs of an event-driven run), exported by name in meta.json.
  std::vector<std::pair<std::string, long>> counters;
  // Integrator-specific values (e.g. when `auto` switched to bdf), exported by
  // name in meta.json beside the counters, and a line for the log about them.
  std::vector<std::pair<std::string, double>> values;
  std::string note;
  // Something the user should act on, said once in the log and in meta.json
  // (e.g. an explicit method whose step became stability-bound); empty if none.
  std::string warning;
};

struct Trajectory {
  std::vector<double> times;
  std::vector<long> steps;  // integrator step index at each record
  std::vector<Eigen::VectorXd> states;

  std::size_t size() const { return times.size(); }
  void record(double t, long step, const Eigen::VectorXd& x) {
    times.push_back(t);
    steps.push_back(step);
    states.push_back(x);
  }
};

}  // namespace gradflow
