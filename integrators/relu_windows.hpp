#pragma once
// Gradient flow of a one-hidden-layer ReLU network (core/shallow_relu_field.hpp),
// exact in the Filippov sense up to a controlled defect, at widths where the
// event-driven integrator (integrators/event_driven.hpp) restarts dopri5 too
// often: thousands of activation switches per unit time.
//
// The idea: neurons interact only through the n residuals e = u − y. Time is
// cut into windows [t₀, t₀ + h]. Over a window
//
//  1. Screening. With the pattern frozen, a margin z_ri = w_rᵀx_i obeys
//     |z̈_ri| ≤ |c_r| γ_i D (γ_i = ‖x_iᵀX‖₂; D ≥ ‖ė(t)‖₂ = ‖H(t)e(t)‖₂ over the
//     window: ‖He‖ does not grow while H is constant (H ⪰ 0) and a switch adds
//     at most ‖ΔH‖‖e‖, so D = ‖H(t₀)e(t₀)‖ + (switching neurons)·κ²λ_max(G)‖e(t₀)‖),
//     hence z_ri keeps its sign on [0, h] if σ(z + hż) > |c_r| γ_i D h²/2.
//     (Λ̄ ≥ λ_max(H(t)), for the sliding weights' margins and the Taylor
//     pieces, comes from λ_max(G ∘ B) ≤ λ_max(G) max_i B_ii.) A neuron all of whose margins pass
//     keeps its pattern over the window whatever the others do, so it moves
//     exactly by w_r(t₀ + h) = w_r(t₀) − c_r Π_C X_S (R(h))_S, one GEMM for all
//     such neurons. Only the others ("active" neurons, a few hundred at width
//     10 000) are integrated one by one. h is chosen from these certified
//     horizons to balance that GEMM against the active neurons' cost.
//  2. Fixed point (waveform relaxation). Given a residual path e(τ) (ė = −H e
//     with H piecewise constant: integrators/relu_windows/residual_path.hpp), each active
//     neuron is integrated exactly on its own: its margins are affine in R(τ)
//     (sliding weights linear in e(τ)); the first zero of each is found by
//     steps that never pass a root (the lower parabola of the margin's
//     Taylor bound), then Newton in a bracket where the margin is certified
//     monotone; the Filippov rule (cross, start or end sliding) decides the next
//     mode, as TwoLayerRelu::enter does for the whole network. The neurons'
//     switches give a new H(τ) (each a rank-2 update, or rank |C| for sliding),
//     hence a new path; repeat until two successive paths differ by at most
//     atol + rtol‖e(t₀)‖∞. The fixed point is the Filippov solution; each sweep
//     shrinks the defect by roughly (switches in the window) × ‖ΔH‖ × h (~1e-4
//     at width 10 000), so two or three sweeps suffice.
//
// The error: the accepted defect per window (reported as max_defect), and the
// consistency check e_path(t₀ + h) against u(W(t₀ + h)) − y recomputed from the
// weights (max_consistency), both in the run's message. Event times are found
// to 8ε·max(1, t). A touch whose depth is below round-off is taken as a zero:
// the Filippov rule then leaves the mode unchanged and the margin is muted
// until it is clearly negative (as in event_driven).
//
// A stall is detected, never spun on: a window whose fixed point does not
// settle, or in which one neuron switches more than 4n + 16 times, is retried
// at a quarter of its length; below 1e-12·max(1, t) the run stops with status
// step_size_underflow, as it does when, at the rate of the last 200 switches,
// reaching t_end would take more than the step budget (windows + switches).
//
// Requires |c_r| equal for all r (a_r/√m): the kernel's activation counts are
// then kept as exact integers.
//
// The parts, in integrators/relu_windows/: window_integrator (the loop, the
// fixed point and the commit), window_screening (bounds, horizons, window
// length), neuron_runner / neuron_roots / neuron_filippov (one active neuron
// along a path: its affine law, root finding, the Filippov rule),
// kernel_share (a neuron's share of H), residual_path (e and ∫e for a
// piecewise-constant H), problem, small_gram and mode_pool (shared data).

#include "core/shallow_relu_field.hpp"
#include "integrators/integrate.hpp"

namespace gradflow {

struct ReluWindowCounts {
  long windows = 0;         // accepted windows
  long window_retries = 0;  // windows redone shorter (fixed point unsettled, switches piling up)
  long sweeps = 0;          // fixed-point iterations, over all windows
  long neuron_runs = 0;     // one active neuron integrated along one path
  long events = 0;          // switches that changed a neuron's mode
  long crossings = 0;
  long slides_started = 0;
  long slides_ended = 0;
  long spurious = 0;  // round-off zeros muted
  long sliding_at_end = 0;
  long max_active = 0;           // most active neurons in one window
  double max_defect = 0.0;       // largest accepted ‖e_k+1 − e_k‖∞ of the fixed point
  double max_consistency = 0.0;  // largest ‖e_path(t₁) − (u(W(t₁)) − y)‖∞
};

struct ReluWindowsResult {
  RunResult run;
  ReluWindowCounts counts;
};

inline constexpr long kReluStallEvents = 200;

// rtol and atol bound the fixed-point defect of each window; max_dt (if > 0)
// caps the window length. Throws std::invalid_argument if the output weights
// differ in magnitude.
ReluWindowsResult integrate_relu_windows(const ShallowReluField& field, const Eigen::VectorXd& x0,
                                         const std::vector<double>& times,
                                         const MethodOptions& method, const StopOptions& stop);

// The integrator table's entry: fits one-hidden-layer ReLU networks only; the
// window counts become the run's counters.
bool is_shallow_relu_field(const Field& field);
RunResult run_relu_windows(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop);

}  // namespace gradflow
