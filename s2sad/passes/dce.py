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
    changed = True
    # outside loops every use is visited before its definition (the walk runs
    # backwards), so a mark there changes no decision made already: only one
    # inside a loop body (a carried value) calls for another round
    loop_depth = 0
    effects = _Effects()
    _has_effect, _block_has_effect, _loop_has_effect = \
        effects.op, effects.block, effects.loop  # each asked once per op

    def mark(a):
        nonlocal changed
        if isinstance(a, Value) and a not in live:
            live.add(a)
            if loop_depth:
                changed = True

    def visit(block: Block, yields_live):
        nonlocal loop_depth
        for y, keep in zip(block.yields, yields_live):
            if keep:
                mark(y)
        for op in reversed(block.ops):
            if isinstance(op, Prim):
                if _has_effect(op) or any(r in live for r in op.results):
                    for a in op.args:
                        mark(a)
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
                loop_depth += 1
                if isinstance(op, For):
                    mark(op.iter)
                else:
                    visit(op.cond, [True])
                if op.brk is not None:
                    mark(op.brk)
                visit(op.body, needed)
                loop_depth -= 1

    while changed:
        changed = False
        visit(fn.body, [True] * len(fn.body.yields))
    _sweep(fn.body, live, effects)
    return fn


class _Effects:
    """Which ops, blocks and loops have side effects, each found once (the
    fixed point visits every op again on each round)."""

    def __init__(self):
        self.ops, self.blocks = {}, {}

    def op(self, op) -> bool:
        found = self.ops.get(id(op))
        if found is None:
            found = self.ops[id(op)] = _has_effect(op)
        return found

    def block(self, block: Block) -> bool:
        found = self.blocks.get(id(block))
        if found is None:
            found = self.blocks[id(block)] = any(
                self.op(op) or any(self.block(b) for b in op.blocks()) for op in block.ops)
        return found

    def loop(self, op) -> bool:
        return any(self.block(b) for b in op.blocks())


def _sweep(block: Block, live, effects):
    kept = []
    for op in block.ops:
        if isinstance(op, Prim):
            if effects.op(op) or any(r in live for r in op.results):
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
