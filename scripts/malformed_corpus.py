#!/usr/bin/env python3
"""Malformed variants of every shipped spec (data/*.json), each fed to
`gradflow check`: every key deleted, retyped and set to extreme values.

A variant may be valid (exit 0) or refused (exit 2, with a message naming the
spec file); anything else is a defect: exit 1 (an internal error), a signal,
or no answer within the timeout. Prints the counts per outcome and each defect.

Usage: scripts/malformed_corpus.py [build/release/gradflow] [--sample]
(--sample: one variant per key, as python/tests/test_malformed_specs.py runs;
the full corpus is about 12 000 variants, ten minutes on 2 cores)."""

import collections
import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
EXTREMES = [None, 0, -1, 1e308, -1e308, 4294967297, 1e-300, "x", True, [], {}, [1, 2]]
TIMEOUT_SECONDS = 60


def without_comments(text):
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def key_paths(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,)
            yield from key_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,)
            yield from key_paths(v, path + (i,))


def with_value(spec, path, value, delete):
    spec = json.loads(json.dumps(spec))
    parent = spec
    for k in path[:-1]:
        parent = parent[k]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return spec


def variants(data_dir, sample=False):
    """(example, dotted key, what was done, the malformed spec), in a fixed order.
    With sample=True, one variant per key, cycling through the kinds."""
    n = 0
    for example in sorted(pathlib.Path(data_dir).glob("*.json")):
        spec = json.loads(without_comments(example.read_text()))
        for path in key_paths(spec):
            kinds = [("deleted", None, True)] + [(f"= {json.dumps(v)}", v, False) for v in EXTREMES]
            if sample:
                kinds = [kinds[n % len(kinds)]]
            n += 1
            for label, value, delete in kinds:
                yield example.name, ".".join(map(str, path)), label, with_value(spec, path, value, delete)


def check(exe, spec_file):
    """(exit code or "hang", stderr) of `gradflow check spec_file`."""
    try:
        p = subprocess.run([exe, "check", spec_file], capture_output=True, text=True,
                           timeout=TIMEOUT_SECONDS)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return "hang", ""


def outcome(code, err, spec_file):
    if code == 0:
        return "accepted"
    if code == 2 and os.path.basename(spec_file) in err:
        return "refused"
    return "defect"


def run_corpus(exe, sample=False, workers=None):
    """Counter of outcomes and the list of defects."""
    counts, defects = collections.Counter(), []
    with tempfile.TemporaryDirectory() as tmp:
        def one(item):
            i, (example, key, label, spec) = item
            f = os.path.join(tmp, f"variant_{i}.json")
            with open(f, "w") as out:
                json.dump(spec, out)
            code, err = check(exe, f)
            return example, key, label, code, err, outcome(code, err, f)
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
            for example, key, label, code, err, kind in pool.map(
                    one, enumerate(variants(REPO / "data", sample))):
                counts[kind] += 1
                if kind == "defect":
                    defects.append(f"{example}: {key} {label}: exit {code}: {err.strip()[-300:]}")
    return counts, defects


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--sample"]
    exe = args[0] if args else str(REPO / "build" / "release" / "gradflow")
    counts, defects = run_corpus(exe, sample="--sample" in sys.argv)
    print(dict(counts))
    for d in defects:
        print(d)
    sys.exit(1 if defects else 0)
