"""SSA invariants, checked after every pass.

* every value is defined once (parameter, op result, loop item or argument);
* every use is dominated by its definition: defined earlier in the same block
  or an enclosing one (values of a region are not visible after it);
* every block's yields match its op's results (or carried arguments);
* operands are Values, Consts, Globals or UNDEF, and UNDEF only flows into
  yields and loop inits.
"""
from __future__ import annotations

from ..ir.nodes import Block, Const, For, Function, Global, If, Prim, UNDEF, Value, While


class VerificationError(AssertionError):
    pass


def _place(where) -> str:
    """Where an error is: a path of ops, written out only for a message."""
    if isinstance(where, tuple):
        outer, op = where
        return f"{outer}/{type(op).__name__}" + (f"[{op.kind}]" if isinstance(op, Prim) else "")
    return where


def verify(fn: Function) -> Function:
    defined = set()

    def define(v, where):
        if not isinstance(v, Value):
            raise VerificationError(f"{_place(where)}: defines a non-value {v!r}")
        if v in defined:
            raise VerificationError(f"{_place(where)}: {v!r} defined twice")
        defined.add(v)

    def check(a, scope, where, allow_undef=False):
        if isinstance(a, Value):
            if a not in scope:
                raise VerificationError(f"{_place(where)}: {a!r} used where it is not defined")
        elif a is UNDEF:
            if not allow_undef:
                raise VerificationError(f"{_place(where)}: UNDEF used as an operand")
        elif not isinstance(a, (Const, Global)):
            raise VerificationError(f"{_place(where)}: bad operand {a!r}")

    def block(b: Block, scope, nyields, where, keep=False):
        """Check a block against ``scope`` (what is visible), which it extends
        while it runs and restores at its end (unless ``keep``: a while-loop's
        condition stays visible in its body): one set for the whole function,
        not a copy per block."""
        added = []
        for op in b.ops:
            if type(op) is Prim:  # most ops: checked here, without building a path
                for a in op.args:
                    if type(a) is Value:
                        if a not in scope:
                            check(a, scope, (where, op))
                    elif type(a) is not Const and type(a) is not Global:
                        check(a, scope, (where, op))
                for r in op.results:
                    if type(r) is not Value or r in defined:
                        define(r, (where, op))
                    defined.add(r)
                    scope.add(r)
                    added.append(r)
                continue
            w = _place((where, op))
            for a in op.operands():
                check(a, scope, w, allow_undef=isinstance(op, (For, While)) and a is not getattr(op, "iter", None))
            if isinstance(op, If):
                block(op.then, scope, len(op.results), w + ".then")
                block(op.orelse, scope, len(op.results), w + ".else")
            elif isinstance(op, (For, While)):
                if not (len(op.args) == len(op.inits) == len(op.results) == len(op.body.yields)):
                    raise VerificationError(f"{w}: carried values do not line up")
                inner = []
                for d in op.defined_here():
                    define(d, w)
                    scope.add(d)
                    inner.append(d)
                if isinstance(op, While):
                    if len(op.cond.yields) != 1:
                        raise VerificationError(f"{w}: the condition must yield one value")
                    inner += block(op.cond, scope, 1, w + ".cond", keep=True)
                inner += block(op.body, scope, len(op.args), w + ".body", keep=True)
                if op.brk is not None:
                    check(op.brk, scope, w + ".brk")
                scope.difference_update(inner)
            for r in op.results:
                define(r, w)
                scope.add(r)
                added.append(r)
        if nyields is not None and len(b.yields) != nyields:
            raise VerificationError(f"{where}: yields {len(b.yields)} values, expected {nyields}")
        for y in b.yields:
            check(y, scope, where + ".yield", allow_undef=True)
        if keep:
            return added
        scope.difference_update(added)
        return added

    scope = set()
    for p in fn.params:
        define(p.value, "params")
        scope.add(p.value)
    block(fn.body, scope, 1, fn.name)
    block = None  # a recursive closure is a reference cycle: freed now, not by gc
    return fn
