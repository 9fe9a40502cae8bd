// Trajectories of the symmetric factorisation against what theory says of
// them: UUᵀ along the U-flow solves the induced W-flow (Gunasekar et al.
// 2017), and the commuting case decouples into logistic flows.

#include "core/sample_times.hpp"
#include "integrators/integrate.hpp"
#include "models/induced_w_flow.hpp"
#include "models/matrix_completion.hpp"
#include "models/matrix_sensing.hpp"
#include "models/psd_ground_truth.hpp"
#include "models/symmetric_factorisation.hpp"
#include "models/symmetric_factorisation_deep.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace gradflow;

namespace {

struct Problem {
  const char* label;
  std::shared_ptr<const MatrixLoss> loss;
};

std::vector<Problem> problems(Eigen::Index d, Eigen::Index r, std::uint64_t seed) {
  Rng rng(seed);
  const Eigen::MatrixXd truth = make_psd_ground_truth({.size = d, .rank = r}, rng);
  const Eigen::MatrixXd A = draw_symmetric_gaussian_measurements(d, 5 * d * r, rng);
  return {{"sensing", std::make_shared<MatrixSensingLoss>(A, sensing_targets(A, truth))},
          {"completion", std::make_shared<MatrixCompletionLoss>(
                             truth, sample_observed_entries(d, d * d / 2, rng))}};
}

Eigen::MatrixXd symmetric(const Eigen::MatrixXd& W) { return 0.5 * (W + W.transpose()); }

}  // namespace

TEST_CASE("the W-field is the time derivative of UUᵀ along the U-flow") {
  for (const Problem& p : problems(6, 2, 1)) {
    INFO(p.label);
    const SymmetricFactorisation u_model(p.loss);
    const InducedWFlow w_model(p.loss);
    Rng rng(2);
    const Eigen::VectorXd x0 = u_model.pack(gaussian_direction(6, 6, rng));
    // W(t) = UUᵀ at t = 0, h/2, h, 3h/2, 2h; derivative at the centre t = h.
    const double h = 1e-4;
    const std::vector<double> times{0.0, 0.5 * h, h, 1.5 * h, 2.0 * h};
    const RunResult r =
        integrate(u_model, x0, times, {.rtol = 1e-13, .atol = 1e-15}, {.t_end = 2.0 * h});
    REQUIRE(r.stats.status == RunStatus::completed);
    REQUIRE(r.trajectory.size() == 5);
    std::vector<Eigen::MatrixXd> W;
    for (const Eigen::VectorXd& x : r.trajectory.states) W.push_back(u_model.product(x));
    const Eigen::MatrixXd fd_h = (W[4] - W[0]) / (2.0 * h);
    const Eigen::MatrixXd fd_half = (W[3] - W[1]) / h;
    Eigen::VectorXd v;
    w_model.velocity(w_model.pack(symmetric(W[2])), 0.0, v);
    const Eigen::Map<const Eigen::MatrixXd> field(v.data(), 6, 6);
    const double e_h = (field - fd_h).norm(), e_half = (field - fd_half).norm();
    INFO("‖Ẇ‖ = " << field.norm() << ", central-difference errors " << e_h << " (h), " << e_half
                  << " (h/2)");
    // A central difference errs by (h²/6)·d³W/dt³ + O(h⁴): halving h must
    // quarter the error (to 10%, far above the next term's relative size)...
    CHECK(e_half / e_h == Approx(0.25).epsilon(0.1));
    // ...and Richardson's combination cancels the h² term, leaving O(h⁴ρ⁴)
    // ≈ (1e-4 · 60)⁴ ≈ 1e-9 for rates ρ ≲ 60, plus the integration error
    // 1e-13·‖W‖/h ≈ 1e-9·‖W‖; both relative to ‖Ẇ‖, inside 1e-8.
    const Eigen::MatrixXd richardson = (4.0 * fd_half - fd_h) / 3.0;
    CHECK((field - richardson).norm() <= 1e-8 * field.norm());
    // ...and is not passing by accident: the field is far from zero.
    CHECK(field.norm() > 1e-2);
  }
}

TEST_CASE("UUᵀ along the U-flow equals the W-flow to 1e-7 while the loss drops a hundredfold") {
  for (const Problem& p : problems(8, 2, 3)) {
    INFO(p.label);
    const SymmetricFactorisation u_model(p.loss);
    const InducedWFlow w_model(p.loss);
    Rng rng(4);
    const Eigen::VectorXd x0 = u_model.pack(0.3 * gaussian_direction(8, 8, rng));
    const Eigen::VectorXd w0 = w_model.pack(symmetric(u_model.product(x0)));
    // Sensing rates are O(d/r), completion's O(d/r · 1/|Ω|): the horizon is
    // set by the rate, as a number of e-folds of the loss.
    const double T = p.label == std::string("sensing") ? 1.0 : 150.0;
    const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 21}, T);
    const MethodOptions method{.rtol = 1e-12, .atol = 1e-14};
    const RunResult ru = integrate(u_model, x0, times, method, {.t_end = T});
    const RunResult rw = integrate(w_model, w0, times, method, {.t_end = T});
    REQUIRE(ru.stats.status == RunStatus::completed);
    REQUIRE(rw.stats.status == RunStatus::completed);
    REQUIRE(ru.trajectory.size() == rw.trajectory.size());
    const double loss0 = u_model.loss(x0);
    const double loss_end = u_model.loss(ru.trajectory.states.back());
    INFO("loss " << loss0 << " -> " << loss_end);
    CHECK(loss_end <= 1e-2 * loss0);
    double worst = 0.0;
    for (std::size_t k = 0; k < ru.trajectory.size(); ++k) {
      const Eigen::MatrixXd Wu = u_model.product(ru.trajectory.states[k]);
      const Eigen::MatrixXd Ww = w_model.project(rw.trajectory.states[k]);
      worst = std::max(worst, (Wu - Ww).norm() / Ww.norm());
    }
    INFO("max relative ‖UUᵀ − W‖ = " << worst);
    // Both flows at local error 1e-12 over O(10³) steps, amplified by the
    // flow's contraction-free directions at most O(10): ≈ 1e-8 worst case.
    CHECK(worst <= 1e-7);
  }
}

TEST_CASE("completion of a diagonal W* from U(0) = αI follows the logistic closed form") {
  // W* = diag(s), Ω = the whole diagonal plus off-diagonal entries (where
  // W*_ij = 0), U(0) = αI. If U is diagonal, W = diag(σ) and every observed
  // off-diagonal residual is 0, so ∇ℓ = P_Ω(W − W*)/|Ω| = diag(σ − s)/|Ω| and
  //   U̇ = −(∇ℓ + ∇ℓᵀ)U:  u̇_i = −(2/|Ω|)(σ_i − s_i) u_i,
  //   σ_i = u_i²:          σ̇_i = 2u_i u̇_i = −(4/|Ω|) σ_i (σ_i − s_i),
  // which keeps U diagonal; so c = 4/|Ω| and, with σ_i(0) = α²,
  //   σ_i(t) = s_i / (1 + (s_i/α² − 1) e^{−c s_i t}).
  const Eigen::Index d = 5;
  const Eigen::VectorXd s = (Eigen::VectorXd(d) << 2.0, 1.0, 0.5, 0.25, 0.0).finished();
  const Eigen::MatrixXd truth = s.asDiagonal();
  std::vector<MatrixEntry> omega;
  for (Eigen::Index i = 0; i < d; ++i) omega.push_back({i, i});
  for (auto [i, j] : {std::pair{0, 3}, {2, 1}, {4, 0}, {1, 4}}) omega.push_back({i, j});
  auto loss = std::make_shared<MatrixCompletionLoss>(truth, omega);
  const double c = 4.0 / static_cast<double>(omega.size());
  const double alpha = 0.3;
  const double T = 12.0 / (c * s[3]);  // the slowest nonzero mode well past its sigmoid
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 25}, T);
  auto closed_form = [&](double t) {
    Eigen::VectorXd sigma(d);
    for (Eigen::Index i = 0; i < d; ++i) {
      sigma[i] = s[i] == 0.0
                     ? alpha * alpha / (1.0 + c * alpha * alpha * t)  // σ̇ = −cσ²
                     : s[i] / (1.0 + (s[i] / (alpha * alpha) - 1.0) * std::exp(-c * s[i] * t));
    }
    return sigma;
  };
  const SymmetricFactorisation u_model(loss);
  const InducedWFlow w_model(loss);
  const Eigen::VectorXd x0 = u_model.pack(alpha * identity_direction(d, d));
  const MethodOptions method{.rtol = 1e-13, .atol = 1e-15};
  const RunResult ru = integrate(u_model, x0, times, method, {.t_end = T});
  const RunResult rw =
      integrate(w_model, w_model.pack(u_model.product(x0)), times, method, {.t_end = T});
  REQUIRE(ru.stats.status == RunStatus::completed);
  REQUIRE(rw.stats.status == RunStatus::completed);
  for (std::size_t k = 0; k < ru.trajectory.size(); ++k) {
    const double t = ru.trajectory.times[k];
    const Eigen::VectorXd expected = closed_form(t);
    const Eigen::MatrixXd Wu = u_model.product(ru.trajectory.states[k]);
    const Eigen::MatrixXd Ww = w_model.project(rw.trajectory.states[k]);
    INFO("t = " << t << ", σ = " << Wu.diagonal().transpose() << ", expected "
                << expected.transpose());
    // rtol 1e-13 per step over O(10³) steps, amplified in the sigmoid's growth
    // phase by at most s/α² ≈ 20: ≈ 1e-9, inside 1e-8.
    CHECK((Wu.diagonal() - expected).cwiseAbs().maxCoeff() <= 1e-8);
    CHECK((Ww.diagonal() - expected).cwiseAbs().maxCoeff() <= 1e-8);
    // The decoupling is exact: off-diagonal entries never leave zero.
    CHECK((Wu - Eigen::MatrixXd(Wu.diagonal().asDiagonal())).cwiseAbs().maxCoeff() == 0.0);
    CHECK((Ww - Eigen::MatrixXd(Ww.diagonal().asDiagonal())).cwiseAbs().maxCoeff() == 0.0);
  }
  // The trajectory reaches the targets, so the comparison covered the whole sigmoid.
  CHECK(std::abs(u_model.product(ru.trajectory.states.back())(3, 3) - s[3]) <= 1e-3 * s[3]);
}

TEST_CASE(
    "the W-flow keeps an exactly symmetric start exactly symmetric, under dopri5 and gradient "
    "descent") {
  const Problem p = problems(6, 2, 5)[1];  // completion: ∇ℓ itself is not symmetric
  const InducedWFlow w_model(p.loss);
  Rng rng(6);
  const Eigen::MatrixXd U = gaussian_direction(6, 6, rng);
  const Eigen::VectorXd w0 = w_model.pack(symmetric(0.5 * U * U.transpose()));
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 11}, 50.0);
  const RunResult flow =
      integrate(w_model, w0, times, {.rtol = 1e-10, .atol = 1e-12}, {.t_end = 50.0});
  const RunResult gd = gradient_descent(w_model, w0, 0.5, times, {.t_end = 50.0});
  REQUIRE(flow.stats.status == RunStatus::completed);
  REQUIRE(gd.stats.status == RunStatus::completed);
  for (const RunResult* r : {&flow, &gd}) {
    for (const Eigen::VectorXd& x : r->trajectory.states) {
      CHECK(w_model.observe(x).scalars.front().second == 0.0);
    }
  }
  CHECK(w_model.loss(flow.trajectory.states.back()) < 0.5 * w_model.loss(w0));  // it moved
}

TEST_CASE(
    "the deep depth-2 flow from a rank-one W(0) = U(0)U(0)ᵀ is the width-one U-flow at half the "
    "time") {
  // Balanced from W(0) = uuᵀ (u = U(0), 6 x 1) the depth-2 layers are W_1 = wᵀ
  // and W_2 = w padded with zeros, w = ±u. Sensing matrices are symmetric, so
  // ∇ℓ is, and Ẇ_1ᵀ = −∇ℓW_1ᵀ = Ẇ_2 keeps W_2 = W_1ᵀ: the deep flow is
  // ẇ = −∇ℓ(wwᵀ)w, the U-flow U̇ = −2∇ℓ(UUᵀ)U run at half speed. Its W stays
  // rank one and cannot fit the rank-2 W*; a start with nonzero seeds beyond
  // the rank would leave rank one and fit it.
  Rng rng(3);
  const Eigen::MatrixXd truth = make_psd_ground_truth({.size = 6, .rank = 2}, rng);
  const Eigen::MatrixXd A = draw_symmetric_gaussian_measurements(6, 40, rng);
  auto loss = std::make_shared<MatrixSensingLoss>(A, sensing_targets(A, truth));
  const SymmetricFactorisation u_model(loss, {.width = 1});
  const DeepFactorisation deep(loss, 2);
  const Eigen::VectorXd x0 = u_model.pack(0.5 * gaussian_direction(6, 1, rng));
  const Eigen::VectorXd deep0 = deep.balanced_start(symmetric(u_model.product(x0)));
  const double T = 40.0;
  const auto times = sample_times({.kind = SampleGrid::Kind::linear, .count = 21}, T);
  std::vector<double> half_times;
  for (double t : times) half_times.push_back(0.5 * t);
  const MethodOptions method{.rtol = 1e-11, .atol = 1e-14};
  const RunResult rd = integrate(deep, deep0, times, method, {.t_end = T});
  const RunResult ru = integrate(u_model, x0, half_times, method, {.t_end = 0.5 * T});
  REQUIRE(rd.stats.status == RunStatus::completed);
  REQUIRE(ru.stats.status == RunStatus::completed);
  REQUIRE(rd.trajectory.size() == ru.trajectory.size());
  double worst = 0.0;
  for (std::size_t k = 0; k < rd.trajectory.size(); ++k) {
    const Eigen::MatrixXd Wd = deep.project(rd.trajectory.states[k]);
    const Eigen::MatrixXd Wu = u_model.product(ru.trajectory.states[k]);
    worst = std::max(worst, (Wd - Wu).norm() / Wu.norm());
    const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(Wd).singularValues();
    INFO("t = " << times[k] << ", sigma_2 / sigma_1 = " << sv[1] / sv[0]);
    // Rank one: the second singular value is the round-off of forming W.
    CHECK(sv[1] <= 1e-13 * sv[0]);
  }
  INFO("max relative ‖W_deep(t) − U(t/2)U(t/2)ᵀ‖ = " << worst);
  // Two runs at rtol 1e-11 over ~10² steps of a flow that converges to a
  // rank-one critical point (nothing amplifies): 1e-8 leaves a factor ~10².
  CHECK(worst <= 1e-8);
  // The rank-one optimum is far from W*: the run did not fit it.
  const Eigen::MatrixXd W_end = deep.project(rd.trajectory.states.back());
  CHECK((W_end - truth).norm() >= 0.1 * truth.norm());
}
