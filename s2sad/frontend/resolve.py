"""Resolve the free names of a function: closure cells, then globals, then builtins.

Resolution happens when the function is lowered; the generated code runs with
these bindings.  Python reads free names at call time, so each resolution is
also recorded in ``info.bindings`` as ``(holder, name, obj)`` — the closure cell
or the globals dict read and what it held (:data:`ABSENT` for nothing, which a
builtin or an unbound name leaves: a global defined later shadows the
builtin).  The compiler snapshots these and lowers again when one changes.

The function whose derivative is called directly (``grad(lambda w: loss(w,
batch))``) is lowered *open* (``info.free`` is a dict): its free names that hold
data (:func:`is_data`: numbers, arrays, containers of them) become values that
the compiler makes keyword-only parameters, named after the free variables and
read from the cells and globals when the derivative runs; so one derivative
serves every closure of the same code, and no cache keeps the data alive.
"""
from __future__ import annotations

import builtins
import types

import numpy as np

from ..ir.nodes import MISSING, Global, Value
from ..rules.registry import method_with_rule


class _Absent:
    """What a binding held when the name was not bound there."""

    __slots__ = ()

    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()


class _Data:
    """What a global held, for the open lowering: data, read when the code runs."""

    __slots__ = ()

    def __repr__(self):
        return "DATA"


DATA = _Data()
_DATA_TYPES = (float, complex, np.floating, np.complexfloating)


def is_data(obj, depth=0) -> bool:
    """Whether a free name's object is data that generated code can take as a
    parameter: a float or complex number, a numeric array, or a tuple, list or
    dict (of str keys) of those.  Ints, bools and strings are not (they often
    say how the code is shaped: ``range(n)``, ``axis=k``): they stay constants
    of the code, as functions, modules and classes do."""
    if isinstance(obj, _DATA_TYPES):
        return True
    if type(obj) is np.ndarray:
        return obj.dtype.kind in "fcbiu"
    if depth < 2 and type(obj) in (tuple, list) and 0 < len(obj) <= 64:
        return all(is_data(v, depth + 1) for v in obj)
    if depth < 2 and type(obj) is dict and 0 < len(obj) <= 64:
        return all(type(k) is str and is_data(v, depth + 1) for k, v in obj.items())
    return False


def resolve(name, info):
    """The :class:`Global` for a free name (``obj`` is MISSING if unbound), or
    in the open lowering, the :class:`Value` of a data parameter."""
    if info.free is not None:
        return _resolve_open(name, info)
    if name in info.closure:
        obj = info.closure[name]
        cell = info.cells.get(name)
        if cell is not None:
            info.bindings.append((cell, name, obj))
        return Global(name, obj)
    if name in info.cells:  # an empty cell: filled later, the code must follow
        info.bindings.append((info.cells[name], name, ABSENT))
    if name in info.globals:
        obj = info.globals[name]
        info.bindings.append((info.globals, name, obj))
        return Global(name, obj)
    return _builtin(name, info)


def _builtin(name, info):
    """A name bound neither in the closure nor in the globals: a builtin or
    unbound, as long as no global of that name appears (a binding says so)."""
    info.bindings.append((info.globals, name, ABSENT))
    if hasattr(builtins, name):
        return Global(name, getattr(builtins, name))
    return Global(name, MISSING)


def fold_attribute(base: Global, attr: str):
    """``np.sin`` is a constant: fold attribute reads on modules into globals.
    Only the root name (``np``) is a binding: module attributes are not
    checked again."""
    if isinstance(base.obj, types.ModuleType) and hasattr(base.obj, attr):
        return Global(f"{base.name}.{attr}", getattr(base.obj, attr), base.root)
    method = method_with_rule(base.obj, attr)
    if method is not None:  # scipy.stats.norm.pdf: a method with a derivative rule
        return Global(f"{base.name}.{attr}", method, base.root)
    return None


def _resolve_open(name, info):
    """Open lowering: data becomes a parameter; a closure cell's other objects
    are constants that the compiler's cache key holds (by identity), so no cell
    is a binding; a global's are bindings as in :func:`resolve`."""
    free = info.free
    if name in free:
        return free[name]
    if name in info.closure:
        obj = info.closure[name]
        if is_data(obj):
            free[name] = Value(name, user=True)
            return free[name]
        return Global(name, obj)
    if name in info.globals:
        obj = info.globals[name]
        if is_data(obj):
            info.bindings.append((info.globals, name, DATA))
            free[name] = Value(name, user=True)
            return free[name]
        info.bindings.append((info.globals, name, obj))
        return Global(name, obj)
    return _builtin(name, info)
