"""gradflow in Python: gradient flow against gradient descent, from numpy.

    import numpy as np, gradflow as gf
    net = gf.LinearNetwork(X, Y, hidden=[4, 4])      # samples as rows
    x0 = net.init("gaussian", std=0.05, seed=1)
    flow = gf.integrate(net, x0, t_end=60, method="auto", rtol=1e-10)
    gd = gf.gd(net, x0, eta=0.02, t_end=60)
    gf.compare(gd, flow).state_dist                  # at matched times
    res = gf.run("data/course_linear.json")          # any spec (file or dict)
    res = gf.load("out/course_linear")               # what the CLI wrote

Models written in Python (loss and gradient, optionally hessian_vector) are
integrated by the same C++ integrators: see gradflow.custom. docs/python.md
has the whole story."""

from ._arrays import DtypeWarning
from ._core import SpecError, core as _core_module
from .api import compare, gd, integrate, modified_flow, run, sgd
from .custom import FunctionModel, PythonModel, hessian, hessian_vector, sharpness
from .load import load
from .models import (LeastSquares, LinearNetwork, MatrixFactorisation, Model,
                     SymmetricFactorisation, TwoLayerRelu, WideSharp1D)
from .results import Comparison, Ensemble, Experiment, Results, Run, Series

__version__ = _core_module.__version__


def __getattr__(name):
    """gf.plot and gf.report load matplotlib on first use, not at import."""
    if name in ("plot", "report"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gradflow' has no attribute {name!r}")

methods = _core_module.methods()

__all__ = ["DtypeWarning", "SpecError", "compare", "gd", "integrate", "modified_flow", "run", "sgd",
           "FunctionModel", "PythonModel", "hessian", "hessian_vector", "sharpness", "load",
           "LeastSquares", "LinearNetwork", "MatrixFactorisation", "Model", "SymmetricFactorisation", "TwoLayerRelu",
           "WideSharp1D", "Comparison", "Ensemble", "Experiment", "Results", "Run", "Series",
           "methods"]
