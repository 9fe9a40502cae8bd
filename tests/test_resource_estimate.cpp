// The up-front estimates of memory and output size (cli/resource_estimate.hpp)
// against what a run really writes, and the memory limit's boundary.

#include "cli/experiment.hpp"
#include "cli/resource_estimate.hpp"
#include "cli_support.hpp"
#include "io/errors.hpp"
#include "io/spec.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <string>

using namespace gradflow;
using namespace gradflow::testing;

namespace {

std::string spec_text(long records, bool states, const std::string& extra = "") {
  return R"({"seed": 1, "data": {"kind": "sine", "samples": 12, "inputs": 3, "outputs": 2},
    "model": {"kind": "linear_network", "hidden": [4]}, "init": {"kind": "gaussian", "std": 0.5},
    "t_end": 1, "sample": {"kind": "linear", "count": )" +
         std::to_string(records) + R"(}, "record": {"states": )" + (states ? "true" : "false") +
         "}, " + extra +
         R"("runs": [{"name": "gf"}, {"name": "gd", "integrator": "euler", "eta": 0.01}]})";
}

}  // namespace

TEST_CASE("the states estimate is the size of the states files a run writes, headers aside") {
  const auto dir = fresh_temp_dir("resource_estimate", "states");
  write_file(dir / "spec.json", spec_text(500, true));
  const PreparedExperiment p =
      prepare_experiment(parse_spec(spec_text(500, true), "spec.json", ".").front());
  const auto r =
      gradflow_cli({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(), "-q"});
  REQUIRE(r.code == 0);
  double written = 0.0;
  for (const char* run : {"gf", "gd"}) {
    const auto f = dir / "out" / "spec" / (std::string(run) + ".states.npy");
    REQUIRE(std::filesystem::exists(f));
    written += static_cast<double>(std::filesystem::file_size(f));
  }
  // dim 3·4 + 4·2 = 20 doubles; gf keeps 500 records, gd one per step of its
  // 100 (the sample times are closer than a step); each .npy file adds a
  // header of 64 to 4 096 bytes.
  CHECK(experiment_states_bytes(p) == (500.0 + 101.0) * 20.0 * 8.0);
  CHECK(written - experiment_states_bytes(p) >= 2.0 * 64.0);
  CHECK(written - experiment_states_bytes(p) <= 2.0 * 4096.0);
  CHECK(experiment_output_bytes(p) > experiment_states_bytes(p));
  CHECK(experiment_states_bytes(prepare_experiment(
            parse_spec(spec_text(500, false), "spec.json", ".").front())) == 0.0);
}

TEST_CASE("the memory limit refuses an experiment just above its estimate and accepts one below") {
  // One record more or less moves the estimate by (3 states + 32 columns)·8
  // bytes of gf (gd keeps its 101 steps); the limit sits between 1000 and
  // 1001 records' estimates.
  auto estimate_gib = [](long records) {
    return (static_cast<double>(records) + 101.0) * (3.0 * 20.0 + 32.0) * 8.0 /
           (1024.0 * 1024.0 * 1024.0);
  };
  const double limit = 0.5 * (estimate_gib(1000) + estimate_gib(1001));
  const std::string key = "\"max_memory_gib\": " + fmt::format("{:.17g}", limit) + ", ";
  CHECK_NOTHROW(
      prepare_experiment(parse_spec(spec_text(1000, true, key), "spec.json", ".").front()));
  CHECK_THROWS_AS(
      prepare_experiment(parse_spec(spec_text(1001, true, key), "spec.json", ".").front()),
      InputError);
}
