"""Resolve the free names of a function: closure cells, then globals, then builtins.

Resolution happens once, when the function is transformed; the generated code
runs with exactly these bindings.
"""
from __future__ import annotations

import builtins
import types

from ..ir.nodes import MISSING, Global


def resolve(name, info):
    """The :class:`Global` for a free name (``obj`` is MISSING if unbound)."""
    if name in info.closure:
        return Global(name, info.closure[name])
    if name in info.globals:
        return Global(name, info.globals[name])
    if hasattr(builtins, name):
        return Global(name, getattr(builtins, name))
    return Global(name, MISSING)


def fold_attribute(base: Global, attr: str):
    """``np.sin`` is a constant: fold attribute reads on modules into globals."""
    if isinstance(base.obj, types.ModuleType) and hasattr(base.obj, attr):
        return Global(f"{base.name}.{attr}", getattr(base.obj, attr), base.root)
    return None
