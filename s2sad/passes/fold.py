"""Constant folding and algebraic simplification.

* **Constants.**  Arithmetic, unary operators and comparisons of number
  constants are computed now: ``2 * 0.5`` becomes ``1.0``.  Nothing is folded
  that would raise (``1 / 0``), overflow to ``inf``/``nan`` or give an
  unreadably large integer; ``True or x`` and ``False and x`` fold as Python
  evaluates them.
* **Branches.**  An ``if`` whose test folded to a constant is replaced by the
  branch it takes (unless a variable it leaves unbound is read later); a
  result both branches give the same constant (or the same earlier value) is
  that constant, a branch where it is unbound not counting.
* **Identities.**  ``x * 1``, ``1 * x``, ``x / 1``, ``x + 0``, ``0 + x``,
  ``x - 0``, ``x ** 1`` and ``-(-x)`` become ``x`` when the kinds (see
  :func:`s2sad.ad.activity.infer_kinds`) say ``x`` is a floating number or
  array (or an integer, with integer constants), so the type cannot change:
  ``x * 1.0`` of an ``int`` stays.  ``0 * x`` and ``x * 0`` become ``0.0``
  only for a float scalar ``x``.  Without kinds no identity is applied.
* **Arrays.**  ``x + 0`` of an array is a new array; it is replaced by ``x``
  only when neither is ever written in place (nor escapes to unknown code), so
  that no write can show through the other name.  A value whose variable an
  in-place op takes over (``t += v``) is never replaced, nor substituted.

``-0.0 + 0`` is ``0.0``, not ``-0.0``: the sign of a zero sum is the one
difference ``x + 0 -> x`` makes, as in every compiler that simplifies it.
"""
from __future__ import annotations

import math
import operator
from typing import Dict, Optional

from ..ir.nodes import (Block, Const, For, Function, If, Prim, UNDEF, Value, While,
                        region_operands)
from .effects import Effects, number, operand_key

_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "//": operator.floordiv, "%": operator.mod, "**": operator.pow}
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "==": operator.eq, "!=": operator.ne}
_UNARY = {"-": operator.neg, "+": operator.pos, "not": operator.not_, "~": operator.invert}
_FLOATISH = {"float", "complex", "array"}


def fold(fn: Function, kinds: Optional[Dict] = None, effects: Optional[Effects] = None) -> Function:
    """Fold constants and simplify identities in ``fn`` (in place); returns ``fn``.
    ``effects``: an :class:`~s2sad.passes.effects.Effects` of ``fn`` already
    computed (by default it is computed here)."""
    effects = effects if effects is not None else Effects(fn, kinds or {})
    for _ in range(4):
        _Fold(fn, kinds, effects).run()
        if not _fold_branches(fn):
            break
    return fn


def _defined_in(op) -> set:
    """Values defined inside an op's regions."""
    found = set()
    for b in op.blocks():
        for inner in b.walk():
            found.update(inner.results)
            found.update(inner.defined_here())
    return found


def _constant_test(op: If):
    c = op.cond
    return isinstance(c, Const) and type(c.value) in (bool, int, float, str, type(None))


def _fold_branches(fn: Function) -> bool:
    """Replace each ``if`` with a constant test by the branch it takes.

    A variable the taken branch leaves unbound (UNDEF) may only flow on into
    other yields and loop inits, or be read in code that goes away with it (the
    reverse sweep's ``if c:`` mirrors the forward sweep's): an ``if`` whose
    unbound result is read anywhere else stays.  Returns whether it changed
    anything."""
    candidates = {op: (op.then if op.cond.value else op.orelse)
                  for op in fn.walk() if isinstance(op, If) and _constant_test(op)}
    if not candidates:
        return False
    while candidates:
        owner = {r: op for op, taken in candidates.items()
                 for r, y in zip(op.results, taken.yields) if y is UNDEF}
        bad = set()

        def visit(block):
            for op in block.ops:
                reads = [op.cond] if isinstance(op, If) else \
                    [op.iter] if isinstance(op, For) else \
                    list(op.cond.yields) if isinstance(op, While) else \
                    list(op.operands()) if isinstance(op, Prim) else []
                reads += region_operands(op)
                for a in reads:
                    if isinstance(a, Value) and a in owner:
                        bad.add(owner[a])
                if op in candidates:
                    visit(candidates[op])
                else:
                    for b in op.blocks():
                        visit(b)

        visit(fn.body)
        for a in fn.body.yields:  # what the function returns
            if isinstance(a, Value) and a in owner:
                bad.add(owner[a])
        if not bad:
            break
        for op in bad:
            del candidates[op]
    if not candidates:
        return False
    repl = {}

    def resolve(a):
        while isinstance(a, Value) and a in repl:
            a = repl[a]
        return a

    def rewrite(block):
        kept = []
        for op in block.ops:
            op.replace_operands(resolve)
            if op in candidates:
                taken = candidates[op]
                rewrite(taken)
                kept.extend(taken.ops)
                for r, y in zip(op.results, taken.yields):
                    repl[r] = resolve(y)
                continue
            for b in op.blocks():
                rewrite(b)
            if getattr(op, "brk", None) is not None:
                op.brk = resolve(op.brk)
            kept.append(op)
        block.ops = kept
        block.yields = [resolve(y) for y in block.yields]

    rewrite(fn.body)
    return True


def _ok_number(v) -> bool:
    """A folded result worth writing as a literal."""
    if type(v) is bool:
        return True
    if type(v) is int:
        return abs(v) < 10 ** 18
    if type(v) is float:
        return math.isfinite(v)
    if type(v) is complex:
        return math.isfinite(v.real) and math.isfinite(v.imag)
    return False


def _const_value(a):
    """The value of a number constant (bools included), else None."""
    if isinstance(a, Const) and type(a.value) in (int, float, complex, bool):
        return a.value
    return None


def fold_constants(kind: str, o: str, values):
    """The value of ``kind``/``o`` applied to number constants, or None."""
    try:
        if kind == "binop":
            a, b = values
            if o == "**":
                if type(b) is complex or type(a) is complex:
                    return None
                if abs(b) > 64 or (abs(a) > 1 and abs(b) * math.log2(abs(a) + 1) > 64):
                    return None
            fn = _BINARY.get(o)
            if fn is None:
                return None
            out = fn(a, b)
        elif kind == "unary":
            (a,) = values
            if o == "~" and type(a) not in (int, bool):
                return None
            out = _UNARY[o](a)
        elif kind == "compare":
            a, b = values
            fn = _COMPARE.get(o)
            if fn is None:
                return None
            out = fn(a, b)
        else:
            return None
    except (ArithmeticError, TypeError, ValueError):
        return None
    if type(out) is complex and not any(type(v) is complex for v in values):
        return None  # (-8.0) ** 0.5: Python's complex root, left for the reader to see
    return out if _ok_number(out) else None


class _Fold:
    def __init__(self, fn, kinds, effects=None):
        self.fn = fn
        self.kinds = kinds if kinds is not None else {}
        self.have_kinds = bool(kinds)
        self.eff = effects if effects is not None else Effects(fn, self.kinds)
        self.repl: Dict[Value, object] = {}
        self.defs: Dict[Value, Prim] = {}

    def run(self):
        self.block(self.fn.body)

    def resolve(self, a):
        while isinstance(a, Value) and a in self.repl:
            a = self.repl[a]
        return a

    def block(self, block: Block):
        repl, defs = self.repl, self.defs
        kept = []
        for op in block.ops:
            if type(op) is Prim:
                # one look-up suffices: repl never maps to a value it replaces
                if repl:
                    op.args = [repl.get(a, a) if type(a) is Value else a for a in op.args]
                for r in op.results:
                    defs[r] = op
                if len(op.results) == 1 and self.eff.pure(op):
                    new = self.simplify(op)
                    if new is not None and self.may_replace(op.results[0], new):
                        self.repl[op.results[0]] = new
                        continue
                kept.append(op)
                continue
            op.replace_operands(self.resolve)
            if isinstance(op, If):
                self.block(op.then)
                self.block(op.orelse)
                inside = None
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    same = self.joined(r, y1, y2)
                    if isinstance(same, Value):
                        if inside is None:
                            inside = _defined_in(op)
                        if same in inside:  # not visible after the If
                            same = None
                    if same is not None:
                        self.repl[r] = same
            else:
                if isinstance(op, While):
                    self.block(op.cond)
                self.block(op.body)
                if op.brk is not None:
                    op.brk = self.resolve(op.brk)
            kept.append(op)
        block.ops = kept
        block.yields = [self.resolve(y) for y in block.yields]

    def joined(self, r, y1, y2):
        """What an If result always is when both branches yield it (a constant,
        or a value from before the If), or None.  A branch where it is unbound
        (UNDEF) does not count: reading it there would raise."""
        y1, y2 = self.resolve(y1), self.resolve(y2)
        if y1 is UNDEF:
            y1 = y2
        elif y2 is UNDEF:
            y2 = y1
        if y1 is UNDEF:
            return None
        if isinstance(y1, Const) and isinstance(y2, Const):
            if type(y1.value) in (bool, int, float, str, type(None)) and \
                    operand_key(y1) == operand_key(y2):
                return y1
            return None
        if isinstance(y1, Value) and y1 is y2 and self.may_replace(r, y1):
            return y1
        return None

    # -- rules ----------------------------------------------------------------------
    def kind(self, a):
        return self.eff.kind(a)

    def may_replace(self, r: Value, new) -> bool:
        eff = self.eff
        if eff.is_base(r) or eff.is_base(new):
            return False
        if isinstance(new, Const):
            return True
        # two names for one object: neither may be written in place
        return not (eff.dirty(r) or eff.dirty(new))

    def identity_ok(self, x, c) -> bool:
        """``x op c -> x`` keeps the type: x is floating (any number constant
        but a complex one), or an int with an int constant."""
        if not self.have_kinds:
            return False
        kx = self.kind(x)
        if type(c) is complex:
            return kx == "complex"
        if kx in _FLOATISH:
            return True
        return kx == "int" and type(c) is int

    def simplify(self, op: Prim):
        k, args = op.kind, op.args
        o = op.attrs.get("op")
        if k == "binop" and not op.attrs.get("inplace"):
            if type(args[0]) is not Const and type(args[1]) is not Const:
                return None  # every rule below needs a constant
            if o in ("or", "and"):
                a = args[0]
                if isinstance(a, Const) and type(a.value) in (bool, int, float, str, type(None)):
                    truthy = bool(a.value)
                    if o == "or":
                        return a if truthy else args[1]
                    return args[1] if truthy else a
                return None
            values = [_const_value(a) for a in args]
            if None not in values:
                out = fold_constants(k, o, values)
                return None if out is None else Const(out)
            return self.algebra(o, args[0], args[1])
        if k == "unary" and o in _UNARY:
            v = _const_value(args[0])
            if v is not None:
                out = fold_constants(k, o, [v])
                return None if out is None else Const(out)
            if o == "-":
                inner = self.defs.get(args[0]) if isinstance(args[0], Value) else None
                if inner is not None and inner.kind == "unary" and inner.attrs.get("op") == "-" \
                        and self.have_kinds and self.kind(inner.args[0]) in ("float", "int",
                                                                             "complex", "array"):
                    return inner.args[0]
            return None
        if k == "compare" and o in _COMPARE:
            values = [_const_value(a) for a in args]
            if all(v is not None for v in values) and not any(type(v) is complex for v in values):
                out = fold_constants(k, o, values)
                return None if out is None else Const(out)
        return None

    def algebra(self, o, a, b):
        na, nb = number(a), number(b)
        if o == "*":
            if nb == 1 and self.identity_ok(a, nb):
                return a
            if na == 1 and self.identity_ok(b, na):
                return b
            for n, x in ((na, b), (nb, a)):
                if n is not None and n == 0 and type(n) is not complex and self.have_kinds \
                        and self.kind(x) == "float":
                    return Const(0.0)
        elif o == "+":
            if nb == 0 and self.identity_ok(a, nb):
                return a
            if na == 0 and self.identity_ok(b, na):
                return b
        elif o == "-":
            if nb == 0 and self.identity_ok(a, nb):
                return a
        elif o == "/":
            if nb == 1 and self.identity_ok(a, nb) and self.kind(a) != "int":
                return a
        elif o == "**":
            if nb == 1 and self.identity_ok(a, nb):
                return a
        return None
