#!/usr/bin/env python3
"""Compares two gradflow output folders file by file, timing fields aside.

Usage: scripts/compare_outputs.py DIR_A DIR_B

Every file must exist in both and be byte-identical, except that in meta.json
the keys that hold wall-clock times (any key containing "seconds") are ignored,
and so are the columns of CSV files whose header contains "seconds". Exit 0
when the folders agree, 1 with a list of differences otherwise.
"""
import json
import sys
from pathlib import Path


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def csv_without_timing(text):
    lines = text.splitlines()
    if not lines:
        return lines
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if "seconds" not in name]
    return [",".join(row.split(",")[i] for i in keep) if len(row.split(",")) == len(header) else row
            for row in lines]


def differences(a: Path, b: Path):
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    for rel in sorted(files_a ^ files_b):
        yield f"{rel}: only in {a if rel in files_a else b}"
    for rel in sorted(files_a & files_b):
        pa, pb = a / rel, b / rel
        if rel.name == "meta.json":
            if without_timing(json.loads(pa.read_text())) != without_timing(json.loads(pb.read_text())):
                yield f"{rel}: differs (timing fields aside)"
        elif rel.suffix == ".csv":
            if csv_without_timing(pa.read_text()) != csv_without_timing(pb.read_text()):
                yield f"{rel}: differs (timing columns aside)"
        elif pa.read_bytes() != pb.read_bytes():
            yield f"{rel}: differs"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    for d in (a, b):
        if not d.is_dir():
            sys.exit(f"compare_outputs: {d} is not a folder")
    diffs = list(differences(a, b))
    for line in diffs:
        print(line)
    print(f"compare_outputs: {a} and {b} " + ("agree" if not diffs else f"differ in {len(diffs)} file(s)"))
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
