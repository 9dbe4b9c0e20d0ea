"""The derivative rules of ``+`` and ``*`` on lists and tuples: concatenation
(``xs + [t]``, ``(a, b) + (c,)``) and repetition (``xs * 2``, ``2 * xs``).

They are no arithmetic: the tangent of ``a + b`` is the concatenation of the
tangents (a zero tangent made as long as its operand), the adjoint of ``a``
the first ``len(a)`` entries of the result's adjoint and that of ``b`` the
rest; the tangent of ``a * n`` repeats ``a``'s, and the adjoint of ``a`` sums
the adjoints of its ``n`` copies.

Kinds say when an op is one (:func:`s2sad.ir.kinds.sequence_arithmetic`).
Where an operand is a list or tuple but the other's kind is unknown, ``+``
may still be arithmetic (a list plus an array is an array): the adjoints come
from runtime helpers that look at the operands (``sum_adjoints``,
``product_adjoints``), and the tangent of ``+`` adds both tangents made whole.
"""
from __future__ import annotations

from ..ir.kinds import kind_of_object, sequence_arithmetic
from ..ir.nodes import Const, Global, Value
from ..runtime import zeros_like_value
from .builder import Zero, is_zero, runtime_global
from .structure import _hint, _packed

SEQUENCES = ("list", "tuple")


def _kind(kinds, a):
    # (a Global is of unknown kind here, as before the rules for sequences)
    return kinds.get(a) if isinstance(a, Value) else \
        kind_of_object(a.value) if isinstance(a, Const) else None


def sequence_form(op, kinds):
    """``"sure"`` for ``+``/``*`` that concatenates or repeats lists or tuples
    by its operands' kinds, ``"maybe"`` where one operand is a list or tuple and
    the other's kind is unknown (or an int array: maybe a NumPy integer), None
    otherwise."""
    if op.kind != "binop" or op.attrs["op"] not in ("+", "*") or len(op.args) != 2:
        return None

    found = [_kind(kinds, a) for a in op.args]
    if "list" not in found and "tuple" not in found:  # arithmetic: nearly every + and *
        return None
    if sequence_arithmetic(op.attrs["op"], op.args, lambda a: _kind(kinds, a)) is not None:
        return "sure"
    if None in found or "intarray" in found:
        return "maybe"  # an int array may be a NumPy integer, that repeats a list
    return None


def _whole(fwd, a):
    """The tangent of ``a``, zeros shaped like it where it has none."""
    t = fwd.t(a) if isinstance(a, Value) else Zero(a)
    if not is_zero(t):
        return t
    if isinstance(a, Const):
        return Const(zeros_like_value(a.value))  # (1.0,) has the tangent (0.0,)
    return fwd.b.materialize(t, hint=_hint(a) + "_dot")


def sequence_jvp(fwd, op):
    a, b = op.args
    r = op.result
    if op.attrs["op"] == "*" and sequence_form(op, fwd.kinds) == "maybe":
        return False  # the product rule: xs_dot * n where n is an int
    if op.attrs["op"] == "+":
        if all(is_zero(fwd.t(x)) if isinstance(x, Value) else True for x in (a, b)):
            fwd.tan[r] = Zero(r)
            return True
        operands = [_whole(fwd, a), _whole(fwd, b)]
    else:
        seq = 0 if _kind(fwd.kinds, a) in SEQUENCES else 1
        t = fwd.t(op.args[seq]) if isinstance(op.args[seq], Value) else Zero(r)
        if is_zero(t):
            fwd.tan[r] = Zero(r)
            return True
        operands = list(op.args)
        operands[seq] = t
    tv = fwd.b.value("binop", operands, r.hint + "_dot", op=op.attrs["op"])
    tv.user = r.user
    fwd.tan[r] = tv
    return True


def _length(rev, a):
    """``len(a)``: a constant for a literal, else a call."""
    made = rev.defs_outside.get(a) if isinstance(a, Value) else None
    if made is not None and made.kind == "build" and not made.attrs.get("star"):
        return Const(len(made.args))
    if isinstance(a, Const):
        return Const(len(a.value))
    return rev.b.call(Global("len", len), [a], hint="n")


def _active(rev, a):
    return isinstance(a, Value) and a in rev.active


def sequence_vjp(rev, op, bars):
    a, b = op.args
    ybar = bars[0]
    form = sequence_form(op, rev.kinds)
    if form == "maybe":
        ybar = _packed(rev, ybar)
        helper = "sum_adjoints" if op.attrs["op"] == "+" else "product_adjoints"
        pair = rev.b.call(runtime_global(helper), [ybar, a, b], hint="t")
        res = rev.b.prim("unpack", [pair], nresults=2, star=None)
        for x, g in zip(op.args, res.results):
            g.hint = _hint(x) + "_bar"
            if _active(rev, x):
                rev.accumulate(x, g)
        return
    if op.attrs["op"] == "+":
        n = _length(rev, a)
        if isinstance(ybar, list) and isinstance(n, Const) and len(ybar) >= n.value:
            parts = [ybar[:n.value], ybar[n.value:]]  # the entries, split where a ends
        else:
            ybar = _packed(rev, ybar)
            parts = [rev.b.value("getitem", [ybar, n], _hint(a) + "_bar",
                                 index=("slice", None, 1, None)) if _active(rev, a) else None,
                     rev.b.value("getitem", [ybar, n], _hint(b) + "_bar",
                                 index=("slice", 1, None, None)) if _active(rev, b) else None]
        for x, g in zip(op.args, parts):
            if _active(rev, x) and g is not None:
                rev.accumulate(x, g)
        return
    seq = a if _kind(rev.kinds, a) in SEQUENCES else b
    if _active(rev, seq):
        ybar = _packed(rev, ybar)
        rev.accumulate(seq, rev.b.call(runtime_global("repeated_adjoint"), [ybar, seq],
                                       hint=_hint(seq) + "_bar"))
