#!/usr/bin/env python3
"""What --jobs N would give on an otherwise idle machine, from a --jobs 1 run.

Usage: bench/sweep/schedule.py FOLDER WALL_SECONDS SERIAL_SECONDS [N ...]

FOLDER is the output of `gradflow run SPEC --jobs 1`, WALL_SECONDS its wall
time, SERIAL_SECONDS the wall time of `gradflow check SPEC` (start, reading
and preparing every experiment: the part before the threads start). The rest
is the experiments' work (runs, diagnostics, exports), shared among them in
proportion to their runs' wall_seconds + diagnostics_seconds in meta.json
(exports are small beside the runs). The threads take
experiments in spec order, each the next one when free (what gradflow does),
so the predicted wall time with N threads is the serial part plus the greedy
list schedule's makespan. On a loaded machine every time stretches by about the
same factor, so the predicted ratio stays meaningful where measured ones do not.
"""
import heapq
import json
import sys
from pathlib import Path


def unit_costs(folder: Path):
    summary = (folder / "summary_runs.csv").read_text().splitlines()[1:]
    order = []
    for line in summary:
        name = line.split(",")[0]
        if not order or order[-1] != name:
            order.append(name)
    costs = []
    for name in order:
        meta = json.loads((folder / name / "meta.json").read_text())
        costs.append(sum(r.get("wall_seconds", 0.0) + r.get("diagnostics_seconds", 0.0)
                         for r in meta["runs"]))
    return order, costs


def makespan(costs, slots):
    free = [0.0] * slots
    for c in costs:
        heapq.heappush(free, heapq.heappop(free) + c)
    return max(free)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    folder, wall, serial = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    slots = [int(n) for n in sys.argv[4:]] or [2]
    names, costs = unit_costs(folder)
    scale = (wall - serial) / sum(costs)
    costs = [c * scale for c in costs]
    total = sum(costs)
    print(f"{len(costs)} experiments: {total:.3f} s in experiments (mean {total / len(costs):.3f} s, "
          f"max {max(costs):.3f} s), {serial:.3f} s before them (gradflow check), of {wall:.3f} s")
    for n in slots:
        predicted = serial + makespan(costs, n)
        print(f"predicted --jobs {n} on an idle machine: {predicted:.3f} s, ratio {predicted / wall:.3f}")


if __name__ == "__main__":
    main()
