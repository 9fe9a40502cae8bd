#include "io/spec_central.hpp"

#include <fmt/format.h>

namespace gradflow {

void read_central_keys(JsonReader& r, RunSpec& run) {
  if (r.has("central_eta")) {
    if (run.modified_eta > 0.0) {
      r.fail("central_eta",
             "give either \"central_eta\" (the central flow) or \"modified_eta\" (the "
             "modified flow), not both");
    }
    run.central_eta = r.positive_number("central_eta");
    if (run.ensemble.size > 0) {
      r.fail("ensemble",
             "the central flow is deterministic and integrated once: an ensemble of it "
             "would repeat one run (drop \"ensemble\" or \"central_eta\")");
    }
    if (run.method.method != Method::event_driven) {
      r.fail(
          "integrator",
          fmt::format(
              "the central flow switches between gradient flow and the edge of stability at events "
              "located on the dense output: integrate it with \"event_driven\" (the default with "
              "\"central_eta\"), got \"{}\"",
              to_string(run.method.method)));
    }
  } else {
    r.skip("central_eta");
  }
  if (r.has("average_window")) {
    if (run.method.method != Method::euler) {
      r.fail(
          "average_window",
          fmt::format("average_window sets the window of GD's time average and belongs to a GD run "
                      "(\"integrator\": \"euler\"); this run's integrator is \"{}\"",
                      to_string(run.method.method)));
    }
    run.average_window = r.positive_integer("average_window");
  } else if (run.method.method == Method::euler) {
    r.skip("average_window");  // listed among the valid keys of GD runs only
  }
}

}  // namespace gradflow
