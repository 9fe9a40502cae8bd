"""Models written in Python, integrated by the C++ integrators: a numpy
linear network against the built-in one, errors raised in callbacks, and
what callbacks may return."""

import traceback

import numpy as np
import pytest

import gradflow as gf
from helpers import NumpyLinearNetwork, finite_difference_gradient, sine_data

WIDTHS = [5, 4, 3, 2]


@pytest.fixture(scope="module")
def problem():
    X, Y = sine_data(n=40, d0=5, dn=2, seed=0)
    net = gf.LinearNetwork(X, Y, hidden=WIDTHS[1:-1])
    x0 = net.init("gaussian", std=0.4, seed=3)
    return net, NumpyLinearNetwork(X, Y, WIDTHS), x0


def test_the_numpy_network_has_the_built_in_loss_and_gradient(problem):
    net, mine, x0 = problem
    # Same formula, different summation order: agreement to a few ulps of the sums.
    assert mine.loss(x0) == pytest.approx(net.loss(x0), rel=1e-13)
    assert np.allclose(mine.gradient(x0), net.gradient(x0), rtol=1e-12, atol=1e-15)
    # And both against finite differences of the loss (error O(h²) ≈ 1e-10 relative).
    fd = finite_difference_gradient(mine.loss, x0)
    assert np.allclose(fd, net.gradient(x0), rtol=1e-6, atol=1e-9)


def test_a_python_network_follows_the_built_in_one_along_gd_to_round_off(problem):
    net, mine, x0 = problem
    ref = gf.gd(net, x0, eta=0.05, steps=400)
    run = gf.gd(mine, x0, eta=0.05, steps=400)
    assert run.status == ref.status == "completed"
    assert np.array_equal(run.t, ref.t)
    # Euler on fields that agree to ~1e-16 relative: the iterates drift apart by
    # round-off amplified by at most (1 + η‖∇²L‖)^k, which stays O(1) here
    # (GD converges); 1e-12 relative leaves three orders to spare.
    scale = np.abs(ref.states).max()
    assert np.abs(run.states - ref.states).max() <= 1e-12 * scale
    assert np.allclose(run.loss, ref.loss, rtol=1e-11, atol=0)


def test_a_python_network_follows_the_built_in_one_along_dopri5_to_round_off(problem):
    net, mine, x0 = problem
    kw = dict(t_end=20.0, method="dopri5", rtol=1e-10, atol=1e-12)
    ref = gf.integrate(net, x0, **kw)
    run = gf.integrate(mine, x0, **kw)
    # The same controller sees error estimates equal to round-off, so it takes
    # the same steps: same counts, states equal to round-off (1e-11 relative:
    # the local round-off times the number of steps, with room to spare).
    assert run.stats["steps"] == ref.stats["steps"]
    assert run.stats["field_evaluations"] == ref.stats["field_evaluations"]
    scale = np.abs(ref.states).max()
    assert np.abs(run.states - ref.states).max() <= 1e-11 * scale
    assert run.flow == "python" and "NumpyLinearNetwork" in run.meta["field"]


def test_gd_and_flow_of_a_python_model_compare_at_matched_times(problem):
    _, mine, x0 = problem
    gd = gf.gd(mine, x0, eta=0.05, t_end=5.0)
    flow = gf.integrate(mine, x0, t_end=5.0, rtol=1e-10, atol=1e-12,
                        sample={"kind": "grid", "spacing": 0.05})
    c = gf.compare(gd, flow)
    assert len(c.t) == len(gd.t) == 101
    # Eigen's norm and numpy's sum in different orders: a few ulps apart.
    assert np.allclose(c.state_dist, np.linalg.norm(gd.states - flow.states, axis=1), rtol=1e-14, atol=0)
    # GD is O(η) from the flow: over t = 5 the gap is small but not round-off.
    assert 1e-6 < c.state_dist.max() < 0.1


def test_the_modified_flow_is_closer_to_gd_than_gradient_flow(problem):
    _, mine, x0 = problem
    eta = 0.05
    grid = {"kind": "grid", "spacing": eta}
    gd = gf.gd(mine, x0, eta=eta, t_end=5.0)
    flow = gf.integrate(mine, x0, t_end=5.0, rtol=1e-11, atol=1e-13, sample=grid)
    mod = gf.modified_flow(mine, x0, eta=eta, t_end=5.0, rtol=1e-11, atol=1e-13, sample=grid)
    d_flow = gf.compare(gd, flow).state_dist.max()
    d_mod = gf.compare(gd, mod).state_dist.max()
    # Barrett & Dherin: O(η) against O(η²); at η = 0.05 at least 5x closer.
    assert d_mod < d_flow / 5


def test_bdf_with_differenced_jacobian_agrees_with_dopri5(problem):
    _, mine, x0 = problem
    a = gf.integrate(mine, x0, t_end=10.0, method="dopri5", rtol=1e-11, atol=1e-13)
    b = gf.integrate(mine, x0, t_end=10.0, method="bdf", rtol=1e-9, atol=1e-12)
    assert "central differences" in b.stats["note"]
    # Both solve the same ODE; BDF's weighted-RMS error control at rtol 1e-9
    # keeps the global error within ~1e-6 of the state's scale.
    assert np.abs(a.states[-1] - b.states[-1]).max() < 1e-6 * np.abs(a.states[-1]).max()


def test_sharpness_of_a_python_model_matches_the_built_in_hessian(problem):
    net, mine, x0 = problem
    # Central differences of the gradient: O(h²) with h ≈ ε^{1/3}: ~1e-7 relative.
    assert gf.sharpness(mine, x0) == pytest.approx(net.sharpness(x0), rel=1e-6)
    H = gf.hessian(mine, x0)
    assert np.allclose(H, net.hessian(x0), rtol=1e-5, atol=1e-7)


class Failing(NumpyLinearNetwork):
    """Raises inside gradient() after a number of calls."""

    def __init__(self, *args, after=50):
        super().__init__(*args)
        self.after = after

    def gradient(self, x):
        if self.calls >= self.after:
            raise_from_deep_inside(self.calls)
        return super().gradient(x)


def raise_from_deep_inside(calls):
    raise ArithmeticError(f"model failed at call {calls}")


@pytest.mark.parametrize("method", ["dopri5", "bdf", "auto", "euler", "rk4"])
def test_an_exception_in_a_callback_stops_the_run_with_its_traceback(problem, method):
    _, mine, x0 = problem
    model = Failing(mine.Xt.T, mine.Yt.T, WIDTHS)
    kwargs = {"eta": 0.01} if method == "euler" else {"dt": 0.01} if method == "rk4" else {}
    with pytest.raises(ArithmeticError, match="model failed at call 50") as info:
        if method == "euler":
            gf.gd(model, x0, t_end=10.0, **kwargs)
        else:
            gf.integrate(model, x0, t_end=10.0, method=method, **kwargs)
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "raise_from_deep_inside" in frames
    # The model still works afterwards: nothing was left half-done.
    model.after = 10**9
    assert gf.gd(model, x0, eta=0.01, steps=5).status == "completed"


def test_callbacks_returning_the_wrong_shape_or_dtype_are_refused(problem):
    _, mine, x0 = problem
    wrong_shape = gf.FunctionModel(mine.loss, lambda x: mine.gradient(x)[:-1])
    with pytest.raises(ValueError, match=r"FunctionModel.gradient\(x\) returned an array of shape \(37,\); "
                                         r"expected shape \(38,\)"):
        gf.gd(wrong_shape, x0, eta=0.01, steps=3)
    complex_grad = gf.FunctionModel(mine.loss, lambda x: mine.gradient(x) + 0j)
    with pytest.raises(TypeError, match="dtype 'complex128'"):
        gf.gd(complex_grad, x0, eta=0.01, steps=3)
    bad_loss = gf.FunctionModel(lambda x: "a string", mine.gradient)
    with pytest.raises(TypeError, match="expected a float"):
        gf.gd(bad_loss, x0, eta=0.01, steps=3)
    with pytest.raises(TypeError, match="object lacks loss and gradient"):
        gf.gd(object(), x0, eta=0.01, steps=3)


# ẋ = −x: x(1) = x0 e^{−1}; dopri5 at rtol 1e-12 is accurate to ~1e-11.
@pytest.mark.parametrize("returns", [lambda x: [float(v) for v in x],   # a list
                                     lambda x: np.repeat(x, 2)[::2],    # a strided view
                                     lambda x: np.asfortranarray(x)])
def test_callbacks_may_return_any_real_array_like(returns):
    quad = gf.FunctionModel(lambda x: float(x @ x) / 2, returns)
    run = gf.integrate(quad, np.array([1.0, -2.0]), t_end=1.0, rtol=1e-12, atol=1e-14)
    assert np.allclose(run.final_state, np.array([1.0, -2.0]) * np.exp(-1.0), rtol=1e-10, atol=0)


def test_a_float32_gradient_is_converted_with_one_warning():
    quad = gf.FunctionModel(lambda x: float(x @ x) / 2, lambda x: x.astype(np.float32))
    with pytest.warns(gf.DtypeWarning, match=r"FunctionModel.gradient\(x\) returned a float32 array") as w:
        run = gf.integrate(quad, np.array([1.0, -2.0]), t_end=1.0, rtol=1e-12, atol=1e-14)
    assert len([x for x in w if issubclass(x.category, gf.DtypeWarning)]) == 1
    # float32 carries ~7 digits: the flow is right to about that.
    assert np.allclose(run.final_state, np.array([1.0, -2.0]) * np.exp(-1.0), rtol=1e-6, atol=0)


def test_observations_of_a_python_model_become_columns(problem):
    _, mine, x0 = problem
    model = gf.FunctionModel(mine.loss, mine.gradient, layout=mine.layout,
                             observe=lambda x: {"first": x[0], "W1": x[:20].reshape(4, 5, order="F")})
    run = gf.integrate(model, x0, t_end=1.0)
    assert "first" in run.columns
    assert np.array_equal(run["first"], run.states[:, 0])
    assert np.array_equal(run.matrices("W1"), run.projections["W1"])


def test_arrays_a_model_keeps_are_never_overwritten(problem):
    _, mine, x0 = problem
    kept = []

    def gradient(x):
        kept.append(x)          # keeps every argument it was given
        return mine.gradient(x)
    run = gf.gd(gf.FunctionModel(mine.loss, gradient), x0, eta=0.05, steps=20)
    # GD evaluates the gradient at iterates 0..19, then the diagnostics at every
    # record: each kept array still holds the state it was called with.
    assert np.array_equal(np.array(kept[:20]), run.states[:20])
    assert len({id(k) for k in kept}) == len(kept)


def test_arrays_a_model_modifies_do_not_change_the_run(problem):
    _, mine, x0 = problem

    def gradient(x):
        g = mine.gradient(x)
        x[:] = np.nan           # scribbles over its argument
        return g
    run = gf.gd(gf.FunctionModel(mine.loss, gradient), x0, eta=0.05, steps=20)
    ref = gf.gd(mine, x0, eta=0.05, steps=20)
    assert np.array_equal(run.states, ref.states)
