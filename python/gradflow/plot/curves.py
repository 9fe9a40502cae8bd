"""Figures every model has: the loss of each run against t (with the excess
L − L* where the model knows its minimum), distances between runs from the
comparison files, the sharpness against 2/η, and ensembles as median and
quartile bands."""

import numpy as np

from ._common import (COLOURS, T_LABEL, experiment_of, label_of, legend, log_time, log_y,
                      log_y_if_decades, mark_divergence,
                      new_figure, plot_series, runs_of, spec_entry, style_of)

BAND_ALPHA = 0.22


# Where models report their minimum L* in model_facts: least squares its
# minimum, a linear network the best loss at its rank (Eckart–Young).
MINIMUM_FACTS = ("minimum_loss", "optimal_loss")


def _minimum_loss(exp):
    """(L*, the model_facts key it came from), or (None, None)."""
    for key in MINIMUM_FACTS:
        value = exp.facts.get(key) if exp.facts else None
        if value is not None:
            return float(value), key
    return None, None


def _draw_ensemble(ax, run, column, colour, shift=0.0):
    """Median of the members and their quartile band."""
    agg = run.ensemble.aggregate
    t = agg["t"]
    median = agg[f"{column}_median"] - shift
    lo, hi = agg[f"{column}_q25"] - shift, agg[f"{column}_q75"] - shift
    label = f"{label_of(run)}: median of {len(run.ensemble.members)}, quartiles shaded"
    line = plot_series(ax, t, median, run.name, color=colour, linewidth=1.4, label=label,
                       linestyle="--" if run.integrator in ("euler", "sgd") else "-")
    keep = np.isfinite(lo) & np.isfinite(hi)
    band = ax.fill_between(t[keep], lo[keep], hi[keep], color=colour, alpha=BAND_ALPHA,
                           linewidth=0)
    band.set_gid(f"band:{run.name}")
    return line


def loss(obj, runs=None, excess=None):
    """Loss against t for every run (GD and SGD dashed, at their t = kη),
    log-scaled; ensembles as median and quartile band; a diverged run's last
    record marked with its step and time. With the model's minimum L*
    known (model_facts.minimum_loss, or a linear network's optimal_loss) or
    given (`excess=L*`), a second panel
    shows L − L*."""
    exp = experiment_of(obj, "gf.plot.loss")
    selected = runs_of(obj, runs)
    lstar, source = (excess, "given") if excess is not None else _minimum_loss(exp)
    source = source if source == "given" else f"model_facts.{source}"
    fig, axes = new_figure(2 if lstar is not None else 1)
    panels = [(axes[0], 0.0, "loss L")]
    if lstar is not None:
        panels.append((axes[1], lstar, f"excess loss L − L*  (L* = {lstar:.6g})"))
    floor = 4 * np.finfo(float).eps * abs(lstar) if lstar is not None else 0.0
    for ax, shift, ylabel in panels:
        if shift == 0.0:
            log_y_if_decades(ax, [_loss_values(r) for r in selected])
        else:
            log_y(ax)
        if log_time(exp):
            ax.set_xscale("log", nonpositive="mask")
        for run in selected:
            style = style_of(run)
            if run.ensemble is not None:
                _draw_ensemble(ax, run, "loss", style["color"], shift)
                continue
            y = run["loss"] - shift
            if shift != 0.0:
                # L − L* below the round-off of L* is noise: drawn on that floor.
                y = np.maximum(y, floor)
            plot_series(ax, run.t, y, run.name, label=label_of(run), **style)
            mark_divergence(ax, run, run.t, y, style["color"])
        if shift != 0.0:
            line = ax.axhline(floor, color="grey", linestyle=":", linewidth=1,
                              label=f"round-off of L*: 4ε·L* = {floor:.1e}")
            line.set_gid("round_off")
        if shift == 0.0 and lstar is not None:
            line = ax.axhline(lstar, color="black", linestyle=":", linewidth=1,
                              label=f"L* = {lstar:.6g} ({source})")
            line.set_gid("minimum_loss")
        ax.set_xlabel(T_LABEL)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        legend(ax)
    axes[0].set_title(f"{exp.name}: loss")
    if lstar is not None:
        axes[1].set_title(f"{exp.name}: excess loss")
    return fig


def _loss_values(run):
    if run.ensemble is not None:
        agg = run.ensemble.aggregate
        return np.concatenate([agg["loss_q25"], agg["loss_q75"]])
    return run["loss"]


def _distance_column(comparison, column):
    if column is not None:
        return column if column in comparison.columns else None
    if "state_dist" in comparison.columns:
        return "state_dist"
    others = [c for c in comparison.columns if c.endswith("_dist") and c != "avg_state_dist"]
    return others[0] if others else None


def _tolerance_floor(exp, comparisons):
    """The smallest rtol of the adaptive runs compared: distances below it are
    the solvers' own error, not a difference of the dynamics."""
    tolerances = []
    for c in comparisons:
        for name in (c.a, c.b):
            run = exp.runs.get(name)
            if run is None or run.integrator in ("euler", "sgd", "rk4", "exact"):
                continue
            entry = spec_entry(run)
            if entry.get("adaptive", True) and entry.get("rtol") is not None:
                tolerances.append(float(entry["rtol"]))
    return min(tolerances) if tolerances else None


def distance(obj, column=None, comparisons=None):
    """Distance between two runs at matched times against t, one curve per
    comparison file (compare_<a>_vs_<b>.csv): `state_dist` where both share a
    state space, else the projection's (`e2e_dist`, `u_dist`, `W_dist`), or
    the column asked for, and dashed beside it GD's time average
    (`avg_state_dist`) where the comparison has it; log-scaled, with the
    flows' tolerance (rtol) as a floor line."""
    exp = experiment_of(obj, "gf.plot.distance")
    chosen = [c for key, c in exp.comparisons.items()
              if comparisons is None or key in [tuple(k) for k in comparisons]]
    fig, (ax,) = new_figure(1)
    log_y(ax)
    if log_time(exp):
        ax.set_xscale("log", nonpositive="mask")
    drawn = []
    for i, c in enumerate(chosen):
        col = _distance_column(c, column)
        if col is None:
            continue
        colour = COLOURS[i % len(COLOURS)]
        plot_series(ax, c.t, c[col], f"{c.a} vs {c.b}", color=colour, linewidth=1.4,
                    label=f"{c.a} vs {c.b}: {col}")
        if column is None and "avg_state_dist" in c.columns:
            # Past the edge of stability GD's time average is what a flow can follow.
            plot_series(ax, c.t, c["avg_state_dist"], f"{c.a} vs {c.b}:avg", color=colour,
                        linewidth=1.1, linestyle="--",
                        label=f"{c.a} vs {c.b}: avg_state_dist (GD's time average)")
        drawn.append(c)
    floor = _tolerance_floor(exp, drawn)
    if floor is not None:
        line = ax.axhline(floor, color="black", linestyle=":", linewidth=1,
                          label=f"flow tolerance rtol = {floor:.0e}")
        line.set_gid("tolerance")
    ax.set_xlabel(T_LABEL)
    ax.set_ylabel("distance at matched times")
    ax.set_title(f"{exp.name}: distance between runs")
    ax.grid(True, which="major", alpha=0.3)
    legend(ax)
    return fig


def sharpness(obj, runs=None):
    """Sharpness S = λ_max(∇²L) against t for every run that records it
    (`sharpness`; the central flow's `S`), each GD run's 2/η as a dashed line
    of its colour, its first crossing marked and its edge-of-stability
    outcome (meta.json → edge_of_stability) in the legend."""
    exp = experiment_of(obj, "gf.plot.sharpness")
    selected = [r for r in runs_of(obj, runs)
                if r.series is not None and ("sharpness" in r.columns or "S" in r.columns)]
    fig, (ax,) = new_figure(1)
    levels = {}
    for run in selected:
        style = style_of(run)
        if run.integrator in ("euler", "sgd"):
            # GD oscillates about 2/η past the edge: dashes would blur it.
            style.update(linestyle="-", linewidth=0.8, alpha=0.8)
        column = "sharpness" if "sharpness" in run.columns else "S"
        label = label_of(run)
        eos = (run.meta or {}).get("edge_of_stability")
        if eos:
            label += f": {eos.get('outcome', '?')}"
        plot_series(ax, run.t, run[column], run.name, label=label, **style)
        if "two_over_eta" in run.columns:
            levels.setdefault(float(np.nanmax(run["two_over_eta"])), []).append(run)
        if eos and eos.get("crossed") and eos.get("first_crossing_time") is not None:
            (m,) = ax.plot([eos["first_crossing_time"]], [eos["sharpness_at_crossing"]],
                           marker="o", markersize=7, markerfacecolor="none",
                           color=style["color"], linestyle="none",
                           label=f"first S ≥ 2/η: step {eos['first_crossing_step']}, "
                                 f"t = {eos['first_crossing_time']:.4g}")
            m.set_gid(f"crossing:{run.name}")
        mark_divergence(ax, run, run.t, run[column], style["color"])
    for level, owners in levels.items():
        names = ", ".join(r.name for r in owners)
        line = ax.axhline(level, color="black", linestyle=(0, (6, 3)), linewidth=1, alpha=0.8,
                          label=f"2/η = {level:.4g} ({names})")
        line.set_gid(f"two_over_eta:{owners[0].name}")
    if log_time(exp):
        ax.set_xscale("log", nonpositive="mask")
    ax.set_xlabel(T_LABEL)
    ax.set_ylabel("sharpness S = λ_max(∇²L)")
    ax.set_title(f"{exp.name}: sharpness and the edge of stability")
    ax.grid(True, alpha=0.3)
    legend(ax)
    return fig


def ensemble(obj, runs=None):
    """Ensemble runs: the median of the members' loss and ‖∇L‖ against t with
    the band between the quartiles (<run>.ensemble.csv), outcome counts
    (meta.json → ensemble.outcomes) in the legend."""
    exp = experiment_of(obj, "gf.plot.ensemble")
    selected = [r for r in runs_of(obj, runs) if r.ensemble is not None]
    fig, axes = new_figure(2)
    for ax, column, ylabel in ((axes[0], "loss", "loss L"), (axes[1], "grad_norm", "‖∇L‖")):
        log_y(ax)
        for run in selected:
            line = _draw_ensemble(ax, run, column, style_of(run)["color"])
            counts = {k: v for k, v in run.ensemble.outcomes.items() if v}
            if counts:
                line.set_label(line.get_label() + "; " +
                               ", ".join(f"{k} {v}" for k, v in counts.items()))
        ax.set_xlabel(T_LABEL)
        ax.set_ylabel(ylabel + " (median, quartiles)")
        ax.grid(True, alpha=0.3)
    legend(axes[0])
    axes[0].set_title(f"{exp.name}: ensembles, loss")
    axes[1].set_title(f"{exp.name}: ensembles, gradient norm")
    return fig
