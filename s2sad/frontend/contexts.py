"""``with`` statements: the context managers that do not change values.

Which context manager a ``with`` enters is decided by what its callee *is*,
resolved when the function is lowered as every free name is (``np.errstate``
may be imported under any name), never by the text of the name.

* ``np.errstate(...)``, ``np.printoptions(...)`` and
  ``warnings.catch_warnings(...)`` change how NumPy and Python report (floating
  point warnings, printing, warning filters) but no value: the body is
  differentiated, and the ``with`` is kept around it in the derivative code,
  bracketed by the ops ``with_enter`` and ``with_exit`` (no results; the
  emitter writes the statement, the transforms keep the tangent lines inside
  it, and reverse mode enters a fresh one, with the same filters, around the
  adjoint of the block).
* ``contextlib.nullcontext()`` does nothing: its body is lowered in place.

Anything else (``as name``, ``contextlib.suppress``, ``open``, a user's context
manager, a lock) is an error at the ``with`` that names the context manager.
"""
from __future__ import annotations

import contextlib
import warnings

import gast
import numpy as np

from ..ir.nodes import MISSING
from .resolve import fold_attribute, resolve

#: Context managers whose ``with`` is kept (they change reporting, not values).
KEPT = (np.errstate, np.printoptions, warnings.catch_warnings)
#: Context managers whose ``with`` does nothing.
DROPPED = (contextlib.nullcontext,)

_SUPPORTED = ("np.errstate, np.printoptions, warnings.catch_warnings and "
              "contextlib.nullcontext")


def _dotted(node):
    """``a.b.c`` of a name or attribute chain (None for anything else)."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _known(obj, group) -> bool:
    return any(obj is g for g in group)


class WithLowering:
    """Lowers one ``with`` statement for a :class:`~.lower.Lowerer`."""

    def __init__(self, lowerer):
        self.lw = lowerer
        self.count = 0

    def static_callee(self, node):
        """The object a callee names when it is a free name or a module
        attribute of one (None when it is computed, or a local)."""
        if isinstance(node, gast.Name):
            if node.id in self.lw.env or node.id in self.lw.locals:
                return None
            g = resolve(node.id, self.lw.info)
            # data read when the code runs (an open lowering) is no static callee
            return None if getattr(g, "obj", MISSING) is MISSING else g
        if isinstance(node, gast.Attribute):
            base = self.static_callee(node.value)
            if base is None:
                return None
            return fold_attribute(base, node.attr)
        return None

    def refuse(self, node, what, hint):
        return self.lw.error(node, f"s2sad cannot differentiate through 'with {what}'", hint)

    def lower(self, s):
        self.enter(s, list(s.items))

    def enter(self, s, items):
        if not items:
            self.lw.lower_stmts(s.body)
            return
        item = items[0]
        expr = item.context_expr
        call = expr if isinstance(expr, gast.Call) else None
        name = _dotted(call.func if call is not None else expr) or "..."
        shown = f"{name}(...)" if call is not None else name
        callee = self.static_callee(call.func) if call is not None else None
        obj = callee.obj if callee is not None else None
        if item.optional_vars is not None:
            raise self.refuse(s, f"{shown} as ...",
                              "s2sad does not bind what a context manager's __enter__ "
                              "returns; drop 'as name' (with " + _SUPPORTED + ") or move "
                              "the with-block outside the function you differentiate")
        if obj is not None and _known(obj, DROPPED):
            self.lw.call_args(call)  # the arguments are evaluated, as Python does
            self.enter(s, items[1:])
            return
        if obj is None or not _known(obj, KEPT):
            raise self.refuse(s, shown, self.hint_for(obj))
        args, attrs = self.lw.call_args(call)
        self.count += 1
        attrs = _shifted(attrs)
        attrs["context"] = self.count
        loc = self.lw.loc
        self.lw.emit("with_enter", [callee] + args, nresults=0, **attrs)
        self.enter(s, items[1:])
        self.lw.loc = loc
        # after a raise nothing runs: the with ends with its block
        if self.lw.dead != "raise":
            self.lw.emit("with_exit", [callee] + args, nresults=0, **dict(attrs))

    @staticmethod
    def hint_for(obj):
        if obj is open:
            return ("read the file outside the function you differentiate and pass its "
                    "contents in as an argument")
        if obj is contextlib.suppress:
            return ("contextlib.suppress catches exceptions, which s2sad cannot "
                    "differentiate through; check the condition with an if statement instead")
        return ("s2sad differentiates the body of a with-block only for " + _SUPPORTED +
                ", which change no values; move this with-block outside the function you "
                "differentiate (or give the function that uses it a rule with "
                "@s2sad.defvjp/@s2sad.defjvp)")


def _shifted(attrs):
    out = dict(attrs)
    for key in ("star", "dstar"):
        if key in out:
            out[key] = tuple(p + 1 for p in out[key])
    return out
