"""Facts about IR that every stage asks: what an op reads and writes, whether it
is pure, how often each value is used, which values are live together.

Nothing here changes the IR.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, Set

from ..rules.facts import is_pure_call
from ..rules.registry import Rule, structural_rule
from .nodes import Block, For, Function, Global, If, Op, Prim, Value, While


def uses_of(op: Op):
    """The values an op reads itself (not its regions), a loop's ``break`` flag
    included."""
    out = [a for a in op.operands() if isinstance(a, Value)]
    if isinstance(op, (For, While)) and isinstance(op.brk, Value):
        out.append(op.brk)
    return out


def defs_of(op: Op):
    """The values an op defines: its results and those at the top of its regions."""
    return list(op.results) + list(op.defined_here())


_NO_FACTS = Rule(None, "unknown", "structure")  # neither pure nor writing


def _facts(kind):
    return structural_rule(kind) or _NO_FACTS


def is_mutation(op) -> bool:
    """Ops whose result is their first operand, changed in place."""
    if not isinstance(op, Prim):
        return False
    return (_facts(op.kind).writes or op.attrs.get("mutates")
            or (op.kind == "binop" and op.attrs.get("inplace")))


def is_pure(op) -> bool:
    if not isinstance(op, Prim) or is_mutation(op):
        return False
    if _facts(op.kind).pure:
        return True
    if op.kind == "call":
        f = op.args[0]
        return isinstance(f, Global) and is_pure_call(f.obj, op.attrs.get("kw", ()),
                                                      op.attrs.get("dstar", ()))
    return False


def _vals(operands):
    return {a for a in operands if isinstance(a, Value)}


class Liveness:
    """Which values are live right after each definition (for interference)."""

    def __init__(self, fn: Function):
        self.live_at_def: Dict[Value, Set[Value]] = defaultdict(set)
        self.free_cache: Dict[int, Set[Value]] = {}
        live = self.block(fn.body, set())
        params = [p.value for p in fn.params]
        for p in params:
            self.record(p, live | set(params))

    def record(self, v, live):
        s = self.live_at_def[v]
        s.update(live)
        s.discard(v)

    def free(self, op) -> Set[Value]:
        """Values used inside an op's regions but defined outside them."""
        key = id(op)
        if key in self.free_cache:
            return self.free_cache[key]
        used, defined = set(), set()
        for b in op.blocks():
            _uses_defs(b, used, defined)
        defined.update(op.defined_here())
        if isinstance(op, (For, While)) and isinstance(op.brk, Value):
            used.add(op.brk)
        res = used - defined
        self.free_cache[key] = res
        return res

    def block(self, block: Block, live_out: Set[Value]) -> Set[Value]:
        live = set(live_out) | _vals(block.yields)
        for op in reversed(block.ops):
            live = self.op(op, live)
        return live

    def op(self, op: Op, live_after: Set[Value]) -> Set[Value]:
        for r in op.results:
            self.record(r, live_after | set(op.results))
        live = live_after - set(op.results)
        if isinstance(op, Prim):
            return live | _vals(op.args)
        if isinstance(op, If):
            t = self.block(op.then, live)
            e = self.block(op.orelse, live)
            return t | e | _vals([op.cond])
        free = self.free(op)
        around = live | free
        if isinstance(op, For):
            body_out = around | _vals([op.brk] if op.brk is not None else [])
            body_in = self.block(op.body, body_out)
            for d in [op.item] + op.args:
                self.record(d, body_in | {op.item} | set(op.args) | around)
            return around | _vals(op.inits) | _vals([op.iter])
        if isinstance(op, While):
            body_out = around | _vals([op.brk] if op.brk is not None else [])
            body_in = self.block(op.body, body_out)
            cond_in = self.block(op.cond, body_in | around)
            for d in op.args:
                self.record(d, cond_in | set(op.args) | around)
            return around | _vals(op.inits)
        raise TypeError(op)

    def interfere(self, a, b) -> bool:
        return b in self.live_at_def.get(a, ()) or a in self.live_at_def.get(b, ())


def _uses_defs(block, used, defined):
    used.update(_vals(block.yields))
    for op in block.ops:
        used.update(uses_of(op))
        defined.update(defs_of(op))
        for b in op.blocks():
            _uses_defs(b, used, defined)


def count_uses(fn: Function) -> Dict[Value, int]:
    uses: Dict[Value, int] = defaultdict(int)

    def visit(block):
        for a in block.yields:
            if isinstance(a, Value):
                uses[a] += 1
        for op in block.ops:
            for a in uses_of(op):
                uses[a] += 1
            for b in op.blocks():
                visit(b)

    visit(fn.body)
    return uses
