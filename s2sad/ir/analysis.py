"""Facts about IR that every stage asks: what an op reads and writes, whether it
is pure, how often each value is used, which values are live together.

Nothing here changes the IR.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Set, Tuple

from ..rules.facts import is_pure_call
from ..rules.registry import Rule, generation, structural_rule
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


_facts_of: Dict[str, Rule] = {}  # kind -> its rule, while no rule is registered
_facts_generation = [generation.value]


def _facts(kind):
    if _facts_generation[0] != generation.value:
        _facts_of.clear()
        _facts_generation[0] = generation.value
    rule = _facts_of.get(kind)
    if rule is None:
        rule = structural_rule(kind)
        if rule is None:  # (not kept: a rule for it may come)
            return _NO_FACTS
        _facts_of[kind] = rule
    return rule


def is_mutation(op) -> bool:
    """Ops whose result is their first operand, changed in place."""
    if type(op) is not Prim:
        return False
    kind, attrs = op.kind, op.attrs
    return (_facts(kind).writes or attrs.get("mutates")
            or (kind == "binop" and attrs.get("inplace")))


def is_pure(op) -> bool:
    if type(op) is not Prim:
        return False
    kind, attrs = op.kind, op.attrs
    facts = _facts(kind)  # (is_mutation, written out: asked often)
    if facts.writes or attrs.get("mutates") or (kind == "binop" and attrs.get("inplace")):
        return False
    if facts.pure:
        return True
    if kind == "call":
        f = op.args[0]
        return type(f) is Global and is_pure_call(f.obj, attrs.get("kw", ()),
                                                  attrs.get("dstar", ()))
    return False


def _vals(operands):
    return {a for a in operands if isinstance(a, Value)}


class Liveness:
    """Which values are live together, for interference: ``b`` interferes with
    ``a`` when it is live right after ``a`` is defined (or the other way round).

    Built in one walk, linear in the function's size (times its nesting depth):
    for each block, where each value is defined in it and the last position that
    reads it (an op's operands, what its regions read from outside, the yields);
    a query follows the block's parents, so it costs the nesting depth.  The
    answers are those of the classical backward data flow over live sets, which
    would cost the function's length times the number of live values."""

    def __init__(self, fn: Function):
        self.defs: Dict[Value, tuple] = {}  # value -> where it is defined
        self.index: Dict[int, Dict[Value, int]] = {}  # id(block) -> value -> position
        self.last: Dict[int, Dict[Value, int]] = {}  # id(block) -> value -> last read
        self.parent: Dict[int, tuple] = {}  # id(block) -> (op, its block, position, role)
        self.free_sets: Dict[int, Set[Value]] = {}  # id(region op) -> what it reads from outside
        self.last_def: Dict[Value, int] = {}
        self.body = fn.body
        self.params = [p.value for p in fn.params]
        # positions in the order the emitter writes (each op reads its operands
        # at one, then defines its results at the next): a value's span runs
        # from its definition to the last position that reads it, and for two
        # values defined in one block, overlapping spans mean interference
        self.start: Dict[Value, int] = {}
        self.ends: Dict[int, List[int]] = {}  # id(block) -> where each op reads, then the end
        self.pos = 0
        self._define(self.params)
        self._block(fn.body)
        for p in self.params:
            self.defs.setdefault(p, ("param",))
        self.end: Dict[Value, int] = {}
        for key, last in self.last.items():
            ends = self.ends[key]
            for v, j in last.items():
                if ends[j] > self.end.get(v, -1):
                    self.end[v] = ends[j]

    def _define(self, values):
        first = self.pos
        for v in values:
            self.start[v] = first
            self.pos += 1
        for v in values:  # values defined together are live together
            self.last_def[v] = self.pos - 1

    def _block(self, block: Block) -> None:
        key = id(block)
        index: Dict[Value, int] = {}
        last: Dict[Value, int] = {}
        ends: List[int] = []
        self.index[key], self.last[key], self.ends[key] = index, last, ends
        for i, op in enumerate(block.ops):
            for r in op.results:
                index[r] = i
                self.defs[r] = ("result", op, block, i)
            if isinstance(op, Prim):
                reads = _vals(op.args)
            else:
                self._define(op.defined_here())
                roles = ("branch", "branch") if isinstance(op, If) else \
                    ("cond", "body") if isinstance(op, While) else ("body",)
                for b, role in zip(op.blocks(), roles):
                    self.parent[id(b)] = (op, block, i, role)
                    self._block(b)
                for d in op.defined_here():
                    self.defs[d] = ("region", op, block, i)
                if isinstance(op, (For, While)) and isinstance(op.brk, Value):
                    body_end = self.ends[id(op.body)][-1]  # read after the body
                    self.last_def[op.brk] = max(self.last_def.get(op.brk, -1), body_end)
                reads = self.free(op) | _vals(op.operands())
            ends.append(self.pos)  # where it reads its operands: before its results
            self.pos += 1
            self._define(op.results)
            for v in reads:
                last[v] = i
        ends.append(self.pos)
        self.pos += 1
        for v in _vals(block.yields):
            last[v] = len(block.ops)

    def free(self, op) -> Set[Value]:
        """Values used inside an op's regions but defined outside them."""
        key = id(op)
        res = self.free_sets.get(key)
        if res is None:
            used: Set[Value] = set()
            defined = set(op.defined_here())
            for b in op.blocks():
                used.update(self.last[id(b)])
                defined.update(self.index[id(b)])
            if isinstance(op, (For, While)) and isinstance(op.brk, Value):
                used.add(op.brk)
            res = self.free_sets[key] = used - defined
        return res

    def live_after(self, v: Value, block: Block, i: int) -> bool:
        """Whether v is live right after the op at position i of block (-1:
        at its start)."""
        while True:
            key = id(block)
            d = self.index[key].get(v)
            if d is not None and d > i:
                return False
            if self.last[key].get(v, -1) > i:
                return True
            parent = self.parent.get(key)
            if parent is None:  # the function's body
                return False
            op, outer, k, role = parent
            if role == "branch":  # what is live after the if, but its results
                if v in op.results:
                    return False
                block, i = outer, k
                continue
            if v in self.free(op) or (role == "body" and v is op.brk):
                return True
            if role == "cond" and self.live_after(v, op.body, -1):
                return True
            if v in op.results:
                return False
            block, i = outer, k

    def _live_at_def(self, a: Value, b: Value) -> bool:
        """Whether b is live right after a's definition."""
        where = self.defs.get(a)
        if where is None or a is b:
            return False
        if where[0] == "param":
            return b in self.params or self.live_after(b, self.body, -1)
        _, op, block, i = where
        if where[0] == "result":
            return b in op.results or self.live_after(b, block, i)
        # a loop's item or carried value, defined at the top of its regions
        if b in op.defined_here() or b in self.free(op) or \
                (b not in op.results and self.live_after(b, block, i)):
            return True
        return self.live_after(b, op.blocks()[0], -1)

    def interfere(self, a, b) -> bool:
        return self._live_at_def(a, b) or self._live_at_def(b, a)

    def span(self, v: Value) -> Tuple[int, int]:
        """Positions ``(first, last)`` that hold every point where v is live:
        values whose spans do not overlap never interfere (the converse need
        not hold: a value read in one branch of an if spans the other)."""
        first = self.start.get(v)
        if first is None:  # defined nowhere (not a value of this function)
            return (0, self.pos)
        return (first, max(self.end.get(v, first), self.last_def.get(v, first)))


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
    visit = None  # a recursive closure is a reference cycle: freed now, not by gc
    return uses
