"""The tape: what the reverse sweep reads of each forward loop iteration, and how
it is kept (to-be-recorded analysis).

A value goes on the tape only if the reverse sweep reads it and the forward loop
redefines it every iteration; scalar arithmetic on taped values is done again
instead of taped.  Each value has its own stack (a list), pushed as soon as the
value is computed and popped at the start of each reverse iteration; loops
whose trip count is not known in advance count it.  A reverse loop that
runs once (none around it) reads its stacks backwards instead of popping them
(:func:`read_tapes_backwards`).
"""
from __future__ import annotations

from typing import Dict, List, Set

from ..ir.analysis import is_mutation
from ..ir.clone import substitute  # noqa: F401  (the reverse transform's, too)
from ..ir.nodes import Block, Const, For, Global, If, Prim, UNDEF, Value, While


def defined_deep(block: Block) -> Set[Value]:
    out = set()
    for op in block.walk():
        out.update(op.results)
        out.update(op.defined_here())
    return out


def own_values(block: Block) -> List[Value]:
    out = []
    for op in block.ops:
        out.extend(op.results)
    return out


def used_deep(block: Block) -> List[Value]:
    """Values read anywhere in the block, in first-use order."""
    seen = {}

    def add(a):
        if isinstance(a, Value) and a not in seen:
            seen[a] = None

    def visit(b):
        for op in b.ops:
            for a in op.operands():
                add(a)
            if isinstance(op, (For, While)) and op.brk is not None:
                add(op.brk)
            for inner in op.blocks():
                visit(inner)
        for y in b.yields:
            add(y)

    visit(block)
    return list(seen)


class Tape:
    """The tape-making half of :class:`~s2sad.ad.reverse.Reverse` (it needs the
    transform's ``kinds``, and ``stacks``, the ops that make the empty stacks)."""

    _written = None  # the arrays the primal writes into

    def count_trips(self, L) -> Value:
        """Add a carried counter to the forward loop; returns its final value."""
        arg, res = Value("trips"), Value("trips")
        step = Prim("binop", [arg, Const(1)], [Value("trips")], {"op": "+"}, None)
        L.body.ops.append(step)
        L.args.append(arg)
        L.inits.append(Const(0))
        L.body.yields.append(step.result)
        L.results.append(res)
        self.kinds[res] = "int"
        return res

    def record(self, L, body: Block, use_range: bool, item=None):
        """Push what the reverse body reads of each forward iteration; pop it back.
        ``item``: the reverse loop's own item, which stands for the forward one."""
        own = set(own_values(L.body)) | set(L.args)
        if isinstance(L, While):  # what the condition computed, the body may read again
            own |= set(own_values(L.cond))
        if not use_range and isinstance(L, For):
            own.add(L.item)
        needed = [v for v in used_deep(body) if v in own]
        if not needed:
            return
        needed, recompute = self.cheap_to_recompute(L, needed, own, item is not None)
        read = {a for op in recompute for a in op.args}
        needed = [v for v in needed if v in read or not self.push_in_branch(v, body)]
        define_everywhere([L] + list(L.body.walk()), needed)
        # push as soon as the last of them is computed: the values are then still
        # in their variables, and the loop needs no copies to keep them.  Each
        # value has its own stack (a list), which keeps no more than a
        # hand-written adjoint would.
        where = 0
        for k, op in enumerate(L.body.ops):
            if any(r in needed for r in op.results):
                where = k + 1
        push, ops, popped = [], [], []
        for v in needed:
            stack = Value(v.hint + "_stack")
            self.stacks.append(Prim("build", [], [stack], {"type": "list"}, None))
            push.append(Prim("callmethod", [stack, v], [], {"method": "append"}, None))
            p = Value(v.hint, v.user)
            self.kinds[p] = self.kinds.get(v)
            popped.append(p)
            ops.append(Prim("callmethod", [stack], [p], {"method": "pop"}, None))
        L.body.ops[where:where] = push
        mapping = dict(zip(needed, popped))
        if item is not None:
            mapping[L.item] = item
        for op in recompute:  # scalar arithmetic, entries of unchanged arrays: done again
            new = Prim(op.kind, [mapping.get(a, a) if isinstance(a, Value) else a
                                 for a in op.args],
                       [Value(r.hint, r.user) for r in op.results], dict(op.attrs), None)
            for r, nr in zip(op.results, new.results):
                mapping[r] = nr
                self.kinds[nr] = self.kinds.get(r)
            ops.append(new)
        substitute(body, mapping)
        body.ops[:0] = ops

    def push_in_branch(self, v, body: Block, read=None) -> bool:
        """``v``, a value of one branch of a forward ``If`` (its other branch
        leaves it undefined), that only the same branch of the reverse ``If``
        reads (as ``read``, the name the reverse sweep has for it): push it in
        that branch and pop it in the reverse one (the condition is on the
        tape), so that the tape holds values of one type and nothing for the
        iterations that do not define it.  Returns whether it did."""
        read = v if read is None else read
        found = self.exported.get(v)
        if found is None:
            return False
        F, side, y = found
        R = self.reverse_if.get(id(F))
        if R is None or F.results.count(v) != 1:
            return False
        k = F.results.index(v)
        if (F.then, F.orelse)[1 - side].yields[k] is not UNDEF:
            return False
        inside = (R.then, R.orelse)[side]
        if not _reads_only_in(body, read, inside):
            return False
        if y in self.exported:  # a value of a nested If: pushed deeper still, or not at all
            return self.push_in_branch(y, inside, read)
        fwd = (F.then, F.orelse)[side]
        where = next((i + 1 for i, op in enumerate(fwd.ops) if y in op.results), None)
        if where is None:
            return False
        stack = Value(y.hint + "_stack")
        self.stacks.append(Prim("build", [], [stack], {"type": "list"}, None))
        fwd.ops.insert(where, Prim("callmethod", [stack, y], [], {"method": "append"}, None))
        p = Value(y.hint, y.user)
        self.kinds[p] = self.kinds.get(y)
        inside.ops.insert(0, Prim("callmethod", [stack], [p], {"method": "pop"}, None))
        substitute(inside, {read: p})
        return True

    def cheap_to_recompute(self, L, needed, own, item_known=False):
        """Split what the reverse body needs from an iteration into values to
        push and what to redo from them: scalar arithmetic (``x * x`` from
        ``x``), and entries of arrays the loop does not change (``v[i]``, read
        again rather than kept): the tape keeps what a person would keep."""
        defs = {r: op for op in L.body.ops if isinstance(op, Prim) for r in op.results}
        push, recompute, seen = [], [], set()

        item = getattr(L, "item", None)

        def cheap(op):
            if any(a is item and item not in own and not item_known for a in op.args):
                return False  # the reverse loop has no such item
            if op.kind == "getitem":
                return self.reread(op, own)
            return (op.kind in ("binop", "unary", "compare") and not op.attrs.get("inplace")
                    and all(self.kinds.get(r) in ("float", "int", "bool") for r in op.results)
                    and op.attrs.get("op") not in ("or", "and"))

        def want(v):
            if v in seen:
                return
            seen.add(v)
            op = defs.get(v)
            if op is not None and cheap(op):
                for a in op.args:
                    if isinstance(a, Value) and a in own:
                        want(a)
                recompute.append(op)
            else:
                push.append(v)

        for v in needed:
            want(v)
        return push, recompute


    def reread(self, op, own) -> bool:
        """Whether the reverse sweep reads ``op``'s entry of an array again instead
        of keeping it: an array from outside the loop that nothing writes into
        (were one written, ``copy_before_writes`` would keep the old one), a
        scalar entry (a copy kept would cost as much as reading it)."""
        base = op.args[0]
        if self._written is None:
            self._written = {o.args[0] for o in self.fn.body.walk() if isinstance(o, Prim)
                             and o.args and is_mutation(o)}
        return (isinstance(base, Value) and base not in own and base not in self._written
                and self.kinds.get(base) in ("array", "carray", "intarray")
                and self.kinds.get(op.results[0]) in ("float", "int", "complex"))


def define_everywhere(ops, values):
    """A forward loop pushes ``values`` on the tape every iteration (a forward
    function returns them), but some are only defined on some paths (a value of
    one branch, exported from an ``If``; a carried value that starts undefined):
    give them ``None`` where they are undefined (the reverse sweep reads them
    only on the paths that set them).  ``ops``: the ops around and inside."""
    made = {}
    for op in ops:
        if isinstance(op, If):
            for i, r in enumerate(op.results):
                made[r] = [(b, i) for b in (op.then, op.orelse)]
        elif isinstance(op, (For, While)):
            for i, (a, r) in enumerate(zip(op.args, op.results)):
                made[a] = made[r] = [(op, i), (op.body, i)]
    todo, seen = list(values), set()
    while todo:
        v = todo.pop()
        if v in seen or v not in made:
            continue
        seen.add(v)
        for holder, i in made[v]:
            seq = holder.inits if isinstance(holder, (For, While)) else holder.yields
            if seq[i] is UNDEF:
                seq[i] = Const(None)
            elif isinstance(seq[i], Value):
                todo.append(seq[i])


def _reads_only_in(block: Block, v, inner: Block) -> bool:
    """Whether ``v`` is read in ``block`` only inside ``inner`` (a block in it)."""
    def visit(b):
        if b is inner:
            return True
        for op in b.ops:
            if v in op.operands() or isinstance(op, (For, While)) and op.brk is v:
                return False
            if not all(visit(x) for x in op.blocks()):
                return False
        return v not in b.yields
    return visit(block)


def read_tapes_backwards(block: Block, stacks) -> None:
    """Make each reverse loop that runs at most once (in ``block``, the reverse
    sweep's top level, or in its ``If`` branches: in no loop) iterate over its
    stacks backwards, ``for sin_x, x in zip(reversed(sin_x_stack),
    reversed(x_stack))``, instead of popping them one entry per iteration: the
    same values in the same order, without a method call each.  ``stacks``: the
    lists of the tape (a stack read anywhere else, or popped twice, is left
    alone).  When the loop's own item is not read, its trip count is the
    stacks' length (its forward loop, in no loop either, pushed once an
    iteration), and the iteration is over the stacks alone."""
    stacks = set(stacks)
    pops: Dict[Value, list] = {}
    other = set()
    for op in block.walk():
        for a in op.operands():
            if a not in stacks:
                continue
            if isinstance(op, Prim) and op.kind == "callmethod" and len(op.args) == 1 and \
                    op.attrs.get("method") == "pop" and len(op.results) == 1:
                pops.setdefault(a, []).append(op)
            elif not (isinstance(op, Prim) and op.kind == "callmethod" and
                      op.attrs.get("method") == "append"):
                other.add(a)
    once = {id(ops[0]) for s, ops in pops.items() if len(ops) == 1 and s not in other}
    if once:
        _backwards_in(block, once)


def _backwards_in(block: Block, once) -> None:
    new_ops = []
    for op in block.ops:
        if isinstance(op, If):
            _backwards_in(op.then, once)
            _backwards_in(op.orelse, once)
        elif isinstance(op, For) and op.brk is None:
            taken = [p for p in op.body.ops if id(p) in once]
            if taken:
                new_ops.extend(_iterate_backwards(op, taken))
        new_ops.append(op)
    block.ops = new_ops


def _iterate_backwards(loop: For, pops) -> list:
    """The ops that make ``loop`` iterate over the stacks of ``pops`` (taken
    out of its body) backwards; ``loop`` is changed in place."""
    made = []

    def call(func, args, hint):
        v = Value(hint)
        made.append(Prim("call", [Global(func.__name__, func)] + args, [v], {}, loop.loc))
        return v

    backwards = [call(reversed, [p.args[0]], "backwards") for p in pops]
    items = [p.results[0] for p in pops]
    taken = set(map(id, pops))
    loop.body.ops = [op for op in loop.body.ops if id(op) not in taken]
    if loop.item in used_deep(loop.body):
        backwards.insert(0, loop.iter)
        items.insert(0, loop.item)
    if len(backwards) == 1:
        loop.iter, loop.item = backwards[0], items[0]
        return made
    loop.iter = call(zip, backwards, "steps")
    loop.item = Value("step")
    loop.body.ops.insert(0, Prim("unpack", [loop.item], items, {"star": None}, loop.loc))
    return made
