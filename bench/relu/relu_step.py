#!/usr/bin/python3
"""The GD step of bench_relu_step.cpp in numpy and PyTorch (float64, one
thread), on the data and start that program wrote; checks all three agree to
round-off and prints the times side by side with gradflow's.

Usage: /usr/bin/python3 relu_step.py DIR   (DIR as given to bench_relu_step)
"""
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

d = sys.argv[1] if len(sys.argv) > 1 else "bench_relu_data"
X = np.load(f"{d}/X.npy")      # n × d (samples as rows)
y = np.load(f"{d}/y.npy")
a = np.load(f"{d}/a.npy")
W0 = np.load(f"{d}/W0.npy")    # m × d
W1_ref = np.load(f"{d}/W1.npy")
t_gf, rate_gf, gemm_gf, eta = map(float, open(f"{d}/gradflow.txt").read().split())
m, dim = W0.shape
n = X.shape[0]
flops = 4.0 * m * n * dim + 5.0 * m * n + 2.0 * m * dim
s = 1.0 / np.sqrt(m)


def best(f, reps):
    """The fastest of reps runs, as the C++ side measures."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def numpy_step(W):
    Z = W @ X.T                            # m × n
    u = s * (a @ np.maximum(Z, 0.0))       # n
    e = u - y
    M = (Z >= 0.0) * (s * a)[:, None]      # m × n
    return W - eta * (M * e) @ X           # G = M diag(e) X


A = np.random.rand(1000, 1000)
B = np.random.rand(1000, 1000)
gemm_np = 2e9 / best(lambda: A @ B, 10) / 1e9
W1_np = numpy_step(W0)
t_np = best(lambda: numpy_step(W0), 100)
rows = [("gradflow (Eigen)", t_gf, np.abs(W1_ref - W1_ref).max())]
rows.append(("numpy", t_np, np.abs(W1_np - W1_ref).max()))

try:
    import torch
    torch.set_num_threads(1)
    Xt, yt, at = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(a)

    def torch_step(W):
        Z = W @ Xt.T
        u = s * (at @ torch.clamp(Z, min=0.0))
        e = u - yt
        M = (Z >= 0.0).double() * (s * at)[:, None]
        return W - eta * (M * e) @ Xt

    W0t = torch.from_numpy(W0)
    with torch.no_grad():
        W1_t = torch_step(W0t).numpy()
        t_t = best(lambda: torch_step(W0t), 100)
    rows.append((f"PyTorch {torch.__version__}", t_t, np.abs(W1_t - W1_ref).max()))
except ImportError:
    print("PyTorch not importable by /usr/bin/python3: install python3-torch (scripts/install_deps.sh python3-torch)")

print(f"numpy {np.__version__}: dgemm 1000^3 {gemm_np:.2f} GFLOP/s (its BLAS: "
      f"{np.__config__.get_info('blas_opt_info').get('libraries', ['?'])})")
print(f"\nGD step, m = {m}, n = {n}, d = {dim} ({flops / 1e6:.1f} MFLOP), one thread:")
print(f"  {'implementation':<22} {'time (ms)':>10} {'GFLOP/s':>9} {'vs gradflow':>12} {'max |W1 - W1_gradflow|':>24}")
for name, t, err in rows:
    print(f"  {name:<22} {t * 1e3:10.3f} {flops / t / 1e9:9.2f} {t / t_gf:11.2f}x {err:24.3e}")
print(f"\ngradflow's step runs at {100 * rate_gf / gemm_gf:.0f}% of the Eigen dgemm rate measured in the same run "
      f"({gemm_gf:.2f} GFLOP/s).")
ok = all(err <= 1e-12 * np.abs(W1_ref).max() for _, _, err in rows)
print("all three steps agree to round-off (1e-12 relative)" if ok else "MISMATCH between implementations")
sys.exit(0 if ok else 1)
