"""gradflow.plot: every figure draws the columns the CLI wrote. Each check
reads the files itself (numpy, json) and compares them with the data of the
drawn lines, found by their gid (the run, comparison or column name)."""

import json
import os

import numpy as np
import pytest

import gradflow as gf
from matplotlib.figure import Figure

import plot_specs

EPS = np.finfo(float).eps


def csv(folder, name):
    return np.genfromtxt(os.path.join(folder, name), delimiter=",", names=True)


def meta(folder):
    with open(os.path.join(folder, "meta.json")) as fh:
        return json.load(fh)


def line(ax, gid):
    found = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    assert len(found) == 1, f"{gid}: {[ln.get_gid() for ln in ax.get_lines()]}"
    return found[0]


def finite(t, y):
    keep = np.isfinite(y) & np.isfinite(t)
    return t[keep], y[keep]


def same_curve(ln, t, y):
    """The line's data are the file's column, bit for bit (finite records)."""
    t, y = finite(np.asarray(t, float), np.asarray(y, float))
    np.testing.assert_array_equal(ln.get_xdata(), t)
    np.testing.assert_array_equal(ln.get_ydata(), y)


@pytest.fixture(scope="module")
def least_squares(example_result):
    out = example_result("least_squares_stability")
    return out, os.path.join(out, "least_squares_stability")


def test_loss_draws_every_runs_loss_column_and_the_excess_over_the_minimum(least_squares):
    out, folder = least_squares
    fig = gf.plot.loss(gf.load(out))
    assert isinstance(fig, Figure)
    loss_ax, excess_ax = fig.axes
    lstar = meta(folder)["model_facts"]["minimum_loss"]
    for name in ("gd_1.99", "gd_2.01", "gf"):
        table = csv(folder, name + ".csv")
        same_curve(line(loss_ax, name), table["t"], table["loss"])
        # Excess L − L*, drawn on the round-off floor 4ε·L* where it is below it.
        same_curve(line(excess_ax, name), table["t"],
                   np.maximum(table["loss"] - lstar, 4 * EPS * lstar))
    assert loss_ax.get_yscale() == "log" and excess_ax.get_yscale() == "log"
    assert line(loss_ax, "minimum_loss").get_ydata()[0] == lstar
    assert "loss" in loss_ax.get_ylabel() and loss_ax.get_xlabel().startswith("t")
    labels = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert any(lbl.startswith("gd_1.99 (euler") for lbl in labels)


def test_a_diverged_runs_loss_is_marked_with_its_step_and_time(least_squares):
    out, folder = least_squares
    fig = gf.plot.loss(gf.load(out))
    ax = fig.axes[0]
    entry = next(r for r in meta(folder)["runs"] if r["name"] == "gd_2.01")
    assert entry["status"] == "diverged"
    table = csv(folder, "gd_2.01.csv")
    marker = line(ax, "diverged:gd_2.01")
    assert marker.get_xdata()[0] == table["t"][-1]
    assert marker.get_ydata()[0] == table["loss"][-1]
    texts = [t.get_text() for t in ax.texts]
    assert any(f"step {entry['steps']}" in t and f"t = {entry['stop_time']:.4g}" in t
               for t in texts), texts
    # The converging runs carry no such mark.
    assert not [ln for ln in ax.get_lines() if ln.get_gid() == "diverged:gd_1.99"]


def test_distance_draws_the_comparison_files_over_the_flows_tolerance(example_result):
    out = example_result("course_linear")
    folder = os.path.join(out, "depth2")
    fig = gf.plot.distance(gf.load(out)["depth2"])
    ax = fig.axes[0]
    table = csv(folder, "compare_gd_vs_gf.csv")
    same_curve(line(ax, "gd vs gf"), table["t"], table["state_dist"])
    rtol = next(r for r in meta(folder)["spec"]["runs"] if r["name"] == "gf")["rtol"]
    assert line(ax, "tolerance").get_ydata()[0] == rtol
    assert ax.get_yscale() == "log"


def test_distance_takes_the_projections_distance_when_states_differ(example_result):
    out = example_result("ntk_small")
    folder = os.path.join(out, "ntk_small")
    ax = gf.plot.distance(gf.load(out)).axes[0]
    table = csv(folder, "compare_net_gf_vs_kernel_gf.csv")  # no state_dist: different spaces
    same_curve(line(ax, "net_gf vs kernel_gf"), table["t"], table["u_dist"])


def test_sharpness_draws_each_runs_sharpness_with_two_over_eta_and_the_first_crossing(
        example_result):
    out = example_result("edge", plot_specs.EDGE)
    folder = os.path.join(out, "edge")
    ax = gf.plot.sharpness(gf.load(out)).axes[0]
    for name in ("gd", "gf"):
        table = csv(folder, name + ".csv")
        same_curve(line(ax, name), table["t"], table["sharpness"])
    eta = 0.2
    assert line(ax, "two_over_eta:gd").get_ydata()[0] == pytest.approx(2 / eta, rel=4 * EPS)
    eos = next(r for r in meta(folder)["runs"] if r["name"] == "gd")["edge_of_stability"]
    crossing = line(ax, "crossing:gd")
    assert crossing.get_xdata()[0] == eos["first_crossing_time"]
    assert crossing.get_ydata()[0] == eos["sharpness_at_crossing"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(eos["outcome"] in lbl for lbl in labels)


def test_singular_values_draw_the_sv_columns_and_saxes_prediction(example_result):
    out = example_result("saxe_depth2")
    folder = os.path.join(out, "saxe_depth2")
    ax = gf.plot.singular_values(gf.load(out)).axes[0]
    table = csv(folder, "e2e.csv")
    for k in (1, 2, 3):
        same_curve(line(ax, f"e2e:sv_{k}"), table["t"], table[f"sv_{k}"])
        same_curve(line(ax, f"e2e:saxe_u_{k}"), table["t"], table[f"saxe_u_{k}"])
    assert ax.get_yscale() == "log"  # 1e-3 to ~2: three decades


def test_singular_values_of_a_projection_are_the_svd_of_the_recorded_matrices(example_result):
    out = example_result("course_linear")
    folder = os.path.join(out, "depth2")
    ax = gf.plot.singular_values(gf.load(out)["depth2"]).axes[0]
    # One output row: W is 1 × d0, its one singular value is its norm, which the
    # CLI records as e2e_norm (independently of the SVD the figure takes).
    table = csv(folder, "gf.csv")
    drawn = line(ax, "gf:sv_1")
    np.testing.assert_array_equal(drawn.get_xdata(), table["t"])
    np.testing.assert_allclose(drawn.get_ydata(), table["e2e_norm"], rtol=1e-12)


def test_balancedness_draws_balancedness_max(example_result):
    out = example_result("course_linear")
    folder = os.path.join(out, "depth3")
    ax = gf.plot.balancedness(gf.load(out)["depth3"]).axes[0]
    for name in ("gd", "gf"):
        table = csv(folder, name + ".csv")
        same_curve(line(ax, name), table["t"], table["balancedness_max"])


def test_ensembles_are_drawn_as_median_and_quartile_band(example_result):
    out = example_result("sgd_schedules")
    folder = os.path.join(out, "sgd_schedules")
    fig = gf.plot.ensemble(gf.load(out))
    loss_ax, grad_ax = fig.axes
    for name in ("constant", "inverse_time", "capped"):
        table = csv(folder, name + ".ensemble.csv")
        same_curve(line(loss_ax, name), table["t"], table["loss_median"])
        same_curve(line(grad_ax, name), table["t"], table["grad_norm_median"])
        band = next(c for c in loss_ax.collections if c.get_gid() == f"band:{name}")
        y = band.get_paths()[0].vertices[:, 1]
        assert y.min() == np.nanmin(table["loss_q25"]) and y.max() == np.nanmax(table["loss_q75"])
    # The loss figure draws ensembles the same way, beside the flow's own loss.
    ax = gf.plot.loss(gf.load(out)).axes[0]
    table = csv(folder, "constant.ensemble.csv")
    same_curve(line(ax, "constant"), table["t"], table["loss_median"])


def test_eta_sweep_draws_the_sweep_file_with_the_fitted_slopes(example_result):
    out = example_result("eta_sweep")
    folder = os.path.join(out, "eta_sweep")
    ax = gf.plot.eta_sweep(gf.load(out)).axes[0]
    table = csv(folder, "eta_sweep.csv")
    slopes = meta(folder)["eta_sweep"]
    for column in ("max_dist_flow", "max_dist_modified"):
        same_curve(line(ax, column), table["eta"], table[column])
        fit = line(ax, f"fit:{column}")
        x, y = np.log(fit.get_xdata()), np.log(fit.get_ydata())
        # The drawn line's slope is the CLI's least-squares slope (same fit, own code).
        assert (y[-1] - y[0]) / (x[-1] - x[0]) == pytest.approx(slopes[f"slope_{column}"],
                                                                rel=1e-9)
        theory = line(ax, f"theory:{column}")
        tx, ty = np.log(theory.get_xdata()), np.log(theory.get_ydata())
        assert (ty[-1] - ty[0]) / (tx[-1] - tx[0]) == pytest.approx(
            1 if column == "max_dist_flow" else 2, rel=1e-12)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_eta_sweep_of_a_run_made_in_python_uses_its_comparisons(example_result, repo):
    res = gf.run(os.path.join(repo, "data", "eta_sweep.json"))
    ax = gf.plot.eta_sweep(res).axes[0]
    table = csv(os.path.join(example_result("eta_sweep"), "eta_sweep"), "eta_sweep.csv")
    same_curve(line(ax, "max_dist_flow"), table["eta"], table["max_dist_flow"])


def test_ntk_figure_draws_prediction_and_kernel_distances_and_relative_weight_change(
        example_result):
    out = example_result("ntk_small")
    folder = os.path.join(out, "ntk_small")
    dist, kern, loss_ax, wchange, pattern = gf.plot.ntk(gf.load(out)).axes
    comp = csv(folder, "compare_net_gf_vs_kernel_gf.csv")
    same_curve(line(dist, "net_gf vs kernel_gf"), comp["t"], comp["u_dist"])
    net = csv(folder, "net_gf.csv")
    same_curve(line(kern, "net_gf"), net["t"], net["kernel_dist_inf"])
    w0 = np.linalg.norm(np.load(os.path.join(folder, "init_weights.npy")))
    same_curve(line(wchange, "net_gf"), net["t"], net["weight_change"] / w0)
    same_curve(line(pattern, "net_gf"), net["t"], net["pattern_changed"])
    same_curve(line(loss_ax, "net_gf"), net["t"], net["loss"])
    same_curve(line(loss_ax, "net_gf:bound"), net["t"], net["loss_bound"])


def test_width_scaling_draws_values_at_t_end_against_the_width_with_fitted_slopes(
        example_result):
    out = example_result("widths", plot_specs.WIDTHS)
    fig = gf.plot.width_scaling(gf.load(out))
    dist, kern, wchange = fig.axes
    widths, finals = [50, 200, 800], []
    for m in widths:
        finals.append(csv(os.path.join(out, f"w{m}"), "compare_net_gf_vs_kernel_gf.csv")
                      ["u_dist"][-1])
    pts = line(dist, "net_gf vs kernel_gf")
    np.testing.assert_array_equal(pts.get_xdata(), widths)
    np.testing.assert_array_equal(pts.get_ydata(), finals)
    slope = np.polyfit(np.log(widths), np.log(finals), 1)[0]
    labels = [t.get_text() for t in dist.get_legend().get_texts()]
    assert f"slope {slope:.2f}" in labels[0]
    assert dist.get_xscale() == "log" and dist.get_yscale() == "log"
    kern_final = [csv(os.path.join(out, f"w{m}"), "net_gf.csv")["kernel_dist_inf"][-1]
                  for m in widths]
    np.testing.assert_array_equal(line(kern, "net_gf").get_ydata(), kern_final)


def test_factorisation_draws_errors_rank_nuclear_norm_and_singular_values(example_result):
    out = example_result("fact", plot_specs.FACTORISATION)
    folder = os.path.join(out, "fact")
    err, rank, nuc, sig = gf.plot.factorisation(gf.load(out)).axes
    for name in ("gf", "gd"):
        table = csv(folder, name + ".csv")
        same_curve(line(err, name), table["t"], table["reconstruction_error"])
        same_curve(line(rank, name), table["t"], table["effective_rank"])
        same_curve(line(nuc, name), table["t"], table["nuclear_norm"])
        for k in (1, 2, 3):
            same_curve(line(sig, f"{name}:sigma_{k}"), table["t"], table[f"sigma_{k}"])
    truth = np.load(os.path.join(folder, "ground_truth.npy"))
    # A PSD W*: its nuclear norm is its trace.
    assert line(nuc, "truth_nuclear_norm").get_ydata()[0] == pytest.approx(np.trace(truth),
                                                                           rel=1e-12)


def test_figures_of_a_run_made_in_python_equal_those_of_its_folder(least_squares, repo):
    out, folder = least_squares
    res = gf.run(os.path.join(repo, "data", "least_squares_stability.json"))
    ax = gf.plot.loss(res).axes[0]
    table = csv(folder, "gf.csv")
    same_curve(line(ax, "gf"), table["t"], table["loss"])
    one = gf.plot.loss(res["least_squares_stability"].runs["gd_2.01"]).axes[0]
    assert [ln.get_gid() for ln in one.get_lines()] == ["gd_2.01", "diverged:gd_2.01",
                                                        "minimum_loss"]


def test_a_figure_refuses_what_it_cannot_draw(example_result, least_squares):
    out, _ = least_squares
    with pytest.raises(ValueError, match="singular values"):
        gf.plot.singular_values(gf.load(out))
    with pytest.raises(ValueError, match="pick one"):
        gf.plot.loss(gf.load(example_result("course_linear")))
    with pytest.raises(TypeError, match="expected an Experiment"):
        gf.plot.loss("out/somewhere")
    with pytest.raises(ValueError, match="at least two widths"):
        gf.plot.width_scaling(gf.load(example_result("ntk_small")))


def test_distance_adds_gds_time_average_where_the_comparison_has_it(example_result):
    spec = dict(plot_specs.EDGE, name="edge_avg",
                runs=plot_specs.EDGE["runs"] + [{"name": "cf", "central_eta": 0.2,
                                                 "rtol": 1e-10, "atol": 1e-12}],
                compare=[["gd", "cf"]])
    out = example_result("edge_avg", spec)
    table = csv(os.path.join(out, "edge_avg"), "compare_gd_vs_cf.csv")
    ax = gf.plot.distance(gf.load(out)).axes[0]
    same_curve(line(ax, "gd vs cf"), table["t"], table["state_dist"])
    same_curve(line(ax, "gd vs cf:avg"), table["t"], table["avg_state_dist"])
