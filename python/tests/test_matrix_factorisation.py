"""The asymmetric (deep) matrix factorisation from numpy arrays: derivatives
against finite differences, the layers' product against numpy, unknown (NaN)
ground-truth entries kept out of the loss, metrics recomputed with numpy."""

import numpy as np
import pytest

import gradflow as gf
from test_models import check_derivatives


def test_matrix_factorisation_from_arrays_repeats_its_generated_twin():
    gen = gf.MatrixFactorisation(rows=5, cols=4, rank=2, observed=12, depth=3, seed=2)
    assert gen.flows == ["layers", "end_to_end"]
    arrays = gen.arrays
    assert arrays["ground_truth"].shape == (5, 4)
    assert np.linalg.matrix_rank(arrays["ground_truth"]) == 2
    twin = gf.MatrixFactorisation(ground_truth=arrays["ground_truth"],
                                  observed=arrays["completion_observed"], depth=3)
    x = gen.init("gaussian", seed=4, alpha=0.7)
    assert gen.loss(x) == twin.loss(x)
    check_derivatives(twin, x)
    # W = W3 W2 W1 and the loss 1/(2|Ω|) Σ_Ω (W_ij − W*_ij)², from numpy.
    layers = gen.unpack(x)
    W = layers["W3"] @ layers["W2"] @ layers["W1"]
    assert np.allclose(gen.product(x), W, rtol=1e-13, atol=1e-15)
    omega = arrays["completion_observed"].astype(int)
    r = W[omega[:, 0], omega[:, 1]] - arrays["ground_truth"][omega[:, 0], omega[:, 1]]
    assert gen.loss(x) == pytest.approx(0.5 * np.mean(r ** 2), rel=1e-13)
    a = gf.integrate(gen, x, t_end=20.0)
    b = gf.integrate(twin, x, t_end=20.0)
    assert np.array_equal(a.series.values, b.series.values)


def test_unknown_entries_are_nan_and_never_reach_the_loss():
    truth = np.array([[np.nan, 1.0, 2.0], [1.0, 0.0, np.nan]])
    filled = np.where(np.isnan(truth), 123.0, truth)
    known = np.argwhere(~np.isnan(truth))
    a = gf.MatrixFactorisation(ground_truth=truth, depth=2)
    b = gf.MatrixFactorisation(ground_truth=filled, observed=known, depth=2)
    x = a.init("gaussian", seed=1, alpha=0.5)
    assert a.loss(x) == b.loss(x)
    assert np.array_equal(a.gradient(x), b.gradient(x))
    run = gf.integrate(a, x, t_end=50.0)
    assert "reconstruction_error" not in run.columns
    assert "observed_error" in run.columns
    assert a.facts["unknown_truth_entries"] == 2.0


def test_recorded_metrics_are_those_of_numpy_singular_values_of_the_recorded_states():
    model = gf.MatrixFactorisation(rows=6, cols=4, rank=1, observed=15, depth=2, seed=5)
    x = model.init("balanced", seed=3, alpha=0.2)
    run = gf.integrate(model, x, t_end=100.0)
    truth = model.arrays["ground_truth"]
    for k, state in enumerate(run.states):
        layers = model.unpack(state)
        s = np.linalg.svd(layers["W2"] @ layers["W1"], compute_uv=False)
        p = s / s.sum()
        # Two backward-stable SVDs agree to a few ε·σ₁.
        assert run["effective_rank"][k] == pytest.approx(np.exp(-np.sum(p * np.log(p))), rel=1e-10)
        assert run["nuclear_norm"][k] == pytest.approx(s.sum(), rel=1e-12)
        assert run["sigma_1"][k] == pytest.approx(s[0], rel=1e-12)
        W = layers["W2"] @ layers["W1"]
        assert run["reconstruction_error"][k] == pytest.approx(
            np.linalg.norm(W - truth) / np.linalg.norm(truth), rel=1e-12)
    assert run["loss"][-1] < 1e-3 * run["loss"][0]


def test_sensing_from_arrays_has_the_loss_of_numpy():
    gen = gf.MatrixFactorisation("sensing", rows=3, cols=4, rank=1, measurements=10, depth=2,
                                 seed=1)
    A, y = gen.arrays["sensing_measurements"], gen.arrays["sensing_targets"].ravel()
    twin = gf.MatrixFactorisation("sensing", ground_truth=gen.arrays["ground_truth"],
                                  measurements=A, depth=2)
    x = gen.init("gaussian", seed=2, alpha=0.5)
    W = gen.product(x)
    assert gen.loss(x) == pytest.approx(0.5 * np.mean((A @ W.ravel(order="F") - y) ** 2), rel=1e-12)
    assert twin.loss(x) == gen.loss(x)
    check_derivatives(twin, x)
