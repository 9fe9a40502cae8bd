"""What every figure shares: a Figure without pyplot's global state, which
experiment or runs an argument means, how a run is named in a legend (as the
spec names it), log scales that drop non-positive values, fitted slopes and
the mark of a diverged run."""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatterSciNotation

from ..results import Experiment, Results, Run

# One colour per run, the same in every figure of an experiment.
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22"]

T_LABEL = "t (flow time; GD step k at t = kη)"


def new_figure(panels=1, cols=None, width=6.4, height=4.2):
    """A Figure (not registered with pyplot: no global state, garbage-collected
    like any object) with `panels` axes, a list."""
    cols = cols or min(panels, 3)
    rows = -(-panels // cols)
    fig = Figure(figsize=(width * cols if cols > 1 else width, height * rows),
                 layout="constrained")
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(panels)]
    return fig, axes


def experiment_of(obj, what="this figure"):
    """The Experiment an argument means: an Experiment, Results of one
    experiment, or a Run (its experiment)."""
    if isinstance(obj, Experiment):
        return obj
    if isinstance(obj, Results):
        if len(obj) == 1:
            return obj.experiments[0]
        raise ValueError(f"{what}: Results of {len(obj)} experiments; pick one: "
                         f"res[{next(iter(obj))!r}]")
    if isinstance(obj, Run) and obj.experiment is not None:
        return obj.experiment
    raise TypeError(f"{what}: expected an Experiment, Results or Run, got {type(obj).__name__}")


def runs_of(obj, runs=None):
    """The runs an argument means, in the spec's order: a Run, a list of Runs,
    or every run of an experiment (`runs` = names to keep)."""
    if isinstance(obj, Run):
        selected = [obj]
    elif isinstance(obj, (list, tuple)):
        selected = list(obj)
    else:
        selected = list(experiment_of(obj).runs.values())
    if runs is not None:
        names = [runs] if isinstance(runs, str) else list(runs)
        by_name = {r.name: r for r in selected}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise KeyError(f"no run {', '.join(missing)} (runs: {', '.join(by_name)})")
        selected = [by_name[n] for n in names]
    return selected


def colour_of(run):
    """The run's colour: its place in its experiment's runs."""
    order = list(run.experiment.runs) if run.experiment is not None else [run.name]
    i = order.index(run.name) if run.name in order else 0
    return COLOURS[i % len(COLOURS)]


def spec_entry(run):
    """The run's entry of the resolved spec (eta, rtol, …), or {}."""
    exp = run.experiment
    try:
        for entry in exp.spec.get("runs", []):
            if entry.get("name") == run.name:
                return entry
    except (AttributeError, KeyError, TypeError):
        pass
    return {}


def eta_of(run):
    meta = run.meta or {}
    if meta.get("eta") is not None:
        return float(meta["eta"])
    entry = spec_entry(run)
    return float(entry["eta"]) if entry.get("eta") is not None else None


def is_discrete(run):
    return run.integrator in ("euler", "sgd")


def label_of(run):
    """'gd (euler, η = 0.02)': the spec's run name, then how it was integrated."""
    bits = [run.integrator or "?"]
    entry = spec_entry(run)
    eta = eta_of(run)
    if run.integrator in ("euler", "sgd") and eta is not None:
        bits.append(f"η = {eta:.4g}")
    for key, sym in (("modified_eta", "modified flow, η"), ("central_eta", "central flow, η")):
        if entry.get(key) is not None:
            bits.append(f"{sym} = {entry[key]:.4g}")
    if run.integrator == "sgd" and entry.get("sigma") is not None:
        bits.append(f"σ = {entry['sigma']:.4g}")
    return f"{run.name} ({', '.join(bits)})"


def style_of(run):
    """Flows solid, GD and SGD dashed (their records sit at t = kη)."""
    return {"color": colour_of(run), "linestyle": "--" if is_discrete(run) else "-",
            "linewidth": 1.4}


def log_y(ax):
    ax.set_yscale("log", nonpositive="mask")
    # Label some minor ticks (2, 3, 5 × 10^k) when the axis spans under ~2.5
    # decades: else such an axis shows one or two labels.
    ax.yaxis.set_minor_formatter(LogFormatterSciNotation(labelOnlyBase=False,
                                                         minor_thresholds=(2.5, 0.8)))


def log_y_if_decades(ax, arrays, decades=1.0):
    """Log-scaled y when the positive values span `decades` or more, else
    linear (a log axis over less than a decade shows one tick label)."""
    finite = [np.asarray(a, dtype=float).ravel() for a in arrays]
    if finite and spans_decades(np.concatenate(finite), decades):
        log_y(ax)
        return True
    return False


def spans_decades(values, decades=2.0):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return v.size > 1 and np.log10(v.max() / v.min()) >= decades


def log_time(exp):
    """Log-scaled t when the spec samples on a log grid."""
    try:
        return exp.spec.get("sample", {}).get("kind") == "log"
    except (AttributeError, KeyError, TypeError):
        return False


def plot_series(ax, t, y, gid, **style):
    """One curve of the finite values of y (NaN records, e.g. sharpness_every,
    are skipped rather than breaking the line); gid names it for tests."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(y) & np.isfinite(t)
    (line,) = ax.plot(t[keep], y[keep], **style)
    line.set_gid(gid)
    return line


def fit_slope(x, y):
    """Least-squares slope and intercept of log y against log x over the
    positive finite points, or (nan, nan) with fewer than two."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if keep.sum() < 2:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)
    return float(slope), float(intercept)


def mark_divergence(ax, run, t, y, colour):
    """A diverged run: a cross on its last recorded point and its step and
    time (meta.json: steps, stop_time) beside it."""
    if run.status != "diverged":
        return None
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    keep = np.flatnonzero(np.isfinite(y) & (y > 0) if ax.get_yscale() == "log" else np.isfinite(y))
    if keep.size == 0:
        return None
    i = keep[-1]
    steps, stop = run.stats.get("steps"), run.stats.get("stop_time")
    text = f"{run.name} diverged\nstep {steps}, t = {stop:.4g}" if stop is not None else \
        f"{run.name} diverged"
    (marker,) = ax.plot([t[i]], [y[i]], marker="X", markersize=10, color=colour,
                        markeredgecolor="black", linestyle="none")
    marker.set_gid(f"diverged:{run.name}")
    ax.annotate(text, (t[i], y[i]), xytext=(-8, -4), textcoords="offset points", ha="right",
                va="top", fontsize=8, color=colour,
                bbox={"boxstyle": "round", "fc": "white", "ec": colour, "alpha": 0.85})
    return marker


def legend(ax, **kw):
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=8, **kw)
