"""Ctrl-C (SIGINT) during `gradflow run`: it says where each busy run
stopped (experiment, run, t, step), exits with 130, and leaves the folders of
finished experiments complete and nothing of the others (no staging folder);
--resume then runs only the rest."""

import json
import os
import re
import signal
import subprocess
import time

from conftest import BUILD

EXE = os.path.join(BUILD, "gradflow")

# "quick" finishes at once; "slow" would take hours (1e8 GD steps of a tiny
# least-squares problem) and is interrupted.
SPEC = {"seed": 1, "data": {"kind": "sine", "samples": 12, "inputs": 3},
        "model": {"kind": "least_squares"}, "init": {"kind": "gaussian", "std": 1.0},
        "t_end": 1, "sample": {"kind": "linear", "count": 5},
        "runs": [{"name": "gd", "integrator": "euler", "eta": 1e-3}],
        "experiments": [{"name": "quick"},
                        {"name": "slow", "t_end": 1e8, "stop": {"max_steps": 10**12}}]}


def test_ctrl_c_says_where_the_run_stopped_exits_130_and_leaves_only_complete_folders(tmp_path):
    spec = tmp_path / "sweep.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "out"
    p = subprocess.Popen([EXE, "run", str(spec), "--out", str(out), "--jobs", "1", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Interrupt once "quick" is committed and "slow" is integrating.
    deadline = time.monotonic() + 30
    while not (out / "quick" / "meta.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 130, stderr
    found = re.search(r'experiment "slow", run "gd" at t = ([0-9.e+-]+), step (\d+)', stderr)
    assert found, stderr
    t, step = float(found.group(1)), int(found.group(2))
    assert 0 < t < 1e8 and step > 0
    # Euler's step k is at t = k·eta. t and step are stored one after the
    # other, not as a pair: they may be one step apart; t is printed to 9
    # significant digits.
    assert abs(t - step * 1e-3) <= 1e-3 + 1e-8 * t
    assert "--resume" in stderr
    entries = sorted(e.name for e in out.iterdir() if e.name != ".gradflow.lock")
    assert entries == ["quick"]  # no "slow", no staging folder, no summaries
    listed = json.loads((out / "quick" / "meta.json").read_text())["files"]
    assert sorted(f.name for f in (out / "quick").iterdir()) == sorted(listed)


# One experiment of two runs that would take hours: with --jobs 2 they
# integrate at once (docs/spec.md, "Sweeps"), and Ctrl-C names both.
TWO_RUNS = {"seed": 1, "data": {"kind": "sine", "samples": 12, "inputs": 3},
            "model": {"kind": "least_squares"}, "init": {"kind": "gaussian", "std": 1.0},
            "t_end": 1e8, "sample": {"kind": "linear", "count": 5},
            "stop": {"max_steps": 10**12},
            "runs": [{"name": "gd_a", "integrator": "euler", "eta": 1e-3},
                     {"name": "gd_b", "integrator": "euler", "eta": 2e-3}],
            "experiments": [{"name": "slow"}]}


def test_ctrl_c_names_every_run_of_an_experiment_busy_on_the_threads(tmp_path):
    spec = tmp_path / "one.json"
    spec.write_text(json.dumps(TWO_RUNS))
    out = tmp_path / "out"
    p = subprocess.Popen([EXE, "run", str(spec), "--out", str(out), "--jobs", "2", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # both runs have started (a helper starts in well under a second)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 130, stderr
    for run, eta in (("gd_a", 1e-3), ("gd_b", 2e-3)):
        found = re.search(rf'experiment "slow", run "{run}" at t = ([0-9.e+-]+), step (\d+)',
                          stderr)
        assert found, stderr
        t, step = float(found.group(1)), int(found.group(2))
        assert step > 0 and abs(t - step * eta) <= eta + 1e-8 * t
    entries = sorted(e.name for e in out.iterdir() if e.name != ".gradflow.lock")
    assert entries == []  # nothing of the interrupted experiment
