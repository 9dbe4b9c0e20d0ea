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


def verify(fn: Function) -> Function:
    defined = set()

    def define(v, where):
        if not isinstance(v, Value):
            raise VerificationError(f"{where}: defines a non-value {v!r}")
        if v in defined:
            raise VerificationError(f"{where}: {v!r} defined twice")
        defined.add(v)

    def check(a, scope, where, allow_undef=False):
        if isinstance(a, Value):
            if a not in scope:
                raise VerificationError(f"{where}: {a!r} used where it is not defined")
        elif a is UNDEF:
            if not allow_undef:
                raise VerificationError(f"{where}: UNDEF used as an operand")
        elif not isinstance(a, (Const, Global)):
            raise VerificationError(f"{where}: bad operand {a!r}")

    def block(b: Block, scope, nyields, where):
        scope = set(scope)
        for op in b.ops:
            w = f"{where}/{type(op).__name__}" + (f"[{op.kind}]" if isinstance(op, Prim) else "")
            for a in op.operands():
                check(a, scope, w, allow_undef=isinstance(op, (For, While)) and a is not getattr(op, "iter", None))
            if isinstance(op, If):
                block(op.then, scope, len(op.results), w + ".then")
                block(op.orelse, scope, len(op.results), w + ".else")
            elif isinstance(op, (For, While)):
                if not (len(op.args) == len(op.inits) == len(op.results) == len(op.body.yields)):
                    raise VerificationError(f"{w}: carried values do not line up")
                inner = set(scope)
                for d in op.defined_here():
                    define(d, w)
                    inner.add(d)
                if isinstance(op, While):
                    if len(op.cond.yields) != 1:
                        raise VerificationError(f"{w}: the condition must yield one value")
                    cond_scope = block(op.cond, inner, 1, w + ".cond")
                    inner = cond_scope
                body_scope = block(op.body, inner, len(op.args), w + ".body")
                if op.brk is not None:
                    check(op.brk, body_scope, w + ".brk")
            for r in op.results:
                define(r, w)
                scope.add(r)
        if nyields is not None and len(b.yields) != nyields:
            raise VerificationError(f"{where}: yields {len(b.yields)} values, expected {nyields}")
        for y in b.yields:
            check(y, scope, where + ".yield", allow_undef=True)
        return scope

    scope = set()
    for p in fn.params:
        define(p.value, "params")
        scope.add(p.value)
    block(fn.body, scope, 1, fn.name)
    return fn
