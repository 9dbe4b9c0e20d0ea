"""Storage: which Python variable holds each SSA value (the emitter's first step).

Values joined by control flow (a loop's init, argument, yield and result; an
``If``'s yields and result) share one variable when their live ranges do not
interfere and they stand for the same user variable; otherwise the emitter
writes a copy.  In-place writes (``x[i] = v``, ``x += v``, ``xs.append(v)``)
always keep their object's variable, as Python does.  With ``merge_names``,
values of one user name share a variable wherever their lives allow, so that a
reverse sweep reads ``x`` rather than ``x_3``.

The work is linear in the function's length: interference is asked of
:class:`~s2sad.ir.analysis.Liveness` (no live sets built), each variable keeps
its values' spans sorted, so that only values whose spans overlap are compared,
and the merge by name passes over variables that interfere for certain, as a
linear-scan register allocator does.
"""
from __future__ import annotations

import builtins
import keyword
from bisect import bisect_right
from collections import defaultdict
from heapq import heappop, heappush
from typing import Dict, List, Set

from ..ir.analysis import Liveness, is_mutation, is_pure
from ..ir.nodes import For, Function, Global, If, Prim, Value, While


class Storage:
    """Union-find of values into Python variables, and their names."""

    def __init__(self, fn: Function, reserved: Set[str], merge_names: bool = False,
                 uses=None):
        self.uses = uses or {}
        self.parent: Dict[Value, Value] = {}
        self.members: Dict[Value, List[Value]] = {}
        self.alias_global: Dict[Value, Global] = {}
        self.order: Dict[Value, int] = {}
        self.params = {p.value for p in fn.params}
        self.live = Liveness(fn)
        self.header = _header_reads(fn.body, self.uses)
        # per variable (union-find root), kept up to date by union and built
        # when first asked: what forbids a merge, and its values' spans
        self._facts: Dict[Value, tuple] = {}
        self._spans: Dict[Value, tuple] = {}
        self._number(fn)
        self._force()
        self._coalesce(fn.body)
        if merge_names:
            self._merge_same_names()
        self.names = self._name(reserved)

    def _number(self, fn):
        k = 0
        for p in fn.params:
            self.order[p.value] = k
            k += 1

        self.foldable = set()  # results of single-result primitives
        self.mutations = []  # the in-place writes, in _force's order (one walk finds both)

        def visit(block):
            nonlocal k
            for op in block.ops:
                if isinstance(op, Prim):
                    if is_pure(op):  # (a mutation is not pure)
                        if len(op.results) == 1:
                            self.foldable.add(op.results[0])
                    elif is_mutation(op):
                        self.mutations.append(op)
                    for r in op.results:  # (a primitive has no regions)
                        self.order.setdefault(r, k)
                        k += 1
                    continue
                for d in op.defined_here():
                    self.order.setdefault(d, k)
                    k += 1
                for b in op.blocks():
                    visit(b)
                for r in op.results:
                    self.order.setdefault(r, k)
                    k += 1

        visit(fn.body)
        visit = None  # a recursive closure is a reference cycle: freed now, not by gc

    def find(self, v):
        root = self.parent.get(v)
        if root is None:  # most values are their variable's root: asked very often
            return v
        if root not in self.parent:  # (then the path is as short as it gets)
            return root
        while self.parent.get(root, root) is not root:
            root = self.parent[root]
        # path compression
        while v is not root:
            nxt = self.parent.get(v, v)
            self.parent[v] = root
            v = nxt
        return root

    def group(self, v):
        return self.members.get(self.find(v), [v])

    def alone(self, v) -> bool:
        """Whether v's variable holds v only: v is its own root (not in
        ``parent``) and ``members`` keeps nothing for it."""
        return v not in self.parent and v not in self.members

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra is rb:
            return
        if ra in self._spans or rb in self._spans:  # keep them (merging costs less)
            self.spans(ra), self.spans(rb)
        ma, mb = self.group(ra), self.group(rb)
        if self.order.get(rb, 0) < self.order.get(ra, 0):
            ra, rb, ma, mb = rb, ra, mb, ma
        self.parent[rb] = ra
        self.members[ra] = ma + mb
        self.members.pop(rb, None)
        fa, fb = self._facts.pop(ra, None), self._facts.pop(rb, None)
        if fa is not None and fb is not None:
            self._facts[ra] = (fa[0] or fb[0], fa[1] | fb[1], fa[2] + fb[2])
        sa, sb = self._spans.pop(ra, None), self._spans.pop(rb, None)
        if sa is not None and sb is not None:
            if sb[0][0] < sa[0][-1]:
                sa, sb = sb, sa
            if sb[0][0] >= sa[0][-1]:
                # the usual case, values in the order they are defined: append
                starts, ends, values, reach = sa
                starts.extend(sb[0])
                ends.extend(sb[1])
                values.extend(sb[2])
                top = reach[-1]
                for e in sb[1]:
                    top = max(top, e)
                    reach.append(top)
                self._spans[ra] = sa

    def _force(self):
        for op in self.mutations:
            base = op.args[0]
            if op.attrs.get("scalar") and self.uses.get(base, 0) > 1:
                # a derivative's x_bar += t whose old x_bar is read again:
                # write a new variable (a float need not be updated in place)
                pass
            elif isinstance(base, Value):
                self.union(base, op.results[0])
            elif isinstance(base, Global):
                self.alias_global[op.results[0]] = base

    def facts(self, root):
        """``(aliases a global, the user's names, how many parameters)`` of a
        variable's values."""
        f = self._facts.get(root)
        if f is None:
            g = self.group(root)
            f = self._facts[root] = (any(v in self.alias_global for v in g),
                                     frozenset(v.hint for v in g if v.user),
                                     sum(1 for v in g if v in self.params))
        return f

    def spans(self, root):
        """A variable's values sorted by where their spans start: the starts,
        the ends, the values, and the furthest end so far at each place."""
        s = self._spans.get(root)
        if s is None:
            items = sorted((self.live.span(v) + (self.order.get(v, 0), v)
                            for v in self.group(root)), key=lambda t: t[:3])
            reach, top = [], -1
            for t in items:
                top = max(top, t[1])
                reach.append(top)
            s = self._spans[root] = ([t[0] for t in items], [t[1] for t in items],
                                     [t[3] for t in items], reach)
        return s

    def overlapping(self, root, v):
        """The values of the variable ``root`` whose spans overlap v's: the only
        ones that can interfere with it."""
        first, last = self.live.span(v)
        starts, ends, values, reach = self.spans(root)
        k = bisect_right(starts, last) - 1
        while k >= 0 and reach[k] >= first:
            if ends[k] >= first:
                yield values[k]
            k -= 1

    def compatible(self, a, b) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra is rb:
            return True
        fa, fb = self.facts(ra), self.facts(rb)
        if fa[0] or fb[0] or len(fa[1] | fb[1]) > 1 or fa[2] + fb[2] > 1:
            return False
        ga, gb = self.group(ra), self.group(rb)
        if len(ga) > len(gb):
            ra, rb, ga, gb = rb, ra, gb, ga
        for x in ga:
            if any(self.find(h) is rb for h in self.header.get(x, ())):
                return False  # (header reads go both ways)
            for y in self.overlapping(rb, x):
                if self.live.interfere(x, y):
                    return False
        return True

    def try_union(self, a, b):
        if isinstance(a, Value) and isinstance(b, Value) and self.compatible(a, b):
            self.union(a, b)

    def _coalesce(self, block):
        for op in block.ops:
            if isinstance(op, Prim):  # (no regions, nothing joined)
                continue
            for b in op.blocks():
                self._coalesce(b)
            if isinstance(op, If):
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    self.try_union(r, y1)
                    self.try_union(r, y2)
            elif isinstance(op, (For, While)):
                for a, init, y, r in zip(op.args, op.inits, op.body.yields, op.results):
                    self.try_union(a, r)
                    self.try_union(a, y)
                    self.try_union(a, init)
                if isinstance(op, For):
                    # the loop target itself when it is carried (``i`` after the loop)
                    for a, y in zip(op.args, op.body.yields):
                        if y is op.item:
                            self.try_union(a, op.item)

    def _merge_same_names(self, limit=400):
        """Let values of the same user name share a variable when their lives do
        not overlap, so a reverse sweep reads ``x`` rather than ``x_3``."""
        by_hint: Dict[str, List[Value]] = defaultdict(list)
        for v in self.order:  # (keys added in increasing order: no sort needed)
            if v.hint != "t" and v not in self.alias_global and \
                    (v.user or self.uses.get(v, 0) != 1 or v not in self.foldable):
                by_hint[v.hint].append(v)
        for values in by_hint.values():
            if len(values) > 1:  # a name of one value has nothing to share
                self._first_fit(values, limit)

    def _first_fit(self, values, limit):
        """Each value, in the order they are defined, joins the first variable
        (of the first ``limit``) that it may share.

        A variable holding a value defined earlier in the same block whose span
        reaches this one's definition interferes with it for certain, and is
        passed over without a look: as in a linear-scan register allocator,
        the values whose spans are still open are kept per block, by where
        they end, and each variable counts its open ones."""
        roots: List[Value] = []
        seen: Set[Value] = set()
        open_: Dict[int, list] = {}  # id(block) -> heap of (end, k, value)
        busy: Dict[Value, Dict[int, int]] = {}  # root -> id(block) -> open values
        last_start: Dict[int, int] = {}
        for k, v in enumerate(values):
            first, last = self.live.span(v)
            where = self.live.defs.get(v)
            blk = id(where[2]) if where is not None and where[0] == "result" else None
            if blk is not None and first < last_start.get(blk, -1):
                blk = None  # out of order: every variable is looked at
            if blk is not None:
                last_start[blk] = first
                heap = open_.setdefault(blk, [])
                while heap and heap[0][0] < first:
                    busy[self.find(heappop(heap)[2])][blk] -= 1
            r = self.find(v)
            if r not in seen:
                for i in range(min(len(roots), limit)):
                    other = roots[i]
                    if blk is not None and busy.get(other, {}).get(blk):
                        continue
                    if self.compatible(other, v):
                        self.union(other, v)
                        new = self.find(v)
                        counts = [c for c in (busy.pop(other, None), busy.pop(r, None)) if c]
                        if counts:
                            counts.sort(key=len)
                            for b, n in (counts[0].items() if len(counts) > 1 else ()):
                                counts[-1][b] = counts[-1].get(b, 0) + n
                            busy[new] = counts[-1]
                        roots[i] = new
                        seen.discard(other)
                        seen.add(new)
                        break
                else:
                    roots.append(r)
                    seen.add(r)
            if blk is not None:
                heappush(open_[blk], (last, k, v))
                counts = busy.setdefault(self.find(v), {})
                counts[blk] = counts.get(blk, 0) + 1

    def _name(self, reserved):
        """Parameters keep their names; other variables are named lazily, in
        the order the emitter writes them, so folded values take no name."""
        self.taken = set(reserved)
        self.suffix: Dict[str, int] = {}
        # each value's name once asked (no union follows naming)
        self.value_names: Dict[Value, str] = {}
        names = {}
        for p in sorted(self.params, key=lambda v: self.order[v]):
            name, k = _identifier(p.hint), 1
            while name in self.taken:  # derivatives of derivatives: y_bar of y_bar
                name = f"{_identifier(p.hint)}_{k}"
                k += 1
            names[self.find(p)] = name
            self.taken.add(name)
        # builtins stay what they are: no new variable is called sum or max
        self.taken |= {n for n in dir(builtins) if not n.startswith("_")}
        return names

    def name(self, v: Value) -> str:
        name = self.value_names.get(v)
        if name is not None:  # (asked for every operand the emitter writes)
            return name
        root = self.find(v)
        name = self.names.get(root)
        if name is None:
            group = self.members.get(root, [root])
            user = [m for m in group if m.user]
            base = (min(user, key=lambda m: self.order.get(m, 0)) if user else root).hint
            base = _identifier(base)
            if base == "_" and any(self.uses.get(m) for m in group):
                base = "discarded"  # "_" is what the emitter writes for results nobody reads
            # x, x_1, x_2...: the next suffix to try is kept (names are never freed)
            name, k = base, self.suffix.get(base, 1)
            if k > 1 or name in self.taken or keyword.iskeyword(name):
                name = f"{base}_{k}"
                while name in self.taken:
                    k += 1
                    name = f"{base}_{k}"
                self.suffix[base] = k + 1
            self.taken.add(name)
            self.names[root] = name
        self.value_names[v] = name
        return name


def _header_reads(block, uses, acc=None):
    """For each for-loop, its carried values against the values its iterable's
    expression reads (when folded into the header): the carried values are
    assigned before the header runs, so they must not share a variable."""
    acc = defaultdict(set) if acc is None else acc
    regions = [op for op in block.ops if not isinstance(op, Prim)]
    if not any(isinstance(op, For) for op in regions):  # (most blocks: only their regions)
        for op in regions:
            for b in op.blocks():
                _header_reads(b, uses, acc)
        return acc
    defs = {}
    for op in block.ops:
        if isinstance(op, Prim) and len(op.results) == 1:
            defs[op.results[0]] = op
        if isinstance(op, For) and op.args:
            reads, todo = set(), [op.iter]
            while todo:
                v = todo.pop()
                if not isinstance(v, Value) or v in reads:
                    continue
                reads.add(v)
                d = defs.get(v)
                if d is not None and (v is op.iter or uses.get(v) == 1):
                    todo.extend(d.args)
            for a, init in zip(op.args, op.inits):
                for r in reads:
                    if r is not init:  # for v in xs: xs = ... reads what it assigns
                        acc[a].add(r)
                        acc[r].add(a)
        for b in op.blocks():
            _header_reads(b, uses, acc)
    return acc


def _identifier(s):
    if s == "_":
        return "_"
    if not (s.isascii() and s.isidentifier()):  # (then every character is kept)
        s = "".join(c if c.isalnum() or c == "_" else "_" for c in s)
    s = s.strip("_") or "t"
    if s[0].isdigit():
        s = "v" + s
    return s
