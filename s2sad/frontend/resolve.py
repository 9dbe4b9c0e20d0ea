"""Resolve the free names of a function: closure cells, then globals, then builtins.

Resolution happens when the function is lowered; the generated code runs with
these bindings.  Python reads free names at call time, so each resolution is
also recorded in ``info.bindings`` as ``(holder, name, obj)`` — the closure cell
or the globals dict read and what it held (:data:`ABSENT` for nothing, which a
builtin or an unbound name leaves: a global defined later shadows the
builtin).  The compiler snapshots these and lowers again when one changes.
"""
from __future__ import annotations

import builtins
import types

from ..ir.nodes import MISSING, Global
from ..rules.registry import method_with_rule


class _Absent:
    """What a binding held when the name was not bound there."""

    __slots__ = ()

    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()


def resolve(name, info):
    """The :class:`Global` for a free name (``obj`` is MISSING if unbound)."""
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
