"""Common-subexpression elimination: compute a pure primitive once.

Two pure primitives (:func:`~s2sad.backend.emit.is_pure`) are the same when
they have the same kind, the same operands (Values by identity, Consts by value
and type, Globals by object) and the same attributes; ``a * b`` and ``b * a``
are the same too when both operands are numbers or arrays.  The later one is
dropped and its uses read the earlier one's result.

Scoping follows SSA dominance: a value computed in a block is reused in the
rest of that block and inside the regions nested there, never in an enclosing
block or a sibling branch.

Side effects (see :mod:`s2sad.passes.effects`) make it conservative:

* results written in place later, or whose variable an in-place op takes over,
  are never shared (the write would show through the other name);
* between the two computations, an in-place write (``x[i] = v``,
  ``stack.append(t)``; in a loop, anything the loop does in any iteration)
  forbids reuse when an operand may be, or contain, what was written; an
  unknown call forbids it unless every operand is a number or a constant;
* arithmetic on numbers (``x * y`` of two floats) is as cheap as reading a
  variable in CPython: it stays where the user (or a rule) wrote it, whole
  expressions read better than a temporary; calls (``np.cos(x)``) and
  anything on arrays are shared;
* fresh mutable objects (``[a, b]``, ``{...}``, ``list(x)``) and iterators
  (``zip(a, b)``) are never shared, nor are copies (copy propagation's
  business); ``range(n)`` is left where it reads best, in its loop header.

A shared value gets a line of its own, so it gets a name: the user's when the
dropped result had one, else one made from the expression (``x_dot_x`` for
``x_dot * x``, ``cos_x`` for ``np.cos(x)``) as the front end names temporaries.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from .. import runtime
from ..ir.nodes import Block, Const, Function, Global, If, Prim, Value, While
from .effects import _UNHASHABLE, Effects, freeze, is_clean_global, operand_key

# fresh mutable objects, and iterators (a second loop over a shared ``zip(a, b)``
# would find it exhausted); ``range(n)`` is cheap and reads best where it is used
_NOT_SHARED_CALLS = {list, dict, set, sorted, bytearray, vars, zip, enumerate, reversed, iter,
                     map, filter, range, np.nditer, np.ndenumerate, np.ndindex,
                     runtime.enumerated_tangents}
_COMMUTATIVE = {"+", "*"}
_NUMERIC_KINDS = {"float", "int", "complex", "array"}


class _Entry:
    __slots__ = ("op", "epoch")

    def __init__(self, op, epoch):
        self.op = op
        self.epoch = epoch


def cse(fn: Function, kinds: Optional[Dict] = None, effects: Optional[Effects] = None) -> Function:
    """Eliminate common subexpressions of ``fn`` in place; returns ``fn``.

    ``kinds`` (from :func:`s2sad.ad.activity.infer_kinds`) lets numbers be
    reused across side effects; without it only the alias analysis decides.
    ``effects``: an :class:`~s2sad.passes.effects.Effects` of ``fn`` already
    computed (by default it is computed here)."""
    _CSE(fn, kinds, effects).run()
    return fn


class _CSE:
    def __init__(self, fn, kinds, effects=None):
        self.fn = fn
        self.kinds = kinds or {}
        self.eff = effects if effects is not None else Effects(fn, self.kinds)
        self.repl: Dict[Value, object] = {}
        # what is computed where the walk is: a block's entries are forgotten
        # when it ends (one table for the whole walk, not one per block)
        self.table: Dict[tuple, _Entry] = {}
        self.local = 0  # bumped by each in-place write
        self.opaque = 0  # bumped by each unknown call

    def run(self):
        self.block(self.fn.body)

    def resolve(self, a):
        while isinstance(a, Value) and a in self.repl:
            a = self.repl[a]
        return a

    def bump(self, effect):
        if effect == "opaque":
            self.opaque += 1
            self.local += 1
        elif effect == "local":
            self.local += 1

    def block(self, block: Block) -> List[tuple]:
        """Eliminate in ``block``; returns what it put in the table (each key
        with the entry it hid), for :meth:`forget` once its scope ends."""
        table, repl, eff = self.table, self.repl, self.eff
        added = []
        kept = []
        for op in block.ops:
            if type(op) is Prim:
                # one look-up suffices: repl never maps to a value it replaces
                if repl:
                    op.args = [repl.get(a, a) if type(a) is Value else a for a in op.args]
                pure = eff.pure(op)
                if pure and self.candidate(op):
                    key = self.key(op)
                    if key is not None:
                        hit = table.get(key)
                        if hit is None and self.commutes(op):
                            hit = table.get(self.key(op, swap=True))
                        if hit is not None and self.reusable(hit, op):
                            self.replace(op, hit.op)
                            continue
                        added.append((key, table.get(key)))
                        table[key] = _Entry(op, (self.local, self.opaque))
                if not pure:
                    self.bump(eff.effect(op))
                kept.append(op)
                continue
            op.replace_operands(self.resolve)
            if isinstance(op, If):
                self.forget(self.block(op.then))
                self.forget(self.block(op.orelse))
            else:
                # a later iteration runs after everything the loop does
                self.bump(eff.effect(op))
                if isinstance(op, While):
                    cond = self.block(op.cond)  # seen in the body too
                    self.forget(self.block(op.body))
                    self.forget(cond)
                else:
                    self.forget(self.block(op.body))
                if op.brk is not None:
                    op.brk = self.resolve(op.brk)
            kept.append(op)
        block.ops = kept
        block.yields = [self.resolve(y) for y in block.yields]
        return added

    def forget(self, added: List[tuple]):
        table = self.table
        for key, hidden in reversed(added):
            if hidden is None:
                del table[key]
            else:
                table[key] = hidden

    # -- what may be shared -------------------------------------------------------
    def candidate(self, op: Prim) -> bool:
        """Whether a pure primitive may be shared."""
        kind = op.kind
        if not op.results or kind == "copy":
            return False
        if kind in ("binop", "unary", "compare"):
            # ``x * y`` of numbers: cheaper to recompute than to name
            eff = self.eff
            return not (eff.all_immutable(op.args) and eff.all_immutable(op.results))
        if kind == "build":
            return op.attrs.get("type") == "tuple"
        if kind == "unpack":
            return op.attrs.get("star") is None  # the starred target is a fresh list
        if kind == "call":
            f = getattr(op.args[0], "obj", None)
            try:
                if f in _NOT_SHARED_CALLS:
                    return False
            except TypeError:
                return False
        return True

    def key(self, op: Prim, swap=False):
        args = list(op.args)
        if swap:
            args = [args[1], args[0]]
        parts = [operand_key(a) for a in args]
        if any(p is None for p in parts):
            return None
        attrs = freeze(op.attrs)
        if attrs is _UNHASHABLE:
            return None
        try:
            key = (op.kind, len(op.results), tuple(parts), attrs)
            hash(key)
        except TypeError:
            return None
        return key

    def commutes(self, op: Prim) -> bool:
        if op.kind != "binop" or op.attrs.get("op") not in _COMMUTATIVE or len(op.args) != 2:
            return False
        return all(self.eff.kind(a) in _NUMERIC_KINDS for a in op.args)

    def reusable(self, entry: _Entry, op: Prim) -> bool:
        eff = self.eff
        first = entry.op
        for r in list(first.results) + list(op.results):
            if eff.is_base(r) or eff.dirty(r):
                return False
        local, opaque = entry.epoch
        if opaque != self.opaque:
            # an unknown call ran in between: it may have changed any object
            return all(eff.immutable(a) or _is_callee(op, i) for i, a in enumerate(op.args))
        if local != self.local:
            return all(not eff.deep_dirty(a) for a in op.args)
        return True

    def replace(self, op: Prim, first: Prim):
        for r2, r1 in zip(op.results, first.results):
            self.repl[r2] = r1
            if r2.user and not r1.user:
                r1.hint, r1.user = r2.hint, True
            elif r1.hint == "t" and r2.hint != "t":
                r1.hint = r2.hint
            if r1.hint == "t" and len(first.results) == 1:
                r1.hint = _describe(first) or "t"
            kinds = self.kinds
            if r1 not in kinds and r2 in kinds:
                kinds[r1] = kinds[r2]


def _is_callee(op: Prim, i: int) -> bool:
    """The function a call calls (a module's function: its operands decide)."""
    a = op.args[i]
    return i == 0 and op.kind == "call" and isinstance(a, Global) and is_clean_global(a.obj)


def _short(a):
    if isinstance(a, Value) and a.hint != "t" and len(a.hint) <= 10 and a.hint.isidentifier():
        return a.hint
    if isinstance(a, Const) and type(a.value) is int and 0 <= a.value < 100:
        return str(a.value)
    if isinstance(a, Global):
        return a.name.split(".")[-1]
    return None


def _describe(op: Prim):
    """A name for a shared temporary, after what it computes."""
    o = op.attrs.get("op")
    if op.kind == "binop" and o in ("*", "@", "**"):
        a, b = _short(op.args[0]), _short(op.args[1])
        if a and b:
            return f"{a}_pow_{b}" if o == "**" else f"{a}_{b}"
    if op.kind == "unary" and o == "-":
        a = _short(op.args[0])
        return f"neg_{a}" if a else None
    if op.kind == "call" and len(op.args) == 2 and not op.attrs.get("kw"):
        f, a = _short(op.args[0]), _short(op.args[1])
        if f and a:
            return f"{f}_{a}"
    if op.kind == "getattr":
        a = _short(op.args[0])
        return f"{a}_{op.attrs['attr']}" if a else None
    return None
