"""An output folder that holds an earlier result: each experiment folder is
replaced whole (a kill at any moment of the swap leaves the old or the new
folder, never a mix), the summaries list exactly the folders it holds, folders
of the user's are never deleted, and a second run into the same folder at the
same time is refused with exit 2."""

import fcntl
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import BUILD

EXE = os.path.join(BUILD, "gradflow")

RUN = {"seed": 1, "data": {"kind": "sine", "samples": 12, "inputs": 3},
       "model": {"kind": "least_squares"}, "init": {"kind": "gaussian", "std": 1.0},
       "t_end": 1, "sample": {"kind": "linear", "count": 20}}


def spec_with(tmp_path, experiments, runs, name="spec.json", **extra):
    spec = dict(RUN, runs=[{"name": r} for r in runs], **extra)
    if experiments:
        spec["experiments"] = [{"name": e} for e in experiments]
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return path


def gradflow(*args, env=None):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


def tree(folder):
    """Every file under `folder` (relative path → bytes)."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*"))
            if f.is_file()}


def result(folder):
    """What a folder holds, less what differs between two runs of one spec
    (meta.json's timings): data files bitwise, meta.json's file list and spec."""
    files = tree(folder)
    meta = json.loads(files.pop("meta.json"))
    return files, meta["files"], meta["spec"]


def listed_files(folder):
    return sorted(json.loads((folder / "meta.json").read_text())["files"])  # meta.json too


def test_a_rerun_with_fewer_runs_and_experiments_leaves_no_files_of_the_earlier_one(tmp_path):
    out = tmp_path / "out"
    first = gradflow("run", spec_with(tmp_path, ["a", "b", "c"], ["gf", "gd1", "gd2"]),
                     "--out", out, "-q")
    assert first.returncode == 0, first.stderr
    assert (out / "c" / "gd2.csv").is_file()
    (out / "notes").mkdir()  # the user's own folder and file: never touched
    (out / "notes" / "todo.txt").write_text("mine")
    (out / "readme.txt").write_text("mine too")

    second = gradflow("run", spec_with(tmp_path, ["a", "b"], ["gf"]), "--out", out, "-q")
    assert second.returncode == 0, second.stderr
    assert "removed 1 experiment folder(s) of an earlier run that this spec does not produce: c" \
        in second.stdout
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["a", "b", "notes"]
    for e in ["a", "b"]:
        # Exactly the files its meta.json lists: no gd1.csv, gd2.csv left over.
        assert sorted(tree(out / e)) == listed_files(out / e)
        assert not (out / e / "gd1.csv").exists()
    rows = (out / "summary_runs.csv").read_text().splitlines()[1:]
    assert sorted(r.split(",")[0] for r in rows) == ["a", "b"]
    assert (out / "notes" / "todo.txt").read_text() == "mine"
    assert (out / "readme.txt").read_text() == "mine too"
    assert not [p for p in out.iterdir() if p.name.startswith(".gradflow-staging-")]


def test_a_folder_of_the_users_under_an_experiments_name_is_refused_not_deleted(tmp_path):
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "thesis.tex").write_text("precious")
    p = gradflow("run", spec_with(tmp_path, ["a", "b"], ["gf"]), "--out", out)
    assert p.returncode == 2, p.stderr
    assert "holds a/thesis.tex, which gradflow did not write" in p.stderr
    assert sorted(f.name for f in (out / "a").iterdir()) == ["thesis.tex"]
    assert (out / "a" / "thesis.tex").read_text() == "precious"
    assert "a,gf,auto,failed" in (out / "summary_runs.csv").read_text()
    assert (out / "b" / "meta.json").is_file()  # the other experiment is complete


def test_a_folder_an_older_version_left_without_meta_json_is_replaced(tmp_path):
    # File-by-file commits of older versions, killed before meta.json moved
    # in, left such folders: holding only names the new run writes, it goes.
    out = tmp_path / "out"
    spec = spec_with(tmp_path, ["a"], ["gf", "gd"])
    assert gradflow("run", spec, "--out", out, "-q").returncode == 0
    (out / "a" / "meta.json").unlink()
    (out / "a" / "gd.csv").unlink()
    p = gradflow("run", spec, "--out", out, "-q")
    assert p.returncode == 0, p.stderr
    assert sorted(tree(out / "a")) == listed_files(out / "a")


def test_a_run_into_a_folder_another_process_has_locked_is_refused_with_exit_2(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    spec = spec_with(tmp_path, [], ["gf"])
    with open(out / ".gradflow.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        p = gradflow("run", spec, "--out", out)
        assert p.returncode == 2, p.stderr
        assert "another gradflow run (pid 4242) is writing into this output folder" in p.stderr
        assert sorted(f.name for f in out.iterdir()) == [".gradflow.lock"]
    # Released (as when its process dies): the next run goes ahead.
    p = gradflow("run", spec, "--out", out, "-q")
    assert p.returncode == 0, p.stderr


def test_a_second_gradflow_run_is_refused_while_the_first_writes_and_runs_after_it(tmp_path):
    out = tmp_path / "out"
    # Long enough (about a second) to be caught while it runs.
    long = spec_with(tmp_path, [f"e{i}" for i in range(40)], ["gf", "gd"], name="long.json",
                     t_end=200, sample={"kind": "linear", "count": 4000})
    first = subprocess.Popen([EXE, "run", str(long), "--out", str(out), "-q", "--jobs", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        lock = out / ".gradflow.lock"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if lock.exists() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGSTOP)  # holds the lock while the second tries
        try:
            assert first.poll() is None, "the first run ended before it could be observed"
            second = gradflow("run", spec_with(tmp_path, [], ["gf"]), "--out", out)
        finally:
            os.kill(first.pid, signal.SIGCONT)
        assert second.returncode == 2, second.stderr
        assert f"another gradflow run (pid {first.pid})" in second.stderr
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0, first.stderr
    # A lock left by a killed run does not block: flock ends with its process.
    killed = subprocess.Popen([EXE, "run", str(long), "--out", str(out), "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    killed.kill()
    killed.wait()
    p = gradflow("run", spec_with(tmp_path, [], ["gf"]), "--out", out, "-q")
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two_renames"])
@pytest.mark.parametrize("point", ["before_swap", "after_swap"])
def test_a_kill_while_an_experiment_folder_is_swapped_in_leaves_old_or_new_whole(
        tmp_path, point, exchange):
    out = tmp_path / "out"
    old_spec = spec_with(tmp_path, ["a"], ["gf", "gd1", "gd2"], name="old.json")
    new_spec = spec_with(tmp_path, ["a"], ["gf"], name="new.json")
    reference = tmp_path / "reference"
    assert gradflow("run", new_spec, "--out", reference, "-q").returncode == 0
    assert gradflow("run", old_spec, "--out", out, "-q").returncode == 0
    old = result(out / "a")
    new = result(reference / "a")
    assert old != new
    env = {"GRADFLOW_TEST_KILL_IN_COMMIT": point}
    if not exchange:
        env["GRADFLOW_TEST_NO_EXCHANGE"] = "1"
    p = gradflow("run", new_spec, "--out", out, "-q", env=env)
    assert p.returncode == -signal.SIGKILL
    if point == "before_swap":
        assert result(out / "a") == old
    elif exchange:
        assert result(out / "a") == new
    else:
        # Two renames: the old folder is aside in staging, the new one not yet
        # in place. The folder is absent, never a mix of old and new files.
        assert not (out / "a").exists()
    # The next run removes what the killed one left in staging.
    assert gradflow("run", new_spec, "--out", out, "-q").returncode == 0
    assert result(out / "a") == new
    assert not [f for f in out.iterdir() if f.name.startswith(".gradflow-staging-")]
