#pragma once
// Specs run from Python through the CLI's own pipeline (prepare_experiment,
// run_experiment, export_experiment), so a spec gives the same bits from
// Python as from the command line. The handle keeps the prepared experiment
// and its outcome alive: results cross to numpy on demand (states, projected
// matrices), comparisons between runs of different handles use the runs'
// fields, and meta.json is produced on first request.

#include "cli/experiment.hpp"
#include "python/arrays.hpp"

#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gradflow::python {

// The experiments of one spec, run together.
struct Batch {
  std::vector<PreparedExperiment> prepared;
  std::vector<ExperimentOutcome> outcomes;
  std::vector<std::string> logs;
  py::object python_model;  // keeps a Python-defined model alive (None otherwise)
};

class ExperimentHandle {
 public:
  ExperimentHandle(std::shared_ptr<const Batch> batch, std::size_t index)
      : batch_(std::move(batch)), index_(index) {}

  std::string name() const { return prepared().spec.name; }
  const std::string& log() const { return batch_->logs[index_]; }
  py::dict summary() const;  // runs (stats, series), comparisons, flows, exports, facts
  py::array_t<double> states(std::size_t run) const;
  py::list projections(std::size_t run) const;  // [(name, records x rows x cols)]
  // meta.json as the CLI writes it (a JSON string); computed once.
  const std::string& meta_json();
  void set_meta(const nlohmann::json& meta) { meta_ = meta.dump(); }
  bool uses_python() const { return !batch_->python_model.is_none(); }

  const PreparedExperiment& prepared() const { return batch_->prepared[index_]; }
  const ExperimentOutcome& outcome() const { return batch_->outcomes[index_]; }

 private:
  std::shared_ptr<const Batch> batch_;
  std::size_t index_;
  std::optional<std::string> meta_;
};

using Handles = std::vector<std::shared_ptr<ExperimentHandle>>;

struct RunRequest {
  std::string spec;  // JSON text, or a spec file's path when from_file
  bool from_file = false;
  std::string file;         // names the spec in messages
  std::string base_dir;     // relative paths resolve against it
  py::dict arrays;          // name -> array, read where the spec names such a file
  py::object python_model;  // None, or a model defined in Python (python_field.hpp)
  py::dict flow_starts;     // flow name -> start, replacing the model's
  std::string out_dir;      // non-empty: also write the CLI's files there
};

// Runs every experiment of the spec. Built-in models run without the GIL;
// Ctrl-C raises KeyboardInterrupt (nothing is written); bad input raises
// ValueError with the CLI's message.
Handles run_spec(const RunRequest& request);

// compare_runs between run i of a and run j of b (the CLI's comparison).
py::dict compare(const ExperimentHandle& a, std::size_t i, const ExperimentHandle& b,
                 std::size_t j);

}  // namespace gradflow::python
