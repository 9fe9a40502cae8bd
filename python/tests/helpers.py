"""Shared test problems, written independently of gradflow's C++ code."""

import numpy as np


def sine_data(n=40, d0=5, dn=2, seed=0):
    """Data y = W sin(x) + noise, samples as rows (the course's sine set)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d0))
    W = rng.standard_normal((dn, d0))
    Y = np.sin(X) @ W.T + 0.1 * rng.standard_normal((n, dn))
    return X, Y


class NumpyLinearNetwork:
    """Deep linear network W = W_N ⋯ W_1, loss 1/(2n)‖W Xᵀ − Yᵀ‖_F², layers
    stored column-major one after the other (gradflow's layout), in numpy.
    ∇_{W_j} = W_{N:j+1}ᵀ G W_{j-1:1}ᵀ with G = (W Xᵀ − Yᵀ) X / n (DESIGN.md §4)."""

    def __init__(self, X, Y, widths):
        self.Xt, self.Yt = X.T, Y.T
        self.n = X.shape[0]
        self.shapes = [(widths[j + 1], widths[j]) for j in range(len(widths) - 1)]
        self.layout = [(f"W{j + 1}", r, c) for j, (r, c) in enumerate(self.shapes)]
        self.calls = 0

    def layers(self, x):
        out, off = [], 0
        for r, c in self.shapes:
            out.append(x[off:off + r * c].reshape((r, c), order="F"))
            off += r * c
        return out

    def product(self, layers):
        W = np.eye(layers[0].shape[1])
        for L in layers:
            W = L @ W
        return W

    def loss(self, x):
        R = self.product(self.layers(x)) @ self.Xt - self.Yt
        return 0.5 * np.sum(R * R) / self.n

    def gradient(self, x):
        self.calls += 1
        Ws = self.layers(x)
        G = (self.product(Ws) @ self.Xt - self.Yt) @ self.Xt.T / self.n
        grads = []
        for j in range(len(Ws)):
            above = self.product(Ws[j + 1:]) if j + 1 < len(Ws) else np.eye(Ws[-1].shape[0])
            below = self.product(Ws[:j]) if j > 0 else np.eye(Ws[0].shape[1])
            grads.append(above.T @ G @ below.T)
        return np.concatenate([g.ravel(order="F") for g in grads])


def finite_difference_gradient(f, x, h=1e-6):
    """Central differences: error O(h²‖f'''‖) + O(ε|f|/h)."""
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g
