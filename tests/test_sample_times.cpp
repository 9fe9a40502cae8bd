#include "core/sample_times.hpp"

#include <catch2/catch.hpp>

using gradflow::sample_times;
using gradflow::SampleGrid;

TEST_CASE("a grid with spacing eta gives exactly the times k times eta") {
  SampleGrid g{.kind = SampleGrid::Kind::grid, .spacing = 0.01};
  const auto t = sample_times(g, 5.0);
  REQUIRE(t.size() == 501);
  for (std::size_t k = 0; k < t.size(); ++k) REQUIRE(t[k] == static_cast<double>(k) * 0.01);
}

TEST_CASE("linear, log and list grids start at 0 and end at t_end") {
  const auto lin = sample_times({.kind = SampleGrid::Kind::linear, .count = 11}, 2.0);
  REQUIRE(lin.size() == 11);
  CHECK(lin[5] == Approx(1.0));
  const auto lg =
      sample_times({.kind = SampleGrid::Kind::log, .count = 4, .log_start = 0.01}, 10.0);
  REQUIRE(lg.size() == 5);
  CHECK(lg[0] == 0.0);
  CHECK(lg[2] == Approx(0.1));
  CHECK(lg.back() == 10.0);
  const auto list = sample_times({.kind = SampleGrid::Kind::list, .times = {3.0, 1.0, 1.0}}, 4.0);
  REQUIRE(list == std::vector<double>{0.0, 1.0, 3.0, 4.0});
}

TEST_CASE("bad sample grids are refused with the offending value") {
  CHECK_THROWS_WITH(sample_times({.kind = SampleGrid::Kind::grid, .spacing = -1.0}, 1.0),
                    Catch::Contains("spacing must be > 0"));
  CHECK_THROWS_WITH(sample_times({.kind = SampleGrid::Kind::linear, .count = 1}, 1.0),
                    Catch::Contains("count must be >= 2"));
  CHECK_THROWS_WITH(
      sample_times({.kind = SampleGrid::Kind::log, .count = 3, .log_start = 2.0}, 1.0),
      Catch::Contains("0 < start < t_end"));
  CHECK_THROWS_WITH(sample_times({.kind = SampleGrid::Kind::list, .times = {5.0}}, 1.0),
                    Catch::Contains("outside [0, t_end"));
}
