"""A run that diverges at its first step (its velocity overflows at the start)
is reported at a finite step and time, and a comparison with it reports no
distance instead of 0 (the maximum over t = 0 alone, the shared start)."""

import csv
import json
import math
import os
import re
import subprocess

from conftest import BUILD

import gradflow as gf

# Twelve layers of entries ~1e20: their product overflows, the velocity is
# NaN at x0 while every state entry is within max_abs_state (1e30).
SPEC = {"seed": 1, "data": {"kind": "sine", "samples": 12, "inputs": 3},
        "model": {"kind": "linear_network", "hidden": [4] * 11},
        "init": {"kind": "gaussian", "std": 1e20}, "t_end": 1,
        "runs": [{"name": "gf", "integrator": "dopri5"},
                 {"name": "gd", "integrator": "euler", "eta": 0.01}],
        "compare": [["gf", "gd"]]}


def test_a_run_diverging_at_its_first_step_names_a_finite_time_and_its_comparison_no_distance(
        tmp_path):
    spec = tmp_path / "first_step.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "out"
    p = subprocess.run([os.path.join(BUILD, "gradflow"), "run", str(spec), "--out", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    gf = next(line for line in p.stdout.splitlines() if line.startswith("  gf  "))
    found = re.search(r"diverged at step (\d+) \(t = ([^)]*)\)", gf)
    assert found, gf
    assert math.isfinite(float(found.group(2))) and float(found.group(2)) > 0
    assert "nan" not in found.group(0)
    line = next(line for line in p.stdout.splitlines() if "gf vs gd" in line)
    assert "no distance, gf diverged at step 1" in line, line
    assert "0.000e+00" not in line
    row = next(csv.DictReader(open(out / "summary_comparisons.csv")))
    assert math.isnan(float(row["max_state_dist"]))
    assert math.isnan(float(row["max_projection_dist"]))
    meta = json.loads((out / "first_step" / "meta.json").read_text())
    gf_meta = next(r for r in meta["runs"] if r["name"] == "gf")
    assert gf_meta["status"] == "diverged"


def test_no_distance_to_a_diverged_run_from_python_and_in_meta_json(tmp_path):
    spec = tmp_path / "first_step.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "out"
    subprocess.run([os.path.join(BUILD, "gradflow"), "run", str(spec), "--out", str(out), "-q"],
                   check=True, capture_output=True)
    meta = json.loads((out / "first_step" / "meta.json").read_text())
    assert meta["comparisons"][0]["max_state_dist"] is None  # NaN: no distance
    res = gf.run(SPEC)
    for c in (res.comparisons[("gf", "gd")], gf.compare(res.runs["gf"], res.runs["gd"]),
              gf.load(out / "first_step").comparisons[("gf", "gd")]):
        assert math.isnan(c.max_state_dist)
        assert math.isnan(c.max_e2e_dist)
