"""Complex numbers in the transforms (the conventions are in ``rules/complex.py``).

Two decisions, both taken only in a function that computes with complex
numbers (a complex argument, a complex constant, ``complex`` or a complex
dtype), so that code for real numbers is generated as before:

* which rule an operation gets: the rule's complex one (``Rule.complex``) when
  an operand is complex, or of unknown kind; an error for a ``real_only`` rule
  with a complex operand;
* a cotangent sent to a real value by an operation that may compute with
  complex numbers is made real (``np.real``): the derivative of a real
  variable is real.
"""
from __future__ import annotations

import numpy as np

from ..ir.kinds import COMPLEX_KINDS, REAL_KINDS
from ..ir.nodes import Const, Global, Prim, Value
from .builder import np_global

_COMPLEX_TYPES = (complex, np.complex64, np.complex128, np.clongdouble, np.complexfloating)
# kinds that hold no complex number
_NOT_COMPLEX = {"float", "array", "int", "bool", "intarray", "str", "none", "range"}


def _complex_object(v) -> bool:
    if type(v) in (float, int, bool):  # most constants: answered before the slower checks
        return False
    if isinstance(v, (complex, np.complexfloating)):
        return True
    if isinstance(v, (np.ndarray, np.dtype)):
        return np.issubdtype(v.dtype if isinstance(v, np.ndarray) else v, np.complexfloating)
    if isinstance(v, type):
        return any(v is t for t in _COMPLEX_TYPES)
    if isinstance(v, str):
        return v.startswith("complex") or v in ("c8", "c16", "F", "D")
    return getattr(v, "__module__", None) == "cmath"


def has_complex(t) -> bool:
    """Whether the function ``t`` (a transform) differentiates computes with
    complex numbers."""
    found = getattr(t, "_has_complex", None)
    if found is None:
        found = any(k in COMPLEX_KINDS for k in t.kinds.values()) or any(
            _complex_object(a.value if isinstance(a, Const) else a.obj)
            for op in t.fn.body.walk() if isinstance(op, Prim)
            for a in op.args if isinstance(a, (Const, Global)))
        t._has_complex = found
    return found


def _kind(t, a):
    if isinstance(a, Value):
        return t.kinds.get(a)
    if isinstance(a, Const):
        return "complex" if _complex_object(a.value) else "float"
    return "float"  # a Global: a function


def rule_for(t, rule, op: Prim, first: int):
    """The rule of ``op`` for its operands: ``rule``, or its rule for complex ones."""
    if (rule.complex is None and not rule.real_only) or not has_complex(t):
        return rule
    kinds = [_kind(t, a) for a in op.args[first:]]
    if rule.real_only and any(k in COMPLEX_KINDS for k in kinds):
        raise t.error(op, f"{rule.name} has no derivative for complex numbers",
                      "compute it from the real and imaginary parts (np.real(z), np.imag(z)), "
                      "or from abs(z)")
    if rule.complex is not None and any(k in COMPLEX_KINDS or k is None for k in kinds):
        return rule.complex
    return rule


def real_cotangent(rev, v, contrib):
    """``contrib`` for the adjoint of ``v``: its real part where ``v`` is real and
    the operation being reversed (``rev.op_now``) may compute with complex numbers."""
    op = getattr(rev, "op_now", None)
    if op is None or not has_complex(rev) or isinstance(contrib, list) or \
            rev.kinds.get(v) not in REAL_KINDS:
        return contrib
    if all(_kind(rev, a) in _NOT_COMPLEX for a in list(op.results) + list(op.args)):
        return contrib
    made = rev.b.defs.get(contrib) if isinstance(contrib, Value) else None
    if made is not None and made.kind == "call" and isinstance(made.args[0], Global) and \
            made.args[0].obj is np.real:
        return contrib
    if isinstance(contrib, Const) and not _complex_object(contrib.value):
        return contrib
    return rev.b.call(np_global("real"), [contrib], hint=v.hint + "_bar")
