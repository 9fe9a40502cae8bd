"""Every built-in model from numpy arrays: evaluations against finite
differences and closed forms, starts equal to the CLI's, and runs."""

import numpy as np
import pytest

import gradflow as gf
from helpers import finite_difference_gradient, sine_data


def check_derivatives(model, x, flow=None):
    f = lambda z: model.loss(z, flow=flow)  # noqa: E731
    g = model.gradient(x, flow=flow)
    # Central differences, h = 1e-6: error ~1e-10 relative to the curvature scale.
    assert np.allclose(finite_difference_gradient(f, x), g, rtol=1e-6, atol=1e-8)
    v = np.random.default_rng(0).standard_normal(x.size)
    h = 1e-6
    fd = (model.gradient(x + h * v, flow=flow) - model.gradient(x - h * v, flow=flow)) / (2 * h)
    assert np.allclose(fd, model.hessian_vector(x, v, flow=flow), rtol=1e-5, atol=1e-7)
    H = model.hessian(x, flow=flow)
    assert np.allclose(H @ v, model.hessian_vector(x, v, flow=flow), rtol=1e-9, atol=1e-10)
    assert model.sharpness(x, flow=flow) == pytest.approx(np.linalg.eigvalsh(H).max(), rel=1e-9)


def test_linear_network_from_arrays():
    X, Y = sine_data(n=25, d0=4, dn=3, seed=2)
    net = gf.LinearNetwork(X, Y, hidden=[5, 2])
    assert net.flows == ["layers", "end_to_end"]
    assert net.dim() == 5 * 4 + 2 * 5 + 3 * 2
    x = net.init("gaussian", std=0.5, seed=4)
    check_derivatives(net, x)
    W = net.unpack(x)
    assert np.array_equal(net.pack([W["W1"], W["W2"], W["W3"]]), x)
    e2e = W["W3"] @ W["W2"] @ W["W1"]
    assert np.allclose(net.end_to_end(x), e2e, rtol=1e-14, atol=1e-15)
    # The loss 1/(2n)‖W Xᵀ − Yᵀ‖_F² from numpy.
    assert net.loss(x) == pytest.approx(0.5 * np.sum((e2e @ X.T - Y.T) ** 2) / 25, rel=1e-13)
    assert np.allclose(net.velocity(x), -net.gradient(x), rtol=0, atol=0)
    obs = net.observe(x)
    assert "balancedness_max" in obs and "e2e" in obs
    # The end-to-end flow's start is the product of the layers; its velocity
    # at a balanced start equals the induced velocity of the layers' flow.
    xb = net.init("balanced", scale=0.7, seed=1)
    w0 = net.init("balanced", scale=0.7, seed=1, flow="end_to_end")
    assert np.allclose(w0, net.project(xb).ravel(order="F"), rtol=1e-14, atol=1e-15)


def test_every_flow_and_gd_of_a_linear_network_run_from_arrays():
    X, Y = sine_data(n=25, d0=4, dn=1, seed=3)
    net = gf.LinearNetwork(X, Y, hidden=[3, 3])
    x0 = net.init("balanced", scale=0.5, seed=2)
    lay = gf.integrate(net, x0, t_end=3.0, rtol=1e-11, atol=1e-13)
    e2e = gf.integrate(net, net.init("balanced", scale=0.5, seed=2, flow="end_to_end"), t_end=3.0,
                       flow="end_to_end", rtol=1e-11, atol=1e-13)
    # Arora, Cohen & Hazan: from a balanced start the layers' product follows
    # the end-to-end flow exactly; both at tolerance 1e-11.
    c = gf.compare(lay, e2e)
    assert c.e2e_dist.max() < 1e-8
    assert c.state_dist is None  # different state spaces
    assert e2e.matrices("W").shape == (101, 1, 4)


def test_least_squares_from_arrays_knows_its_stability_threshold():
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((20, 4)), rng.standard_normal(20)
    ls = gf.LeastSquares(X, y)
    lam = np.linalg.eigvalsh(X.T @ X).max()
    assert ls.facts["lambda_max_XtX"] == pytest.approx(lam, rel=1e-12)
    x0 = ls.init("gaussian", seed=1)
    check_derivatives(ls, x0)
    assert np.allclose(ls.hessian(x0), X.T @ X, rtol=1e-13, atol=1e-12)
    # GD diverges iff η > 2/λ_max(XᵀX).
    stop = {"max_abs_state": 1e8}
    assert gf.gd(ls, x0, eta_over_stability=0.99, t_end=50 / lam, stop=stop).status == "completed"
    assert gf.gd(ls, x0, eta_over_stability=1.01, t_end=5000 / lam, stop=stop).status == "diverged"
    theta = np.linalg.lstsq(X, y, rcond=None)[0]
    run = gf.integrate(ls, x0, t_end=200.0, method="exact")
    assert np.allclose(run.final_state, theta, rtol=1e-8, atol=1e-10)


def test_wide_sharp_1d_curvatures_and_an_ensemble_of_starts():
    f = gf.WideSharp1D()
    assert f.facts["sharp_curvature"] == pytest.approx(20.1, abs=0.1)
    check_derivatives(f, np.array([2.0]))
    run = gf.gd(f, {"kind": "uniform", "low": -5, "high": 20}, eta=0.01, t_end=30,
                sample={"kind": "linear", "count": 31}, ensemble={"size": 20})
    assert sum(run.ensemble.outcomes.values()) == 20
    assert set(run.ensemble.outcomes) >= {"sharp", "wide"}


def test_two_layer_relu_from_arrays_matches_its_kernel_flow_at_width():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.sign(rng.standard_normal(10))
    net = gf.TwoLayerRelu(X, y, width=50, std=1.0, seed=2)
    assert net.flows == ["network", "kernel", "kernel_init"]
    assert set(np.unique(net.signs)) <= {-1.0, 1.0}
    W = net.unpack(net.x0)["W"]
    # f(x) = (1/√m) Σ a_r relu(w_rᵀx): the predictions u of the start, from numpy.
    u = np.maximum(X @ W.T, 0) @ net.signs / np.sqrt(50)
    assert np.allclose(net.project(net.x0).ravel(), u, rtol=1e-13, atol=1e-14)
    assert net.loss(net.x0) == pytest.approx(0.5 * np.sum((u - y) ** 2), rel=1e-13)
    gd = gf.gd(net, None, eta=0.05, t_end=1.0)
    same = gf.gd(net, net.x0, eta=0.05, t_end=1.0)
    assert np.array_equal(gd.series.values, same.series.values)
    kern = gf.integrate(net, net.project(net.x0).ravel(), t_end=1.0, flow="kernel", method="exact")
    assert kern.status == "completed"


def test_symmetric_factorisation_from_arrays_repeats_its_generated_twin():
    gen = gf.SymmetricFactorisation("completion", size=6, rank=2, observed=20, seed=3)
    arrays = gen.arrays
    twin = gf.SymmetricFactorisation("completion", ground_truth=arrays["ground_truth"],
                                     observed=arrays["completion_observed"])
    x = gen.init("gaussian", seed=3, alpha=0.3)
    assert gen.loss(x) == twin.loss(x)
    check_derivatives(twin, x)
    a = gf.integrate(gen, x, t_end=2.0)
    b = gf.integrate(twin, x, t_end=2.0)
    assert np.array_equal(a.series.values, b.series.values)
    assert "reconstruction_error" in a.columns
    sensing = gf.SymmetricFactorisation("sensing", size=4, rank=1, measurements=30, seed=1)
    check_derivatives(sensing, sensing.init("gaussian", seed=1, alpha=0.5))


def test_a_generic_model_takes_any_spec_fragment_with_arrays():
    X, Y = sine_data(n=20, d0=3, dn=1, seed=9)
    generic = gf.Model("linear_network", data={"kind": "files", "x": X, "y": Y}, hidden=[2])
    named = gf.LinearNetwork(X, Y, hidden=[2])
    x = named.init("gaussian", seed=1)
    assert generic.loss(x) == named.loss(x)
    sine = gf.LinearNetwork(data={"kind": "sine", "samples": 30, "inputs": 3}, hidden=[2], seed=4)
    assert sine.arrays["data_X"].shape == (30, 3)


def test_initial_layers_from_arrays_give_the_packed_start():
    X, Y = sine_data(n=20, d0=3, dn=2, seed=5)
    net = gf.LinearNetwork(X, Y, hidden=[4])
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    packed = gf.gd(net, net.pack([W1, W2]), eta=0.1, steps=10)
    layers = gf.gd(net, {"kind": "file", "layers": [W1, np.asfortranarray(W2)]}, eta=0.1, steps=10)
    assert np.array_equal(packed.states, layers.states)
    assert np.array_equal(layers.matrices("W2")[0], W2)


def test_a_two_layer_relu_network_from_given_weights_and_signs_repeats_the_drawn_one():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 3))
    y = np.sign(rng.standard_normal(8))
    drawn = gf.TwoLayerRelu(X, y, width=20, std=0.7, seed=1)
    given = gf.TwoLayerRelu(X, y, width=20, weights=drawn.arrays["init_weights"], signs=drawn.signs)
    assert np.array_equal(given.x0, drawn.x0)
    a, b = gf.gd(drawn, None, eta=0.1, t_end=1.0), gf.gd(given, None, eta=0.1, t_end=1.0)
    assert np.array_equal(a.series.values, b.series.values)
    with pytest.raises(ValueError, match="every output sign a_r must be \\+1 or -1"):
        gf.TwoLayerRelu(X, y, width=20, weights=drawn.arrays["init_weights"], signs=2 * drawn.signs).dim()
