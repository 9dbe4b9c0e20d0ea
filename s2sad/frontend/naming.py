"""Hints for SSA values, so the generated code reads like code a person wrote.

A value assigned to a variable takes the variable's name; a temporary is named
after its operands where they are short (``x_W`` for ``x @ W``, ``sin_x`` for
``np.sin(x)``) and is ``t`` otherwise.  The backend makes the hints unique.
"""
import keyword
from typing import Optional

import gast

from ..ir.nodes import Const, Global, Value

FLAG_HINTS = {".brk": "brk", ".cont": "cont", ".ret": "ret"}

ACCUMULATOR_HINTS = {"list": "elems", "set": "elems", "dict": "d"}


class Names:
    """The hints of variables and of the lowering's pseudo-variables (``.brk``,
    ``.retval``, ``.comp0``, ...), and fresh names for pseudo-variables."""

    def __init__(self):
        self.hints = dict(FLAG_HINTS)
        self.counter = 0

    def hint_for(self, name):
        return self.hints.get(name, name)

    def fresh(self, prefix, hint):
        """A new pseudo-variable ``prefix<N>`` whose values are hinted ``hint``."""
        name = f"{prefix}{self.counter}"
        self.counter += 1
        self.hints[name] = hint
        return name


def return_hint(local_names):
    """The name of the returned value: ``y``, unless the function has a ``y``."""
    return "y" if "y" not in local_names else "out"


def target_hint(t):
    return t.id if isinstance(t, gast.Name) else None


def short(operand) -> Optional[str]:
    """A short name for an operand, used to name temporaries after it."""
    if isinstance(operand, Value) and operand.user and len(operand.hint) <= 8:
        return operand.hint
    if isinstance(operand, Const) and isinstance(operand.value, int) and \
            not isinstance(operand.value, bool) and 0 <= operand.value < 100:
        return str(operand.value)
    return None


def member_hint(base, name):
    """``x.T`` is ``x_T``; ``x.sum()`` is ``x_sum``."""
    s = short(base)
    return f"{s}_{name}" if s else name


def binop_hint(a, b, op):
    sa, sb = short(a), short(b)
    hint = f"{sa}_{sb}" if sa and sb and op in "*@" else "t"
    if op == "**" and sa and sb:
        hint = f"{sa}_pow_{sb}"
    return hint


def unary_hint(a, op):
    s = short(a)
    return f"neg_{s}" if s and op == "-" else f"not_{s}" if s and op == "not" else "t"


def subscript_hint(base, idx_args, template):
    s = short(base)
    si = short(idx_args[0]) if len(idx_args) == 1 and template[0] == "val" else None
    h = f"{s}_{si}" if s and si else (f"{s}_item" if s else "t")
    key = idx_args[0] if len(idx_args) == 1 and template[0] == "val" else None
    if isinstance(key, Const) and isinstance(key.value, str) and key.value.isidentifier() \
            and not keyword.iskeyword(key.value):
        h = key.value  # params["W1"] is W1
    return h


def call_hint(func, args, attrs):
    """``np.sin(x)`` is ``sin_x``; a call with other arguments is named after
    the function (``t`` when the function is not a known global)."""
    fname = func.name.rsplit(".", 1)[-1] if isinstance(func, Global) else "t"
    shorts = [short(a) for a in args]
    if isinstance(func, Global) and args and all(shorts) and len(args) <= 2 and \
            not attrs:
        return "_".join([fname] + shorts)
    return fname if isinstance(func, Global) else "t"
