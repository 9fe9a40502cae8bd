"""Specs as Python dicts: arrays inside a spec are handed to the C++ side in
memory under a name (e.g. "<numpy data.x>") that the spec then uses in place
of a file name, so a dict spec may hold numpy arrays wherever a spec file
names a .npy or .csv file."""

import json

import numpy as np

from ._arrays import as_data, is_array


def array_name(path):
    return f"<numpy {path}>"


def extract_arrays(value, path="", arrays=None):
    """(a copy of `value` with every array replaced by its name, {name: array})."""
    if arrays is None:
        arrays = {}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out[k] = extract_arrays(v, f"{path}.{k}" if path else str(k), arrays)[0]
        return out, arrays
    if isinstance(value, (list, tuple)):
        return [extract_arrays(v, f"{path}[{i}]", arrays)[0] for i, v in enumerate(value)], arrays
    if is_array(value):
        name = array_name(path)
        arrays[name] = as_data(value, path)
        return name, arrays
    return value, arrays


def convert_arrays(value, path=""):
    """`value` with every array converted to float64 now (dtype warnings and
    errors at the caller's line, once), names and structure kept."""
    if isinstance(value, dict):
        return {k: convert_arrays(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [convert_arrays(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if is_array(value):
        return as_data(value, path)
    return value


def _plain(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    raise TypeError(f"spec value {o!r} of type {type(o).__name__} is not JSON")


def to_json(spec):
    return json.dumps(spec, default=_plain)


def drop_none(d):
    return {k: v for k, v in d.items() if v is not None}
