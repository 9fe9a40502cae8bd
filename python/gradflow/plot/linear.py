"""Deep linear networks: the singular values of the end-to-end matrix W(t)
against t (Saxe, McClelland & Ganguli 2014: each mode learned in a plateau
then a sigmoid jump, strongest first), with Saxe's prediction where the spec
asked for it, and the balancedness δ(t) = max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F
(conserved by the exact flow)."""

import re

import numpy as np

from ._common import (COLOURS, T_LABEL, experiment_of, label_of, legend, log_y,
                      log_y_if_decades, new_figure, plot_series, runs_of)

_SV = re.compile(r"^sv_(\d+)$")
_SAXE = re.compile(r"^saxe_u_(\d+)$")

FLOW_LINESTYLES = ["-", "-.", ":"]


def _linestyle(run, j):
    """GD and SGD dashed as in every figure; flows solid, then dash-dotted."""
    return "--" if run.integrator in ("euler", "sgd") else FLOW_LINESTYLES[j % 3]


def _numbered(columns, pattern):
    found = sorted((int(m.group(1)), c) for c in columns for m in [pattern.match(c)] if m)
    return [c for _, c in found]


def singular_values_of(run):
    """records × k singular values of the run's end-to-end matrix: the
    recorded `sv_k` columns (end_to_end flow), else the SVD of its projection
    (<run>.e2e.npy, written with record.projection), else None."""
    if run.series is None:
        return None
    columns = _numbered(run.columns, _SV)
    if columns:
        return np.column_stack([run[c] for c in columns])
    e2e = run.projections.get("e2e") if run.projections else None
    if e2e is None:
        return None
    return np.linalg.svd(e2e, compute_uv=False)


def singular_values(obj, runs=None):
    """Singular values σ_k of the end-to-end matrix against t, one colour per
    mode k, one line style per run; Saxe's per-mode prediction (`saxe_u_k`
    columns, spec key model.saxe_oracle) as thin black lines."""
    exp = experiment_of(obj, "gf.plot.singular_values")
    selected = [r for r in runs_of(obj, runs) if singular_values_of(r) is not None]
    if not selected:
        raise ValueError(f"{exp.name}: no run records the end-to-end matrix's singular values "
                         "(an end_to_end flow's sv_k columns, or record.projection)")
    fig, (ax,) = new_figure(1)
    for j, run in enumerate(selected):
        sv = singular_values_of(run)
        for k in range(sv.shape[1]):
            label = f"σ_{k + 1}, {label_of(run)}" if k == 0 or sv.shape[1] <= 4 else None
            plot_series(ax, run.t, sv[:, k], f"{run.name}:sv_{k + 1}",
                        color=COLOURS[k % len(COLOURS)], linestyle=_linestyle(run, j),
                        linewidth=1.5, label=label)
        saxe = _numbered(run.columns, _SAXE)
        for k, column in enumerate(saxe):
            plot_series(ax, run.t, run[column], f"{run.name}:{column}", color="black",
                        linewidth=0.8, linestyle=(0, (1, 2)),
                        label="Saxe's prediction (saxe_u_k)" if k == 0 else None)
    values = np.concatenate([singular_values_of(r).ravel() for r in selected])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() / values.min() > 1e2:
        log_y(ax)
    ax.set_xlabel(T_LABEL)
    ax.set_ylabel("singular values σ_k of W(t) = W_N ⋯ W_1")
    ax.set_title(f"{exp.name}: singular values of the end-to-end matrix")
    ax.grid(True, alpha=0.3)
    legend(ax)
    return fig


def balancedness(obj, runs=None):
    """The balancedness δ(t) = max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F
    (`balancedness_max`) of every per-layer run, log-scaled: constant along
    the exact flow, so its drift is the integrator's (GD's O(η²) a step)."""
    exp = experiment_of(obj, "gf.plot.balancedness")
    selected = [r for r in runs_of(obj, runs) if "balancedness_max" in r]
    if not selected:
        raise ValueError(f"{exp.name}: no run records balancedness_max (per-layer flows do)")
    fig, (ax,) = new_figure(1)
    log_y_if_decades(ax, [r["balancedness_max"] for r in selected])
    for run in selected:
        plot_series(ax, run.t, run["balancedness_max"], run.name,
                    color=COLOURS[list(exp.runs).index(run.name) % len(COLOURS)],
                    linestyle="--" if run.integrator in ("euler", "sgd") else "-",
                    label=label_of(run))
    ax.set_xlabel(T_LABEL)
    ax.set_ylabel("balancedness δ (balancedness_max)")
    ax.set_title(f"{exp.name}: balancedness")
    ax.grid(True, alpha=0.3)
    legend(ax)
    return fig
