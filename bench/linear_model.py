"""The depth-3 linear network of bench_linear.cpp, written the way a numpy or
PyTorch user would write it. Shared by peers_linear.py.

State layout (gradflow's, models/linear_network.hpp): one flat vector holding
W1 (d1 x d0), W2 (d2 x d1), W3 (d3 x d2) one after the other, each column-major,
so block j is x[off:off+r*c].reshape((r, c), order="F").

Loss 1/(2n) ||W3 W2 W1 Xd - Yd||_F^2 with Xd = X.T (d0 x n, samples as columns);
X and Y as stored in the .npy files are n x d0 and n x dN (samples as rows).
"""

import numpy as np


def layer_shapes(widths):
    return [(widths[j + 1], widths[j]) for j in range(len(widths) - 1)]


def unpack(x, shapes):
    """The layer matrices of a flat state, as views (no copies)."""
    layers, off = [], 0
    for r, c in shapes:
        layers.append(x[off:off + r * c].reshape((r, c), order="F"))
        off += r * c
    return layers


def pack(layers):
    return np.concatenate([w.ravel(order="F") for w in layers])


def numpy_velocity(X, Y, widths):
    """v(t, x) = -grad L(x) for a depth-3 net, with the second moments
    Sxx = Xd Xd^T / n and Syx = Yd Xd^T / n precomputed (as gradflow does), so a
    call costs O(d^3), independent of n:
        G = W Sxx - Syx,  W = W3 W2 W1
        dL/dW1 = (W3 W2)^T G,  dL/dW2 = W3^T G W1^T,  dL/dW3 = G (W2 W1)^T
    Signature (t, x) as scipy.integrate.solve_ivp wants it."""
    assert len(widths) == 4, "written out for depth 3"
    n = X.shape[0]
    sxx = X.T @ X / n
    syx = Y.T @ X / n
    shapes = layer_shapes(widths)

    def velocity(t, x):
        W1, W2, W3 = unpack(x, shapes)
        G = W3 @ W2 @ W1 @ sxx - syx
        g1 = (W3 @ W2).T @ G
        g2 = W3.T @ G @ W1.T
        g3 = G @ (W2 @ W1).T
        return -pack([g1, g2, g3])

    return velocity


def numpy_gradient_descent(velocity, x0, eta, steps):
    """x_{k+1} = x_k + eta v(x_k): gradient descent as forward Euler on the field."""
    x = x0.copy()
    for _ in range(steps):
        x += eta * velocity(0.0, x)
    return x


def torch_autograd_descent(torch, X, Y, x0, widths, eta, steps):
    """What a PyTorch user writes: float64 parameters, the loss on the samples,
    loss.backward(), torch.optim.SGD."""
    Xt = torch.from_numpy(X)
    Yt = torch.from_numpy(Y)
    n = X.shape[0]
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True)
              for w in unpack(x0, layer_shapes(widths))]
    W1, W2, W3 = params
    optimizer = torch.optim.SGD(params, lr=eta)
    for _ in range(steps):
        optimizer.zero_grad()
        predictions = Xt @ W1.T @ W2.T @ W3.T          # n x dN
        loss = ((predictions - Yt) ** 2).sum() / (2 * n)
        loss.backward()
        optimizer.step()
    return pack([p.detach().numpy() for p in params])


def torch_manual_descent(torch, X, Y, x0, widths, eta, steps):
    """The numpy formulas (second moments, hand-written gradient) on torch
    tensors: no autograd, in-place updates."""
    n = X.shape[0]
    sxx = torch.from_numpy(X.T @ X / n)
    syx = torch.from_numpy(Y.T @ X / n)
    W1, W2, W3 = [torch.tensor(w, dtype=torch.float64)
                  for w in unpack(x0, layer_shapes(widths))]
    for _ in range(steps):
        G = W3 @ W2 @ W1 @ sxx - syx
        g1 = (W3 @ W2).T @ G
        g2 = W3.T @ G @ W1.T
        g3 = G @ (W2 @ W1).T
        W1.sub_(eta * g1)
        W2.sub_(eta * g2)
        W3.sub_(eta * g3)
    return pack([W1.numpy(), W2.numpy(), W3.numpy()])
