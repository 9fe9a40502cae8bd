// model.kind = "wide_sharp_1d": the fixed 1-D landscape with a sharp and a
// wide minimum (models/wide_sharp_1d.hpp). No data, no model keys; one flow,
// "theta". The log and meta.json report both minima and their curvatures.

#include "cli/factory_support.hpp"
#include "cli/vector_init.hpp"
#include "io/errors.hpp"
#include "models/wide_sharp_1d.hpp"

namespace gradflow {

ModelInstance build_wide_sharp_1d(const ExperimentSpec& spec) {
  if (!spec.data.empty()) {
    throw_input_error(
        spec.file, "data",
        "wide_sharp_1d is a fixed function of θ and reads no data; remove \"data\" or "
        "leave it empty ({})");
  }
  ModelInstance out;
  out.resolved_data = nlohmann::json::object();
  out.data_description = "none (a fixed function of θ)";
  JsonReader m(spec.model, spec.file, "model");
  m.string("kind");
  m.finish();
  out.resolved_model = m.resolved();

  auto f = std::make_unique<WideSharp1D>();
  for (const NamedPoint& p : f->named_minima()) {
    out.facts.emplace_back(p.name + "_theta", p.point[0]);
    out.facts.emplace_back(p.name + "_curvature", WideSharp1D::curvature(p.point[0]));
  }
  VectorInit init = read_vector_init(spec, 1);
  out.resolved_init = init.resolved;
  out.flows.push_back({"theta", std::move(f), std::move(init.x0), std::move(init.draw_start)});
  return out;
}

}  // namespace gradflow
