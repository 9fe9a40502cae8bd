#include "io/errors.hpp"
#include "io/spec.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;

namespace {

const char* kMinimal = R"({
  // comments are allowed
  "model": {"kind": "linear_network", "hidden": [2]},
  "init": {"kind": "gaussian"},
  "t_end": 1.0,
  "runs": [{"name": "gd", "integrator": "euler", "eta": 0.1}, {"integrator": "dopri5"}]
})";

std::vector<ExperimentSpec> parse(const std::string& text) { return parse_spec(text, "spec.json", "."); }

std::string with(const std::string& replace, const std::string& by) {
  std::string s = kMinimal;
  const auto at = s.find(replace);
  REQUIRE(at != std::string::npos);
  return s.replace(at, replace.size(), by);
}

}  // namespace

TEST_CASE("a minimal spec resolves every default") {
  const auto specs = parse(kMinimal);
  REQUIRE(specs.size() == 1);
  const ExperimentSpec& e = specs[0];
  CHECK(e.name == "spec");
  CHECK(e.data.is_object());  // read by the model's factory
  REQUIRE(e.runs.size() == 2);
  CHECK(e.runs[1].name == "dopri5");
  CHECK(e.runs[1].method.rtol == 1e-8);
  // With a GD run, the flow records every GD step by default.
  CHECK(e.sample.kind == SampleGrid::Kind::grid);
  CHECK(e.sample.spacing == 0.1);
  REQUIRE(e.comparisons.size() == 1);
  CHECK(e.comparisons[0] == std::pair<std::string, std::string>("gd", "dopri5"));
  CHECK(e.resolved["runs"][1]["atol"] == 1e-10);
  CHECK(e.resolved["stop"]["max_steps"] == 10000000);
}

TEST_CASE("experiments merge over the base spec") {
  const std::string text = with("\"t_end\": 1.0,", R"("t_end": 1.0, "experiments": [
      {"name": "a"}, {"name": "b", "model": {"hidden": [3, 3]}, "t_end": 2.0}],)");
  const auto specs = parse(text);
  REQUIRE(specs.size() == 2);
  CHECK(specs[0].model["hidden"].size() == 1);
  CHECK(specs[1].model["hidden"].size() == 2);
  CHECK(specs[1].model["kind"] == "linear_network");
  CHECK(specs[1].t_end == 2.0);
}

TEST_CASE("spec errors name the file, the key, what was expected and what was found") {
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0", "\"t_end\": 1.0, \"tend\": 3")),
                    Catch::Contains("spec.json: key 'tend': unknown key (valid keys here:") &&
                        Catch::Contains("t_end"));
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0", "\"t_end\": \"long\"")),
                    Catch::Contains("key 't_end': expected a number, got the string \"long\""));
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0,", "")),
                    Catch::Contains("key 't_end': missing required key"));
  CHECK_THROWS_WITH(parse(with("\"eta\": 0.1", "\"eta\": 0")),
                    Catch::Contains("key 'runs[0].eta': expected a positive number, got 0"));
  CHECK_THROWS_WITH(parse(with("{\"integrator\": \"dopri5\"}", "{\"integrator\": \"dopri5\", \"rtol\": -1e-3}")),
                    Catch::Contains("key 'runs[1].rtol': expected a positive number, got -0.001"));
  CHECK_THROWS_WITH(parse(with("{\"integrator\": \"dopri5\"}", "{\"integrator\": \"rk45\"}")),
                    Catch::Contains("key 'runs[1].integrator': unknown value \"rk45\" (valid: dopri5,"));
  CHECK_THROWS_WITH(parse(with("{\"integrator\": \"dopri5\"}", "{\"integrator\": \"dopri5\", \"name\": \"gd\"}")),
                    Catch::Contains("duplicate run name \"gd\""));
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0,", "\"t_end\": 1.0, \"compare\": [[\"gd\", \"gf\"]],")),
                    Catch::Contains("no run named \"gf\""));
  CHECK_THROWS_WITH(parse("{\"model\": "), Catch::Contains("spec.json: not valid JSON"));
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0,", "\"t_end\": 1.0, \"experiments\": [{\"t_end\": 2}],")),
                    Catch::Contains("experiments[0].name"));
}

TEST_CASE("an unreadable spec file is an input error naming it") {
  CHECK_THROWS_WITH(read_spec_file("/nonexistent/spec.json"),
                    Catch::Contains("/nonexistent/spec.json: cannot open the spec file"));
}
