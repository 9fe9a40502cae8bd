"""Two-layer ReLU networks against their kernel flows (Du et al. 2019; Arora
et al. 2019): how far the network's predictions are from the kernel flow's,
how far its kernel H(t) is from H∞, the loss under the λ_min bound, and how
little the weights and activation patterns move; and, across experiments that
differ only in the width m, these at t_end against m with fitted slopes."""

import numpy as np

from ._common import (COLOURS, T_LABEL, experiment_of, fit_slope, label_of, legend, log_y,
                      log_y_if_decades,
                      new_figure, plot_series, runs_of, style_of)
from ..results import Results


def _flow_kind(exp, name):
    run = exp.runs.get(name)
    return run.flow if run is not None else None


def _network_vs_kernel(exp):
    """Comparisons of a network run with a kernel run (u_dist column), as
    (network run, kernel run, comparison)."""
    found = []
    for (a, b), c in exp.comparisons.items():
        fa, fb = _flow_kind(exp, a), _flow_kind(exp, b)
        if "u_dist" not in c.columns:
            continue
        if fa == "network" and fb in ("kernel", "kernel_init"):
            found.append((a, b, c))
        elif fb == "network" and fa in ("kernel", "kernel_init"):
            found.append((b, a, c))
    return found


def _initial_weight_norm(exp):
    w = exp.arrays.get("init_weights") if exp.arrays else None
    return float(np.linalg.norm(w)) if w is not None else None


def ntk(obj, runs=None):
    """Five panels: ‖u_net − u_kernel‖ (u_dist of each network-vs-kernel
    comparison), ‖H(t) − H∞‖₂ (`kernel_dist_inf`), the loss of every run
    under its bound e^{−2λ_min t}L(0) (`loss_bound`, dotted), the relative
    weight change ‖W − W(0)‖_F/‖W(0)‖_F (`weight_change` over the norm of
    init_weights.npy), and the fraction of activation patterns changed
    (`pattern_changed`)."""
    exp = experiment_of(obj, "gf.plot.ntk")
    selected = runs_of(obj, runs)
    network = [r for r in selected if "kernel_dist_inf" in r]
    if not network and not _network_vs_kernel(exp):
        raise ValueError(f"{exp.name}: no two-layer ReLU network run (kernel_dist_inf column)")
    fig, axes = new_figure(5, cols=3, width=5.2, height=3.9)
    dist, kern, lossax, wchange, pattern = axes
    log_y(dist)
    log_y(lossax)
    log_y_if_decades(kern, [r["kernel_dist_inf"] for r in network])
    for i, (a, b, c) in enumerate(_network_vs_kernel(exp)):
        plot_series(dist, c.t, c["u_dist"], f"{a} vs {b}", color=COLOURS[i % len(COLOURS)],
                    label=f"{a} vs {b}")
    w0 = _initial_weight_norm(exp)
    for run in network:
        style = style_of(run)
        plot_series(kern, run.t, run["kernel_dist_inf"], run.name, label=label_of(run), **style)
        change = run["weight_change"] / w0 if w0 else run["weight_change"]
        plot_series(wchange, run.t, change, run.name, label=label_of(run), **style)
        plot_series(pattern, run.t, run["pattern_changed"], run.name, label=label_of(run),
                    **style)
    bounds = []  # each distinct bound once (runs of one flow share λ_min and L(0))
    for run in selected:
        if run.series is None:
            continue
        style = style_of(run)
        plot_series(lossax, run.t, run["loss"], run.name, label=label_of(run), **style)
        if "loss_bound" in run and not any(np.array_equal(run["loss_bound"], b) for b in bounds):
            bounds.append(run["loss_bound"])
            plot_series(lossax, run.t, run["loss_bound"], f"{run.name}:bound",
                        color=style["color"], linestyle=":", linewidth=1,
                        label=f"{run.name}: bound e^(−2λ_min t)·L(0)")
    titles = [(dist, "‖u_net(t) − u_kernel(t)‖", "distance of the predictions"),
              (kern, "‖H(t) − H∞‖₂", "kernel distance to H∞"),
              (lossax, "loss ½‖u − y‖²", "loss under the λ_min bound"),
              (wchange, "‖W − W(0)‖_F / ‖W(0)‖_F" if w0 else "‖W − W(0)‖_F",
               "relative weight change" if w0 else "weight change"),
              (pattern, "fraction of patterns changed", "activation patterns changed")]
    for ax, ylabel, title in titles:
        ax.set_xlabel(T_LABEL)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        legend(ax)
    width = exp.spec.get("model", {}).get("width") if exp.meta else None
    fig.suptitle(f"{exp.name}: two-layer ReLU network" + (f", width m = {width}" if width else ""))
    return fig


def width_experiments(results):
    """(width, Experiment) of every two-layer ReLU experiment, by width."""
    exps = results.experiments if isinstance(results, Results) else list(results)
    found = []
    for e in exps:
        model = e.spec.get("model", {})
        if model.get("kind") == "two_layer_relu" and model.get("width"):
            found.append((int(model["width"]), e))
    return sorted(found, key=lambda p: p[0])


def _final(values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v[-1]) if v.size else float("nan")


def width_scaling(results):
    """Across experiments that differ in the width m: at t_end, ‖u_net −
    u_kernel‖, ‖H(t) − H∞‖₂ and the relative weight change against m on
    log-log axes, one series per run (or comparison) name, each with its
    fitted slope (theory: m^(−1/2) for all three, Du et al. 2019)."""
    pairs = width_experiments(results)
    if len({m for m, _ in pairs}) < 2:
        raise ValueError("gf.plot.width_scaling: needs two-layer ReLU experiments of at least "
                         "two widths")
    fig, axes = new_figure(3, width=5.2, height=3.9)
    series = [{}, {}, {}]  # name → (widths, values)
    for m, e in pairs:
        for a, b, c in _network_vs_kernel(e):
            series[0].setdefault(f"{a} vs {b}", ([], []))
            series[0][f"{a} vs {b}"][0].append(m)
            series[0][f"{a} vs {b}"][1].append(_final(c["u_dist"]))
        w0 = _initial_weight_norm(e)
        for run in e.runs.values():
            if "kernel_dist_inf" not in run:
                continue
            for k, value in ((1, _final(run["kernel_dist_inf"])),
                             (2, _final(run["weight_change"]) / w0 if w0 else float("nan"))):
                series[k].setdefault(run.name, ([], []))
                series[k][run.name][0].append(m)
                series[k][run.name][1].append(value)
    titles = ["‖u_net − u_kernel‖ at t_end", "‖H − H∞‖₂ at t_end",
              "‖W − W(0)‖_F / ‖W(0)‖_F at t_end"]
    for ax, group, title in zip(axes, series, titles):
        ax.set_xscale("log")
        log_y(ax)
        for i, (name, (ms, values)) in enumerate(group.items()):
            colour = COLOURS[i % len(COLOURS)]
            slope, intercept = fit_slope(ms, values)
            (pts,) = ax.plot(ms, values, marker="o", linestyle="none", color=colour,
                             label=f"{name}: slope {slope:.2f}")
            pts.set_gid(name)
            if np.isfinite(slope):
                grid = np.array([min(ms), max(ms)], dtype=float)
                ax.plot(grid, np.exp(intercept) * grid ** slope, color=colour, linewidth=1,
                        alpha=0.7)[0].set_gid(f"fit:{name}")
        ax.set_xlabel("width m")
        ax.set_ylabel(title)
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        legend(ax)
    fig.suptitle("two-layer ReLU networks against the width (log-log, fitted slopes)")
    return fig
