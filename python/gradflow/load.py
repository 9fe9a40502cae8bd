"""Reading what the CLI wrote (docs/spec.md → Outputs) into the objects a
run in Python returns: gf.load("out/course_linear") gives Results (one
Experiment per sub-folder with a meta.json), gf.load("out/course_linear/depth2")
one Experiment."""

import csv
import json
import os

import numpy as np

from .results import Comparison, Experiment, Results, Run


def load(path):
    path = os.fspath(path)
    if os.path.isfile(os.path.join(path, "meta.json")):
        return load_experiment(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: no such directory")
    names = sorted(d for d in os.listdir(path) if os.path.isfile(os.path.join(path, d, "meta.json")))
    if not names:
        raise ValueError(f"{path}: neither an experiment folder (meta.json) nor a folder of them")
    order = _summary_order(path)
    names.sort(key=lambda n: order.get(n, len(order)))
    return Results([load_experiment(os.path.join(path, n)) for n in names])


def _summary_order(path):
    """Experiments in the order the spec ran them (summary_runs.csv)."""
    f = os.path.join(path, "summary_runs.csv")
    order = {}
    if os.path.isfile(f):
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh):
                order.setdefault(row.get("experiment", ""), len(order))
    return order


def read_table(file):
    """(columns, values) of a CSV the CLI wrote (numbers written with 17
    significant digits: read back to the same bits)."""
    with open(file) as fh:
        header = fh.readline().strip()
        columns = header.split(",") if header else []
        values = np.loadtxt(fh, delimiter=",", ndmin=2, dtype=np.float64)
    return columns, values.reshape(-1, len(columns))


def _read_members(file):
    with open(file, newline="") as fh:
        rows = list(csv.DictReader(fh))
    members = []
    for r in rows:
        m = {}
        for k, v in r.items():
            if k in ("status", "outcome"):
                m[k] = v
            elif k in ("member", "seed", "steps"):
                m[k] = int(v)
            else:
                m[k] = float(v)
        members.append(m)
    return members


def load_experiment(path):
    with open(os.path.join(path, "meta.json")) as fh:
        meta = json.load(fh)
    flows = {f["name"]: f for f in meta.get("flows", [])}
    referenced = set()
    runs = {}
    for entry in meta.get("runs", []):
        flow = flows.get(entry.get("flow"), {})
        info = dict(entry)
        info["layout"] = flow.get("layout", [])
        info["projection"] = flow.get("projection")
        states = projections = None
        if "ensemble" in entry and isinstance(entry["ensemble"], dict):
            e = entry["ensemble"]
            referenced.update([e["series"], e["members"]])
            info["ensemble"] = {"aggregate": read_table(os.path.join(path, e["series"])),
                                "members": _read_members(os.path.join(path, e["members"])),
                                "outcomes": e.get("outcomes", {})}
            info["series"] = None
        else:
            referenced.add(entry["series"])
            info["series"] = read_table(os.path.join(path, entry["series"]))
        if "states" in entry:
            referenced.add(entry["states"])
            states = np.load(os.path.join(path, entry["states"]))
        if isinstance(entry.get("final_state"), dict):  # record.final_state: 1 × dim
            referenced.add(entry["final_state"]["file"])
            info["final_state"] = np.load(os.path.join(path, entry["final_state"]["file"]))[0]
        for key, value in entry.items():
            if isinstance(value, dict) and {"file", "rows", "cols"} <= value.keys():
                referenced.add(value["file"])
                stacked = np.load(os.path.join(path, value["file"]))
                projections = projections or {}
                projections[key] = stacked.reshape(stacked.shape[0], value["cols"], value["rows"]) \
                    .transpose(0, 2, 1).copy()
        runs[entry["name"]] = Run(info, states=states, projections=projections or {}, meta=entry)
    comparisons = {}
    for c in meta.get("comparisons", []):
        referenced.add(c["file"])
        info = {"a": c["a"], "b": c["b"], "series": read_table(os.path.join(path, c["file"]))}
        # null in meta.json: no distance (a run diverged)
        info.update({k: float("nan") if v is None else v for k, v in c.items()
                     if k.startswith("max_")})
        comparisons[(c["a"], c["b"])] = Comparison(info)
    arrays = {}
    for f in meta.get("files", []):
        if f.endswith(".npy") and f not in referenced:
            arrays[f[:-4]] = np.load(os.path.join(path, f))
    for r in runs.values():
        # Every flow's start (x0_<flow>.npy); older folders hold the first flow's only.
        if r.x0 is None:
            r.x0 = arrays.get("x0_" + str(r.flow))
        if r.x0 is None and "x0" in arrays and flows and r.flow == next(iter(flows)):
            r.x0 = arrays["x0"]
    exp = Experiment(meta.get("experiment", os.path.basename(path)), runs, comparisons, arrays,
                     dict(meta.get("model_facts", {})), meta=meta, flows=list(flows.values()))
    exp.folder = path
    return exp
