"""Facts about the callables a program calls, read by every stage.

A call may be reordered, merged with an equal one or dropped when unused only if
its callee has no side effects; these are the callees known to have none.
"""
from __future__ import annotations

import math

import numpy as np

from .registry import lookup

_PURE_BUILTINS = {abs, min, max, len, float, int, bool, range, round, sum, pow,
                  divmod, complex, tuple, list, dict, set, enumerate, zip,
                  reversed, sorted, isinstance, any, all, str, repr, hash}


# NumPy functions that write into an argument, or have effects beyond their result.
_NUMPY_EFFECTS = {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis",
                  "save", "savez", "savez_compressed", "savetxt", "tofile", "seterr",
                  "seterrcall", "set_printoptions", "setbufsize", "printoptions",
                  "errstate", "load", "loadtxt", "genfromtxt", "fromfile", "memmap"}


def is_pure_callable(obj) -> bool:
    """True for functions with no side effects whose calls may be reordered
    (NumPy's ``out=`` argument is the caller's business: see :func:`is_pure_call`)."""
    try:
        if obj in _PURE_BUILTINS:
            return True
    except TypeError:
        return False
    if getattr(obj, "__s2sad_pure__", False):
        return True
    if lookup(obj) is not None:  # a function with a derivative rule is a math function
        return True
    mod = getattr(obj, "__module__", None) or ""
    if isinstance(obj, np.ufunc):
        return True
    if getattr(obj, "__self__", None) is math or mod == "math":
        return True
    if mod.startswith("numpy") and not mod.startswith("numpy.random"):
        return callable(obj) and getattr(obj, "__name__", None) not in _NUMPY_EFFECTS
    return False


# Builtins whose only effects are outside the program's values (output).
_WRITES_NOTHING = {print, id, type, format, callable, hasattr, getattr, iter, next}


def writes_nothing(obj) -> bool:
    """True for callables that change none of their arguments (a pure one, or
    one whose effects are output only, ``print``)."""
    try:
        return obj in _WRITES_NOTHING or is_pure_callable(obj)
    except TypeError:
        return False


def is_pure_call(func, kw=(), dstar=()) -> bool:
    """True for a call of ``func`` with these keyword names (and ``**`` arguments)
    that has no side effects: a pure callable not asked to write into ``out=``."""
    if "out" in kw or dstar:
        return False
    return is_pure_callable(func)
