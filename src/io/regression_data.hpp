#pragma once
// The "data" section of a regression spec (inputs X, targets Y): the course's
// synthetic sine set, or files.

#include "core/dataset.hpp"
#include "core/spectrum_dataset.hpp"
#include "io/json_reader.hpp"

#include <filesystem>

namespace gradflow {

struct RegressionDataOptions {
  std::uint64_t seed = 0;          // the experiment seed (data draws use derive_seed(seed, "data"))
  std::filesystem::path base_dir;  // relative file paths resolve against it
  // Non-null: kind "spectrum" is offered, and its singular vectors and values
  // are written here (U empty for the other kinds).
  SpectrumDataset* spectrum = nullptr;
};

// Keys: kind = "sine" (samples, inputs, outputs, noise_std), "files" (x, y,
// orientation) or, where options.spectrum is given, "spectrum" (samples,
// inputs, outputs, singular_values, left_vectors, right_vectors), and unit_norm_inputs (scale every
// input to ‖x_i‖ = 1, after generating y). Calls r.finish(). Throws InputError.
Dataset read_regression_data(JsonReader& r, const RegressionDataOptions& options);

}  // namespace gradflow
