"""Progress of a long run on stderr (a rewritten line on a terminal, a plain
line every period into a file or pipe, nothing with -q) and standard output
flushed line by line into a pipe. GRADFLOW_PROGRESS_SECONDS shortens the
2 s delay and the 10 s period so that a run of about a second shows it."""

import json
import os
import pty
import select
import subprocess
import time

import pytest

from conftest import BUILD

# Least squares by GD: 9 million cheap steps (about a second), preceded by
# an experiment that ends at once.
SPEC = {
    "data": {"kind": "sine", "samples": 20, "inputs": 5},
    "model": {"kind": "least_squares"},
    "init": {"kind": "point", "value": 0},
    "sample": {"kind": "linear", "count": 11},
    "t_end": 10,
    "runs": [{"name": "gd", "integrator": "euler", "eta": 0.001}],
    "experiments": [{"name": "fast"}, {"name": "slow", "t_end": 9000}],
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("progress") / "two.json"
    path.write_text(json.dumps(SPEC))
    return str(path)


def gradflow(*args, seconds="0.05", **kw):
    env = dict(os.environ)
    env.pop("GRADFLOW_PROGRESS_SECONDS", None)
    if seconds is not None:
        env["GRADFLOW_PROGRESS_SECONDS"] = seconds
    return [os.path.join(BUILD, "gradflow"), *args], env


def test_progress_into_a_file_is_a_plain_line_per_period(spec, tmp_path):
    cmd, env = gradflow("run", spec, "--out", str(tmp_path / "out"))
    with open(tmp_path / "err.txt", "w") as err:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    assert p.returncode == 0
    lines = (tmp_path / "err.txt").read_text().splitlines()
    slow = [ln for ln in lines if ln.startswith("progress: slow/gd: t = ")]
    assert slow, lines
    assert all("steps/s" in ln and "/9000 (" in ln for ln in slow)
    assert "\r" not in (tmp_path / "err.txt").read_text()


def test_progress_on_a_terminal_is_one_line_rewritten_and_erased_at_the_end(spec, tmp_path):
    # One experiment at a time (--jobs 1): several would rewrite one line.
    cmd, env = gradflow("run", spec, "--out", str(tmp_path / "out"), "--jobs", "1")
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert p.wait(timeout=60) == 0
    text = seen.decode()
    updates = text.count("\r\x1b[Kslow/gd [")
    assert updates >= 2, text[:500]
    assert "#" in text and "steps/s" in text and "t = " in text
    assert "\n" not in text  # one line, rewritten in place
    assert text.endswith("\r\x1b[K")  # erased when the run ended


def test_quiet_prints_nothing_on_stderr(spec, tmp_path):
    cmd, env = gradflow("run", spec, "--out", str(tmp_path / "out"), "-q")
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == ""


def test_a_run_shorter_than_two_seconds_shows_no_progress(repo, tmp_path):
    cmd, env = gradflow("run", os.path.join(repo, "data", "least_squares_stability.json"),
                        "--out", str(tmp_path / "out"), seconds=None)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == ""


def test_standard_output_into_a_pipe_arrives_line_by_line(spec, tmp_path):
    cmd, env = gradflow("run", spec, "--out", str(tmp_path / "out"), "-q")
    cmd.remove("-q")
    start = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    first = p.stdout.readline()
    alive = p.poll() is None
    p.communicate(timeout=120)
    total = time.monotonic() - start
    assert first.startswith("running fast")
    # The first experiment's lines come while the slow one still runs (a fully
    # buffered stdout delivered them only at exit).
    assert alive, f"first line only at exit ({total:.2f} s)"
