"""Dead-code elimination: drop ops whose results nobody needs.

Liveness starts at the function's return value and at ops with side effects,
and flows backwards through operands, region yields and loop-carried values, so
a carried value that only feeds itself (a counter nobody reads) dies too.
"""
from __future__ import annotations

from typing import Set

from ..ir.nodes import Block, For, Function, If, Prim, Value, While
from ..ir.analysis import is_pure


def _has_effect(op) -> bool:
    if isinstance(op, Prim):
        return not is_pure(op) and op.kind != "unpack"
    return False


def dce(fn: Function) -> Function:
    live: Set[Value] = set()
    # outside loops every use is visited before its definition (the walk runs
    # backwards), so a mark there changes no decision made already: only one
    # inside a loop body (a carried value) calls for another round
    changed = True
    effects = _Effects()
    _has_effect, _block_has_effect, _loop_has_effect = \
        effects.op, effects.block, effects.loop  # each asked once per op

    def mark(a):
        if isinstance(a, Value):
            live.add(a)

    def visit(block: Block, yields_live):
        nonlocal changed
        for y, keep in zip(block.yields, yields_live):
            if keep:
                mark(y)
        for op in reversed(block.ops):
            if type(op) is Prim:
                if not live.isdisjoint(op.results) or _has_effect(op):
                    live.update([a for a in op.args if type(a) is Value])
            elif isinstance(op, If):
                needed = [r in live for r in op.results]
                inner_effect = _block_has_effect(op.then) or _block_has_effect(op.orelse)
                if any(needed) or inner_effect:
                    mark(op.cond)
                visit(op.then, needed)
                visit(op.orelse, needed)
            else:
                needed = [r in live or a in live for r, a in zip(op.results, op.args)]
                if not (any(needed) or _loop_has_effect(op)):
                    continue
                for init, keep in zip(op.inits, needed):
                    if keep:
                        mark(init)
                before = len(live)  # (marks only add: a new one makes it grow)
                if isinstance(op, For):
                    mark(op.iter)
                else:
                    visit(op.cond, [True])
                if op.brk is not None:
                    mark(op.brk)
                visit(op.body, needed)
                if len(live) != before:
                    changed = True

    while changed:
        changed = False
        visit(fn.body, [True] * len(fn.body.yields))
    visit = None  # a recursive closure is a reference cycle: freed now, not by gc
    _sweep(fn.body, live, effects)
    return fn


class _Effects:
    """Which ops, blocks and loops have side effects, each found once (the
    fixed point visits every op again on each round)."""

    def __init__(self):
        self.ops, self.blocks = {}, {}

    def op(self, op) -> bool:
        found = self.ops.get(op)
        if found is None:
            found = self.ops[op] = _has_effect(op)
        return found

    def block(self, block: Block) -> bool:
        found = self.blocks.get(block)
        if found is None:
            found = self.blocks[block] = any(
                self.op(op) or any(self.block(b) for b in op.blocks()) for op in block.ops)
        return found

    def loop(self, op) -> bool:
        return any(self.block(b) for b in op.blocks())


def _sweep(block: Block, live, effects):
    kept = []
    for op in block.ops:
        if type(op) is Prim:
            if not live.isdisjoint(op.results) or effects.op(op):
                kept.append(op)
            continue
        if isinstance(op, If):
            idx = [i for i, r in enumerate(op.results) if r in live]
            op.results = [op.results[i] for i in idx]
            op.then.yields = [op.then.yields[i] for i in idx]
            op.orelse.yields = [op.orelse.yields[i] for i in idx]
            _sweep(op.then, live, effects)
            _sweep(op.orelse, live, effects)
            if not op.results and not op.then.ops and not op.orelse.ops:
                continue
            kept.append(op)
            continue
        idx = [i for i, (r, a) in enumerate(zip(op.results, op.args)) if r in live or a in live]
        if not idx and not effects.loop(op):
            continue
        op.results = [op.results[i] for i in idx]
        op.args = [op.args[i] for i in idx]
        op.inits = [op.inits[i] for i in idx]
        op.body.yields = [op.body.yields[i] for i in idx]
        if isinstance(op, While):
            _sweep(op.cond, live, effects)
        _sweep(op.body, live, effects)
        kept.append(op)
    block.ops = kept
