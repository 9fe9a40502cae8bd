#pragma once
// Independent units of work on a few threads, their results handed on in
// index order: what makes a sweep's log and summary rows independent of how
// the work was split (DESIGN.md §8).

#include <cstddef>
#include <functional>

namespace gradflow {

// The threads a sweep uses by default: the cores available, at least 1.
unsigned default_jobs();

// Calls work(i) for every i in [0, count) on min(jobs, count) threads (jobs 0
// means default_jobs()), each i exactly once, the next free thread taking the
// next i. deliver(i) is called once per i in increasing order, as soon as i
// and every unit before it are done, one call at a time (any thread may make
// it). work and deliver must not throw: a unit's failure is its result.
// `idle` (optional) is called once by each thread when no unit is left for
// it (the sweep gives its thread's token back: cli/thread_budget.hpp).
void run_in_order(std::size_t count, unsigned jobs, const std::function<void(std::size_t)>& work,
                  const std::function<void(std::size_t)>& deliver,
                  const std::function<void()>& idle = {});

// The threads run_in_order(count, jobs, …) starts (1: the calling thread).
std::size_t pool_threads(std::size_t count, unsigned jobs);

}  // namespace gradflow
