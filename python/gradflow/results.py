"""Results as numpy arrays: a Run (one integration: its recorded series,
states, projections and statistics), a Comparison of two runs at matched
times, an Experiment (the runs and comparisons of one spec experiment, with
its meta.json), and Results (the experiments of a spec, by name).

The same objects come from a run in Python (gf.run, gf.integrate, gf.gd...)
and from a folder the CLI wrote (gf.load)."""

import json
from collections.abc import Mapping

import numpy as np


def _block_matrices(states, block):
    """records × rows × cols from column-major blocks of the states."""
    off, r, c = block["offset"], block["rows"], block["cols"]
    return states[:, off:off + r * c].reshape(states.shape[0], c, r).transpose(0, 2, 1).copy()


class Series(Mapping):
    """Named columns of one table (one row per record): s["loss"], s.columns."""

    def __init__(self, columns, values):
        self.columns = list(columns)
        self.values = np.asarray(values, dtype=np.float64).reshape(-1, len(self.columns))
        self._index = {c: i for i, c in enumerate(self.columns)}

    def __getitem__(self, name):
        try:
            return self.values[:, self._index[name]]
        except KeyError:
            raise KeyError(f"no column {name!r} (columns: {', '.join(self.columns)})") from None

    def __iter__(self):
        return iter(self.columns)

    def __len__(self):
        return len(self.columns)

    def __repr__(self):
        return f"<Series {len(self.values)} rows: {', '.join(self.columns)}>"


class Run:
    """One run. `run["loss"]`, `run.t`, `run.states` (records × dim),
    `run.matrices("W2")` (records × rows × cols), `run.status`, `run.stats`."""

    def __init__(self, info, experiment=None, handle=None, index=None, states=None,
                 projections=None, meta=None):
        self.name = info["name"]
        self.flow = info.get("flow")
        self.integrator = info.get("integrator")
        self.status = info["status"]
        self.message = info.get("message", "")
        self.stats = {k: info.get(k) for k in ("status", "message", "steps", "rejected_steps",
                                                "field_evaluations", "wall_seconds", "stop_time",
                                                "counters", "values", "note")}
        self.layout = info.get("layout") or []
        self.projection = info.get("projection") or None
        self.experiment = experiment
        self._handle, self._index = handle, index
        self._states = states
        self._projections = projections
        self._meta = meta
        self.x0 = info.get("x0")
        # record.final_state's file (the last recorded state, dim), and
        # record.max_records': the records (rows of the series) `states` keeps.
        self._final_state = info.get("final_state")
        self.kept_records = info.get("kept_records")
        self.series = Series(*info["series"]) if info.get("series") is not None else None
        self.ensemble = Ensemble(info["ensemble"]) if info.get("ensemble") is not None else None

    # ---- series
    @property
    def columns(self):
        return self.series.columns if self.series is not None else []

    def __getitem__(self, column):
        if self.series is None:
            raise KeyError(f"run {self.name} is an ensemble: see run.ensemble.aggregate")
        return self.series[column]

    def __contains__(self, column):
        return self.series is not None and column in self.series

    @property
    def t(self):
        return self["t"]

    @property
    def step(self):
        return self["step"]

    @property
    def loss(self):
        return self["loss"]

    # ---- states and matrices
    @property
    def states(self):
        """records × dim (every record of a run made in Python; from a CLI
        folder only when record.states was on, else None)."""
        if self._states is None and self._handle is not None:
            self._states = self._handle.states(self._index)
        return self._states

    @property
    def final_state(self):
        if self._final_state is not None:
            return self._final_state.copy()
        s = self.states
        return None if s is None else s[-1].copy()

    @property
    def projections(self):
        """{name: records × rows × cols} of the model's matrix observations
        (e.g. "e2e" of a linear network)."""
        if self._projections is None and self._handle is not None:
            self._projections = dict(self._handle.projections(self._index))
        return self._projections or {}

    def matrices(self, name):
        """records × rows × cols: a block of the state's layout (e.g. "W2"),
        reshaped from the column-major layout, or a projected matrix ("e2e")."""
        for b in self.layout:
            if b["name"] == name:
                if self.states is None:
                    raise ValueError(f"run {self.name} has no states (record.states was off)")
                return _block_matrices(self.states, b)
        if name in self.projections:
            return self.projections[name]
        names = [b["name"] for b in self.layout] + list(self.projections)
        raise KeyError(f"no matrix {name!r} in run {self.name} (available: {', '.join(names)})")

    @property
    def meta(self):
        """This run's entry of meta.json."""
        if self._meta is None and self.experiment is not None:
            self._meta = next(r for r in self.experiment.meta["runs"] if r["name"] == self.name)
        return self._meta

    def __repr__(self):
        n = len(self.series.values) if self.series is not None else 0
        return (f"<gradflow Run {self.name}: {self.integrator} on {self.flow}, {self.status}, "
                f"{n} records, {self.stats.get('steps')} steps>")


class Ensemble:
    """An ensemble run: `aggregate` (Series of loss/grad_norm statistics per
    record), `members` (list of dicts), `outcomes` (label → count)."""

    def __init__(self, info):
        self.aggregate = Series(*info["aggregate"])
        self.members = info["members"]
        self.outcomes = info.get("outcomes", {})

    def __repr__(self):
        return f"<Ensemble of {len(self.members)}: {self.outcomes}>"


class Comparison(Series):
    """Two runs at matched times: t, step_a, step_b, loss_a, loss_b,
    loss_diff, state_dist (same state layout), <projection>_dist."""

    def __init__(self, info):
        super().__init__(*info["series"])
        self.a, self.b = info["a"], info["b"]
        self.maxima = {k: v for k, v in info.items() if k.startswith("max_")}

    def __getattr__(self, name):
        if name.startswith("_") or name in ("columns", "values"):
            raise AttributeError(name)
        if name in self._index:
            return self[name]
        if name in self.maxima:
            return self.maxima[name]
        if name.endswith("_dist"):
            return None  # the two runs do not share that space
        raise AttributeError(f"Comparison has no {name!r} (columns: {', '.join(self.columns)})")

    @property
    def t(self):
        return self["t"]

    def __repr__(self):
        return f"<gradflow Comparison {self.a} vs {self.b}: {len(self.values)} matched records>"


class Experiment:
    """One experiment: `runs` (name → Run), `comparisons` ((a, b) →
    Comparison), `meta` (meta.json), `arrays` (the exported data and x0),
    `facts` (model facts)."""

    def __init__(self, name, runs, comparisons, arrays, facts, meta=None, handle=None, log="",
                 flows=None):
        self.name = name
        self.runs = runs
        self.comparisons = comparisons
        self.arrays = arrays
        self.facts = facts
        self.log = log
        self.flows = flows or []
        self.folder = None  # the folder it was loaded from (gf.load), else None
        self._meta = meta
        self._handle = handle
        for r in runs.values():
            r.experiment = self

    @property
    def meta(self):
        """meta.json as the CLI writes it (the resolved spec, versions,
        flows, runs' statistics, comparisons)."""
        if self._meta is None and self._handle is not None:
            self._meta = json.loads(self._handle.meta_json())
        return self._meta

    @property
    def spec(self):
        return self.meta["spec"]

    def __getitem__(self, run):
        return self.runs[run]

    def compare(self, a, b):
        from .api import compare
        return compare(self.runs[a], self.runs[b])

    def __repr__(self):
        return (f"<gradflow Experiment {self.name}: runs {', '.join(self.runs)}; "
                f"{len(self.comparisons)} comparisons>")


class Results(Mapping):
    """The experiments of a spec, by name (in the spec's order). With a single
    experiment its attributes are reachable directly (res.runs)."""

    def __init__(self, experiments):
        self._experiments = {e.name: e for e in experiments}

    def __getitem__(self, name):
        return self._experiments[name]

    def __iter__(self):
        return iter(self._experiments)

    def __len__(self):
        return len(self._experiments)

    @property
    def experiments(self):
        return list(self._experiments.values())

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if len(self._experiments) == 1:
            return getattr(next(iter(self._experiments.values())), name)
        raise AttributeError(f"Results has no {name!r}; with {len(self)} experiments pick one: "
                             f"res[{next(iter(self._experiments))!r}].{name}")

    def __repr__(self):
        return f"<gradflow Results: {', '.join(self._experiments)}>"
