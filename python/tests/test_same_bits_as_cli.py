"""The same spec gives the same bits from Python as from the CLI: gf.run on a
shipped example against gf.load of the folder `gradflow run` wrote, and a
model built from the exported arrays against the spec's own runs."""

import json
import re

import numpy as np
import pytest

import gradflow as gf
from conftest import data

# Small shipped examples (each a second or two at most): every model family
# but the factorisation (whose examples take minutes; its Python twin is
# checked in test_models.py), the stiff integrators, SGD and ensembles, an
# eta sweep.
EXAMPLES = ["course_linear.json", "saxe_depth2.json", "ntk_small.json", "lp_regression.json",
            "least_squares_stability.json", "wide_sharp_1d.json", "sgd_schedules.json",
            "stiff_linear.json", "eta_sweep.json"]


def strip_times(meta):
    """meta.json without what differs between two runs of the same spec: wall times
    (every key holding "seconds": integration and diagnostics)."""
    meta = json.loads(json.dumps(meta))
    for r in meta.get("runs", []):
        for key in [k for k in r if "seconds" in k]:
            r.pop(key)
    return meta


def assert_same_runs(py, cli, same_meta=True):
    assert list(py.runs) == list(cli.runs)
    for name, a in py.runs.items():
        b = cli.runs[name]
        assert a.status == b.status and a.message == b.message, name
        for key in ("steps", "rejected_steps", "field_evaluations", "stop_time", "counters"):
            assert a.stats[key] == b.stats[key], (name, key)
        if a.series is not None:
            assert a.columns == b.columns, name
            assert np.array_equal(a.series.values, b.series.values, equal_nan=True), name
        else:
            assert np.array_equal(a.ensemble.aggregate.values, b.ensemble.aggregate.values,
                                  equal_nan=True)
            assert [m["final_loss"] for m in a.ensemble.members] == \
                   [m["final_loss"] for m in b.ensemble.members]
            assert a.ensemble.outcomes == b.ensemble.outcomes
        if b.states is not None:
            assert np.array_equal(a.states, b.states), name
        for p, m in b.projections.items():
            assert np.array_equal(a.projections[p], m), (name, p)
    assert list(py.comparisons) == list(cli.comparisons)
    for key, c in cli.comparisons.items():
        assert c.columns == py.comparisons[key].columns
        assert np.array_equal(py.comparisons[key].values, c.values, equal_nan=True), key
    for name, arr in cli.arrays.items():
        assert np.array_equal(py.arrays[name], arr), name
    if same_meta:
        assert strip_times(py.meta) == strip_times(cli.meta)


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_spec_file_run_from_python_equals_the_cli_bit_for_bit(example, cli, tmp_path):
    cli("run", data(example), "--out", str(tmp_path / "cli"), "--quiet")
    from_cli = gf.load(tmp_path / "cli")
    from_python = gf.run(data(example))
    assert list(from_python) == list(from_cli)
    for name in from_cli:
        assert_same_runs(from_python[name], from_cli[name])


def test_a_spec_dict_with_the_files_contents_gives_the_same_bits(cli, tmp_path):
    cli("run", data("course_linear.json"), "--out", str(tmp_path / "cli"), "--quiet")
    from_cli = gf.load(tmp_path / "cli")
    with open(data("course_linear.json")) as f:
        spec = json.loads(re.sub(r"^\s*//.*$", "", f.read(), flags=re.M))
    from_python = gf.run(spec)
    for name in from_cli:
        assert_same_runs(from_python[name], from_cli[name], same_meta=False)


def test_python_writes_the_same_folder_as_the_cli(cli, tmp_path):
    cli("run", data("saxe_depth2.json"), "--out", str(tmp_path / "cli"), "--quiet")
    gf.run(data("saxe_depth2.json"), out=tmp_path / "py")
    a, b = gf.load(tmp_path / "py"), gf.load(tmp_path / "cli")
    for name in b:
        assert_same_runs(a[name], b[name])
    files = sorted(p.name for p in (tmp_path / "cli").rglob("*") if p.is_file())
    assert sorted(p.name for p in (tmp_path / "py").rglob("*") if p.is_file()) == files


def test_a_linear_network_from_the_exported_arrays_repeats_the_cli_runs(cli, tmp_path):
    cli("run", data("course_linear.json"), "--out", str(tmp_path / "cli"), "--quiet")
    e = gf.load(tmp_path / "cli")["depth3"]
    net = gf.LinearNetwork(e.arrays["data_X"], e.arrays["data_Y"], hidden=[1, 1])
    x0 = net.init("gaussian", std=0.5, seed=7)
    assert np.array_equal(x0, e.arrays["x0"])
    record = {"hessian": True, "projection": True}
    gd = gf.gd(net, x0, eta=0.02, t_end=10.0, record=record)
    flow = gf.integrate(net, x0, t_end=10.0, method="dopri5", rtol=1e-10, atol=1e-12,
                        sample={"kind": "grid", "spacing": 0.02}, record=record, name="gf")
    for run, ref in ((gd, e.runs["gd"]), (flow, e.runs["gf"])):
        assert run.columns == ref.columns
        assert np.array_equal(run.series.values, ref.series.values)
        assert run.stats["field_evaluations"] == ref.stats["field_evaluations"]
        assert np.array_equal(run.projections["e2e"], ref.projections["e2e"])
    c = gf.compare(gd, flow)
    ref = e.comparisons[("gd", "gf")]
    assert c.columns == ref.columns
    assert np.array_equal(c.values, ref.values)


def test_loaded_and_live_runs_reshape_states_into_the_layout_matrices(tmp_path):
    X, Y = np.random.default_rng(1).standard_normal((30, 4)), np.random.default_rng(2).standard_normal((30, 2))
    net = gf.LinearNetwork(X, Y, hidden=[3])
    x0 = net.init("gaussian", std=0.3, seed=5)
    run = gf.integrate(net, x0, t_end=1.0, record={"states": True}, out=tmp_path)
    W2 = run.matrices("W2")
    assert W2.shape == (len(run.t), 2, 3)
    for k in (0, len(run.t) // 2, -1):
        assert np.array_equal(W2[k], net.unpack(run.states[k])["W2"])
    assert np.array_equal(run.states[0], x0)
    loaded = gf.load(tmp_path / "flow").runs["flow"]  # the default name of a run without a method
    assert np.array_equal(loaded.matrices("W2"), W2)
    assert np.array_equal(loaded.series.values, run.series.values)


def test_runs_loaded_from_a_folder_compare_as_the_cli_did(cli, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "seed": 1, "data": {"kind": "sine", "samples": 30, "inputs": 4},
        "model": {"kind": "linear_network", "hidden": [3]}, "init": {"kind": "gaussian", "std": 0.4},
        "t_end": 2.0, "record": {"states": True, "projection": True},
        "runs": [{"name": "gd", "integrator": "euler", "eta": 0.05},
                 {"name": "gf", "integrator": "dopri5", "rtol": 1e-10, "atol": 1e-12}]}))
    cli("run", str(spec), "--out", str(tmp_path / "out"), "--quiet")
    e = gf.load(tmp_path / "out" / "spec")
    ref = e.comparisons[("gd", "gf")]
    c = gf.compare(e.runs["gd"], e.runs["gf"])
    assert c.columns == ref.columns
    for col in ("t", "step_a", "step_b", "loss_a", "loss_b", "loss_diff"):
        assert np.array_equal(c[col], ref[col]), col
    # numpy's norms against Eigen's: the same sums in other orders, a few ulps apart.
    assert np.allclose(c.state_dist, ref.state_dist, rtol=1e-13, atol=0)
    assert np.allclose(c.e2e_dist, ref.e2e_dist, rtol=1e-13, atol=0)


def test_sgd_from_python_repeats_a_spec_run_and_is_gd_without_noise(cli, tmp_path):
    spec = {"seed": 5, "data": {"kind": "sine", "samples": 20, "inputs": 3},
            "model": {"kind": "least_squares"}, "init": {"kind": "gaussian"}, "t_end": 2.0,
            "runs": [{"name": "sgd", "integrator": "sgd", "eta": 0.5, "sigma": 0.5,
                      "schedule": "inverse_time_capped"}]}
    (tmp_path / "sgd.json").write_text(json.dumps(spec))
    cli("run", str(tmp_path / "sgd.json"), "--out", str(tmp_path / "out"), "--quiet")
    ref = gf.load(tmp_path / "out" / "sgd").runs["sgd"]
    ls = gf.LeastSquares(data=spec["data"], seed=5)
    run = gf.sgd(ls, {"kind": "gaussian"}, eta=0.5, sigma=0.5, t_end=2.0,
                 schedule="inverse_time_capped", seed=5)
    assert np.array_equal(run.series.values, ref.series.values)
    assert run.meta["sgd"] == ref.meta["sgd"]
    x0 = ls.init("gaussian", seed=5)
    quiet = gf.sgd(ls, x0, eta=0.01, sigma=0.0, t_end=2.0, sample={"kind": "grid", "spacing": 0.01})
    assert np.array_equal(quiet.states, gf.gd(ls, x0, eta=0.01, t_end=2.0).states)


def test_a_loaded_run_knows_its_own_flows_start(cli, tmp_path):
    cli("run", data("saxe_depth2.json"), "--out", str(tmp_path / "cli"), "--quiet")
    loaded = gf.load(tmp_path / "cli")["saxe_depth2"]
    live = gf.run(data("saxe_depth2.json"))["saxe_depth2"]
    for name in ("e2e", "gf"):
        assert np.array_equal(loaded.runs[name].x0, live.runs[name].x0)
        assert np.array_equal(loaded.runs[name].x0, live.runs[name].states[0])
