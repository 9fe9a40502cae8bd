// The relu_windows run: windows until t_end, each solved by the fixed point of
// its residual path and committed (see window_integrator.hpp).

#include "integrators/relu_windows/window_integrator.hpp"

#include "integrators/stop_monitor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace gradflow {

namespace detail::relu {

WindowIntegrator::WindowIntegrator(const ShallowReluField& field, const MethodOptions& method,
                                   const StopOptions& stop)
    : field_(field),
      method_(method),
      stop_(stop),
      P_(make_problem(field)),
      pool_(P_.n),
      end_pool_(P_.n),
      runs_(P_, field.threads() > 1 && NeuronBlocks{P_.m}.count() > 1 ? field.threads() : 1),
      share_(P_),
      gram_(P_.d) {
  const Index m = P_.m, n = P_.n, d = P_.d;
  blocks_.width = m;
  if (field.threads() > 1 && blocks_.count() > 1)
    threads_ = std::make_unique<BlockPool>(field.threads());
  sliding_runs_.reserve(static_cast<std::size_t>(m) + 1);
  sliding_ok_.resize(static_cast<std::size_t>(m));
  const int lanes = threads_ ? threads_->threads() : 1;
  sliding_lanes_.reserve(static_cast<std::size_t>(lanes));
  for (int k = 0; k < lanes; ++k) sliding_lanes_.emplace_back(P_);
  SA_.resize(m, n);
  count_.resize(n, n);
  Z_.resize(m, n);
  partial_.resize(n, blocks_.count());
  Zdot_.resize(m, n);
  Wdot_.resize(m, d);
  EXt_.resize(n, d);
  u_.resize(n);
  e0_.resize(n);
  edot0_.resize(n);
  last_e_.resize(n);
  H0_.resize(n, n);
  H_.resize(n, n);
  horizon_.resize(m);
  column_.resize(m);
  sorted_.resize(static_cast<std::size_t>(m));
  is_active_.assign(static_cast<std::size_t>(m), 0);
  s_tmp_.resize(static_cast<std::size_t>(n));
  c_tmp_.reserve(static_cast<std::size_t>(d));
  wrow_.resize(d);
  vc_.resize(static_cast<std::size_t>(d));
  recent_.assign(static_cast<std::size_t>(kReluStallEvents), -kInf);
  ea_.resize(n);
  eb_.resize(n);
  ra_.resize(n);
  paths_[0] = ResidualPath(n);
  paths_[1] = ResidualPath(n);
  // Cost model for the window length, in flops at GEMM speed: the bulk
  // (four m×n×d products, the screen) against one active neuron (a few
  // sweeps of ~10 evaluations of 4nd flops at small-vector speed, ~5× slower).
  const auto md = static_cast<double>(m), nd = static_cast<double>(n), dd = static_cast<double>(d);
  bulk_cost_ = 8.0 * md * nd * dd + 40.0 * md * nd;
  neuron_cost_ = 500.0 * nd * dd;
  active_target_ = std::max<Index>(16, static_cast<Index>(bulk_cost_ / neuron_cost_));
}

void WindowIntegrator::predict() {
  const auto Wm = W();
  for_neuron_blocks([&](Index b, Index first, Index count) {
    Z_.middleRows(first, count).noalias() = Wm.middleRows(first, count) * P_.X;
    for (Index i = 0; i < P_.n; ++i) {
      partial_(i, b) = SA_.col(i).segment(first, count).dot(Z_.col(i).segment(first, count));
    }
  });
  sum_in_block_order(partial_, u_);
}

void WindowIntegrator::initialise(const VectorXd& x0) {
  x_ = x0;
  const auto W0 = W();
  // The mode at the start: the positive side z > 0. Pairs exactly at zero are
  // decided as gradient descent leaves them (core/relu_filippov_rule.hpp, as
  // TwoLayerRelu::make_mode) and counted against GD's convention that z = 0 is
  // active: a pair that slides or leaves to the negative side switches at t = 0.
  for_neuron_blocks([&](Index /*block*/, Index first, Index count) {
    Z_.middleRows(first, count).noalias() = W0.middleRows(first, count) * P_.X;
    for (Index i = 0; i < P_.n; ++i) {
      for (Index r = first; r < first + count; ++r) SA_(r, i) = Z_(r, i) > 0.0 ? P_.c[r] : 0.0;
    }
  });
  sliding_.clear();
  sliding_.reserve(static_cast<std::size_t>(P_.m));
  sliding_next_.reserve(static_cast<std::size_t>(P_.m));
  if ((Z_.array() == 0.0).any()) {
    predict();
    e0_ = u_ - P_.y;
    ReluFilippovRule rule(P_.X);
    std::vector<SurfacePair> pairs;
    VectorXd rest(P_.d);
    for (Index r = 0; r < P_.m; ++r) {
      pairs.clear();
      rest.setZero();
      for (Index i = 0; i < P_.n; ++i) {
        if (Z_(r, i) == 0.0) pairs.push_back({.sample = i});
        if (SA_(r, i) != 0.0) rest += e0_[i] * P_.X.col(i);
      }
      if (pairs.empty()) continue;
      rule.decide_at_gd_start(pairs, rest.data(), e0_.data(), P_.c[r] > 0.0 ? 1.0 : -1.0);
      bool switched = false;
      for (const SurfacePair& p : pairs) {
        if (p.side == PairSide::active) {
          SA_(r, p.sample) = P_.c[r];
          continue;
        }
        switched = true;
        if (p.side == PairSide::sliding) {
          sliding_.emplace_back(r, p.sample);
          ++counts_.slides_started;
        } else {
          ++counts_.crossings;
        }
        if (!method_.record_switches) continue;
        log_.push_back({0.0, r, p.sample,
                        p.side == PairSide::sliding ? SwitchedField::SwitchKind::slide_start
                                                    : SwitchedField::SwitchKind::crossing_out,
                        p.alpha});
      }
      if (switched) {
        recent_[static_cast<std::size_t>(counts_.events % kReluStallEvents)] = 0.0;
        ++counts_.events;
      }
    }
    std::sort(sliding_.begin(), sliding_.end());
  }
  // count = Σ_r s_r s_rᵀ = SᵀS, block by block: its entries are integers
  // below 2⁵³, so the blocks' shares add up exactly, in any order.
  std::vector<MatrixXd> shares(static_cast<std::size_t>(blocks_.count()));
  for_neuron_blocks([&](Index block, Index first, Index count) {
    const MatrixXd S = (SA_.middleRows(first, count).array() != 0.0).cast<double>();
    shares[static_cast<std::size_t>(block)].noalias() = S.transpose() * S;
  });
  count_.setZero();
  for (const MatrixXd& share : shares) count_ += share;
}

bool WindowIntegrator::solve_window(double h, double t) {
  bounds_.time_tol = 8.0 * kEps * std::max(1.0, t + h);
  const double max_length = 0.5 / std::max(bounds_.lambda, 1e-300);
  const double tol = method_.atol + method_.rtol * e0_.cwiseAbs().maxCoeff();
  const Index d = P_.d;
  if (end_w_.cols() < static_cast<Index>(active_.size()))
    end_w_.resize(d, static_cast<Index>(active_.size()));
  int cur = 0;
  paths_[0].start(e0_);
  paths_[0].extend(H0_, h, max_length);
  variation_[0] = 0.0;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    ++counts_.sweeps;
    events_.clear();
    sweep_log_.clear();
    pool_.clear();
    end_pool_.clear();
    // The active neurons on the field's threads, their switches merged in the
    // order of active_ (integrators/relu_windows/active_runs.hpp).
    const ActiveRuns::Sweep inputs{.W = x_.data(),
                                   .SA = &SA_,
                                   .sliding = &sliding_,
                                   .path = &paths_[cur],
                                   .path_variation = variation_[cur],
                                   .bounds = &bounds_,
                                   .h = h,
                                   .end_w = &end_w_};
    runs_.start(active_.size());
    auto run_neuron = [&](std::size_t a, int lane) { runs_.run_one(inputs, a, active_[a], lane); };
    if (threads_) {
      threads_->run(active_.size(), run_neuron);
    } else {
      for (std::size_t a = 0; a < active_.size(); ++a) run_neuron(a, 0);
    }
    const std::size_t failed = runs_.first_failure(active_.size());
    counts_.neuron_runs += static_cast<long>(std::min(failed + 1, active_.size()));
    if (failed < active_.size()) return false;
    window_spurious_ =
        runs_.merge(active_.size(), events_, pool_, sweep_log_, end_pool_, end_mode_);
    // The switches in time order give H(τ), hence the next path.
    order_.resize(events_.size());
    for (std::size_t k = 0; k < order_.size(); ++k) order_[k] = k;
    std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      const Event& x = events_[a];
      const Event& y = events_[b];
      return x.tau != y.tau ? x.tau < y.tau : (x.neuron != y.neuron ? x.neuron < y.neuron : a < b);
    });
    const int next = 1 - cur;
    ResidualPath& path = paths_[next];
    path.start(e0_);
    H_ = H0_;
    variation_[next] = 0.0;
    for (std::size_t k : order_) {
      const Event& ev = events_[k];
      path.extend(H_, ev.tau, max_length);
      variation_[next] +=
          share_.apply_change(H_, pool_.s(ev.before), pool_.C(ev.before), pool_.C_size(ev.before),
                              pool_.s(ev.after), pool_.C(ev.after), pool_.C_size(ev.after));
    }
    path.extend(H_, h, max_length);
    // The defect: the largest change of e between the two paths, at the
    // pieces' starts of both (between them both are smooth) and at the end.
    double defect = 0.0;
    for (int which = 0; which < 2; ++which) {
      const ResidualPath& p = paths_[which == 0 ? cur : next];
      for (std::size_t s = 0; s <= p.pieces(); ++s) {
        const double tau = s < p.pieces() ? p.piece_start(s) : h;
        paths_[cur].evaluate(tau, ea_.data(), ra_.data());
        paths_[next].evaluate(tau, eb_.data(), ra_.data());
        defect = std::max(defect, (ea_ - eb_).cwiseAbs().maxCoeff());
      }
    }
    if (defect <= tol) {
      accepted_ = cur;
      last_defect_ = defect;
      return true;
    }
    cur = next;
  }
  return false;
}

void WindowIntegrator::commit(double t) {
  const Index n = P_.n;
  auto Wm = W();
  const ResidualPath& path = paths_[accepted_];
  // Every neuron as if its pattern were frozen: W ← W − SA diag(R(h)) Xᵀ.
  const VectorXd& R = path.end_integral();
  for (Index i = 0; i < n; ++i) EXt_.row(i) = R[i] * P_.X.col(i).transpose();
  for_neuron_blocks([&](Index /*block*/, Index first, Index count) {
    Wm.middleRows(first, count).noalias() -= SA_.middleRows(first, count) * EXt_;
  });
  // Inactive sliding neurons move with Π_C of that (which also removes the
  // round-off in w_rᵀx_i, i ∈ C).
  for (std::size_t b = 0; b < sliding_.size();) {
    const Index r = sliding_[b].first;
    c_tmp_.clear();
    while (b < sliding_.size() && sliding_[b].first == r) c_tmp_.push_back(sliding_[b++].second);
    if (is_active_[static_cast<std::size_t>(r)] ||
        !gram_.factor(P_.G, c_tmp_.data(), c_tmp_.size()))
      continue;
    double* v = vc_.data();
    wrow_ = Wm.row(r).transpose();
    for (std::size_t q = 0; q < c_tmp_.size(); ++q) v[q] = P_.X.col(c_tmp_[q]).dot(wrow_);
    gram_.solve(v);
    for (std::size_t q = 0; q < c_tmp_.size(); ++q) wrow_ -= v[q] * P_.X.col(c_tmp_[q]);
    Wm.row(r) = wrow_.transpose();
  }
  // Active neurons: their own end states, patterns and sliding sets.
  sliding_next_.clear();
  for (const auto& pair : sliding_) {
    if (!is_active_[static_cast<std::size_t>(pair.first)]) sliding_next_.push_back(pair);
  }
  for (std::size_t a = 0; a < active_.size(); ++a) {
    const Index r = active_[a];
    Wm.row(r) = end_w_.col(static_cast<Index>(a)).transpose();
    const std::uint8_t* s1 = end_pool_.s(end_mode_[a]);
    // count += s₁s₁ᵀ − s₀s₀ᵀ over the changed samples (exact integers).
    pattern_of(r, s_tmp_);
    for (Index j = 0; j < n; ++j) {
      const auto uj = static_cast<std::size_t>(j);
      if (s_tmp_[uj] == s1[j]) continue;
      for (Index i = 0; i < n; ++i) {
        const auto ui = static_cast<std::size_t>(i);
        const double delta = s1[j] * s1[i] - s_tmp_[uj] * s_tmp_[ui];
        count_(j, i) += delta;
        if (s_tmp_[ui] == s1[i]) count_(i, j) += delta;
      }
    }
    for (Index i = 0; i < n; ++i) SA_(r, i) = s1[i] ? P_.c[r] : 0.0;
    const Index* C1 = end_pool_.C(end_mode_[a]);
    for (std::size_t q = 0; q < end_pool_.C_size(end_mode_[a]); ++q)
      sliding_next_.emplace_back(r, C1[q]);
  }
  std::sort(sliding_next_.begin(), sliding_next_.end());
  sliding_.swap(sliding_next_);
  // Counters and the switch times for the stall rule.
  for (std::size_t k : order_) {
    const Event& ev = events_[k];
    counts_.crossings += ev.change.crossings;
    counts_.slides_started += ev.change.slides_started;
    counts_.slides_ended += ev.change.slides_ended;
    recent_[static_cast<std::size_t>(counts_.events % kReluStallEvents)] = t + ev.tau;
    ++counts_.events;
  }
  if (method_.record_switches) {
    std::sort(
        sweep_log_.begin(), sweep_log_.end(), [](const SwitchRecord& a, const SwitchRecord& b) {
          return a.t != b.t ? a.t < b.t
                            : (a.neuron != b.neuron ? a.neuron < b.neuron : a.sample < b.sample);
        });
    for (SwitchRecord s : sweep_log_) {
      s.t += t;
      log_.push_back(s);
    }
  }
  counts_.spurious += window_spurious_;
  counts_.max_defect = std::max(counts_.max_defect, last_defect_);
  counts_.max_active = std::max(counts_.max_active, static_cast<long>(active_.size()));
  last_e_ = path.end_residual();
}

ReluWindowsResult WindowIntegrator::run(const VectorXd& x0, const std::vector<double>& times) {
  const auto clock_start = std::chrono::steady_clock::now();
  ReluWindowsResult out;
  RunResult& result = out.run;
  RunStats& stats = result.stats;
  const detail::StopMonitor monitor(field_, stop_);
  initialise(x0);
  result.trajectory.record(0.0, 0, x_);
  std::size_t next = times.front() == 0.0 ? 1 : 0;
  double t = 0.0;
  bool stopped = false;
  while (next < times.size() && !stopped) {
    if (monitor.out_of_budget(counts_.windows + counts_.events, t, stats)) break;
    const double target = times[next];
    begin_window();
    if (counts_.windows > 0) {
      counts_.max_consistency =
          std::max(counts_.max_consistency, (e0_ - last_e_).cwiseAbs().maxCoeff());
    }
    double h = 0.0;
    for (;;) {
      double limit = std::min(target - t, h_cap_);
      if (method_.max_dt > 0.0) limit = std::min(limit, method_.max_dt);
      h = choose_length(limit);
      const double floor = 1e-12 * std::max(1.0, t);
      if (!(h >= floor) && h < target - t) {
        stats.status = RunStatus::step_size_underflow;
        stats.message = fmt::format(
            "stalled at t = {:.9g}: windows shrank below {:.3g} (the fixed point of the residual "
            "does "
            "not settle, or a neuron's switches accumulate here)",
            t, floor);
        stopped = true;
        break;
      }
      if (solve_window(h, t)) break;
      ++counts_.window_retries;
      h_cap_ = 0.25 * h;
    }
    if (stopped) break;
    commit(t);
    ++counts_.windows;
    t = h == target - t ? target : t + h;
    h_cap_ = std::min(kInf, 2.0 * h_cap_);
    if (t >= target) {
      t = target;
      result.trajectory.record(t, counts_.windows, x_);
      ++next;
    }
    if (monitor.should_stop(x_, t, counts_.windows, stats)) {
      if (result.trajectory.times.back() != t) result.trajectory.record(t, counts_.windows, x_);
      break;
    }
    // At the rate of the last kReluStallEvents switches, t_end would take more
    // than the budget has left (or they share one instant): a stall.
    const double oldest = recent_[static_cast<std::size_t>(counts_.events % kReluStallEvents)];
    if (counts_.events >= kReluStallEvents && std::isfinite(oldest) && next < times.size()) {
      const double span = t - oldest;
      const double left = static_cast<double>(stop_.max_steps - counts_.windows - counts_.events);
      const double needed = span > 0.0 ? (stop_.t_end - t) / span * kReluStallEvents : kInf;
      if (span <= 1e-9 * std::max(1.0, t) || needed > left) {
        stats.status = RunStatus::step_size_underflow;
        stats.message = fmt::format(
            "stalled at t = {:.9g}: the last {} switches fell within {:.3g} time units, so t_end = "
            "{:.6g} would take ~{:.3g} more (step budget left: {:.3g})",
            t, kReluStallEvents, span, stop_.t_end, needed, left);
        if (result.trajectory.times.back() != t) result.trajectory.record(t, counts_.windows, x_);
        break;
      }
    }
  }
  counts_.sliding_at_end = static_cast<long>(sliding_.size());
  stats.steps = counts_.windows;
  stats.rejected_steps = counts_.window_retries;
  stats.field_evaluations = counts_.sweeps;
  stats.stop_time = result.trajectory.times.back();
  const std::string summary = fmt::format(
      "{} windows ({} redone shorter, {} sweeps, at most {} active neurons), {} switching events: "
      "{} crossings, {} slides started, {} ended, {} surfaces sliding at the end, {} round-off "
      "zeros "
      "muted; fixed-point defect <= {:.3g}, |e_path - (u(W) - y)| <= {:.3g}",
      counts_.windows, counts_.window_retries, counts_.sweeps, counts_.max_active, counts_.events,
      counts_.crossings, counts_.slides_started, counts_.slides_ended, counts_.sliding_at_end,
      counts_.spurious, counts_.max_defect, counts_.max_consistency);
  stats.message = stats.message.empty() ? summary : stats.message + "; " + summary;
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  out.counts = counts_;
  result.switches = std::move(log_);
  return out;
}

}  // namespace detail::relu

ReluWindowsResult integrate_relu_windows(const ShallowReluField& field, const Eigen::VectorXd& x0,
                                         const std::vector<double>& times,
                                         const MethodOptions& method, const StopOptions& stop) {
  detail::relu::WindowIntegrator integrator(field, method, stop);
  return integrator.run(x0, times);
}

bool is_shallow_relu_field(const Field& field) {
  return dynamic_cast<const ShallowReluField*>(&field) != nullptr;
}

RunResult run_relu_windows(const Field& field, const Eigen::VectorXd& x0,
                           const std::vector<double>& times, const MethodOptions& method,
                           const StopOptions& stop) {
  ReluWindowsResult r =
      integrate_relu_windows(dynamic_cast<const ShallowReluField&>(field), x0, times, method, stop);
  const ReluWindowCounts& c = r.counts;
  r.run.stats.counters = {{"windows", c.windows},
                          {"windows_redone", c.window_retries},
                          {"sweeps", c.sweeps},
                          {"neuron_runs", c.neuron_runs},
                          {"max_active_neurons", c.max_active},
                          {"events", c.events},
                          {"crossings", c.crossings},
                          {"slides_started", c.slides_started},
                          {"slides_ended", c.slides_ended},
                          {"spurious_zeros_muted", c.spurious},
                          {"sliding_at_end", c.sliding_at_end}};
  return r.run;
}

}  // namespace gradflow
