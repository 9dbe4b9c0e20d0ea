"""The numbered values of a trace (``vᵢ``) and the operands that are no row.

The interpreter makes them, the tangent and adjoint sweeps read and annotate
them, the tables and graphs print them: this module is what they share.
"""
from __future__ import annotations

from ..errors import S2sadError
from .expr import E, Lit, Slice, Sym

__all__ = ["Known", "Node", "operand_expr", "unpack_index", "unpack_index_expr", "trace_error",
           "unsupported"]


class Known:
    """An operand that is no row of the trace: a constant, a free name."""

    __slots__ = ("value", "expr")
    active = False

    def __init__(self, value, expr):
        self.value = value
        self.expr = expr


class Node:
    """One numbered value vᵢ of the trace."""

    __slots__ = ("index", "kind", "op", "refs", "value", "expr", "context", "active", "how",
                 "extra", "dot", "dot_expr", "chain", "param")

    def __init__(self, index, kind, op, refs, value, expr, context):
        self.index = index
        self.kind = kind  # input | prim | item | unpack
        self.op = op
        self.refs = refs  # operand refs, aligned with op.args (item: [iterable])
        self.value = value
        self.expr = expr
        self.context = context  # tuple of strings: loops, branches, inlined calls
        self.active = False
        self.how = None  # how its derivative is computed (see Interpreter.classify)
        self.extra = None  # item: the iteration number; unpack: the position; getitem: index
        self.dot = None
        self.dot_expr = None
        self.chain = None
        self.param = None

    @property
    def sym(self):
        return Sym(self.index)


def operand_expr(ref) -> E:
    """How an operand is written: ``vᵢ`` for a row, else its constant or name."""
    return ref.sym if isinstance(ref, Node) else ref.expr


def unpack_index(node):
    """The index (an int, or a slice for the starred target) that picks an
    ``unpack`` result out of the unpacked value."""
    op = node.op
    star = op.attrs.get("star")
    n = len(op.results)
    i = node.extra
    if star is not None and i == star:
        after = n - star - 1
        return slice(star, -after if after else None)
    return i if star is None or i < star else i - n


def unpack_index_expr(node):
    """:func:`unpack_index` as an expression of the table."""
    index = unpack_index(node)
    if isinstance(index, slice):
        return Slice(Lit(index.start), None if index.stop is None else Lit(index.stop))
    return Lit(index)


def trace_error(node, message, hint=None) -> S2sadError:
    """An error about one row, with the file, line and source text it came from."""
    loc = node.op.loc if node.op is not None else None
    if getattr(loc, "cause", None):  # an unbound name there: the real cause, first
        message, hint = loc.cause, loc.cause_hint
    where = f"{loc.filename}:{loc.lineno}: " if loc is not None else ""
    text = f"s2sad.trace: {where}{message}"
    if loc is not None and loc.text:
        text += f"\n    {loc.text}"
    if hint:
        text += "\n" + hint
    return S2sadError(text)


def unsupported(node, what):
    raise trace_error(node, f"cannot show the derivative through {what} in a trace")
