"""Models written in Python, integrated by gradflow's C++ integrators.

Any object with loss(x) -> float and gradient(x) -> array (x a float64
array of the state's length) is a model; optional members:

    hessian_vector(x, v) -> array   exact ∇²L(x)·v (otherwise central
                                    differences of the gradient stand in:
                                    bdf, the modified flow, sharpness)
    observe(x) -> {name: float or array}   extra per-record columns/matrices
    layout = [(name, rows, cols), ...]     column-major blocks of x (matrices())
    name = "..."                           for the run's description

Subclassing PythonModel is optional; FunctionModel wraps plain callables.
An exception raised in a callback stops the run and is re-raised with its
traceback. Runs of Python models hold the GIL (the callbacks need it)."""

import numpy as np

from ._arrays import as_state
from ._core import core


class PythonModel:
    """Base class for models written in Python (optional: any object with
    loss and gradient works)."""

    def loss(self, x):
        raise NotImplementedError

    def gradient(self, x):
        raise NotImplementedError


class FunctionModel(PythonModel):
    """A model from callables: FunctionModel(loss, gradient, hessian_vector=None,
    observe=None, layout=None, name=None)."""

    def __init__(self, loss, gradient, hessian_vector=None, observe=None, layout=None, name=None):
        self.loss = loss
        self.gradient = gradient
        if hessian_vector is not None:
            self.hessian_vector = hessian_vector
        if observe is not None:
            self.observe = observe
        if layout is not None:
            self.layout = [tuple(b) for b in layout]
        self.name = name or "FunctionModel"


def check_python_model(model):
    missing = [m for m in ("loss", "gradient") if not callable(getattr(model, m, None))]
    if missing:
        raise TypeError(f"a model must be a gradflow model or an object with loss(x) and gradient(x) "
                        f"methods; {type(model).__name__} lacks {' and '.join(missing)}")


def evaluator(model, dim):
    """A C++ handle evaluating a Python model (sharpness, Hessian, ...)."""
    check_python_model(model)
    return core.ModelHandle(model, int(dim))


def sharpness(model, x):
    """λ_max(∇²L(x)) of any model (built-in or Python), as record.sharpness
    computes it."""
    if hasattr(model, "handle") and hasattr(model, "_flow"):
        return model.sharpness(x)
    x = as_state(x)
    return evaluator(model, x.size).sharpness("python", x)[0]


def hessian(model, x):
    """The dense Hessian of any model (dim Hessian-vector products)."""
    if hasattr(model, "handle") and hasattr(model, "_flow"):
        return model.hessian(x)
    x = as_state(x)
    return evaluator(model, x.size).hessian("python", x)


def hessian_vector(model, x, v):
    """∇²L(x)·v of any model (its own, or central differences of its gradient)."""
    if hasattr(model, "handle") and hasattr(model, "_flow"):
        return model.hessian_vector(x, v)
    x = as_state(x)
    return evaluator(model, x.size).hessian_vector("python", x, as_state(v, "v"))


def unpack(model, x):
    """{block: matrix} of a Python model's state by its layout (one block "x" without)."""
    layout = getattr(model, "layout", None) or [("x", np.size(x), 1)]
    out, off = {}, 0
    for name, r, c in layout:
        out[name] = np.asarray(x)[off:off + r * c].reshape((r, c), order="F").copy()
        off += r * c
    return out
