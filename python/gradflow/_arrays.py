"""What numpy arrays may cross into gradflow, with the CLI's rules for .npy
files: float64 as it is (any memory layout: non-contiguous arrays are copied),
int32 and int64 converted, float32 (and float16) converted with a warning,
anything else (complex, object, bool, strings...) refused with a TypeError."""

import os
import sys
import warnings

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_stacklevel():
    """The stacklevel of the first caller outside the gradflow package, so a
    warning points at the user's line."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back
        level += 1
    return level


class DtypeWarning(UserWarning):
    """An array was converted to float64 with a possible loss of meaning
    (float32 data carry ~7 significant digits, the run computes with 16)."""


_CONVERTED_SILENTLY = {np.dtype(np.int32), np.dtype(np.int64)}
_CONVERTED_WITH_WARNING = {np.dtype(np.float32), np.dtype(np.float16)}


def as_float64(value, what):
    """`value` as a C-contiguous float64 numpy array (a copy only when needed)."""
    a = np.asarray(value)
    dtype = a.dtype.newbyteorder("=") if a.dtype.byteorder not in "=|" else a.dtype
    if dtype == np.float64:
        pass
    elif dtype in _CONVERTED_WITH_WARNING:
        warnings.warn(f"{what}: {a.dtype.name} array converted to float64", DtypeWarning,
                      stacklevel=_user_stacklevel())
    elif dtype not in _CONVERTED_SILENTLY:
        raise TypeError(
            f"{what}: unsupported dtype '{a.dtype.str}' (expected little-endian float64 '<f8'; "
            f"float32, int32 and int64 are converted)")
    return np.ascontiguousarray(a, dtype=np.float64)


def as_data(value, what):
    """A 1-D or 2-D data array (NaN/Inf are refused by the C++ side, with the
    CLI's message)."""
    a = as_float64(value, what)
    if a.ndim not in (1, 2):
        raise ValueError(f"{what}: expected a 1-D or 2-D array, got {a.ndim} dimensions "
                         f"(shape {a.shape})")
    return a


def as_state(value, what="x"):
    """A state vector (its length is checked against the model by the C++
    side, which names both shapes)."""
    a = as_float64(value, what)
    if not np.isfinite(a).all():
        raise ValueError(f"{what} contains NaN or Inf")
    return a


def is_array(value):
    """True for numpy arrays and array-likes that are not plain Python
    containers or scalars (e.g. torch tensors)."""
    return isinstance(value, np.ndarray) or (
        hasattr(value, "__array__") and not isinstance(value, (list, tuple, str, bytes, int, float)))
