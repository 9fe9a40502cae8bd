// The factorisation fields allocate nothing per evaluation once warmed up.
//
// Counted by interposing glibc's malloc/calloc/realloc in this test binary
// (tests/allocation_counter.cpp): replacing operator new alone would not see
// Eigen, which allocates matrix storage with std::malloc.

#include "models/induced_w_flow.hpp"
#include "models/matrix_completion.hpp"
#include "models/matrix_sensing.hpp"
#include "models/psd_ground_truth.hpp"
#include "models/symmetric_factorisation.hpp"
#include "models/symmetric_factorisation_deep.hpp"

#include "allocation_counter.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>

using namespace gradflow;

namespace {

// Allocations in 50 velocity and 50 loss calls after one warm-up call of each.
long allocations_per_50_calls(const Field& field, const Eigen::VectorXd& x) {
  Eigen::VectorXd v(field.dim());
  field.velocity(x, 0.0, v);
  double sink = field.loss(x);
  const long before = gradflow::testing::heap_allocations_so_far();
  for (int i = 0; i < 50; ++i) {
    field.velocity(x, 0.0, v);
    sink += field.loss(x) + v[0];
  }
  const long used = gradflow::testing::heap_allocations_so_far() - before;
  CHECK(std::isfinite(sink));
  return used;
}

}  // namespace

TEST_CASE("the counter sees Eigen's heap allocations") {
  // The control: without it a broken counter would pass every check below.
  const long before = gradflow::testing::heap_allocations_so_far();
  Eigen::MatrixXd m(40, 40);
  m.setOnes();
  CHECK(gradflow::testing::heap_allocations_so_far() - before >= 1);
  CHECK(m.sum() == 1600.0);
}

TEST_CASE("the U-flow, W-flow and deep fields allocate nothing once warmed up") {
  Rng rng(1);
  const Eigen::Index d = 12;
  const Eigen::MatrixXd truth = make_psd_ground_truth({.size = d, .rank = 2}, rng);
  const Eigen::MatrixXd A = draw_symmetric_gaussian_measurements(d, 40, rng);
  const std::vector<std::pair<const char*, std::shared_ptr<const MatrixLoss>>> losses = {
      {"sensing", std::make_shared<MatrixSensingLoss>(A, sensing_targets(A, truth))},
      {"completion",
       std::make_shared<MatrixCompletionLoss>(truth, sample_observed_entries(d, 50, rng))}};
  for (const auto& [label, loss] : losses) {
    for (Eigen::Index k : {Eigen::Index{3}, d}) {
      INFO(label << ", U-flow, k = " << k);
      const SymmetricFactorisation u_model(loss, {.width = k});
      const Eigen::VectorXd x = u_model.pack(gaussian_direction(d, k, rng));
      CHECK(allocations_per_50_calls(u_model, x) == 0);
    }
    {
      INFO(label << ", W-flow");
      const InducedWFlow w_model(loss);
      const Eigen::MatrixXd U = gaussian_direction(d, d, rng);
      CHECK(allocations_per_50_calls(w_model, w_model.pack(U * U.transpose())) == 0);
    }
    {
      INFO(label << ", deep, depth 3");
      const DeepFactorisation deep(loss, 3);
      const Eigen::MatrixXd U = gaussian_direction(d, d, rng);
      CHECK(allocations_per_50_calls(deep, deep.balanced_start(U * U.transpose())) == 0);
    }
  }
}
