"""Ctrl-C stops a long run cleanly (KeyboardInterrupt, no hang, nothing
written), for built-in models (run without the GIL) and Python models."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import gradflow as gf
from helpers import NumpyLinearNetwork, sine_data

# A run far longer than the test: without the interrupt it would take minutes.
LONG_STEPS = 200_000_000


def sigint_after(seconds):
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.fixture(scope="module")
def net():
    X, Y = sine_data(n=50, d0=6, dn=2, seed=4)
    return gf.LinearNetwork(X, Y, hidden=[5, 5])


def test_ctrl_c_stops_a_long_built_in_gd_run(net, tmp_path):
    x0 = net.init("gaussian", std=0.1, seed=1)
    timer = sigint_after(0.3)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        gf.gd(net, x0, eta=1e-3, steps=LONG_STEPS, sample={"kind": "linear", "count": 3},
              stop={"max_steps": 10**12}, out=tmp_path / "o")
    elapsed = time.monotonic() - start
    timer.join()
    assert elapsed < 2.0
    assert not (tmp_path / "o" / "gd").exists()
    # The module works normally afterwards.
    assert gf.gd(net, x0, eta=1e-3, steps=10).status == "completed"


@pytest.mark.parametrize("method", ["dopri5", "bdf"])
def test_ctrl_c_stops_a_long_built_in_flow(net, method):
    x0 = net.init("gaussian", std=0.1, seed=1)
    timer = sigint_after(0.3)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        # max_dt bounds the step: 1e9 steps to reach t_end.
        gf.integrate(net, x0, t_end=1e6, method=method, max_dt=1e-3, rtol=1e-12, atol=1e-14,
                     sample={"kind": "linear", "count": 3}, stop={"max_steps": 10**12})
    assert time.monotonic() - start < 2.0
    timer.join()


def test_other_threads_run_while_a_built_in_model_integrates(net):
    x0 = net.init("gaussian", std=0.1, seed=1)
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)
    t = threading.Thread(target=count)
    t.start()
    gf.gd(net, x0, eta=1e-3, steps=300_000, sample={"kind": "linear", "count": 3})
    stop.set()
    t.join()
    # With the GIL held for the whole run the thread would not tick at all.
    assert len(ticks) > 10


def test_ctrl_c_stops_a_python_model_even_in_c_only_callbacks():
    # Callbacks that never run Python bytecode (numpy's C functions bound
    # directly) give the interpreter no chance to see the signal: the run's
    # own poll must.
    x = np.ones(3)
    model = gf.FunctionModel(loss=np.sum, gradient=np.cos)
    old = signal.signal(signal.SIGALRM, signal.default_int_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            gf.gd(model, x, eta=1e-6, steps=LONG_STEPS, sample={"kind": "linear", "count": 3},
                  stop={"max_steps": 10**12})
        assert time.monotonic() - start < 2.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_ctrl_c_stops_a_python_model_inside_cvode():
    X, Y = sine_data(n=20, d0=3, dn=1, seed=2)
    model = NumpyLinearNetwork(X, Y, [3, 3, 1])
    x0 = np.random.default_rng(0).standard_normal(12) * 0.3
    timer = sigint_after(0.3)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        gf.integrate(model, x0, t_end=1e6, method="bdf", max_dt=1e-3, sample={"kind": "linear", "count": 3},
                     stop={"max_steps": 10**12})
    assert time.monotonic() - start < 2.0
    timer.join()
    assert gf.integrate(model, x0, t_end=0.1, method="bdf").status == "completed"


@pytest.fixture(scope="module")
def relu_net():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.sign(rng.standard_normal(40))
    return gf.TwoLayerRelu(X, y, width=400, std=1.0, seed=2)


@pytest.mark.parametrize("method", ["event_driven", "relu_windows"])
def test_ctrl_c_stops_the_integrators_that_need_the_concrete_relu_field(relu_net, method):
    # These integrators read the network's activation pattern, so the field
    # they see cannot be the interrupting wrapper: the run polls after each
    # accepted step instead. max_dt bounds the step: ~1e9 steps to t_end.
    timer = sigint_after(0.3)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        gf.integrate(relu_net, relu_net.x0, t_end=1e6, method=method, max_dt=1e-3,
                     sample={"kind": "linear", "count": 3}, stop={"max_steps": 10**12})
    assert time.monotonic() - start < 2.0
    timer.join()
    run = gf.integrate(relu_net, relu_net.x0, t_end=0.01, method=method)
    assert run.status == "completed"


def test_ctrl_c_stops_the_exact_solver():
    # The exact solver evaluates its closed form, a product with the
    # eigenvectors (dim² flops), at each sample time: 400 parameters and
    # 30 000 sample times take seconds.
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((500, 400)), rng.standard_normal(500)
    model = gf.LeastSquares(X, y)
    timer = sigint_after(0.3)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        gf.integrate(model, np.zeros(400), t_end=1.0, method="exact",
                     sample={"kind": "linear", "count": 30_000})
    assert time.monotonic() - start < 2.0
    timer.join()
