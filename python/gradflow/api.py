"""Running things: a spec (file or dict) as the CLI runs it, and the
shortcuts integrate / gd / sgd / modified_flow that build a one-run spec
around a model and a start. Everything goes through the CLI's own pipeline
(spec → model → runs → diagnostics), so statistics, statuses and numbers are
the CLI's.

    flow = gf.integrate(net, x0, t_end=60, method="auto", rtol=1e-10)
    gd = gf.gd(net, x0, eta=0.02, t_end=60)
    gf.compare(gd, flow).state_dist
"""

import os

import numpy as np

from ._arrays import as_state, is_array
from ._core import core
from ._spec import drop_none, extract_arrays, to_json
from .custom import check_python_model
from .models import Model
from .results import Comparison, Experiment, Results, Run


# ---- specs

def run(spec, out=None, base_dir=None, log=False):
    """Runs every experiment of a spec — a file path (as `gradflow run`) or a
    dict (arrays allowed wherever a file is named) — and returns Results.
    out: also write the CLI's files there. log: print the CLI's run lines."""
    if isinstance(spec, (str, os.PathLike)):
        handles = core.run_spec(os.fspath(spec), True, os.fspath(spec), "", {}, None, {},
                                os.fspath(out) if out else "")
    elif isinstance(spec, dict):
        text, arrays = extract_arrays(spec)
        handles = core.run_spec(to_json(text), False, "<spec dict>",
                                os.fspath(base_dir) if base_dir else "", arrays, None, {},
                                os.fspath(out) if out else "")
    else:
        raise TypeError(f"spec: expected a file path or a dict, got {type(spec).__name__}")
    return Results([_experiment(h, log) for h in handles])


def _experiment(handle, log=False):
    s = handle.summary()
    if log:
        print(s["log"], end="")
    runs = {}
    for i, info in enumerate(s["runs"]):
        runs[info["name"]] = Run(info, handle=handle, index=i)
    comparisons = {(c["a"], c["b"]): Comparison(c) for c in s["comparisons"]}
    arrays = dict(s["exports"])
    if s["flows"]:
        arrays["x0"] = s["flows"][0]["x0"]
    # Every flow's start, as the CLI writes it (x0_<flow>.npy).
    for f in s["flows"]:
        arrays["x0_" + f["name"]] = f["x0"]
    return Experiment(s["name"], runs, comparisons, arrays, dict(s["facts"]), handle=handle,
                      log=s["log"], flows=s["flows"])


# ---- one run around a model and a start

_RUN_KEYS = ("rtol", "atol", "max_dt", "initial_dt", "dt", "adaptive", "linear_solver", "eta",
             "eta_over_stability", "sigma", "schedule", "beta", "ensemble", "modified_eta")


def _one_run(caller, model, x0, t_end, run, flow=None, sample=None, times=None, record=None,
             stop=None, seed=0, name=None, out=None, compare=None):
    if t_end is None:
        raise ValueError(f"{caller}: t_end (or steps) is required")
    spec = {"name": name or run["name"], "seed": seed, "t_end": float(t_end)}
    if times is not None:
        if sample is not None:
            raise ValueError(f"{caller}: give either sample or times, not both")
        sample = {"kind": "list", "times": [float(t) for t in np.asarray(times).ravel()]}
    spec.update(drop_none({"sample": sample, "record": record, "stop": stop}))
    run = dict(run)
    if flow is not None:
        run["flow"] = flow
    spec["runs"] = [run]
    if compare is not None:
        spec["compare"] = compare
    starts = {}
    python_model = None
    if isinstance(model, Model):
        spec.update(model.spec())
        if isinstance(x0, dict):
            spec["init"] = x0
        elif x0 is not None:
            start = as_state(x0, "x0")
            target = model._flow(flow)["name"]
            if target == model.flows[0]:
                spec["init"], starts = model._init_for_start(start)
            else:
                starts = {target: start}
        elif model._fixed_init is None:
            raise ValueError(f"{caller}: x0 is required (an array, or an init section as a dict)")
    else:
        check_python_model(model)
        if x0 is None or isinstance(x0, dict):
            raise ValueError(f"{caller}: a model defined in Python needs x0 as an array")
        if flow not in (None, "python"):
            raise ValueError(f"{caller}: a model defined in Python has one flow, \"python\"")
        start = as_state(x0, "x0").reshape(-1)
        name_ = getattr(model, "name", None) or type(model).__name__
        spec.update({"data": {}, "model": {"kind": "python", "name": str(name_)},
                     "init": {"kind": "array", "dim": int(start.size)}})
        starts = {"python": start}
        python_model = model
    text, arrays = extract_arrays(spec)
    handles = core.run_spec(to_json(text), False, f"gradflow.{caller}()", "", arrays, python_model,
                            starts, os.fspath(out) if out else "")
    return _experiment(handles[0]).runs[run["name"]]


def _options(**kw):
    return {k: (float(v) if isinstance(v, (int, float, np.floating, np.integer)) and
                not isinstance(v, bool) and k not in ("ensemble",) else v)
            for k, v in kw.items() if v is not None}


def integrate(model, x0, t_end, method=None, *, flow=None, rtol=None, atol=None, max_dt=None,
              initial_dt=None, dt=None, adaptive=None, linear_solver=None, modified_eta=None,
              ensemble=None, sample=None, times=None, record=None, stop=None, seed=0, name=None,
              out=None):
    """Integrates the model's flow from x0 (an array, or an init section as
    a dict) to t_end with `method` (dopri5, cash_karp54, fehlberg78,
    bulirsch_stoer, rk4, euler, bdf, auto, and event_driven, exact,
    relu_windows where the model offers them; by default what the CLI picks for
    a run that names none: auto, event_driven for the ReLU network's flow,
    dopri5 with adaptive=False). Returns a Run.
    ensemble: the spec's ensemble section, e.g. {"size": 20} (own starts from
    a random init dict x0).
    sample: the spec's sample section, or times=[...]; record, stop: the
    spec's sections (e.g. record={"sharpness": True}, stop={"loss_below": 1e-6})."""
    run = drop_none({"name": name or method or "flow", "integrator": method})
    run.update(_options(rtol=rtol, atol=atol, max_dt=max_dt, initial_dt=initial_dt, dt=dt,
                        modified_eta=modified_eta))
    run.update(drop_none({"adaptive": adaptive, "linear_solver": linear_solver, "ensemble": ensemble}))
    return _one_run("integrate", model, x0, t_end, run, flow, sample, times, record, stop, seed,
                    name, out)


def _horizon(caller, eta, t_end, steps):
    if steps is not None:
        if t_end is not None:
            raise ValueError(f"{caller}: give either t_end or steps, not both")
        if eta is None:
            raise ValueError(f"{caller}: steps needs eta (t_end = steps · eta)")
        return int(steps) * float(eta)
    return t_end


def gd(model, x0, eta=None, t_end=None, *, steps=None, eta_over_stability=None, flow=None,
       ensemble=None, sample=None, times=None, record=None, stop=None, seed=0, name="gd", out=None):
    """Gradient descent x_{k+1} = x_k + η v(x_k) (forward Euler on the
    flow's field), iterate k at t = kη; `steps` instead of t_end gives
    t_end = steps·η. eta_over_stability = c: η = c·2/λ_max(∇²L(x0)). By
    default every iterate is recorded (the spec's grid of spacing η)."""
    run = {"name": name, "integrator": "euler"}
    run.update(_options(eta=eta, eta_over_stability=eta_over_stability))
    run.update(drop_none({"ensemble": ensemble}))
    return _one_run("gd", model, x0, _horizon("gd", eta, t_end, steps), run, flow, sample, times,
                    record, stop, seed, name, out)


def sgd(model, x0, eta, sigma, t_end=None, *, steps=None, schedule=None, beta=None, ensemble=None,
        flow=None, sample=None, times=None, record=None, stop=None, seed=0, name="sgd", out=None):
    """Stochastic gradient descent x_{k+1} = x_k − η_k(∇L(x_k) + ξ_k),
    ξ_k ~ N(0, σ²I/dim), noise drawn from the seed (docs/spec.md → SGD)."""
    run = {"name": name, "integrator": "sgd"}
    run.update(_options(eta=eta, sigma=sigma, beta=beta))
    run.update(drop_none({"schedule": schedule, "ensemble": ensemble}))
    return _one_run("sgd", model, x0, _horizon("sgd", eta, t_end, steps), run, flow, sample, times,
                    record, stop, seed, name, out)


def modified_flow(model, x0, eta, t_end, method=None, *, flow=None, rtol=None, atol=None,
                  sample=None, times=None, record=None, stop=None, seed=0, name="modified", out=None):
    """The modified flow of GD with step η (Barrett & Dherin 2021),
    ẋ = −∇L − (η/2)∇²L∇L: GD is O(η²) from it, O(η) from gradient flow."""
    return integrate(model, x0, t_end, method, flow=flow, rtol=rtol, atol=atol, modified_eta=eta,
                     sample=sample, times=times, record=record, stop=stop, seed=seed, name=name,
                     out=out)


# ---- comparisons

def compare(a, b):
    """Runs a and b at matched times (the CLI's comparison: t, step_a, step_b,
    loss_a, loss_b, loss_diff, state_dist when both share a state layout,
    <projection>_dist when both project to the same space)."""
    if a._handle is not None and b._handle is not None:
        return Comparison(core.compare(a._handle, a._index, b._handle, b._index))
    return _compare_loaded(a, b)


def _compare_loaded(a, b):
    """The same from runs loaded from CLI folders: state_dist needs both
    runs' states (record.states), <projection>_dist their projections
    (record.projection). Norms are numpy's (may differ from the CLI's in the
    last bits)."""
    ta, tb = a.t, b.t
    rows, j = [], 0
    same = lambda s, t: abs(s - t) <= 1e-9 * max(1.0, abs(t))  # noqa: E731
    pairs = []
    for i, t in enumerate(ta):
        while j < len(tb) and tb[j] < t and not same(tb[j], t):
            j += 1
        if j == len(tb):
            break
        if same(tb[j], t):
            pairs.append((i, j))
    ia = np.array([p[0] for p in pairs], dtype=int)
    ib = np.array([p[1] for p in pairs], dtype=int)
    columns = ["t", "step_a", "step_b", "loss_a", "loss_b", "loss_diff"]
    rows = [ta[ia], a.step[ia], b.step[ib], a.loss[ia], b.loss[ib], a.loss[ia] - b.loss[ib]]
    info = {"a": a.name, "b": b.name}
    same_layout = [(x["name"], x["rows"], x["cols"]) for x in a.layout] == \
                  [(x["name"], x["rows"], x["cols"]) for x in b.layout]
    if same_layout and a.states is not None and b.states is not None:
        d = np.linalg.norm(a.states[ia] - b.states[ib], axis=1)
        columns.append("state_dist")
        rows.append(d)
        info["max_state_dist"] = float(d.max()) if d.size else float("nan")
    p = a.projection
    if p and p == b.projection and p in a.projections and p in b.projections:
        pa, pb = a.projections[p][ia], b.projections[p][ib]
        d = np.sqrt(((pa - pb) ** 2).sum(axis=(1, 2)))
        columns.append(p + "_dist")
        rows.append(d)
        info["max_" + p + "_dist"] = float(d.max()) if d.size else float("nan")
    info["series"] = (columns, np.column_stack(rows) if rows[0].size else np.zeros((0, len(columns))))
    if "diverged" in (a.status, b.status):  # as the CLI: no distance to a diverged run
        info.update({k: float("nan") for k in info if k.startswith("max_")})
    return Comparison(info)


def is_model(obj):
    return isinstance(obj, Model) or (callable(getattr(obj, "loss", None)) and
                                      callable(getattr(obj, "gradient", None)))


__all__ = ["run", "integrate", "gd", "sgd", "modified_flow", "compare", "is_array"]
