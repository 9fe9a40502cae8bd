#!/usr/bin/python3
"""numpy's dgemm (its BLAS, one thread) on the two products of the width-10 000
ReLU GD step, m×d·d×n (Z = WX) and m×n·n×d (G = M·diag(e)Xᵀ), m = 10 000,
n = 100, d = 10: the rate bench_relu_threads compares the step against.
Median of 101 repeats, as bench/timing.hpp measures.

Usage: /usr/bin/python3 gemm_shapes.py
"""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

m, n, d = 10000, 100, 10
rng = np.random.default_rng(0)
W = np.asfortranarray(rng.standard_normal((m, d)))
X = np.asfortranarray(rng.standard_normal((d, n)))
M = np.asfortranarray(rng.standard_normal((m, n)))
Xe = np.asfortranarray(rng.standard_normal((n, d)))
Z = np.empty((m, n), order="F")
G = np.empty((m, d), order="F")


def pair():
    np.matmul(W, X, out=Z)
    np.matmul(M, Xe, out=G)


pair()
times = []
for _ in range(101):
    t0 = time.perf_counter()
    pair()
    times.append(time.perf_counter() - t0)
t = float(np.median(times))
# The BLAS actually loaded (Debian's libblas.so.3 is an alternative: the
# reference BLAS, or OpenBLAS when installed or put first on LD_LIBRARY_PATH).
with open("/proc/self/maps") as maps:
    loaded = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
blas = ", ".join(loaded) if loaded else "?"
print(f"numpy {np.__version__} dgemm of the step's shapes (BLAS: {blas}, one thread): "
      f"{t * 1e3:.3f} ms median, {4.0 * m * n * d / t / 1e9:.2f} GFLOP/s")
