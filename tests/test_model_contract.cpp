// The field contract (src/core/field.hpp), checked for every model kind the
// CLI registers and every flow each kind offers, on the small instances the
// registry lists for it (model_examples). A kind added to the registry is
// checked here without a new test; a kind without examples fails.
//
// Oracles share no code with the models: central differences of the loss, of
// the gradient and of the velocity. test_model_contract_allocation.cpp checks
// that every velocity is allocation-free.

#include "model_contract_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace gradflow;
using namespace gradflow::testing;

namespace {

// Central differences of a smooth function have error h²·|f'''|/6 plus the
// round-off ε·|f|/h; h = 1e-5·scale balances them near 1e-10 relative, so
// 1e-6 relative leaves a wide margin and still catches any wrong term.
constexpr double kStep = 1e-5;
constexpr double kDifferenceTolerance = 1e-6;

double scale_of(const Eigen::VectorXd& x) { return std::max(1.0, x.lpNorm<Eigen::Infinity>()); }

}  // namespace

TEST_CASE("every registered model kind has examples reaching a flow") {
  for (const std::string& kind : model_kinds()) {
    INFO("model kind " << kind);
    CHECK(model_examples(kind).size() >= 1);
  }
  for (const Instance& inst : every_registered_instance()) {
    INFO(inst.label);
    CHECK(!inst.model.flows.empty());
  }
}

TEST_CASE("every flow's layout covers its state exactly, block after block") {
  for_each_flow([](const Field& f, const Flow& flow) {
    Eigen::Index next = 0;
    for (const Block& b : f.layout().blocks()) {
      INFO("block " << b.name);
      CHECK(b.offset == next);
      CHECK(b.rows > 0);
      CHECK(b.cols > 0);
      next = b.offset + b.size();
    }
    CHECK(next == f.dim());
    CHECK(f.layout().dim() == f.dim());
    CHECK(flow.x0.size() == f.dim());
    CHECK(flow.x0.allFinite());
  });
}

TEST_CASE("every flow's gradient equals central differences of its loss") {
  for_each_flow([](const Field& f, const Flow& flow) {
    const Eigen::VectorXd x = generic_point(flow);
    Eigen::VectorXd g(f.dim());
    f.gradient(x, g);
    const double h = kStep * scale_of(x);
    Eigen::VectorXd fd(f.dim());
    for (Eigen::Index i = 0; i < f.dim(); ++i) {
      Eigen::VectorXd xp = x, xm = x;
      xp[i] += h;
      xm[i] -= h;
      fd[i] = (f.loss(xp) - f.loss(xm)) / (2.0 * h);
    }
    INFO("gradient " << g.transpose() << "\ndifferences " << fd.transpose());
    CHECK((g - fd).norm() <= kDifferenceTolerance * std::max(1.0, fd.norm()));
  });
}

TEST_CASE("a gradient flow's velocity is minus its gradient") {
  for_each_flow([](const Field& f, const Flow& flow) {
    if (!f.is_gradient_flow()) return;
    const Eigen::VectorXd x = generic_point(flow);
    Eigen::VectorXd g(f.dim()), v(f.dim());
    f.gradient(x, g);
    f.velocity(x, 0.0, v);
    // The same arithmetic up to the order of a sum: round-off only.
    CHECK((v + g).norm() <= 1e-12 * std::max(1.0, g.norm()));
  });
}

TEST_CASE("every analytic Hessian-vector product equals central differences of the gradient") {
  int checked = 0;
  for_each_flow([&checked](const Field& f, const Flow& flow) {
    if (!f.has_analytic_hessian_vector()) return;
    ++checked;
    const Eigen::VectorXd x = generic_point(flow);
    const Eigen::VectorXd u = direction(f.dim());
    Eigen::VectorXd hv(f.dim());
    f.hessian_vector(x, u, hv);
    const double h = kStep * scale_of(x);
    Eigen::VectorXd gp(f.dim()), gm(f.dim());
    f.gradient(x + h * u, gp);
    f.gradient(x - h * u, gm);
    const Eigen::VectorXd fd = (gp - gm) / (2.0 * h);
    INFO("Hv " << hv.transpose() << "\ndifferences " << fd.transpose());
    CHECK((hv - fd).norm() <= kDifferenceTolerance * std::max(1.0, fd.norm()));
  });
  CHECK(checked > 0);
}

TEST_CASE(
    "every analytic velocity Jacobian-vector product equals central differences of the velocity") {
  int checked = 0;
  for_each_flow([&checked](const Field& f, const Flow& flow) {
    if (!f.has_analytic_velocity_jacobian()) return;
    ++checked;
    const Eigen::VectorXd x = generic_point(flow);
    const Eigen::VectorXd u = direction(f.dim());
    Eigen::VectorXd jv(f.dim());
    f.velocity_jacobian_vector(x, 0.0, u, jv);
    const double h = kStep * scale_of(x);
    Eigen::VectorXd vp(f.dim()), vm(f.dim());
    f.velocity(x + h * u, 0.0, vp);
    f.velocity(x - h * u, 0.0, vm);
    const Eigen::VectorXd fd = (vp - vm) / (2.0 * h);
    INFO("Jv " << jv.transpose() << "\ndifferences " << fd.transpose());
    CHECK((jv - fd).norm() <= kDifferenceTolerance * std::max(1.0, fd.norm()));
  });
  CHECK(checked > 0);
}

TEST_CASE("every flow's loss, projection and observations are finite at its start") {
  for_each_flow([](const Field& f, const Flow& flow) {
    CHECK(std::isfinite(f.loss(flow.x0)));
    if (!f.projection_name().empty()) CHECK(f.project(flow.x0).allFinite());
    for (const auto& [name, value] : f.observe_at(flow.x0, 0.0).scalars) {
      INFO("observation " << name);
      CHECK(std::isfinite(value));
    }
    for (const auto& [name, matrix] : f.observe_at(flow.x0, 0.0).matrices) {
      INFO("observed matrix " << name);
      CHECK(matrix.allFinite());
    }
  });
}
