#!/usr/bin/env python3
"""What --jobs N would give for the runs of one experiment on an otherwise
idle machine, from a --jobs 1 run (bench/sweep/schedule.py does it for the
experiments of a sweep).

Usage: bench/sweep/schedule_runs.py FOLDER WALL_SECONDS [N ...]

FOLDER is the experiment folder written by `gradflow run SPEC --jobs 1`
(holding meta.json), WALL_SECONDS that command's wall time. The units of work
are its runs (wall_seconds + diagnostics_seconds in meta.json) and the members
of its ensemble runs (the run's wall_seconds shared evenly among its members:
meta.json keeps only their total). Everything else (start, preparing,
comparisons, files) is taken as serial. The threads take the units in spec
order, each the next one when free (what gradflow does), so the prediction is
the serial part plus the greedy list schedule's makespan. On a loaded machine
every time stretches by about the same factor, so the predicted ratio stays
meaningful where measured ones do not.
"""
import json
import sys
from pathlib import Path

from schedule import makespan  # bench/sweep/schedule.py: the greedy list schedule


def unit_costs(folder: Path):
    meta = json.loads((folder / "meta.json").read_text())
    costs = []
    for run in meta["runs"]:
        if "ensemble" in run:
            size = run["ensemble"]["size"]
            costs += [run["wall_seconds"] / size] * size
        else:
            costs.append(run["wall_seconds"] + run.get("diagnostics_seconds", 0.0))
    return costs


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    folder, wall = Path(sys.argv[1]), float(sys.argv[2])
    slots = [int(n) for n in sys.argv[3:]] or [2]
    costs = unit_costs(folder)
    total = sum(costs)
    serial = max(0.0, wall - total)
    print(f"{folder.name}: {len(costs)} runs and members, {total:.3f} s of them "
          f"(max {max(costs):.3f} s), {serial:.3f} s serial, of {wall:.3f} s")
    for n in slots:
        predicted = serial + makespan(costs, n)
        print(f"predicted --jobs {n} on an idle machine: {predicted:.3f} s, ratio {predicted / wall:.3f}")


if __name__ == "__main__":
    main()
