#pragma once
// Repeated wall-clock measurements reduced to their median: machines are
// noisy, and the median ignores the odd repeat that a scheduler hiccup slows.

#include <algorithm>
#include <chrono>
#include <vector>

namespace gradflow::bench {

struct Timing {
  double median_seconds = 0.0;
  double min_seconds = 0.0;
  int repeats = 0;
};

// Runs `work` once untimed (warm-up: caches, lazily sized scratch), then
// `repeats` times timed; `work` must do the same amount of work every time.
template <class Work>
Timing time_median(int repeats, Work&& work) {
  work();
  std::vector<double> seconds;
  seconds.reserve(static_cast<std::size_t>(repeats));
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const std::size_t mid = seconds.size() / 2;
  const double median =
      seconds.size() % 2 == 1 ? seconds[mid] : 0.5 * (seconds[mid - 1] + seconds[mid]);
  return {.median_seconds = median, .min_seconds = seconds.front(), .repeats = repeats};
}

}  // namespace gradflow::bench
