"""Activity: a value is *active* when it depends on a differentiated input and
its kind can carry a derivative.  Loop-carried values are solved to a fixed point.
"""
from __future__ import annotations

from typing import Set

from ..ir.kinds import differentiable_kind
from ..ir.nodes import For, Function, Global, If, Prim, Value, While
from ..rules.methods import CONSTANT_METHODS
from ..rules.registry import lookup


def _nondifferentiable_call(op: Prim) -> bool:
    """A call of a function declared to carry no derivative (``np.floor``, the
    unit vectors of a Jacobian, ``jacobian_basis``), or of a string method
    (``k.startswith("W")`` of a dict's key): its results are constants
    whatever it reads."""
    if op.kind == "callmethod":
        return op.attrs["method"] in CONSTANT_METHODS
    if op.kind != "call" or not isinstance(op.args[0], Global):
        return False
    rule = lookup(op.args[0].obj)
    # a rule for complex operands (np.angle) may differentiate what is flat for reals
    return rule is not None and rule.nondiff and getattr(rule, "complex", None) is None


def infer_activity(fn: Function, active_params: Set[Value], kinds) -> Set[Value]:
    """Values that depend on an active parameter and may carry a derivative."""
    active: Set[Value] = set(active_params)

    def on(a):
        return isinstance(a, Value) and a in active

    def mark(v):
        if differentiable_kind(kinds.get(v)) and v not in active:
            active.add(v)
            return True
        return False

    def block(b) -> bool:
        changed = False
        for op in b.ops:
            if isinstance(op, Prim):
                if op.kind in ("compare",) or (op.kind == "binop" and op.attrs["op"] in ("or", "and")):
                    continue
                if any(on(a) for a in op.args) and not _nondifferentiable_call(op):
                    for r in op.results:
                        changed |= mark(r)
            elif isinstance(op, If):
                changed |= block(op.then)
                changed |= block(op.orelse)
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    if on(y1) or on(y2):
                        changed |= mark(r)
            else:
                if isinstance(op, For) and on(op.iter):
                    changed |= mark(op.item)
                while True:
                    inner = False
                    for a_, init, y in zip(op.args, op.inits, op.body.yields):
                        if on(init) or on(y):
                            inner |= mark(a_)
                    if isinstance(op, While):
                        inner |= block(op.cond)
                    inner |= block(op.body)
                    for a_, init, y in zip(op.args, op.inits, op.body.yields):
                        if on(init) or on(y):
                            inner |= mark(a_)
                    changed |= inner
                    if not inner:
                        break
                for r, a_ in zip(op.results, op.args):
                    if on(a_):
                        changed |= mark(r)
        return changed

    # one pass: every use is dominated by its definition (ir/verify.py), and
    # each loop above iterates to its own fixed point
    block(fn.body)
    block = None  # a recursive closure is a reference cycle: freed now, not by gc
    return active
