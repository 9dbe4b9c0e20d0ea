"""Where derivative code must copy an array before writing into it in place.

A write ``x[i] = v`` (or ``x[i] += v``) into storage that some value still to
be read shares (a name bound to it, a view, an older version read later, a
value on the tape, an argument) goes into a copy instead.  :class:`Storage`
tells which values share storage and where each is read; :func:`place_copies`
puts the copy where it costs least: once before a loop when only the loop's
initial value is read again (the loop itself reads only the newest version),
else just before the write.
"""
from __future__ import annotations

from typing import Dict, List, Set

import numpy as np

from ..ir.analysis import is_mutation
from ..ir.nodes import UNDEF, Block, For, Global, If, Prim, Value, While
from .builder import runtime_global

_VIEW_METHODS = {"reshape", "ravel", "transpose", "swapaxes", "squeeze", "view"}
_SCALARS = {"float", "int", "bool", "complex", "str", "none", "range"}


class Storage:
    """Which values of a function may share storage, and where each is read
    (positions in program order), for :meth:`Reverse.copy_before_writes`."""

    def __init__(self, block: Block, kinds, stacks, params, holds=None):
        self.parent: Dict[Value, Value] = {}
        self.kinds = kinds
        self.uses: Dict[Value, List[int]] = {}
        self.defpos: Dict[Value, int] = {p: -1 for p in params}
        self.pos: Dict[int, int] = {}
        self.loops: Dict[int, tuple] = {}  # op id -> (start, end) of the loops around it
        self.escaped: Set[Value] = set(params)  # the caller's, or on the tape
        self.stacks = set(stacks) - _shape_only_stacks(block, stacks)
        self.n = 0
        self._classes = None
        self.sides: Dict[int, tuple] = {}  # position -> the branches (If, side) around it
        self._walk(block, (), ())
        for tape, held in (holds or {}).items():
            for v in held:
                self.union(tape, v)

    def find(self, v):
        while self.parent.get(v, v) is not v:
            v = self.parent[v]
        return v

    def union(self, a, b):
        if not (isinstance(a, Value) and isinstance(b, Value)):
            return
        if self.kinds.get(a) in _SCALARS or self.kinds.get(b) in _SCALARS:
            return
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[ra] = rb

    def _use(self, a, at):
        if isinstance(a, Value):
            self.uses.setdefault(a, []).append(at)

    def _walk(self, block, loops, sides):
        for op in block.ops:
            at = self.n
            self.n += 1
            self.pos[id(op)] = at
            self.sides[at] = sides
            self.loops[id(op)] = loops
            for a in op.operands():
                self._use(a, at)
            for v in op.defined_here():
                self.defpos[v] = at
            if isinstance(op, Prim):
                self._prim(op)
            inner = loops + ((at, None),) if isinstance(op, (For, While)) else loops
            for side, b in enumerate(op.blocks()):
                self._walk(b, inner, sides + ((at, side),) if isinstance(op, If) else sides)
            if isinstance(op, (For, While)):
                end = self.n
                for k in list(self.loops):
                    self.loops[k] = tuple((s, end) if s == at and e is None else (s, e)
                                          for s, e in self.loops[k])
                for a, i, y, r in zip(op.args, op.inits, op.body.yields, op.results):
                    self.union(a, i)
                    self.union(a, y)
                    self.union(r, a)
                if op.brk is not None:
                    self._use(op.brk, self.n)
            if isinstance(op, If):
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    self.union(r, y1)
                    self.union(r, y2)
            for r in op.results:  # after the op, before the next one (see memory's Frame)
                self.defpos[r] = self.n - 0.5
        for y in block.yields:
            self._use(y, self.n)
        self.sides[self.n] = sides
        self.n += 1

    def exclusive(self, a, b) -> bool:
        """Whether positions ``a`` and ``b`` lie in the two branches of one If
        (one runs, never both)."""
        mine = dict(self.sides.get(a, ()))
        return any(mine.get(at, side) != side for at, side in self.sides.get(b, ()))

    def _prim(self, op):
        k = op.kind
        if not op.results:
            if k == "callmethod" and op.attrs.get("method") == "append" and \
                    op.args[0] in self.stacks and len(op.args) > 1:
                self.escaped.add(op.args[1])  # the reverse sweep reads it
            return
        r = op.results[0]
        if k == "copy" or is_mutation(op) and op.kind != "binop":
            self.union(r, op.args[0])
        elif k == "binop" and op.attrs.get("inplace"):
            self.union(r, op.args[0])
        elif k == "getitem" or k == "getattr" and op.attrs["attr"] in ("T", "real", "mT"):
            self.union(r, op.args[0])  # a basic index or a slice is a view
        elif k == "callmethod" and op.attrs.get("method") in _VIEW_METHODS:
            self.union(r, op.args[0])
        elif k == "call" and isinstance(op.args[0], Global) and len(op.args) > 1 and \
                getattr(op.args[0].obj, "__name__", None) in (
                    "reshape", "ravel", "transpose", "squeeze", "asarray", "asanyarray",
                    "swapaxes", "expand_dims", "atleast_1d", "atleast_2d") and \
                getattr(op.args[0].obj, "__module__", "").startswith("numpy"):
            self.union(r, op.args[1])

    def _members(self, base):
        if self._classes is None:
            self._classes = {}
            for v in set(self.defpos) | set(self.uses):
                self._classes.setdefault(self.find(v), []).append(v)
        return self._classes.get(self.find(base), [base])

    def read_again(self, op) -> bool:
        """Whether writing into ``op``'s first operand in place would change a
        value still to be read."""
        base = op.args[0]
        at = self.pos[id(op)]
        own = set(op.results)
        if self._classes is None:
            self._classes = {}
            for v in set(self.defpos) | set(self.uses):
                self._classes.setdefault(self.find(v), []).append(v)
        for v in self._classes.get(self.find(base), [base]):
            if v in own:
                continue
            if v in self.escaped:
                return True
            d = self.defpos.get(v, -1)
            if d > at:
                continue  # a later version, made to see the write
            for u in self.uses.get(v, ()):
                if u > at and not self.exclusive(at, u):
                    return True
                if any(s < u <= e and d < s for s, e in self.loops[id(op)]):
                    return True  # read again in the next iteration
        return False


_SHAPE_FUNCS = {np.zeros_like, np.shape, np.ndim, runtime_global("zeros_like_value").obj}


def _shape_only(op, v) -> bool:
    """Whether ``op`` reads no more of ``v`` than its shape and dtype."""
    if op.kind == "getattr":
        return op.attrs["attr"] in ("shape", "ndim", "dtype", "size")
    return op.kind == "call" and isinstance(op.args[0], Global) and \
        op.args[0].obj in _SHAPE_FUNCS and op.args[1:] == [v] and not op.attrs


def _shape_only_stacks(block: Block, stacks) -> Set[Value]:
    """The stacks whose entries the reverse sweep reads only for their shape
    (``np.zeros_like(acc)``): what is written into such an entry after it was
    pushed changes nothing the reverse sweep reads."""
    stacks = set(stacks)
    popped: Dict[Value, Value] = {}
    ops = list(block.walk())
    for op in ops:
        if isinstance(op, Prim) and op.kind == "callmethod" and op.attrs.get("method") == "pop" \
                and op.args and op.args[0] in stacks and op.results:
            popped[op.results[0]] = op.args[0]
    bad = set()
    for op in ops:
        for a in op.operands():
            if a in popped and not (isinstance(op, Prim) and _shape_only(op, a)):
                bad.add(popped[a])
        if isinstance(op, (For, While)) and op.brk in popped:
            bad.add(popped[op.brk])
        for b in op.blocks():
            for y in b.yields:
                if y in popped:
                    bad.add(popped[y])
    for y in block.yields:
        if y in popped:
            bad.add(popped[y])
    return set(popped.values()) - bad


_FRESH = {np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.zeros, np.ones, np.empty,
          np.full, np.array, np.copy, runtime_global("zeros_like_value").obj}


class _Places:
    """Where each op and value of a block is: the block holding an op, the op
    owning a block, the op defining a value."""

    def __init__(self, main: Block):
        self.block_of: Dict[int, Block] = {}
        self.owner: Dict[int, object] = {}
        self.defs: Dict[Value, tuple] = {}

        def visit(block, owner):
            self.owner[id(block)] = owner
            for op in block.ops:
                self.block_of[id(op)] = block
                for r in op.results:
                    self.defs[r] = (op, None)
                for v in op.defined_here():
                    self.defs[v] = (op, "here")
                for b in op.blocks():
                    visit(b, op)

        visit(main, None)
        visit = None  # a recursive closure is a reference cycle: freed now, not by gc

    def fresh(self, v, seen=None) -> bool:
        """Whether ``v``'s storage was made by this function (an allocation, a
        copy, arithmetic) or is an argument, along every path to it: never a
        view of something else, nor a constant."""
        seen = set() if seen is None else seen
        if not isinstance(v, Value):
            return False
        if v in seen:
            return True
        seen.add(v)
        found = self.defs.get(v)
        if found is None:
            return True  # a parameter: an escaped value, which storage copies
        op, how = found
        if isinstance(op, (For, While)):
            if how == "here":
                if isinstance(op, For) and v is op.item:
                    return False
                k = op.args.index(v)
                return self.fresh(op.inits[k], seen) and self.fresh(op.body.yields[k], seen)
            k = op.results.index(v)
            return self.fresh(op.args[k], seen)
        if isinstance(op, If):
            k = op.results.index(v)
            return all(self.fresh(b.yields[k], seen) for b in (op.then, op.orelse)
                       if b.yields[k] is not None and not _undefined(b.yields[k]))
        if not isinstance(op, Prim):
            return False
        if is_mutation(op) or op.kind == "copy":
            return self.fresh(op.args[0], seen)
        if op.kind in ("binop", "unary"):
            return op.attrs.get("op") not in ("or", "and")
        if op.kind == "callmethod" and op.attrs.get("method") == "copy" and \
                len(op.args) - 1 == len(op.attrs.get("kw", ())) and \
                set(op.attrs.get("kw", ())) <= {"order"}:
            return True
        if op.kind == "call" and isinstance(op.args[0], Global):
            try:
                return op.args[0].obj in _FRESH
            except TypeError:
                return False
        return False

    def chain(self, w):
        """The loops that carry the storage ``w`` writes into, innermost first:
        ``(loop, k, block holding the loop)`` for ``loop.args[k]``."""
        out = []
        block = self.block_of.get(id(w))
        base = w.args[0]
        while block is not None:
            local = {r: op for op in block.ops for r in op.results}
            while base in local and isinstance(local[base], Prim) and \
                    is_mutation(local[base]) and isinstance(local[base].args[0], Value):
                base = local[base].args[0]
            owner = self.owner.get(id(block))
            if not isinstance(owner, (For, While)) or block is not owner.body or \
                    base not in owner.args:
                break
            k = owner.args.index(base)
            outer = self.block_of.get(id(owner))
            if outer is None or not isinstance(owner.inits[k], Value):
                break
            out.append((owner, k, outer))
            base = owner.inits[k]
            block = outer
        return out


def _undefined(a) -> bool:
    return a is UNDEF


def _copy_of(old, loc):
    return Prim("callmethod", [old], [Value(old.hint, old.user)], {"method": "copy"}, loc)


def place_copies(main: Block, writes, kinds, params):
    """Copy before each of ``writes`` (in-place writes of ``main``) that would
    change storage still to be read: once before the outermost loop carrying
    the storage where that suffices (only the loop's initial value is read
    again), else just before the write.  A write into storage that may be
    another value's (a view, a constant) is always made into a copy."""
    storage = None
    for w in writes:
        if storage is None:
            storage = Storage(main, kinds, [], params)
            places = _Places(main)
        if id(w) not in storage.pos:
            continue
        safe = places.fresh(w.args[0]) and _entries_only(main, storage, w, kinds)
        if safe and not storage.read_again(w):
            continue
        placed = False
        if safe:
            for loop, k, outer in reversed(places.chain(w)):
                init = loop.inits[k]
                cp = _copy_of(init, loop.loc)
                outer.ops.insert(outer.ops.index(loop), cp)
                loop.inits[k] = cp.results[0]
                if not Storage(main, kinds, [], params).read_again(w):
                    placed = True
                    break
                outer.ops.remove(cp)
                loop.inits[k] = init
        if not placed:
            block = places.block_of[id(w)]
            cp = _copy_of(w.args[0], w.loc)
            block.ops.insert(block.ops.index(w), cp)
            w.args[0] = cp.results[0]
        storage = None


def _entries_only(main: Block, storage, w, kinds) -> bool:
    """Whether the storage ``w`` writes into is read only entry by entry (a
    number each), for its shape, and by writes: no value is computed from it
    that may share it unseen (a helper that returns its argument)."""
    cls = set(storage._members(w.args[0]))
    for op in main.walk():
        if not isinstance(op, Prim):
            continue
        for j, a in enumerate(op.args):
            if a not in cls:
                continue
            if j == 0 and is_mutation(op) and op.kind != "binop":
                continue
            if j == 0 and op.kind == "getitem" and op.results and \
                    kinds.get(op.results[0]) in ("float", "int", "bool", "complex"):
                continue
            if j == 0 and op.kind == "getattr" and op.attrs["attr"] in ("shape", "ndim", "size",
                                                                        "dtype"):
                continue
            if op.kind == "call" and _shape_only(op, a) or _no_hidden_share(op, kinds):
                continue
            return False
    return True


_NEW_ARRAY_METHODS = {"sum", "mean", "prod", "max", "min", "std", "var", "dot", "copy",
                      "cumsum", "cumprod", "any", "all", "argmax", "argmin"}
_NEW_ARRAY_FUNCS = {getattr(np, n) for n in ("sum", "mean", "prod", "max", "min", "std", "var",
                                             "dot", "copy", "cumsum", "cumprod", "outer",
                                             "matmul", "inner", "vdot", "trace")}


def _no_hidden_share(op, kinds) -> bool:
    """Whether ``op``'s results share no storage with its operands that
    :class:`Storage` would not see: numbers, new arrays (arithmetic, a
    reduction), or views it follows."""
    if op.results and all(kinds.get(r) in ("float", "int", "bool", "complex")
                          for r in op.results):
        return True
    k = op.kind
    if k in ("binop", "unary", "compare"):
        return True  # a new array (an in-place one is the same storage: unioned)
    if k == "getitem" or k == "getattr" and op.attrs["attr"] in ("T", "real", "mT"):
        return True
    if k == "callmethod":
        m = op.attrs.get("method")
        return m in _NEW_ARRAY_METHODS and not op.attrs.get("kw") or m in _VIEW_METHODS
    if k == "call" and isinstance(op.args[0], Global) and not op.attrs.get("kw"):
        f = op.args[0].obj
        try:
            return isinstance(f, np.ufunc) or f in _NEW_ARRAY_FUNCS
        except TypeError:
            return False
    return False
