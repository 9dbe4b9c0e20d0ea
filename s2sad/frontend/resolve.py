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

#: What a binding reads by name: a globals dict, an instance's ``__dict__``, a
#: class's namespace (anything else is a closure cell).
BY_NAME = (dict, types.MappingProxyType)


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


def users_class(cls) -> bool:
    """Whether ``cls`` is the user's own (not Python's, NumPy's, SciPy's or
    s2sad's)."""
    return not (cls.__module__ or "builtins").startswith(("builtins", "numpy", "s2sad", "scipy"))


def class_member(cls, attr):
    """``(owner, raw, function)``: the first class of ``cls``'s method resolution
    order whose namespace has ``attr``, what it holds there (a function, a
    staticmethod, a classmethod), and the Python function inside (None when
    it is none of those)."""
    owner = next((k for k in cls.__mro__ if attr in vars(k)), None)
    raw = vars(owner).get(attr) if owner is not None else None
    fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    return owner, raw, fn if isinstance(fn, types.FunctionType) else None


def fold_member(base: Global, attr: str, bindings):
    """``Model.s`` (a staticmethod), ``Model.c`` (a classmethod), ``Model.f``
    and ``model.f`` (the method of an instance held by a global, or a function
    the instance holds itself): the Python function called, resolved when
    compiling, as ``np.sin`` is.  What the look-up read is a binding: the
    instance's own entry (or its absence) and the class's (in the first class
    of the method resolution order that has one), so that a method redefined
    or shadowed recompiles; the global (the root) is a binding already.  None
    for anything else."""
    obj = base.obj
    cls = obj if isinstance(obj, type) else type(obj)
    if type(cls) is not type or not users_class(cls):
        return None
    inst = None if obj is cls else getattr(obj, "__dict__", None)
    if obj is not cls and not isinstance(inst, dict):
        return None
    if inst is not None and attr in inst:  # the instance's own (not bound to it)
        own = inst[attr]
        if not isinstance(own, types.FunctionType):
            return None
        bindings.append((inst, attr, own))
        return Global(f"{base.name}.{attr}", own, base.root)
    owner, raw, fn = class_member(cls, attr)
    if fn is None:
        return None
    if isinstance(raw, classmethod):
        value = types.MethodType(fn, cls)
    elif isinstance(raw, types.FunctionType) and obj is not cls:
        value = types.MethodType(fn, obj)
    else:
        value = fn
    if inst is not None:
        bindings.append((inst, attr, ABSENT))
    bindings.append((vars(owner), attr, raw))
    return Global(f"{base.name}.{attr}", value, base.root)


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
