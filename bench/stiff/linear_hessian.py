"""Analytic Hessian of the depth-3 linear network's loss (bench/linear_model.py),
dense, in gradflow's state layout, and its check against central differences.

Loss L = 1/2 tr(W Sxx Wᵀ) − tr(Syx Wᵀ) + const, W = W3 W2 W1, with the second
moments Sxx = XᵀX/n, Syx = YᵀX/n; G = ∂L/∂W = W Sxx − Syx (dN × d0). With
A = W3 W2 and B = W2 W1 the gradient is
    g1 = Aᵀ G,   g2 = W3ᵀ G W1ᵀ,   g3 = G Bᵀ,
and its derivative in a direction (D1, D2, D3), with dW = D3 B + W3 D2 W1 + A D1
and dG = dW Sxx, is
    dg1 = Aᵀ dG + W2ᵀ D3ᵀ G + D2ᵀ W3ᵀ G
    dg2 = W3ᵀ dG W1ᵀ + D3ᵀ G W1ᵀ + W3ᵀ G D1ᵀ
    dg3 = dG Bᵀ + G W1ᵀ D2ᵀ + G D1ᵀ W2ᵀ.
The dG terms are the Gauss-Newton part Jᵀ (Sxx ⊗ I_dN) J, J = ∂vec W/∂x =
[I ⊗ A, W1ᵀ ⊗ W3, Bᵀ ⊗ I] (vec column-major, as the state); the others are the
residual terms, linear in G, only between different layers (each layer enters
W linearly, so the diagonal blocks are Gauss-Newton only).
"""

import numpy as np

import linear_model as lm


def _block(T):
    """A 4-index tensor T[a, b, c, d] = ∂(g)_{ab}/∂(D)_{cd} as the matrix
    ∂vec(g)/∂vec(D) with column-major vec on both sides."""
    a, b, c, d = T.shape
    return T.reshape((a * b, c * d), order="F")


def numpy_hessian(X, Y, widths):
    """H(x) = ∇²L(x), dense dim × dim, for a depth-3 network."""
    assert len(widths) == 4, "written out for depth 3"
    n = X.shape[0]
    sxx = X.T @ X / n
    syx = Y.T @ X / n
    shapes = lm.layer_shapes(widths)
    d0, d1, d2, d3 = widths
    sizes = [r * c for r, c in shapes]
    off = np.concatenate([[0], np.cumsum(sizes)])
    dim = int(off[-1])
    s_kron = np.kron(sxx, np.eye(d3))            # Hessian of L in vec W
    eye = [np.eye(k) for k in widths]

    def hessian(x):
        W1, W2, W3 = lm.unpack(x, shapes)
        A = W3 @ W2
        B = W2 @ W1
        G = (A @ W1) @ sxx - syx
        J = np.hstack([np.kron(eye[0], A), np.kron(W1.T, W3), np.kron(B.T, eye[3])])
        H = J.T @ s_kron @ J
        M = W3.T @ G          # d2 × d0
        N = G @ W1.T          # d3 × d1
        # (1,2): ∂(D2ᵀ M)_{ab}/∂D2_{cd} = δ_ad M_cb
        h12 = _block(np.einsum("ad,cb->abcd", eye[1], M))
        # (1,3): ∂(W2ᵀ D3ᵀ G)_{ab}/∂D3_{ec} = W2_ca G_eb
        h13 = _block(np.einsum("ca,eb->abec", W2, G))
        # (2,3): ∂(D3ᵀ N)_{ab}/∂D3_{ec} = δ_ac N_eb
        h23 = _block(np.einsum("ac,eb->abec", eye[2], N))
        for (i, j), h in {(0, 1): h12, (0, 2): h13, (1, 2): h23}.items():
            H[off[i]:off[i + 1], off[j]:off[j + 1]] += h
            H[off[j]:off[j + 1], off[i]:off[i + 1]] += h.T
        return H

    hessian.dim = dim
    return hessian


def numpy_jacobian(X, Y, widths):
    """jac(t, x) = ∂v/∂x = −∇²L(x), signature as solve_ivp wants it."""
    hessian = numpy_hessian(X, Y, widths)

    def jacobian(t, x):
        return -hessian(x)

    return jacobian


def central_difference_jacobian(velocity, x, rel_step=1e-5):
    """∂v/∂x by central differences of the (analytic) velocity, column by column,
    step rel_step·max(1, |x_k|)."""
    dim = x.size
    Jfd = np.empty((dim, dim))
    for k in range(dim):
        h = rel_step * max(1.0, abs(x[k]))
        xp = x.copy()
        xm = x.copy()
        xp[k] += h
        xm[k] -= h
        Jfd[:, k] = (velocity(0.0, xp) - velocity(0.0, xm)) / (2.0 * h)
    return Jfd


def check_jacobian(velocity, jacobian, x):
    """Relative Frobenius error of the analytic Jacobian against central
    differences at x, and the asymmetry of the analytic one (a Hessian)."""
    J = jacobian(0.0, x)
    Jfd = central_difference_jacobian(velocity, x)
    err = np.linalg.norm(J - Jfd) / np.linalg.norm(Jfd)
    asym = np.linalg.norm(J - J.T) / np.linalg.norm(J)
    return err, asym
