"""Derivative values of the trace tables: which primal values carry one, and
the zeros and ones (seeds) of a value's shape."""
from __future__ import annotations

import numpy as np

from ..runtime import zeros_like_value

__all__ = ["carries_derivative", "ones_like", "zeros_like"]


def carries_derivative(v) -> bool:
    """Whether a value can carry a derivative (floats, float arrays, containers)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(v, np.ndarray):
        return np.issubdtype(v.dtype, np.floating) or np.issubdtype(v.dtype, np.complexfloating)
    return isinstance(v, (list, tuple, dict))


def ones_like(v):
    if isinstance(v, np.ndarray):
        return np.ones_like(v, dtype=float)
    if isinstance(v, (list, tuple)):
        out = [ones_like(x) for x in v]
        return tuple(out) if isinstance(v, tuple) else out
    if isinstance(v, dict):
        return {k: ones_like(x) for k, x in v.items()}
    return 1.0


def zeros_like(v):
    z = zeros_like_value(v)
    return 0.0 if z is None else z
