#include "io/errors.hpp"
#include "io/nearest_key.hpp"
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

std::vector<ExperimentSpec> parse(const std::string& text) {
  return parse_spec(text, "spec.json", ".");
}

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
  CHECK_THROWS_WITH(
      parse(with("\"t_end\": 1.0", "\"t_end\": 1.0, \"tend\": 3")),
      Catch::Contains(
          "spec.json: key 'tend': unknown key, did you mean \"t_end\"? (valid keys here:") &&
          Catch::Contains("t_end"));
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0", "\"t_end\": \"long\"")),
                    Catch::Contains("key 't_end': expected a number, got the string \"long\""));
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0,", "")),
                    Catch::Contains("key 't_end': missing required key"));
  CHECK_THROWS_WITH(parse(with("\"eta\": 0.1", "\"eta\": 0")),
                    Catch::Contains("key 'runs[0].eta': expected a positive number, got 0"));
  CHECK_THROWS_WITH(
      parse(with("{\"integrator\": \"dopri5\"}", "{\"integrator\": \"dopri5\", \"rtol\": -1e-3}")),
      Catch::Contains("key 'runs[1].rtol': expected a positive number, got -0.001"));
  CHECK_THROWS_WITH(
      parse(with("{\"integrator\": \"dopri5\"}", "{\"integrator\": \"rk45\"}")),
      Catch::Contains("key 'runs[1].integrator': unknown value \"rk45\" (valid: dopri5,"));
  CHECK_THROWS_WITH(
      parse(with("{\"integrator\": \"dopri5\"}", "{\"integrator\": \"dopri5\", \"name\": \"gd\"}")),
      Catch::Contains("duplicate run name \"gd\""));
  CHECK_THROWS_WITH(
      parse(with("\"t_end\": 1.0,", "\"t_end\": 1.0, \"compare\": [[\"gd\", \"gf\"]],")),
      Catch::Contains("no run named \"gf\""));
  CHECK_THROWS_WITH(parse("{\"model\": "), Catch::Contains("spec.json: not valid JSON"));
  CHECK_THROWS_WITH(
      parse(with("\"t_end\": 1.0,", "\"t_end\": 1.0, \"experiments\": [{\"t_end\": 2}],")),
      Catch::Contains("experiments[0].name"));
}

TEST_CASE("an unreadable spec file is an input error naming it") {
  CHECK_THROWS_WITH(read_spec_file("/nonexistent/spec.json"),
                    Catch::Contains("/nonexistent/spec.json: cannot open the spec file"));
}

TEST_CASE(
    "a misspelled key is named before the keys it leaves meaningless, with the valid key it "
    "misses") {
  // "integrater" leaves the run at the default integrator dopri5, for which
  // "eta" is unknown too: the misspelling is the error to name.
  CHECK_THROWS_WITH(
      parse(with(R"({"name": "gd", "integrator": "euler", "eta": 0.1})",
                 R"({"name": "gd", "integrater": "euler", "eta": 0.1})")),
      Catch::Contains(
          "spec.json: key 'runs[0].integrater': unknown key, did you mean \"integrator\"? "
          "(valid keys here: adaptive, atol,") &&
          Catch::Contains("; also unknown: eta)"));
  // A key that is near no valid key is still named, without a guess.
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0", "\"t_end\": 1.0, \"horizon\": 3")),
                    Catch::Contains("key 'horizon': unknown key (valid keys here:"));
}

TEST_CASE("every object of the spec suggests its nearest valid key for a misspelled one") {
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"\"t_end\": 1.0", "\"t_end\": 1.0, \"sed\": 3",
       "key 'sed': unknown key, did you mean \"seed\"?"},
      {"\"t_end\": 1.0", "\"t_end\": 1.0, \"sample\": {\"kind\": \"linear\", \"cont\": 11}",
       "key 'sample.cont': unknown key, did you mean \"count\"?"},
      {"\"t_end\": 1.0", "\"t_end\": 1.0, \"stop\": {\"los_below\": 1e-3}",
       "key 'stop.los_below': unknown key, did you mean \"loss_below\"?"},
      {"\"t_end\": 1.0", "\"t_end\": 1.0, \"record\": {\"projetcion\": true}",
       "key 'record.projetcion': unknown key, did you mean \"projection\"?"},
      {"{\"integrator\": \"dopri5\"}", "{\"integrator\": \"dopri5\", \"Rtol\": 1e-9}",
       "key 'runs[1].Rtol': unknown key, did you mean \"rtol\"?"},
      {"{\"integrator\": \"dopri5\"}",
       "{\"integrator\": \"dopri5\", \"ensemble\": {\"size\": 3, \"grad_tolerence\": 1}}",
       "key 'runs[1].ensemble.grad_tolerence': unknown key, did you mean \"grad_tolerance\"?"},
      {"\"t_end\": 1.0",
       "\"t_end\": 1.0, \"eta_sweep\": {\"values\": [0.1, 0.2], \"modifed\": false}",
       "key 'eta_sweep.modifed': unknown key, did you mean \"modified\"?"},
  };
  for (const Case& c : cases) {
    INFO(c.to);
    CHECK_THROWS_WITH(parse(with(c.from, c.to)), Catch::Contains(c.expected));
  }
}

TEST_CASE("a missing required key names the written key that may be its misspelling") {
  CHECK_THROWS_WITH(
      parse(with("\"t_end\": 1.0", "\"t_edn\": 1.0")),
      Catch::Contains(
          "key 't_end': missing required key (expected a number); is \"t_edn\" (written "
          "here) a misspelling of it?"));
  // No written key near it: the plain message.
  CHECK_THROWS_WITH(parse(with("\"t_end\": 1.0,", "")),
                    Catch::Contains("key 't_end': missing required key (expected a number)") &&
                        !Catch::Contains("misspelling"));
}

TEST_CASE(
    "the key edit distance counts insertions, deletions, substitutions and adjacent swaps, "
    "ignoring case") {
  CHECK(key_edit_distance("integrater", "integrator") == 1);
  CHECK(key_edit_distance("widht", "width") == 1);  // one swap, not two substitutions
  CHECK(key_edit_distance("kitten", "sitting") == 3);
  CHECK(key_edit_distance("", "eta") == 3);
  CHECK(key_edit_distance("Seed", "seed") == 0);
  CHECK(key_edit_distance("t_end", "tend") == 1);
  // The nearest within a third of the length; short keys only at distance 1.
  CHECK(nearest_key("integrater", {"name", "integrator", "flow"}) ==
        std::optional<std::string>("integrator"));
  CHECK(nearest_key("rtl", {"atol", "rtol"}) == std::optional<std::string>("rtol"));
  CHECK_FALSE(nearest_key("eta", {"atol", "dt", "name"}).has_value());
  CHECK_FALSE(nearest_key("horizon", {"t_end", "seed", "runs"}).has_value());
}
