"""Figures of gradflow results, drawn with matplotlib from the same objects
gf.run and gf.load return; each function returns a matplotlib Figure (not
registered with pyplot: display it in a notebook, or fig.savefig(...)).

    import gradflow as gf
    res = gf.load("out/least_squares_stability")
    gf.plot.loss(res)               # loss of every run against t, L − L* beside
    gf.plot.distance(res)           # the comparison files, with the tolerance floor
    gf.plot.sharpness(res)          # S(t) against 2/η, edge-of-stability outcome

The report (python -m gradflow.report DIR, or gradflow report DIR) draws
these same figures for every experiment of a folder."""

from .curves import distance, ensemble, loss, sharpness
from .factorisation import factorisation
from .linear import balancedness, singular_values
from .relu import ntk, width_scaling
from .sweep import eta_sweep

__all__ = ["loss", "distance", "sharpness", "ensemble", "singular_values", "balancedness", "ntk",
           "width_scaling", "factorisation", "eta_sweep"]
