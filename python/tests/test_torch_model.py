"""A PyTorch model (autograd gradients and Hessian-vector products) gets
error-controlled gradient flow from gradflow's integrators, checked against
its own finite differences and against scipy's integrator."""

import numpy as np
import pytest

import gradflow as gf
from helpers import finite_difference_gradient

torch = pytest.importorskip("torch")
from scipy.integrate import solve_ivp  # noqa: E402

# Tiny tensors: one thread is fastest, and the machine's cores stay free.
torch.set_num_threads(1)


class TorchMLP(gf.PythonModel):
    """A tanh network with one hidden layer, loss ½ mean (f(x_i) − y_i)²,
    gradients and Hessian-vector products by torch.autograd (float64)."""

    name = "TorchMLP"

    def __init__(self, n=30, d=3, hidden=6, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.X = torch.randn(n, d, generator=g, dtype=torch.float64)
        self.y = torch.sin(self.X.sum(dim=1, keepdim=True))
        self.shapes = [(hidden, d), (hidden, 1), (1, hidden)]
        self.dim = sum(r * c for r, c in self.shapes)

    def _loss(self, w):
        parts, off = [], 0
        for r, c in self.shapes:
            parts.append(w[off:off + r * c].reshape(c, r).T)  # column-major blocks
            off += r * c
        W1, b1, W2 = parts
        out = torch.tanh(self.X @ W1.T + b1.T) @ W2.T
        return 0.5 * ((out - self.y) ** 2).mean()

    def loss(self, x):
        with torch.no_grad():
            return float(self._loss(torch.from_numpy(x)))

    def gradient(self, x):
        w = torch.from_numpy(x).requires_grad_(True)
        (g,) = torch.autograd.grad(self._loss(w), w)
        return g.numpy()

    def hessian_vector(self, x, v):
        w = torch.from_numpy(x).requires_grad_(True)
        (g,) = torch.autograd.grad(self._loss(w), w, create_graph=True)
        (hv,) = torch.autograd.grad(g @ torch.from_numpy(v), w)
        return hv.numpy()


@pytest.fixture(scope="module")
def model():
    return TorchMLP()


@pytest.fixture(scope="module")
def x0(model):
    return np.random.default_rng(5).standard_normal(model.dim) * 0.5


def test_the_torch_gradient_and_hvp_match_their_finite_differences(model, x0):
    # Central differences with h = 1e-6: truncation ~h²‖f'''‖ plus ε|f|/h ≈ 1e-10.
    assert np.allclose(finite_difference_gradient(model.loss, x0), model.gradient(x0),
                       rtol=1e-6, atol=1e-9)
    v = np.random.default_rng(6).standard_normal(model.dim)
    h = 1e-6
    fd = (model.gradient(x0 + h * v) - model.gradient(x0 - h * v)) / (2 * h)
    assert np.allclose(fd, model.hessian_vector(x0, v), rtol=1e-6, atol=1e-8)
    assert np.allclose(gf.hessian_vector(model, x0, v), model.hessian_vector(x0, v), rtol=0, atol=0)


def test_gradient_flow_of_the_torch_model_matches_scipy_and_decreases_the_loss(model, x0):
    run = gf.integrate(model, x0, t_end=2.0, rtol=1e-10, atol=1e-12)
    assert run.status == "completed"
    # dL/dt = −‖∇L‖² ≤ 0 along the exact flow: the recorded loss never rises
    # (beyond round-off of the loss itself).
    assert np.all(np.diff(run.loss) <= 1e-14)
    ref = solve_ivp(lambda t, x: -model.gradient(x), (0.0, 2.0), x0, method="DOP853",
                    rtol=1e-12, atol=1e-14)
    # Both errors are below ~1e-9 of the state's scale (tolerances 1e-10 and 1e-12).
    assert np.abs(run.final_state - ref.y[:, -1]).max() < 1e-8


def test_bdf_on_the_torch_model_uses_its_hessian_vector_products(model, x0):
    run = gf.integrate(model, x0, t_end=2.0, method="bdf", rtol=1e-9, atol=1e-12)
    assert "analytic" in run.stats["note"]
    ref = gf.integrate(model, x0, t_end=2.0, rtol=1e-11, atol=1e-13)
    # BDF's weighted-RMS error control at rtol 1e-9: global error ~1e-7 of the scale.
    assert np.abs(run.final_state - ref.final_state).max() < 1e-6


def test_gd_at_matched_times_and_sharpness_of_the_torch_model(model, x0):
    s = gf.sharpness(model, x0)
    H = np.column_stack([model.hessian_vector(x0, e) for e in np.eye(model.dim)])
    assert s == pytest.approx(np.linalg.eigvalsh((H + H.T) / 2).max(), rel=1e-10)
    eta = 0.5 / s  # well inside GD's stability region 2/λ_max
    gd = gf.gd(model, x0, eta=eta, steps=50)
    flow = gf.integrate(model, x0, t_end=50 * eta, sample={"kind": "grid", "spacing": eta},
                        rtol=1e-10, atol=1e-12)
    c = gf.compare(gd, flow)
    assert len(c.t) == 51
    # GD is O(η) from the flow over a fixed horizon.
    assert c.state_dist.max() < 0.1
    # Sharpness per record (the dense Hessian from 30 Hessian-vector products).
    few = gf.gd(model, x0, eta=eta, steps=50, record={"sharpness": True}, times=[0, 25 * eta, 50 * eta])
    assert "two_over_eta" in few.columns
    assert few["sharpness"][0] == pytest.approx(s, rel=1e-12)
