"""Runs the Python peers on bench_linear's problem and prints the comparison.

Usage: /usr/bin/python3 bench/peers_linear.py DIR
DIR is what bench_linear wrote: the problem (X.npy, Y.npy, x0.npy, v0.npy),
gradflow's final states and gradflow.json with its medians. Every peer starts
from the same x0 on the same data; ratios are peer median / gradflow median,
both measured in this run. See bench/README.md for how to read the table.
"""

import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linear_model as lm  # noqa: E402

# Each measurement gets about this much wall time, within [MIN, MAX] repeats:
# enough repeats for a stable median, and the whole bench under ~3 minutes.
BUDGET_SECONDS = 3.0
MIN_REPEATS, MAX_REPEATS = 5, 21

# Speed targets: gradflow must be at least this many times faster.
FIELD_TARGET_SECONDS = 0.5e-6
FLOW_TARGET_RATIO = 20.0     # vs scipy DOP853 and RK45
GD_NUMPY_TARGET_RATIO = 30.0
GD_TORCH_TARGET_RATIO = 60.0  # vs torch autograd (what users run)


def median_time(work, budget=BUDGET_SECONDS):
    """Median wall time of `work()` (after one untimed warm-up) and its result.
    The number of repeats follows from the warm-up's time and the budget."""
    start = time.perf_counter()
    result = work()
    first = time.perf_counter() - start
    repeats = int(min(MAX_REPEATS, max(MIN_REPEATS, budget / max(first, 1e-9))))
    repeats += 1 - repeats % 2  # odd: the median is one measurement
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), repeats, result


def fmt_time(s):
    if s < 1e-3:
        return f"{s * 1e6:8.3f} us"
    if s < 1.0:
        return f"{s * 1e3:8.2f} ms"
    return f"{s:8.3f} s "


def verdict(ok):
    return "met" if ok else "MISSED"


def load(d):
    arrays = {name: np.load(os.path.join(d, name + ".npy"))
              for name in ["X", "Y", "x0", "v0", "x_flow", "x_reference",
                           "x_reference_check", "x_gd"]}
    with open(os.path.join(d, "gradflow.json")) as f:
        return arrays, json.load(f)


def relative_field_gap(a, velocity):
    v0 = a["v0"]
    return np.linalg.norm(velocity(0.0, a["x0"]) - v0) / np.linalg.norm(v0)


def field_section(a, gf, velocity):
    calls = 2000
    x0 = a["x0"]

    def batch():
        for _ in range(calls):
            velocity(0.0, x0)

    t_np, reps, _ = median_time(batch, budget=1.0)
    f = gf["field"]
    t_gf = f["seconds_per_call"]
    field_gap = relative_field_gap(a, velocity)
    print("1. One field evaluation v(x0) (dim 210)")
    print(f"   {'implementation':<44}{'time/call':>12}{'vs gradflow':>13}")
    print(f"   {'gradflow (C++, Eigen, through Field&)':<44}{fmt_time(t_gf):>12}{'1.0x':>13}")
    print(f"   {'numpy (same formula, second moments)':<44}{fmt_time(t_np / calls):>12}"
          f"{t_np / calls / t_gf:>12.1f}x")
    print(f"   gradflow heap allocations (malloc/calloc/realloc) in "
          f"{f['allocation_check_calls']} calls after warm-up: {f['heap_allocations']}")
    print(f"   numpy field vs gradflow field at x0: relative difference {field_gap:.1e}")
    print(f"   target <= {FIELD_TARGET_SECONDS * 1e6:.1f} us/call: {verdict(t_gf <= FIELD_TARGET_SECONDS)}"
          f" ({t_gf * 1e6:.3f} us, {gf['field']['repeats']} batches of "
          f"{gf['field']['calls_per_batch']}; numpy {reps} batches of {calls})")
    print()


def flow_section(a, gf, velocity):
    fl, ref = gf["flow"], gf["reference"]
    t_end, tol = fl["t_end"], fl["rtol"]
    x_ref = a["x_reference"]
    t_gf = fl["timing"]["median_seconds"]
    s = fl["stats"]
    rows = [("gradflow dopri5 (C++)", t_gf, fl["timing"]["repeats"], s["field_evaluations"],
             f"{s['steps']}+{s['rejected_steps']}r", np.linalg.norm(a["x_flow"] - x_ref))]
    ratios = {}
    for method in ["DOP853", "RK45", "LSODA"]:
        def run():
            return solve_ivp(velocity, (0.0, t_end), a["x0"], method=method, rtol=tol, atol=tol)
        t, reps, sol = median_time(run)
        if sol.status != 0:
            raise RuntimeError(f"solve_ivp {method} failed: {sol.message}")
        steps = f"{sol.t.size - 1}" + (f", {sol.njev} jac" if sol.njev else "")
        rows.append((f"scipy solve_ivp {method}", t, reps, sol.nfev, steps,
                     np.linalg.norm(sol.y[:, -1] - x_ref)))
        ratios[method] = t / t_gf

    print(f"2. Gradient flow to T = {t_end:g}, rtol = atol = {tol:g} "
          f"(loss {gf['problem']['loss_x0']:.4f} -> {fl['loss_at_t_end']:.4f})")
    print(f"   {'method':<28}{'wall (median)':>14}{'vs gradflow':>13}{'f evals':>9}"
          f"{'steps':>14}{'|x(T) - x_ref(T)|':>19}{'repeats':>9}")
    for name, t, reps, nfev, steps, err in rows:
        print(f"   {name:<28}{fmt_time(t):>14}{t / t_gf:>12.1f}x{nfev:>9}{steps:>14}"
              f"{err:>19.2e}{reps:>9}")
    print(f"   reference x_ref: gradflow dopri5 at rtol = atol = {ref['tolerance']:g} "
          f"({ref['stats']['field_evaluations']} f evals); fehlberg78 at the same tolerance "
          f"differs from it by {ref['distance_to_check']:.1e} (|x_ref| = {ref['state_norm']:.2f})")
    print("   peers' field: numpy, second moments precomputed (as gradflow); "
          "steps = accepted steps (gradflow: +r rejected)")
    print(f"   gradflow heap allocations in one run: {fl['heap_allocations_per_run']} "
          f"({s['steps'] + s['rejected_steps']} step attempts)")
    for method in ["DOP853", "RK45"]:
        print(f"   target >= {FLOW_TARGET_RATIO:g}x faster than {method}: "
              f"{verdict(ratios[method] >= FLOW_TARGET_RATIO)} ({ratios[method]:.1f}x)")
    print(f"   vs LSODA (no target): {ratios['LSODA']:.1f}x")
    print()


def gd_section(a, gf, velocity, torch):
    g = gf["gd"]
    eta, steps = g["eta"], g["steps"]
    x_gd = a["x_gd"]
    t_gf = g["seconds_per_step"]
    X, Y, x0 = a["X"], a["Y"], a["x0"]
    widths = gf["problem"]["widths"]
    default_threads = torch.get_num_threads()
    cores = os.cpu_count() or 1

    def with_threads(n, work):
        def run():
            torch.set_num_threads(n)
            return work()
        return run

    def autograd():
        return lm.torch_autograd_descent(torch, X, Y, x0, widths, eta, steps)

    peers = [
        ("numpy loop (field of section 2)",
         lambda: lm.numpy_gradient_descent(velocity, x0, eta, steps)),
        ("torch autograd + optim.SGD, 1 thread", with_threads(1, autograd)),
    ]
    if cores > 1:
        peers.append((f"torch autograd + optim.SGD, {cores} threads", with_threads(cores, autograd)))
    peers.append(("torch manual gradient, 1 thread",
                  with_threads(1, lambda: lm.torch_manual_descent(torch, X, Y, x0, widths, eta,
                                                                  steps))))
    rows = [("gradflow gradient_descent (C++)", t_gf, g["timing"]["repeats"], 0.0)]
    for name, work in peers:
        t, reps, x = median_time(work)
        rows.append((name, t / steps, reps, np.linalg.norm(x - x_gd)))
    torch.set_num_threads(default_threads)

    print(f"3. Gradient descent, {steps} steps of eta = {eta:g} (loss -> {g['loss_at_end']:.4f})")
    print(f"   {'implementation':<44}{'time/step':>12}{'vs gradflow':>13}"
          f"{'|x_K - x_K(gradflow)|':>23}{'repeats':>9}")
    for name, t, reps, dist in rows:
        print(f"   {name:<44}{fmt_time(t):>12}{t / t_gf:>12.1f}x{dist:>23.2e}{reps:>9}")
    print(f"   |x_K(gradflow)| = {np.linalg.norm(x_gd):.2f}; torch autograd differentiates the "
          f"loss on the {X.shape[0]} samples, the others use second moments; "
          f"torch's default here is {default_threads} thread(s)")
    numpy_ratio = rows[1][1] / t_gf
    torch_ratio = rows[2][1] / t_gf
    print(f"   target >= {GD_NUMPY_TARGET_RATIO:g}x faster than numpy: "
          f"{verdict(numpy_ratio >= GD_NUMPY_TARGET_RATIO)} ({numpy_ratio:.1f}x)")
    print(f"   target >= {GD_TORCH_TARGET_RATIO:g}x faster than torch autograd (1 thread): "
          f"{verdict(torch_ratio >= GD_TORCH_TARGET_RATIO)} ({torch_ratio:.1f}x)")
    print()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: peers_linear.py DIR  (the directory bench_linear wrote)")
    import torch  # late: its import takes a second and is only needed in section 3

    a, gf = load(sys.argv[1])
    p = gf["problem"]
    velocity = lm.numpy_velocity(a["X"], a["Y"], p["widths"])
    # A wrong layout or data orientation would make every comparison below
    # meaningless: the two fields must agree to round-off before anything is timed.
    if relative_field_gap(a, velocity) > 1e-12:
        sys.exit(f"the numpy field differs from gradflow's at x0 by "
                 f"{relative_field_gap(a, velocity):.1e} (relative): check the layout")
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    print()
    print(f"gradflow linear-network benchmark: n = {p['samples']}, widths {p['widths']}, "
          f"dim {p['dim']}, seed {p['seed']}, init N(0, {p['init_std']}^2)")
    print(f"machine: {cpu}, {os.cpu_count()} cores; python {platform.python_version()}, "
          f"numpy {np.__version__}, scipy {scipy.__version__}, torch {torch.__version__}")
    load1, load5, _ = os.getloadavg()
    print(f"load average {load1:.2f} (1 min), {load5:.2f} (5 min): a load above the core count "
          f"means other work shared the cores")
    print("times are medians of repeated runs; 'vs gradflow' = peer median / gradflow median")
    print()
    field_section(a, gf, velocity)
    flow_section(a, gf, velocity)
    gd_section(a, gf, velocity, torch)


if __name__ == "__main__":
    main()
