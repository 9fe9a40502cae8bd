// Ensembles through the gradflow command: member seeds that differ from each
// other and repeat, and members that share their start across runs.

#include "cli/run_plan.hpp"

#include "cli_support.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <set>
#include <sstream>

using namespace gradflow;
using gradflow::testing::fresh_temp_dir;
using gradflow::testing::gradflow_cli;
using gradflow::testing::read_file;
using gradflow::testing::write_file;

TEST_CASE("member seeds differ between members and repeat for the same experiment seed") {
  std::set<std::uint64_t> seeds;
  for (long m = 0; m < 1000; ++m) seeds.insert(member_seed(42, m));
  CHECK(seeds.size() == 1000);
  CHECK(member_seed(42, 7) == member_seed(42, 7));
  CHECK(member_seed(42, 7) != member_seed(43, 7));
}

TEST_CASE("an ensemble run writes the same members twice and other members under another seed") {
  const auto dir = fresh_temp_dir("ensemble", "seeds");
  auto run = [&](int seed, const std::string& name) {
    write_file(dir / (name + ".json"), fmt::format(R"({{
      "seed": {}, "model": {{"kind": "wide_sharp_1d"}}, "init": {{"kind": "uniform", "low": -5, "high": 20}},
      "t_end": 2, "sample": {{"kind": "linear", "count": 3}},
      "runs": [{{"name": "sgd", "integrator": "sgd", "eta": 0.01, "sigma": 1, "ensemble": {{"size": 5, "vary": "start"}}}},
               {{"name": "gd", "integrator": "euler", "eta": 0.01, "ensemble": {{"size": 5}}}}]
    }})",
                                                   seed));
    const auto r = gradflow_cli(
        {"run", (dir / (name + ".json")).string(), "--out", (dir / name).string(), "-q"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    return std::pair{read_file(dir / name / name / "sgd.members.csv"),
                     read_file(dir / name / name / "gd.members.csv")};
  };
  const auto [first_sgd, first_gd] = run(1, "a");
  const auto [again_sgd, again_gd] = run(1, "b");
  const auto [other_sgd, other_gd] = run(2, "c");
  CHECK(first_sgd == again_sgd);
  CHECK(first_gd == again_gd);
  CHECK(first_sgd != other_sgd);
  // Member m starts at the same point in every run of the spec: the columns
  // member, seed and start_1 agree between the sgd and gd ensembles.
  auto starts = [](const std::string& csv) {
    std::vector<std::string> out;
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      std::istringstream row(line);
      for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
      out.push_back(cells[0] + "," + cells[1] + "," + cells[7]);  // member, seed, start_1
    }
    return out;
  };
  CHECK(starts(first_sgd) == starts(first_gd));
  CHECK(starts(first_sgd).size() == 5);
  std::set<std::string> distinct;
  for (const auto& s : starts(first_sgd)) distinct.insert(s.substr(s.rfind(',')));
  CHECK(distinct.size() == 5);
}
