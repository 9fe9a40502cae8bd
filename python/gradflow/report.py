"""The report of a result folder: DIR/report.html, one self-contained page
(no network; images beside it in DIR/figures/, PNG shown, SVG linked) with a
run summary table first and, per experiment, the figures of gradflow.plot
that its model and runs call for, each captioned with what is plotted and
from which files.

    python3 -m gradflow.report DIR      # or: gradflow report DIR
    gf.report.write_report("out/least_squares_stability")

A folder that is not a gradflow result raises NotAResultError (exit status 2
from the command line)."""

import html
import json
import os
import shutil
import sys
import tempfile

import numpy as np

from .load import load
from .results import Results

try:
    from . import plot
    from .plot.relu import width_experiments
except ImportError as e:  # matplotlib missing: say so when a report is asked for
    plot = None
    _PLOT_IMPORT_ERROR = e

MATPLOTLIB_HINT = "the report needs matplotlib: apt-get install python3-matplotlib"


class NotAResultError(ValueError):
    """The folder is not one `gradflow run` wrote."""


# ---- which figures an experiment gets

def _has_column(exp, column):
    return any(column in r for r in exp.runs.values())


def _files(runs):
    names = []
    for r in runs:
        meta = r.meta or {}
        if meta.get("series"):
            names.append(meta["series"])
        elif isinstance(meta.get("ensemble"), dict):
            names.append(meta["ensemble"]["series"])
    return ", ".join(f"<code>{html.escape(n)}</code>" for n in names)


def _comparison_files(exp):
    files = [c.get("file") for c in exp.meta.get("comparisons", []) if c.get("file")]
    return ", ".join(f"<code>{html.escape(f)}</code>" for f in files)


def figures_for(exp):
    """[(key, draw, caption)] for one experiment, chosen by what its files hold."""
    kind = exp.spec.get("model", {}).get("kind", "")
    runs = list(exp.runs.values())
    chosen = []
    lstar, source = plot.curves._minimum_loss(exp)
    caption = ("Loss L against t for every run (GD and SGD dashed, iterate k at t = kη; "
               "flows solid), column <code>loss</code> of " + _files(runs) + ".")
    if any(r.ensemble is not None for r in runs):
        caption += " Ensembles: median of the members with the quartile band (" \
                   "<code>loss_median</code>, <code>loss_q25</code>, <code>loss_q75</code>)."
    if lstar is not None:
        caption += (f" Right: the excess L − L* with L* = {lstar:.8g} "
                    f"(<code>meta.json</code> → <code>model_facts.{source}</code>); values "
                    "below the round-off of L* (4ε·L*) are drawn on that floor.")
    if any(r.status == "diverged" for r in runs):
        caption += " ✕ marks the last record of a diverged run, with its step and time " \
                   "(<code>meta.json</code> → <code>runs[i].steps</code>, <code>stop_time</code>)."
    chosen.append(("loss", plot.loss, caption))
    if exp.comparisons:
        chosen.append(("distance", plot.distance,
                       "Distance between two runs at matched times against t, from "
                       + _comparison_files(exp) + ": <code>state_dist</code> where both "
                       "share a state space, else the projection's distance "
                       "(<code>e2e_dist</code>, <code>u_dist</code>, <code>W_dist</code>); dashed, GD's "
                       "time average (<code>avg_state_dist</code>) where recorded. The "
                       "dotted floor is the smallest <code>rtol</code> of the adaptive flows "
                       "compared: below it a distance is solver error."))
    if _has_column(exp, "sharpness") or _has_column(exp, "S"):
        chosen.append(("sharpness", plot.sharpness,
                       "Sharpness S = λ_max(∇²L) against t (column <code>sharpness</code>, the "
                       "central flow's <code>S</code>) with GD's stability threshold 2/η "
                       "(<code>two_over_eta</code>). Legend: the edge-of-stability outcome and "
                       "first crossing of each GD run (<code>meta.json</code> → "
                       "<code>runs[i].edge_of_stability</code>)."))
    if exp.meta.get("eta_sweep"):
        info = exp.meta["eta_sweep"]
        chosen.append(("eta_sweep", plot.eta_sweep,
                       f"Largest distance of GD to gradient flow and to the modified flow "
                       f"against η, log-log, from <code>{html.escape(info['file'])}</code>, "
                       f"with least-squares lines and the slopes of <code>meta.json</code> → "
                       f"<code>eta_sweep</code>; dotted: theory slopes 1 and 2."))
    if kind == "linear_network":
        sv_runs = [r for r in runs if plot.linear.singular_values_of(r) is not None]
        if sv_runs:
            chosen.append(("singular_values", plot.singular_values,
                           "Singular values σ_k of the end-to-end matrix W(t) against t (one "
                           "colour per mode): the <code>sv_k</code> columns of end-to-end flows, "
                           "the SVD of <code>&lt;run&gt;.e2e.npy</code> otherwise ("
                           + _files(sv_runs) + "). Dotted black: Saxe's prediction "
                           "<code>saxe_u_k</code> when <code>model.saxe_oracle</code> is on."))
        if _has_column(exp, "balancedness_max"):
            chosen.append(("balancedness", plot.balancedness,
                           "Balancedness δ = max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F (column "
                           "<code>balancedness_max</code> of "
                           + _files([r for r in runs if "balancedness_max" in r])
                           + "), conserved by the exact flow: its drift is the integrator's."))
    if kind == "two_layer_relu" and (_has_column(exp, "kernel_dist_inf") or exp.comparisons):
        chosen.append(("ntk", plot.ntk,
                       "Two-layer ReLU network against its kernel flows: ‖u_net − u_kernel‖ "
                       "(<code>u_dist</code> of the network-vs-kernel comparison files), "
                       "‖H(t) − H∞‖₂ (<code>kernel_dist_inf</code>), every run's loss with the "
                       "bound e^(−2λ_min t)·L(0) (<code>loss_bound</code>), the relative weight "
                       "change (<code>weight_change</code> over ‖W(0)‖_F of "
                       "<code>init_weights.npy</code>) and the fraction of changed activation "
                       "patterns (<code>pattern_changed</code>)."))
    if kind == "symmetric_factorisation" and _has_column(exp, "nuclear_norm"):
        chosen.append(("factorisation", plot.factorisation,
                       "Factorisation W = UUᵀ: reconstruction error ‖W − W*‖_F/‖W*‖_F "
                       "(<code>reconstruction_error</code>), <code>effective_rank</code>, "
                       "<code>nuclear_norm</code> with ‖W*‖_* of <code>ground_truth.npy</code>, "
                       "and the top singular values <code>sigma_k</code>, from "
                       + _files(runs) + "."))
    if any(r.ensemble is not None for r in runs):
        chosen.append(("ensemble", plot.ensemble,
                       "Ensembles: median loss and ‖∇L‖ of the members against t with the band "
                       "between the quartiles (<code>&lt;run&gt;.ensemble.csv</code>), outcome "
                       "counts from <code>meta.json</code> → <code>ensemble.outcomes</code>."))
    return chosen


# ---- the summary table

def _final_loss(run):
    if run.ensemble is not None:
        value = (run.meta or {}).get("ensemble", {}).get("median_final_loss")
        return value, "median"
    if run.series is None:
        return None, ""
    loss = run["loss"]
    loss = loss[np.isfinite(loss)]
    return (float(loss[-1]) if loss.size else None), ""


def _fmt(value, spec):
    return "" if value is None else format(value, spec)


def summary_rows(results):
    rows = []
    for exp in results.experiments:
        for run in exp.runs.values():
            meta = run.meta or {}
            loss, note = _final_loss(run)
            wall, diag = meta.get("wall_seconds"), meta.get("diagnostics_seconds")
            rows.append({
                "experiment": exp.name, "run": run.name, "flow": run.flow or "",
                "integrator": run.integrator or "", "status": run.status,
                "message": run.message or "", "steps": meta.get("steps"),
                "evaluations": meta.get("field_evaluations_with_products",
                                        meta.get("field_evaluations")),
                "wall": wall, "diagnostics": diag,
                "final_loss": loss, "loss_note": note})
    return rows


def _summary_html(rows):
    head = ("<tr><th>experiment</th><th>run</th><th>flow</th><th>integrator</th>"
            "<th>status</th><th>steps</th><th>evaluations</th>"
            "<th>time (s): integration + diagnostics</th><th>final loss</th></tr>")
    body = []
    for r in rows:
        status = html.escape(r["status"])
        cls = ' class="bad"' if r["status"] in ("diverged", "step_size_underflow",
                                                 "step_budget") else ""
        title = f' title="{html.escape(r["message"])}"' if r["message"] else ""
        time = _fmt(r["wall"], ".3g")
        if r["diagnostics"] is not None:
            time += f" + {r['diagnostics']:.3g}"
        loss = _fmt(r["final_loss"], ".6g") + (f" ({r['loss_note']})" if r["loss_note"] else "")
        body.append(f"<tr{cls}><td>{html.escape(r['experiment'])}</td>"
                    f"<td>{html.escape(r['run'])}</td><td>{html.escape(r['flow'])}</td>"
                    f"<td>{html.escape(r['integrator'])}</td><td{title}>{status}</td>"
                    f"<td>{_fmt(r['steps'], 'd')}</td><td>{_fmt(r['evaluations'], 'd')}</td>"
                    f"<td>{time}</td><td>{loss}</td></tr>")
    notes = [r for r in rows if r["message"] and r["status"] != "completed"]
    listed = "".join(f"<li><b>{html.escape(r['experiment'])}/{html.escape(r['run'])}</b>: "
                     f"{html.escape(r['message'])}</li>" for r in notes)
    return (f"<table class=\"summary\">{head}{''.join(body)}</table>"
            + (f"<ul class=\"notes\">{listed}</ul>" if listed else ""))


# ---- the page

STYLE = """
body { font-family: sans-serif; max-width: 1250px; margin: 1em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table.summary { border-collapse: collapse; font-size: 0.9em; }
table.summary th, table.summary td { border: 1px solid #ccc; padding: 2px 6px;
                                     text-align: right; }
table.summary td:nth-child(-n+5), table.summary th { text-align: left; }
tr.bad td { background: #fde2e2; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #333; max-width: 60em; }
.facts { font-size: 0.9em; color: #444; } .error { color: #b00; }
code { font-size: 0.95em; }
"""

# Counts the images that failed to load into the page (read by the browser test).
CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, broken = 0;
  for (var i = 0; i < imgs.length; i++) if (!imgs[i].complete || imgs[i].naturalWidth === 0) broken++;
  document.body.setAttribute("data-images", imgs.length);
  document.body.setAttribute("data-broken-images", broken);
});
"""


def _experiment_facts(exp):
    bits = []
    flows = exp.meta.get("flows", [])
    if flows and flows[0].get("description"):
        bits.append(html.escape(flows[0]["description"]))
    bits.append(f"t_end = {exp.spec.get('t_end')}")
    if exp.facts:
        bits.append("model facts: " + ", ".join(
            f"{html.escape(k)} = {v:.6g}" if isinstance(v, (int, float)) else
            f"{html.escape(k)} = {html.escape(str(v))}" for k, v in exp.facts.items()))
    for run in exp.runs.values():
        eos = (run.meta or {}).get("edge_of_stability")
        if eos:
            bits.append(f"{html.escape(run.name)}: edge of stability "
                        f"<b>{html.escape(str(eos.get('outcome')))}</b>")
        if run.ensemble is not None and run.ensemble.outcomes:
            counts = ", ".join(f"{k} {v}" for k, v in run.ensemble.outcomes.items() if v)
            bits.append(f"{html.escape(run.name)}: {html.escape(counts)}")
    sweep = exp.meta.get("eta_sweep")
    if sweep:
        bits.append("fitted slopes: " + ", ".join(
            f"{k[6:]} {v:.3f}" for k, v in sweep.items() if k.startswith("slope_")))
    return "; ".join(bits)


def _slug(text):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _save(fig, folder, stem):
    fig.savefig(os.path.join(folder, stem + ".png"), dpi=100)
    fig.savefig(os.path.join(folder, stem + ".svg"))


def load_result(path):
    """The Results of a folder `gradflow run` wrote, or NotAResultError."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise NotAResultError(f"{path}: not a gradflow result: no such directory")
    try:
        res = load(path)
    except (ValueError, OSError, KeyError, json.JSONDecodeError) as e:
        raise NotAResultError(f"{path}: not a gradflow result (a folder `gradflow run --out` "
                              f"wrote, holding meta.json per experiment): {e}") from None
    if not isinstance(res, Results):
        res = Results([res])
    for exp in res.experiments:
        if "gradflow_version" not in exp.meta or "runs" not in exp.meta:
            raise NotAResultError(f"{os.path.join(path, exp.name, 'meta.json')}: not a gradflow "
                                  "meta.json (no gradflow_version or runs)")
    return res


def _check_figures_folder(target):
    """The report replaces DIR/figures whole: refuse a folder of that name
    holding anything but a report's figures (an experiment called
    "figures")."""
    if not os.path.lexists(target):
        return
    if os.path.islink(target) or not os.path.isdir(target):
        foreign = [os.path.basename(target)]
    else:
        foreign = [f for f in os.listdir(target) if not f.endswith((".png", ".svg"))]
    if foreign:
        raise NotAResultError(f"{target}: holds files other than a report's figures "
                              f"({', '.join(sorted(foreign)[:3])}); the report writes its "
                              "figures there: move them, or rename an experiment called "
                              "\"figures\"")


def write_report(path, log=None):
    """Writes path/report.html and path/figures/*.png, *.svg; returns the
    page's path. The figures folder is replaced whole and the page written
    last (write then rename), so an interrupted report leaves the old one."""
    path = os.fspath(path)
    results = load_result(path)
    if plot is None:
        raise ImportError(f"{MATPLOTLIB_HINT} ({_PLOT_IMPORT_ERROR})") from _PLOT_IMPORT_ERROR
    target = os.path.join(path, "figures")
    _check_figures_folder(target)
    staging = tempfile.mkdtemp(prefix=".figures.", dir=path)
    sections, count, problems = [], 0, []
    try:
        for exp in results.experiments:
            parts = [f"<h2 id=\"{html.escape(_slug(exp.name))}\">{html.escape(exp.name)}</h2>",
                     f"<p class=\"facts\">{_experiment_facts(exp)}</p>"]
            for key, draw, caption in figures_for(exp):
                stem = f"{_slug(exp.name)}--{key}"
                try:
                    _save(draw(exp), staging, stem)
                except Exception as e:  # draw what exists; say what could not be drawn
                    problems.append(f"{exp.name}/{key}: {type(e).__name__}: {e}")
                    parts.append(f"<p class=\"error\">figure {html.escape(key)} could not be "
                                 f"drawn: {html.escape(str(e))}</p>")
                    continue
                count += 1
                parts.append(_figure_html(stem, caption))
            sections.append("\n".join(parts))
        widths = width_experiments(results)
        if len({m for m, _ in widths}) >= 2:
            stem = "widths--width_scaling"
            _save(plot.width_scaling(results), staging, stem)
            count += 1
            sections.append("<h2 id=\"widths\">Across widths</h2>" + _figure_html(
                stem, "At t_end, against the width m of experiments "
                + ", ".join(html.escape(e.name) for _, e in widths)
                + ", log-log with least-squares slopes: ‖u_net − u_kernel‖ (last "
                "<code>u_dist</code> of each network-vs-kernel comparison), ‖H − H∞‖₂ (last "
                "<code>kernel_dist_inf</code>) and the relative weight change."))
        page = _page(path, results, sections)
        _check_figures_folder(target)
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    out = os.path.join(path, "report.html")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(page)
    os.replace(tmp, out)
    if log is not None:
        for p in problems:
            print(f"gradflow report: warning: {p}", file=log)
        print(f"wrote {out} ({count} figures in {target}/)", file=log)
    return out


def _figure_html(stem, caption):
    return (f"<figure><a href=\"figures/{stem}.svg\"><img src=\"figures/{stem}.png\" "
            f"alt=\"{html.escape(stem)}\"></a><figcaption>{caption} "
            f"(<a href=\"figures/{stem}.svg\">SVG</a>)</figcaption></figure>")


def _page(path, results, sections):
    title = os.path.basename(os.path.abspath(path))
    versions = {e.meta.get("gradflow_version") for e in results.experiments}
    specs = {e.meta.get("spec_file") for e in results.experiments if e.meta.get("spec_file")}
    toc = " · ".join(f"<a href=\"#{html.escape(_slug(e.name))}\">{html.escape(e.name)}</a>"
                     for e in results.experiments)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>gradflow report: {html.escape(title)}</title>
<style>{STYLE}</style>
<script>{CHECK_SCRIPT}</script>
</head><body>
<h1>gradflow report: {html.escape(title)}</h1>
<p class="facts">spec {', '.join(html.escape(s) for s in sorted(specs)) or '(none recorded)'};
gradflow {', '.join(html.escape(str(v)) for v in sorted(versions, key=str))};
experiments: {toc}</p>
<h2>Runs</h2>
<p class="facts">One row per run (<code>meta.json</code> → <code>runs</code>): evaluations count
field evaluations and Jacobian-vector products; time is wall time of the integration plus that of
the diagnostics (<code>wall_seconds</code> + <code>diagnostics_seconds</code>); the final loss is
the last recorded, the members' median for an ensemble. Hover a status for its message.</p>
{_summary_html(summary_rows(results))}
{chr(10).join(sections)}
</body></html>
"""


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        prog="python3 -m gradflow.report",
        description="Write DIR/report.html and DIR/figures/ for a folder gradflow run wrote.")
    parser.add_argument("dir", help="the output folder of gradflow run (--out)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    try:
        write_report(args.dir, log=None if args.quiet else sys.stdout)
    except NotAResultError as e:
        print(f"gradflow report: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"gradflow report: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
