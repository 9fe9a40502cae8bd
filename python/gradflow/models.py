"""The built-in models from numpy arrays.

A model object holds the data, model (and, for some models, init) sections of
a spec, with its arrays; the C++ model is built from them through the same
registry as the CLI's, so a model from arrays and a spec naming the same
arrays as files give the same bits. Each model offers one or more flows (the
parameter flow first); every evaluation takes `flow=` (default: the first).

    net = gf.LinearNetwork(X, Y, hidden=[4, 4])   # X: samples as rows
    x0 = net.init("gaussian", std=0.05, seed=1)   # or net.pack([W1, W2, W3])
    net.loss(x0), net.gradient(x0), net.sharpness(x0), net.unpack(x0)["W2"]
"""

import numpy as np

from ._arrays import as_state
from ._core import core
from ._spec import convert_arrays, drop_none, extract_arrays, to_json


class Model:
    """Any registry model: `kind` and the spec's data and model sections
    (dicts; arrays may stand wherever a spec names a file), e.g.
    Model("least_squares", data={"kind": "files", "x": X, "y": y})."""

    # Where the model's state comes from when only its evaluations are
    # wanted; a start from arrays replaces it (see _init_for_start).
    _neutral_init = {"kind": "gaussian"}

    def __init__(self, kind, data=None, seed=0, init=None, **model_keys):
        self.kind = kind
        self.data = convert_arrays(dict(data or {}), "data")
        self.model_keys = convert_arrays({"kind": kind, **model_keys}, "model")
        self.seed = seed
        self._fixed_init = convert_arrays(init, "init")  # models whose structure depends on their start
        self._handle = None

    # ---- the spec this model stands for
    def spec(self, init=None, seed=None):
        """The data, model and init sections (and the seed) as a spec dict,
        arrays included."""
        return {"seed": self.seed if seed is None else seed,
                "data": self.data,
                "model": self.model_keys,
                "init": init if init is not None else (self._fixed_init or self._neutral_init)}

    def _build(self, init=None, seed=None):
        spec = self.spec(init, seed)
        spec.update({"name": self.kind, "t_end": 1.0, "runs": [{}]})
        text, arrays = _encode(spec)
        return core.ModelHandle(text, f"gradflow.{type(self).__name__}", "", arrays)

    @property
    def handle(self):
        if self._handle is None:
            self._handle = self._build()
            self._flows = self._handle.flows()
            self._info = self._handle.info()
        return self._handle

    # ---- structure
    @property
    def flows(self):
        """The model's flows' names, the default first."""
        self.handle
        return [f["name"] for f in self._flows]

    def _flow(self, flow):
        self.handle
        if flow is None:
            return self._flows[0]
        for f in self._flows:
            if f["name"] == flow:
                return f
        raise ValueError(f"unknown flow \"{flow}\" for this model (valid: {', '.join(self.flows)})")

    def dim(self, flow=None):
        return self._flow(flow)["dim"]

    def layout(self, flow=None):
        """[{name, rows, cols, offset, order: "F"}] of the flow's state."""
        return self._flow(flow)["layout"]

    def describe(self, flow=None):
        return self._flow(flow)["description"]

    @property
    def facts(self):
        """Numbers the model reports about itself (meta.json → model_facts)."""
        self.handle
        return dict(self._info["facts"])

    @property
    def arrays(self):
        """The arrays the model uses, as the CLI exports them (data_X, ...)."""
        self.handle
        return dict(self._info["exports"])

    # ---- starts
    def init(self, kind, seed=0, flow=None, **keys):
        """A start drawn or built as the spec's init section {"kind": kind,
        **keys} with this seed would give it (the same bits as the CLI)."""
        h = self._build({"kind": kind, **keys}, seed)
        flows = h.flows()
        if flow is None:
            return flows[0]["x0"]
        return next(f["x0"] for f in flows if f["name"] == flow)

    def pack(self, matrices, flow=None):
        """The flat state holding these matrices (one per layout block, in
        order), each stored column-major."""
        blocks = self.layout(flow)
        if len(matrices) != len(blocks):
            raise ValueError(f"expected {len(blocks)} matrices ({', '.join(b['name'] for b in blocks)}), "
                             f"got {len(matrices)}")
        parts = []
        for b, m in zip(blocks, matrices):
            m = as_state(m, b["name"])
            m = m.reshape(m.shape[0], 1) if m.ndim == 1 else m
            if m.shape != (b["rows"], b["cols"]):
                raise ValueError(f"{b['name']} has shape {m.shape}; expected ({b['rows']}, {b['cols']})")
            parts.append(m.ravel(order="F"))
        return np.concatenate(parts)

    def unpack(self, x, flow=None):
        """{block name: matrix} of a flat state (copies)."""
        x = self._state(x, flow)
        return {b["name"]: x[b["offset"]:b["offset"] + b["rows"] * b["cols"]]
                .reshape((b["rows"], b["cols"]), order="F").copy() for b in self.layout(flow)}

    def _state(self, x, flow, what="x"):
        x = as_state(x, what)
        if x.size != self.dim(flow):
            raise ValueError(f"{what} has shape {x.shape} but the model's state has {self.dim(flow)} "
                             f"entries (expected shape ({self.dim(flow)},))")
        return x.reshape(-1)

    def _init_for_start(self, x0):
        """(init section, flow starts) making the default flow start at x0."""
        return {"kind": "file", "path": x0}, {}

    # ---- evaluations
    def _name(self, flow):
        return self._flow(flow)["name"]

    def loss(self, x, flow=None):
        return self.handle.loss(self._name(flow), as_state(x))

    def gradient(self, x, flow=None):
        return self.handle.gradient(self._name(flow), as_state(x))

    def velocity(self, x, t=0.0, flow=None):
        """The flow's field v(x, t) (−∇L for a gradient flow)."""
        return self.handle.velocity(self._name(flow), as_state(x), float(t))

    def hessian_vector(self, x, v, flow=None):
        return self.handle.hessian_vector(self._name(flow), as_state(x), as_state(v, "v"))

    def hessian(self, x, flow=None):
        """The dense Hessian (dim Hessian-vector products, symmetrised)."""
        return self.handle.hessian(self._name(flow), as_state(x))

    def sharpness(self, x, flow=None):
        """λ_max(∇²L(x)), as record.sharpness computes it (dense up to 500
        entries, Lanczos above; NaN if Lanczos does not converge)."""
        return self.handle.sharpness(self._name(flow), as_state(x))[0]

    def project(self, x, flow=None):
        """The flow's projection to function space (e.g. the end-to-end matrix)."""
        return self.handle.project(self._name(flow), as_state(x))

    def projection_name(self, flow=None):
        return self._flow(flow)["projection"]

    def observe(self, x, t=0.0, flow=None):
        """The model's per-record metrics at x (the CSV columns after
        grad_norm; matrices as arrays)."""
        return self.handle.observe(self._name(flow), as_state(x), float(t))

    def __repr__(self):
        try:
            return f"<gradflow {type(self).__name__}: {self.describe()}>"
        except Exception:  # noqa: BLE001 - repr must not raise
            return f"<gradflow {type(self).__name__} ({self.kind})>"


def _encode(spec):
    spec, arrays = extract_arrays(spec)
    return to_json(spec), arrays


def _regression_data(X, Y, data, samples_as, unit_norm_inputs, whiten_inputs, input_scales):
    if X is None and Y is None:
        d = dict(data or {})
    elif X is None or Y is None:
        raise ValueError("give both X and Y (or neither, and the data section as `data=`)")
    else:
        if data:
            raise ValueError("give either arrays X, Y or `data=`, not both")
        if samples_as not in ("rows", "columns"):
            raise ValueError(f"samples_as: expected \"rows\" or \"columns\", got {samples_as!r}")
        d = {"kind": "files", "x": X, "y": Y, "orientation": f"samples_as_{samples_as}"}
    d.update(drop_none({"unit_norm_inputs": unit_norm_inputs, "whiten_inputs": whiten_inputs,
                        "input_scales": None if input_scales is None else list(map(float, input_scales))}))
    return d


class LinearNetwork(Model):
    """Deep linear network W = W_N ⋯ W_1 on data X (n × d0), Y (n × dN),
    samples as rows (numpy's habit; samples_as="columns" for d × n).
    Flows "layers" (default) and "end_to_end". docs/spec.md → linear_network."""

    def __init__(self, X=None, Y=None, hidden=None, *, depth=None, width=None, residual=None,
                 loss=None, p=None, saxe_oracle=None, samples_as="rows", unit_norm_inputs=None,
                 whiten_inputs=None, input_scales=None, data=None, seed=0):
        loss_section = None
        if loss is not None or p is not None:
            loss_section = drop_none({"kind": loss or "square", "p": p})
        super().__init__("linear_network",
                         data=_regression_data(X, Y, data, samples_as, unit_norm_inputs,
                                               whiten_inputs, input_scales),
                         seed=seed,
                         **drop_none({"hidden": None if hidden is None else [int(h) for h in hidden],
                                      "depth": depth, "width": width, "residual": residual,
                                      "loss": loss_section, "saxe_oracle": saxe_oracle}))

    def end_to_end(self, x):
        """W = W_N ⋯ W_1 of a layers state."""
        return self.project(x)


class LeastSquares(Model):
    """L(θ) = ½‖Xθ − y‖² (not divided by n), X n × d (rows are samples)."""

    _neutral_init = {"kind": "point", "value": 0.0}

    def __init__(self, X=None, y=None, *, data=None, samples_as="rows", unit_norm_inputs=None,
                 whiten_inputs=None, input_scales=None, seed=0):
        super().__init__("least_squares",
                         data=_regression_data(X, y, data, samples_as, unit_norm_inputs,
                                               whiten_inputs, input_scales), seed=seed)


class WideSharp1D(Model):
    """The 1-D landscape with a sharp and a wide minimum (docs/spec.md)."""

    _neutral_init = {"kind": "point", "value": 0.0}

    def __init__(self):
        super().__init__("wide_sharp_1d")


class _Factorisation(Model):
    """What the two factorisation kinds share: a data section from the task,
    the ground truth as an array (or generated from sizes), observed entries
    and measurements as arrays or counts; starts of scale `alpha`."""

    _neutral_init = {"kind": "identity", "alpha": 1.0}

    def __init__(self, kind, task, ground_truth, sizes, counted, model_keys, seed):
        data = {"kind": task}
        if ground_truth is not None:
            data["ground_truth_file"] = ground_truth
        data.update(drop_none(sizes))
        for key, value in counted.items():
            if value is None:
                continue
            if isinstance(value, (int, np.integer)):
                data[key] = int(value)
            else:
                data[key + "_file"] = value
        super().__init__(kind, data=data, seed=seed, **drop_none(model_keys))

    def init(self, kind, seed=0, flow=None, alpha=None, **keys):
        return super().init(kind, seed=seed, flow=flow, **drop_none({"alpha": alpha}), **keys)


class SymmetricFactorisation(_Factorisation):
    """W = UUᵀ on matrix sensing or completion. `task` "sensing" or
    "completion"; the ground truth as an array (`ground_truth`) or generated
    (`size`, `rank`, from the seed); sensing measurements as an m × d² array
    (`measurements`) or a count to draw; completion's observed entries as an
    |Ω| × 2 array of (row, col) (`observed`) or a count. Flows "U", "W", "deep"."""

    def __init__(self, task, *, ground_truth=None, size=None, rank=None, psd=None,
                 measurements=None, observed=None, width=None, depth=None,
                 top_singular_values=None, seed=0):
        super().__init__("symmetric_factorisation", task, ground_truth,
                         {"size": size, "rank": rank, "psd": psd},
                         {"measurements": measurements, "observed": observed},
                         {"width": width, "depth": depth,
                          "top_singular_values": top_singular_values}, seed)


class MatrixFactorisation(_Factorisation):
    """Asymmetric (deep) factorisation W = W_N ⋯ W_1 of an m × n matrix on
    matrix completion (or `task="sensing"`, with `measurements` an m' × mn
    array or a count of Gaussian A_k). The ground truth as an array (`ground_truth`, m × n,
    NaN where unknown) or generated (`rows`, `cols`, `rank`, from the seed);
    the observed entries as an |Ω| × 2 array of (row, col) (`observed`), a
    count (the first of one random order: nested across counts), or, with an
    array ground truth, every known entry. `depth` N >= 1, hidden `width`
    (default min(m, n)). Flows "layers" and "end_to_end".
    docs/spec.md → matrix_factorisation."""

    def __init__(self, task="completion", *, ground_truth=None, rows=None, cols=None, rank=None,
                 observed=None, measurements=None, depth=None, width=None,
                 top_singular_values=None, seed=0):
        super().__init__("matrix_factorisation", task, ground_truth,
                         {"rows": rows, "cols": cols, "rank": rank},
                         {"observed": observed, "measurements": measurements},
                         {"depth": depth, "width": width,
                          "top_singular_values": top_singular_values}, seed)

    def product(self, x):
        """W = W_N ⋯ W_1 of a layers state."""
        return self.project(x)


class TwoLayerRelu(Model):
    """f(x) = (1/√m) Σ_r a_r relu(w_rᵀx), first layer trained, on X (n × d,
    rows are samples) and labels y. The start is part of the model (the
    signs a_r and the kernel at initialisation depend on it): drawn as
    w_r ~ N(0, std²I) from the seed, or given as `weights` (m × d) and
    `signs` (m values ±1). Flows "network", "kernel", "kernel_init"."""

    def __init__(self, X=None, y=None, width=None, *, weights=None, signs=None, std=None,
                 non_unit_inputs=None, data=None, samples_as="rows", unit_norm_inputs=None, seed=0):
        if weights is not None or signs is not None:
            if weights is None or signs is None:
                raise ValueError("give both weights and signs (or neither, and std)")
            init = {"kind": "file", "weights": weights, "signs": signs}
        else:
            init = drop_none({"kind": "gaussian", "std": std})
        if width is None:
            raise ValueError("TwoLayerRelu needs width (the number of hidden neurons m)")
        super().__init__("two_layer_relu",
                         data=_regression_data(X, y, data, samples_as, unit_norm_inputs, None, None),
                         seed=seed, init=init,
                         **drop_none({"width": int(width), "non_unit_inputs": non_unit_inputs}))

    @property
    def x0(self):
        """The network's start (W, m × d, flattened column-major)."""
        return self._flow(None)["x0"]

    @property
    def signs(self):
        return self.arrays["init_signs"].reshape(-1)

    def init(self, *args, **kwargs):
        raise TypeError("a TwoLayerRelu's start is part of the model (weights/signs or std and seed "
                        "at construction); use .x0")

    def _init_for_start(self, x0):
        m, d = self._flow(None)["layout"][0]["rows"], self._flow(None)["layout"][0]["cols"]
        weights = self._state(x0, None, "x0").reshape((m, d), order="F")
        return {"kind": "file", "weights": weights, "signs": self.signs}, {}
