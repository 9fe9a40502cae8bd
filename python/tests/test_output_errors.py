"""The CLI when its output cannot be written: the system's reason, exit 2,
and the output folder as it was (nothing half-written)."""

import os
import resource
import signal
import subprocess

from conftest import BUILD, REPO

SPEC = """{"seed": 1, "data": {"kind": "sine", "samples": 12, "inputs": 3},
 "model": {"kind": "least_squares"}, "init": {"kind": "gaussian", "std": 1.0},
 "t_end": 1, "sample": {"kind": "linear", "count": 2000}, "record": {"states": true},
 "runs": [{"name": "gf"}]}"""


def run_with_file_size_limit(args, limit_bytes):
    def limit():
        # A write past the limit then fails with EFBIG ("File too large")
        # instead of killing the process with SIGXFSZ, as a full disk fails
        # with ENOSPC: the same path through the code.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([os.path.join(BUILD, "gradflow"), *args], capture_output=True,
                          text=True, preexec_fn=limit, cwd=REPO)


def test_a_file_that_cannot_be_written_gives_the_systems_reason_and_exit_2(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    p = run_with_file_size_limit(["run", str(spec), "--out", str(out)], 16 * 1024)
    assert p.returncode == 2, p.stderr
    assert "File too large" in p.stderr
    assert "cannot write the output file" in p.stderr
    # No experiment folder and no staging folder: only the summaries, which
    # name the experiment as failed.
    assert sorted(f.name for f in out.iterdir()) == ["summary_comparisons.csv", "summary_runs.csv"]
    assert "spec,gf,auto,failed" in (out / "summary_runs.csv").read_text()


def test_an_experiment_folder_holding_an_earlier_result_keeps_it_when_writing_fails(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    first = subprocess.run([os.path.join(BUILD, "gradflow"), "run", str(spec), "--out", str(out),
                            "-q"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = {f: f.read_bytes() for f in (out / "spec").rglob("*") if f.is_file()}
    spec.write_text(SPEC.replace('"std": 1.0', '"std": 2.0'))
    p = run_with_file_size_limit(["run", str(spec), "--out", str(out)], 16 * 1024)
    assert p.returncode == 2, p.stderr
    after = {f: f.read_bytes() for f in (out / "spec").rglob("*") if f.is_file()}
    assert after == before  # the earlier result, whole
    assert "spec,gf,auto,failed" in (out / "summary_runs.csv").read_text()
