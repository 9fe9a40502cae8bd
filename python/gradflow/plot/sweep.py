"""Step-size sweeps (spec key eta_sweep): GD's distance to gradient flow is
O(η) and to the modified flow O(η²) (Barrett & Dherin 2021), so on log-log
axes the points lie on lines of slope 1 and 2."""

import os

import numpy as np

from ._common import eta_of, experiment_of, fit_slope, legend, new_figure
from ..load import read_table
from ..results import Series


def sweep_table(exp):
    """eta_sweep.csv as a Series (from the experiment folder, or rebuilt from
    the comparisons of a run made in Python)."""
    info = exp.meta.get("eta_sweep") if exp.meta else None
    if not info:
        raise ValueError(f"{exp.name}: not an eta_sweep experiment (no eta_sweep in meta.json)")
    folder = getattr(exp, "folder", None)
    if folder and os.path.isfile(os.path.join(folder, info["file"])):
        return Series(*read_table(os.path.join(folder, info["file"]))), info
    rows = []
    for run in exp.runs.values():
        if run.name.startswith("gd_") and (run.name, "gf") in exp.comparisons:
            eta = eta_of(run)
            if eta is None:  # the sweep names its GD runs gd_<η> (docs/spec.md → eta_sweep)
                eta = float(run.name[3:])
            flow = exp.comparisons[(run.name, "gf")]["state_dist"]
            mod = exp.comparisons.get((run.name, "mf_" + run.name[3:]))
            md = mod["state_dist"] if mod is not None else np.array([np.nan])
            rows.append([eta, np.nanmax(flow), flow[-1], np.nanmax(md), md[-1]])
    return Series(["eta", "max_dist_flow", "final_dist_flow", "max_dist_modified",
                   "final_dist_modified"], rows), info


def eta_sweep(obj):
    """Max distance of GD to gradient flow (circles) and to the modified flow
    (squares) against η, log-log, each with its fitted line and slope (as
    meta.json → eta_sweep reports) and dotted theory lines of slope 1 and 2
    through the data's geometric mean."""
    exp = experiment_of(obj, "gf.plot.eta_sweep")
    table, info = sweep_table(exp)
    eta = table["eta"]
    fig, (ax,) = new_figure(1)
    ax.set_xscale("log")
    ax.set_yscale("log", nonpositive="mask")
    for column, theory, colour, marker, what in (
            ("max_dist_flow", 1, "#1f77b4", "o", "GD to gradient flow"),
            ("max_dist_modified", 2, "#d62728", "s", "GD to the modified flow")):
        y = table[column]
        if not np.any(np.isfinite(y) & (y > 0)):
            continue
        slope, intercept = fit_slope(eta, y)
        reported = info.get(f"slope_{column}")
        (pts,) = ax.plot(eta, y, marker=marker, linestyle="none", color=colour,
                         label=f"{what}: max ‖x_GD − x‖, fitted slope "
                               f"{reported if reported is not None else slope:.3f}")
        pts.set_gid(column)
        grid = np.geomspace(eta.min(), eta.max(), 20)
        (fit,) = ax.plot(grid, np.exp(intercept) * grid ** slope, color=colour, linewidth=1.2)
        fit.set_gid(f"fit:{column}")
        keep = np.isfinite(y) & (y > 0)
        centre_x = np.exp(np.mean(np.log(eta[keep])))
        centre_y = np.exp(np.mean(np.log(y[keep])))
        ax.plot(grid, centre_y * (grid / centre_x) ** theory, color="grey", linestyle=":",
                linewidth=1, label=f"theory: slope {theory}")[0].set_gid(f"theory:{column}")
    ax.set_xlabel("step size η")
    ax.set_ylabel("max distance over t ∈ [0, t_end]")
    ax.set_title(f"{exp.name}: GD against gradient flow and the modified flow")
    ax.grid(True, which="both", alpha=0.3)
    legend(ax)
    return fig
