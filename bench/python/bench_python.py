"""gradflow from Python: what the Python layer costs, and what gradflow's
integrators give a model written in Python. One run, side by side.

Usage: /usr/bin/python3 -B bench/python/bench_python.py [BUILD_DIR]
BUILD_DIR (default build/release) holds the gradflow command and
python/_gradflow*.so. The problem is bench_linear's: the course data
(n = 100, x ∈ R¹⁰, y = wᵀ sin x + ε, seed 2) and a depth-3 linear network of
widths 10, 10, 10, 1 (dim 210) started from N(0, 0.3²).

1. Built-in model, GD with 10 000 steps of η = 0.01: `gradflow run` (the
   whole process: parse, build, integrate, diagnose, write) against gf.gd()
   and gf.run() in this process (build, integrate, diagnose, results as numpy);
   with every iterate recorded (10 001 records, the default grid) and with 11.
2. The same network written in numpy (loss and gradient): gradflow's dopri5
   calling it against scipy's solve_ivp (DOP853, RK45) calling the same
   function, to T = 200 at rtol = atol = 1e-8; accuracy against a reference
   (gradflow's built-in dopri5 at 1e-12), and scipy at the tolerance that
   matches gradflow's accuracy.
3. The cost of one callback: gradflow GD on a model whose gradient returns a
   stored array (almost no Python work), per step, against calling that
   function from a Python loop.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.integrate import solve_ivp

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build", "release"))
sys.path.insert(0, os.path.join(BUILD, "python"))
sys.path.insert(0, os.path.join(REPO, "bench"))

import gradflow as gf  # noqa: E402
import linear_model as lm  # noqa: E402  (bench/linear_model.py: the numpy field)

OVERHEAD_TARGET = 0.05   # built-in models from Python: at most 5% over the CLI
PYTHON_MODEL_TARGET = 2.0  # gradflow dopri5 on a Python model: at least 2x faster than scipy

SPEC = {
    "name": "bench",
    "seed": 2,
    "data": {"kind": "sine", "samples": 100, "inputs": 10, "outputs": 1, "noise_std": 0.1},
    "model": {"kind": "linear_network", "hidden": [10, 10]},
    "init": {"kind": "gaussian", "std": 0.3},
    "t_end": 100.0,
    "runs": [{"name": "gd", "integrator": "euler", "eta": 0.01}],
    "record": {"data": False},
}


def median_time(work, repeats):
    work()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def fmt(s):
    return f"{s * 1e3:9.2f} ms" if s < 1 else f"{s:9.3f} s "


def timed_runs(work, repeats):
    """[(wall time of work(), what it returned)] after one warm-up."""
    work()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        out.append((time.perf_counter() - start, result))
    return out


def section_builtin(tmp):
    print("1. Built-in linear network (dim 210), GD: 10 000 steps of eta = 0.01 (15 repeats each, "
          "interleaved; median and min)")
    print(f"   {'what':<58}{'whole call':>24}{'vs CLI':>12}{'integration':>24}{'vs CLI':>12}")
    worst = -1.0
    for label, sample in (("every iterate recorded (10 001 records, diagnosed)", None),
                          ("11 records", {"kind": "linear", "count": 11})):
        spec = dict(SPEC)
        if sample:
            spec["sample"] = sample
        path = os.path.join(tmp, "bench.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        exe = os.path.join(BUILD, "gradflow")
        meta = os.path.join(tmp, "out", "bench", "meta.json")

        def cli():
            subprocess.run([exe, "run", path, "--out", os.path.join(tmp, "out"), "--quiet"], check=True,
                           capture_output=True)
            with open(meta) as f:
                return json.load(f)["runs"][0]["wall_seconds"]
        net = gf.Model("linear_network", data=SPEC["data"], seed=2, hidden=[10, 10])
        x0 = net.init("gaussian", std=0.3, seed=2)
        names = ["gradflow run (the CLI process; also writes the files)",
                 "gf.gd(net, x0, eta=0.01, steps=10000)", "gf.run(the same spec as a dict)"]
        works = [cli,
                 lambda: gf.gd(net, x0, eta=0.01, steps=10_000, sample=sample).stats["wall_seconds"],
                 lambda: gf.run(spec).runs["gd"].stats["wall_seconds"]]
        samples = [[] for _ in works]
        for w in works:
            w()  # warm-up
        for _ in range(15):  # interleaved: a change of the machine's load hits all three alike
            for k, w in enumerate(works):
                start = time.perf_counter()
                run_seconds = w()
                samples[k].append((time.perf_counter() - start, run_seconds))
        print(f"   {label}")
        stat = lambda f, k, i: f(x[i] for x in samples[k])  # noqa: E731
        for k, name in enumerate(names):
            cells = []
            for i in (0, 1):
                med, low = stat(statistics.median, k, i), stat(min, k, i)
                rel = f"{med / stat(statistics.median, 0, i):.2f}/{low / stat(min, 0, i):.2f}"
                cells.append(f"{fmt(med).strip()} / {fmt(low).strip()}".rjust(24) + rel.rjust(12))
            print(f"     {name:<56}{''.join(cells)}")
            if k > 0:
                worst = max(worst, min(stat(statistics.median, k, 0) / stat(statistics.median, 0, 0),
                                       stat(min, k, 0) / stat(min, 0, 0)) - 1)
    print("   whole call: wall time of the command or the Python call; integration: the run's own")
    print("   wall_seconds (the same loop: gradient descent through the field interface)")
    print(f"   target: Python <= {OVERHEAD_TARGET:.0%} over the CLI's run: "
          f"{'met' if worst <= OVERHEAD_TARGET else 'MISSED'} (worst {worst:+.1%})")
    print()


class NumpyNet:
    """bench/linear_model.py's numpy field as a gradflow model."""

    def __init__(self, X, Y, widths):
        self.v = lm.numpy_velocity(X, Y, widths)
        n = X.shape[0]
        self.X, self.Y, self.shapes, self.n = X, Y, lm.layer_shapes(widths), n
        self.calls = 0

    def loss(self, x):
        W1, W2, W3 = lm.unpack(x, self.shapes)
        R = W3 @ W2 @ W1 @ self.X.T - self.Y.T
        return 0.5 * float(np.sum(R * R)) / self.n

    def gradient(self, x):
        self.calls += 1
        return -self.v(0.0, x)


class NumpyLeastSquares:
    """A cheap Python model: L(θ) = ½‖Aθ − b‖² / n with A 20 × 210 (the callback's
    own work is a few microseconds, so per-step costs outside it show)."""

    def __init__(self, dim, seed=0):
        rng = np.random.default_rng(seed)
        self.A = rng.standard_normal((20, dim)) / np.sqrt(dim)
        self.b = rng.standard_normal(20)

    def loss(self, x):
        r = self.A @ x - self.b
        return 0.5 * float(r @ r)

    def gradient(self, x):
        return self.A.T @ (self.A @ x - self.b)


def compare_with_scipy(title, model, x0, t_end, ref, tol=1e-8, extra_methods=()):
    """gradflow (dopri5, and extra methods) against scipy on one Python model:
    same tolerance, and gradflow at the loosest tolerance (in steps of 2x)
    whose error is at most scipy's (the same accuracy)."""
    sample = {"kind": "linear", "count": 2}

    def ours(rtol=tol, method="dopri5"):
        return gf.integrate(model, x0, t_end=t_end, method=method, rtol=rtol, atol=rtol, sample=sample)

    def error_of_ours(rtol, method="dopri5"):
        return np.linalg.norm(ours(rtol, method).final_state - ref)

    velocity = lambda t_, x: -model.gradient(x)  # noqa: E731

    def theirs(method, rtol=tol):
        return solve_ivp(velocity, (0.0, t_end), x0, method=method, rtol=rtol, atol=rtol)

    rows = []
    t_ours, m_ours = median_time(ours, 5)
    run = ours()
    evals = run.stats["field_evaluations"]
    rows.append(("gradflow dopri5 (C++) calling Python", t_ours, m_ours, evals, run.stats["steps"],
                 np.linalg.norm(run.final_state - ref)))
    for method in extra_methods:
        tm, mm = median_time(lambda: ours(tol, method), 3)
        r = ours(tol, method)
        rows.append((f"gradflow {method}, same tolerance", tm, mm, r.stats["field_evaluations"],
                     r.stats["steps"], np.linalg.norm(r.final_state - ref)))
    verdicts = []
    scipy_costs = []  # (method, steps, evaluations, median time) at the same tolerance
    for method in ("DOP853", "RK45"):
        ts, ms = median_time(lambda: theirs(method), 3)
        sol = theirs(method)
        scipy_costs.append((method, sol.t.size - 1, sol.nfev, ts))
        err = np.linalg.norm(sol.y[:, -1] - ref)
        rows.append((f"scipy solve_ivp {method}, same tolerance", ts, ms, sol.nfev, sol.t.size - 1, err))
        rtol = tol
        if error_of_ours(rtol) > err:
            while error_of_ours(rtol) > err and rtol > 1e-14:
                rtol /= 2
        else:
            while error_of_ours(rtol * 2) <= err and rtol < 1e-3:
                rtol *= 2
        tm, mm = median_time(lambda: ours(rtol), 5)
        r = ours(rtol)
        rows.append((f"  gradflow dopri5 at rtol {rtol:.1e} (error <= {method}'s)", tm, mm,
                     r.stats["field_evaluations"], r.stats["steps"], np.linalg.norm(r.final_state - ref)))
        verdicts.append((method, ts / t_ours, ts / tm, ms / m_ours, ms / mm))
    print(title)
    print(f"   {'method':<58}{'median':>12}{'min':>12}{'f evals':>9}{'steps':>7}{'|x(T) - x_ref|':>16}")
    for name, ts, ms, nfev, steps, err in rows:
        print(f"   {name:<58}{fmt(ts):>12}{fmt(ms):>12}{nfev:>9}{steps:>7}{err:>16.2e}")
    f = model.gradient

    def calls():
        for _ in range(1000):
            f(x0)
    t_f, _ = median_time(calls, 5)
    per_call = t_f / 1000
    print(f"   the Python gradient alone: {per_call * 1e6:.1f} us per call; gradflow's run: "
          f"{t_ours / evals * 1e6:.1f} us per evaluation")
    # Where the time goes: a run costs its evaluations times the function's
    # cost plus the integrator's own work. No integrator that needs E
    # evaluations can beat E·per_call, so scipy's time over that is the most
    # any speed-up can reach at that evaluation count.
    for method, sol_steps, sol_nfev, t_theirs in scipy_costs:
        own = (t_theirs - sol_nfev * per_call) / max(sol_steps, 1)
        print(f"   scipy {method}: {own * 1e6:.1f} us of its own work per accepted step beside the function; "
              f"gradflow's own work: {(t_ours / evals - per_call) * 1e6:.2f} us per evaluation; "
              f"the bound for {evals} evaluations: {t_theirs / (evals * per_call):.2f}x")
    for method, same_tol, same_acc, same_tol_min, same_acc_min in verdicts:
        worst = min(same_tol, same_acc)
        print(f"   target >= {PYTHON_MODEL_TARGET:g}x faster than {method}: "
              f"{'met' if worst >= PYTHON_MODEL_TARGET else 'MISSED'} ({same_tol:.2f}x at the same "
              f"tolerance, {same_acc:.2f}x at the same accuracy; by min times {same_tol_min:.2f}x, "
              f"{same_acc_min:.2f}x)")
    print()


def section_python_model():
    net = gf.Model("linear_network", data=SPEC["data"], seed=2, hidden=[10, 10])
    x0 = net.init("gaussian", std=0.3, seed=2)
    X, Y = net.arrays["data_X"], net.arrays["data_Y"]
    model = NumpyNet(X, Y, [10, 10, 10, 1])
    t_end = 200.0
    ref = gf.integrate(net, x0, t_end=t_end, rtol=1e-12, atol=1e-12, times=[0, t_end]).final_state
    compare_with_scipy(f"2. The network written in numpy (loss, gradient): gradient flow to T = {t_end:g}, "
                       "rtol = atol = 1e-8", model, x0, t_end, ref, extra_methods=("fehlberg78", "auto"))
    print("   x_ref: gradflow's built-in dopri5 at rtol = atol = 1e-12. scipy's error norm is an RMS,")
    print("   gradflow's (odeint's) a max over components: different accuracies at one tolerance.")
    print()
    cheap = NumpyLeastSquares(210)
    ref2 = gf.integrate(cheap, x0, t_end=50.0, rtol=1e-13, atol=1e-13, times=[0, 50.0]).final_state
    compare_with_scipy("2b. A cheap Python model (least squares, A 20 x 210): gradient flow to T = 50, "
                       "rtol = atol = 1e-8", cheap, x0, 50.0, ref2)
    print("   x_ref: gradflow dopri5 on the same model at rtol = atol = 1e-13")
    print()
    return model, x0


def section_callback(model, x0):
    g0 = model.gradient(x0) * 0.0
    trivial = gf.FunctionModel(loss=lambda x: 0.0, gradient=lambda x: g0)
    steps = 100_000
    sample = {"kind": "linear", "count": 2}
    t_gd, _ = median_time(lambda: gf.gd(trivial, x0, eta=1e-3, steps=steps, sample=sample), 5)
    f = trivial.gradient

    def loop():
        for _ in range(steps):
            f(x0)
    t_loop, _ = median_time(loop, 5)
    x = x0.copy()

    def copy_loop():
        for _ in range(steps):
            f(x.copy())
    t_copy, _ = median_time(copy_loop, 5)
    real = NumpyNet(model.X, model.Y, [10, 10, 10, 1])
    t_real, _ = median_time(lambda: gf.gd(real, x0, eta=0.01, steps=10_000, sample=sample), 5)

    def real_loop():
        x = x0.copy()
        for _ in range(10_000):
            x -= 0.01 * real.gradient(x)
    t_real_loop, _ = median_time(real_loop, 5)
    per = t_gd / steps
    print("3. One callback (dim 210)")
    print(f"   gradflow GD, gradient returns a stored array: {per * 1e6:.2f} us per step "
          f"(a Python loop calling it: {t_loop / steps * 1e6:.2f} us; with a copy of x as gradflow "
          f"passes it: {t_copy / steps * 1e6:.2f} us)")
    print(f"   => overhead of gradflow's callback over a plain Python call: "
          f"{(per - t_loop / steps) * 1e6:.2f} us per evaluation")
    print(f"   GD with the numpy gradient, 10 000 steps: gradflow {fmt(t_real)}, plain numpy loop "
          f"x -= eta * grad(x) {fmt(t_real_loop)} ({t_real / t_real_loop:.2f}x; gradflow also "
          f"checks divergence and records)")


def main():
    import platform
    import scipy
    print(f"gradflow {gf.__version__} from Python {platform.python_version()}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}; build {BUILD}")
    print()
    with tempfile.TemporaryDirectory() as tmp:
        section_builtin(tmp)
    model, x0 = section_python_model()
    section_callback(model, x0)


if __name__ == "__main__":
    main()
