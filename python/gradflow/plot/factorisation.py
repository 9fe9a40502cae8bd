"""Symmetric factorisation W = UUᵀ (Gunasekar et al. 2017): reconstruction
error ‖W − W*‖_F/‖W*‖_F, effective rank, nuclear norm (implicit bias toward
its minimum) and the top singular values, against t."""

import re

import numpy as np

from ._common import (T_LABEL, experiment_of, label_of, legend, log_y, new_figure, plot_series,
                      runs_of, style_of)

_SIGMA = re.compile(r"^sigma_(\d+)$")


def factorisation(obj, runs=None, minimum_nuclear_norm=None):
    """Four panels: `reconstruction_error` (and `unobserved_error` for
    completion, dotted), `effective_rank`, `nuclear_norm` with ‖W*‖_* of the
    ground truth (ground_truth.npy) and the smallest nuclear norm of any fit
    when given (`minimum_nuclear_norm=`, e.g. from a semidefinite solver), and
    the recorded top singular values `sigma_k`."""
    exp = experiment_of(obj, "gf.plot.factorisation")
    selected = [r for r in runs_of(obj, runs) if "nuclear_norm" in r]
    if not selected:
        raise ValueError(f"{exp.name}: no run records nuclear_norm (a symmetric_factorisation "
                         "experiment's runs do)")
    fig, axes = new_figure(4, cols=2)
    err, rank, nuc, sig = axes
    log_y(err)
    log_y(sig)
    for run in selected:
        style = style_of(run)
        label = label_of(run)
        plot_series(err, run.t, run["reconstruction_error"], run.name, label=label, **style)
        if "unobserved_error" in run:
            plot_series(err, run.t, run["unobserved_error"], f"{run.name}:unobserved",
                        color=style["color"], linestyle=":",
                        label=f"{run.name}: unobserved entries")
        plot_series(rank, run.t, run["effective_rank"], run.name, label=label, **style)
        plot_series(nuc, run.t, run["nuclear_norm"], run.name, label=label, **style)
        sigmas = sorted((int(m.group(1)), c) for c in run.columns for m in [_SIGMA.match(c)] if m)
        for k, column in sigmas:
            plot_series(sig, run.t, run[column], f"{run.name}:{column}",
                        color=style["color"], linestyle=style["linestyle"],
                        alpha=max(0.35, 1.0 - 0.15 * (k - 1)),
                        label=f"{run.name}: σ_1 … σ_{len(sigmas)}" if k == 1 else None)
    truth = exp.arrays.get("ground_truth") if exp.arrays else None
    if truth is not None:
        value = float(np.linalg.svd(np.asarray(truth), compute_uv=False).sum())
        nuc.axhline(value, color="black", linestyle=":", linewidth=1,
                    label=f"‖W*‖_* = {value:.5g} (ground truth)").set_gid("truth_nuclear_norm")
    if minimum_nuclear_norm is not None:
        nuc.axhline(minimum_nuclear_norm, color="grey", linestyle="--", linewidth=1,
                    label=f"minimum = {minimum_nuclear_norm:.5g}").set_gid("minimum_nuclear_norm")
    for ax, ylabel in ((err, "‖W − W*‖_F / ‖W*‖_F"), (rank, "effective rank"),
                       (nuc, "nuclear norm ‖W‖_*"), (sig, "top singular values σ_k of W")):
        ax.set_xlabel(T_LABEL)
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        legend(ax)
    err.set_title(f"{exp.name}: reconstruction error")
    rank.set_title("effective rank")
    nuc.set_title("nuclear norm")
    sig.set_title("top singular values")
    return fig
