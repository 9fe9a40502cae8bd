#pragma once
// The central flow of gradient descent with step η (Cohen, Damian, Talwalkar,
// Kolter & Lee, "Understanding Optimization in Deep Learning with Central
// Flows", ICLR 2025): an ODE for GD's time-averaged trajectory, also past the
// edge of stability, where GD oscillates along the top Hessian eigenvectors.
// Time is t = kη, as for every run.
//
// With S(x) = λ_max(∇²L(x)), unit eigenvector u:
//   below the edge (S < 2/η):  ẋ = −∇L                (gradient flow)
//   on the edge (S = 2/η):     ẋ = −∇L − ½σ²∇S,   ∇S = ∇³L[u, u],
//                              σ² = −2⟨∇S, ∇L⟩/‖∇S‖²  (keeps dS/dt = 0),
// i.e. gradient flow projected onto the tangent space of {S = 2/η}: the
// sliding motion of gradient flow held at the boundary of {S ≤ 2/η}. The flow
// enters the edge when S reaches 2/η while gradient flow pushes S up, and
// leaves it when σ² reaches 0. σ² is the predicted variance of GD's
// oscillation along u, and L + σ²/η its predicted time-averaged loss
// (E[L(x + δ)] ≈ L + ½⟨∇²L, E δδᵀ⟩ with ∇²L u = (2/η) u).
//
// With k ≥ 2 eigenvalues at the edge (paper §3.2, "multiple eigenvalues"), the
// correction is −½∇⟨Σ, ∇²L⟩ = −½ Σ_ij C_ij ∇³L[u_i, u_j] with Σ = U C Uᵀ, and C
// (k × k) solves the semidefinite complementarity problem
//   C ⪰ 0,  −Ṁ(C) ⪰ 0,  ⟨C, Ṁ(C)⟩ = 0,   Ṁ(C) = Uᵀ(d∇²L/dt)U
// (the cluster's eigenvalues do not rise, and only directions that would rise
// are pushed back), solved as the convex program min_{C⪰0} ¼‖v(C)‖² − ⟨A, C⟩
// with v(C) = Σ_ij C_ij ∇³L[u_i, u_j] and A_ij = −⟨∇³L[u_i, u_j], ∇L⟩ (paper
// eq. 12). The k = 1 mode is the closed form above.
//
// A SwitchedField (core/switched_field.hpp): the mode is the number k of
// eigenvalues at the edge, integrated by `event_driven`, which locates every
// change on dopri5's dense output. Margins: below the edge 1 − ηλ₁/2 (entry);
// with k = 1, σ² (exit) and 1 − kArrivalBand − ηλ₂/2 (a second eigenvalue
// arrives); with k ≥ 2, ηλ_k/2 − (1 − kReleaseBand) (the lowest of the
// cluster has left) and 1 − kArrivalBand − ηλ_{k+1}/2 (see the bands below).
// Below the edge the velocity is the base field's own: gradient flow bit for bit.
//
// Per evaluation on the edge: one gradient, the top k + 1 eigenpairs by block
// Lanczos warm-started from the previous ones (core/top_eigenpairs.hpp), and
// ∇³L[u_i, u_j] by a central difference of the analytic Hessian-vector product
// along u_i (2 products per pair), or, without analytic products, a second
// central difference of the gradient (grad_s_method() says which).
//
// Needs a gradient flow (velocity −∇L) with a twice differentiable Hessian:
// refused for switched fields (the ReLU network's Hessian jumps).

#include "core/field_over.hpp"
#include "core/switched_field.hpp"
#include "core/top_eigenpairs.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace gradflow {

// The most eigenvalues held at the edge at once; a further arrival is logged
// and not held (the run's note says so).
inline constexpr int kMaxEdgeCluster = 3;
// Bands, relative to 2/η. A further eigenvalue arrives when it reaches
// (1 − kArrivalBand)·2/η: by the ordering of eigenvalues λ_{k+1} ≤ λ_k, and the
// held ones sit at 2/η only to the solver's tolerance, so an arriving
// eigenvalue can never be seen to cross 2/η itself; from then on it is held
// where it arrived. A cluster of k ≥ 2 releases its lowest eigenvalue once it
// has fallen to (1 − kReleaseBand)·2/η. A recorded state counts as on the edge
// when S ≥ (1 − kEdgeBand)·2/η and gradient flow would push S up (observations;
// the integrator follows its mode).
inline constexpr double kArrivalBand = 1e-7;
inline constexpr double kEdgeBand = 1e-6;
inline constexpr double kReleaseBand = 1e-5;

// The edge quantities of one state, for recorded states and comparisons.
struct EdgeState {
  double sharpness = 0.0;            // S = λ₁
  double second = 0.0;               // λ₂ (−inf for a one-dimensional state)
  int count = 0;                     // eigenvalues at the edge (0: below it, or leaving)
  double sigma2 = 0.0;               // predicted oscillation variance, tr C (0 below the edge)
  double predicted_mean_loss = 0.0;  // L + σ²/η
  Eigen::VectorXd direction;         // u, the top unit eigenvector
  Eigen::MatrixXd edge_basis;        // the count eigenvectors at the edge (u alone below it)
};

// A change of mode located by the integrator.
struct EdgeEvent {
  double t = 0.0;
  int from = 0, to = 0;  // eigenvalues at the edge before and after
};

struct CentralFlowCounts {
  long stable_evaluations = 0;  // velocity below the edge
  long edge_evaluations = 0;    // velocity on the edge
  long margin_evaluations = 0;  // margin checks (each step end, event location)
  long eigensolves = 0;
  long eigensolve_cycles = 0;
  long unconverged_eigensolves = 0;
  long hessian_vector_products = 0;  // eigensolves and ∇³L together
  long gradients = 0;
  long sdcp_solves = 0;       // k ≥ 2
  long cluster_cap_hits = 0;  // arrivals beyond kMaxEdgeCluster, not held
};

class CentralFlow final : public FieldOver<SwitchedField> {
 public:
  // `base` must outlive the wrapper. Throws std::invalid_argument unless
  // eta > 0 and `base` is a smooth gradient flow (velocity −∇L, not switched).
  CentralFlow(const Field& base, double eta);

  // With the mode read off the state (S within kEdgeBand of 2/η and σ² > 0):
  // for one-off evaluations; integrate with event_driven.
  void velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const override;
  std::string describe() const override;

  // S, two_over_eta, sigma2, edge_count, predicted_mean_loss, then the base's.
  Observation observe(const Eigen::VectorXd& x) const override;
  Observation observe_at(const Eigen::VectorXd& x, double t) const override;

  // SwitchedField: surface 0 enters or leaves the edge, surface 1 is the next
  // eigenvalue arriving at it.
  Eigen::Index switch_count() const override { return 2; }
  // A start on the edge is the edge mode; no surface is decided against convention.
  std::unique_ptr<Mode> make_mode(const Eigen::VectorXd& x, Transition& start) const override;
  // The mode with k eigenvalues held at the edge, whatever the state (tests,
  // one-off evaluations). Throws std::invalid_argument outside [0, kMaxEdgeCluster].
  std::unique_ptr<Mode> mode_with(int k) const;
  void velocity_in_mode(const Eigen::VectorXd& x, const Mode& mode,
                        Eigen::VectorXd& dxdt) const override;
  void margins(const Eigen::VectorXd& x, const Mode& mode, Eigen::VectorXd& h) const override;
  void margins_of(const Eigen::VectorXd& x, const Mode& mode, std::span<const Eigen::Index> ks,
                  std::span<double> h) const override;
  Transition enter(Eigen::VectorXd& x, Mode& mode, std::span<const Eigen::Index> ks) const override;
  long sliding_count(const Mode& mode) const override;
  void note_event(double t, const Mode& mode) const override;

  double eta() const { return eta_; }
  double threshold() const { return threshold_; }  // 2/η
  const Field& base() const { return base_; }
  std::string grad_s_method() const;
  EdgeState edge_state(const Eigen::VectorXd& x) const;

  // Of the last integration (reset by make_mode).
  const std::vector<EdgeEvent>& events() const { return events_; }
  int start_count() const { return start_count_; }
  CentralFlowCounts counts() const;

  // ∇S = ∇³L[u, u] at x along the unit vector u, the way the flow computes it.
  void sharpness_gradient(const Eigen::VectorXd& x, const Eigen::VectorXd& u,
                          Eigen::VectorXd& out) const;

 private:
  // What one evaluation at x in a mode with k eigenvalues at the edge needs:
  // eigenpairs, and for k ≥ 1 the gradient, ∇³L[u_i, u_j] and C. Cached for
  // the last (x, k): dopri5 evaluates the field at a step's end, where the
  // margins are read next.
  void evaluate(const Eigen::VectorXd& x, int k) const;
  void third_derivatives(const Eigen::VectorXd& x, int k) const;
  void solve_cluster(int k) const;
  double margin(int k, Eigen::Index surface) const;
  int label(const Eigen::VectorXd& x) const;  // the mode read off the state

  double eta_;
  double threshold_;

  // Scratch and cache (the hot path allocates nothing once warmed up).
  mutable TopEigenpairs eigen_;
  mutable Eigen::VectorXd cached_x_;
  mutable int cached_k_ = -1;
  mutable Eigen::VectorXd grad_, point_, plus_, minus_, centre_, uj_, ui_;
  mutable Eigen::MatrixXd third_;       // ∇³L[u_i, u_j], i ≤ j, column by pair
  mutable Eigen::MatrixXd cluster_c_;   // C, k × k
  mutable double sigma2_raw_ = 0.0;     // k = 1: −2⟨∇S, ∇L⟩/‖∇S‖², unclipped
  mutable Eigen::VectorXd correction_;  // Σ_ij C_ij ∇³L[u_i, u_j]

  mutable long stable_evaluations_ = 0, edge_evaluations_ = 0, margin_evaluations_ = 0;
  mutable long eigensolves_ = 0, third_products_ = 0, gradients_ = 0, sdcp_solves_ = 0,
               cluster_cap_hits_ = 0;
  mutable long products_at_start_ = 0, cycles_at_start_ = 0, unconverged_at_start_ = 0;
  mutable std::vector<EdgeEvent> events_;
  mutable int start_count_ = 0;
};

}  // namespace gradflow
