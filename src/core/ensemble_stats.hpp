#pragma once
// Statistics across the members of an ensemble of runs, per recorded time.

#include "core/table.hpp"

#include <vector>

namespace gradflow {

struct SummaryStats {
  long count = 0;  // finite values summarised
  double mean = 0.0, std = 0.0, min = 0.0, q25 = 0.0, median = 0.0, q75 = 0.0,
         max = 0.0;  // NaN when count = 0
};

// Of the finite entries of `values` (NaN and ±Inf are left out and not
// counted). std is the sample standard deviation (denominator n − 1; 0 for a
// single value); the quantile p is numpy's default ("linear"): with the
// sorted values v_0 ≤ … ≤ v_{n−1} and h = (n − 1)p, v_⌊h⌋ + (h − ⌊h⌋)(v_⌈h⌉ − v_⌊h⌋).
SummaryStats summarise(std::vector<double> values);
// The same quantile of already sorted values (n ≥ 1).
double sorted_quantile(const std::vector<double>& sorted, double p);

// One member's scalar series at its recorded times.
struct MemberSeries {
  std::vector<double> times;
  std::vector<long> steps;
  std::vector<double> loss, grad_norm;
};

// One row per recorded time: t, step, members, then mean, std, min, q25,
// median, q75, max of loss and of grad_norm (columns loss_mean, …,
// grad_norm_max). The times are those of the member with the most records
// (members share the integrator and the requested times, so every member that
// ran to the end has the same ones); a member counts at a time when it has a
// record there (to 1e-9 relative), so members that stopped early drop out
// after their stop. `members` is that count; `step` is the members' common
// step index there, NaN when they differ (adaptive steppers).
Table aggregate_members(const std::vector<MemberSeries>& members);

}  // namespace gradflow
