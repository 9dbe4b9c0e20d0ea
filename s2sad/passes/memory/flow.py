"""The walk over the IR: each op in order; branches and loops, with the state
they change made their results and carried values."""
from __future__ import annotations

from ...errors import NonDifferentiableError
from ...frontend.resolve import class_member
from ...ir.clone import substitute
from ...ir.nodes import Block, Const, For, Global, If, Prim, UNDEF, Value, While
from .model import (GROWING, Ref, Root, Step, changed_entries, defined_in, differing,
                    ends_in_raise, entry, key_hint, set_entry)


class _Diverged(Exception):
    """Two names carried as one through a loop turned out to differ."""

    def __init__(self, key):
        super().__init__(key)
        self.key = key


class Flow:
    """The walking half of :class:`~s2sad.passes.memory.Memory`."""

    # -- walking -------------------------------------------------------------------
    def block(self, b: Block) -> Block:
        out = Block()
        saved = self.out
        self.out = out
        self.ops(b)
        out.yields = [self.val(y) for y in b.yields]
        self.out = saved
        return out

    def ops(self, b: Block):
        frame = self.frame
        for op in b.ops:
            frame.current = frame.pos[id(op)]
            if isinstance(op, Prim):
                self.prim(op)
            elif isinstance(op, If):
                self.if_(op)
            else:
                self.loop(op)
        frame.current = frame.end[id(b)]

    def prim(self, op: Prim):
        k = op.kind
        args = [self.val(a) for a in op.args]
        if k in ("setitem", "augsetitem"):
            return self.setitem(op, args)
        if k in ("setattr", "augsetattr"):
            return self.setattr_(op, args)
        if k == "binop" and op.attrs.get("inplace"):
            return self.inplace(op, args)
        if k == "getattr" and self.object_root(op.args[0]) is not None and \
                op.attrs["attr"] not in ("T", "real", "imag", "shape", "ndim", "size", "dtype"):
            return self.read_attribute(op, args)
        if k in ("binop", "unary") and not op.attrs.get("inplace") and \
                self.operator_method(op):
            return
        if k == "callmethod" and self.method(op, args):
            return
        if k == "call" and self.call(op, args):
            return
        if k == "copy" and self.object_root(op.args[0]) is not None:
            # o2 = o: a second name of an object kept as its attributes
            self.alias(op.results[0], op.args[0])
            self.state.cur[op.results[0]] = self.run_time(op.args[0])
            self.changed = True
            return
        if k != "copy":
            self.check_escape(op, args)
        new = Prim(k, args, list(op.results), dict(op.attrs), op.loc)
        self.out.ops.append(new)
        self.define(op, new)

    def operator_method(self, op) -> bool:
        """``u + v`` of an object kept as its attributes: its class's ``__add__``
        (or ``v``'s ``__radd__``), inlined as the other methods are."""
        name = _OPERATOR_METHODS.get((op.kind, op.attrs.get("op")))
        if name is None:
            return False
        for receiver, other, method in ((0, 1, name), (1, 0, "__r" + name[2:])):
            if receiver >= len(op.args):
                continue
            root = self.object_root(op.args[receiver])
            if root is None or class_member(root.cls, method)[2] is None:
                continue
            operands = [op.args[receiver]] + ([op.args[other]] if len(op.args) > 1 else [])
            self.prim(Prim("callmethod", operands, list(op.results), {"method": method},
                           op.loc))
            return True
        return False

    # -- control flow ------------------------------------------------------------------
    def if_(self, F: If):
        cond = self.val(F.cond)
        before = self.state
        self.state = before.copy()
        then = self.block(F.then)
        then_state = self.state
        self.state = before.copy()
        orelse = self.block(F.orelse)
        else_state = self.state
        self.state = before
        raises = [ends_in_raise(F.then), ends_in_raise(F.orelse)]
        live = [st for st, dead in ((then_state, raises[0]), (else_state, raises[1]))
                if not dead]
        unset = self.first_attributes(before, [then_state, else_state], F)
        results = list(F.results)
        for r, y1, y2 in zip(F.results, F.then.yields, F.orelse.yields):
            self.merge_ref(r, [y for y, dead in ((y1, raises[0]), (y2, raises[1]))
                               if not dead and y is not UNDEF])
        # two names of one array (z2 = z3 = ...) are one result: two variables
        # starting as one array would each miss the other's writes
        # (``z = y`` in both branches, of different arrays: one object on each path)
        kept = []
        for i, (r, a, b) in enumerate(zip(results, then.yields, orelse.yields)):
            j = next((j for j in kept if self.same_object(a, then.yields[j]) and
                      self.same_object(b, orelse.yields[j])), None) \
                if isinstance(a, Value) and isinstance(b, Value) and \
                self.arrayness(r) != "scalar" else None
            if j is not None:
                self.state.cur[r] = results[j]
                if results[j] in self.refs:  # a write through either is seen by both
                    self.add(r, self.refs[results[j]])
                self.changed = True
                continue
            kept.append(i)
        if len(kept) < len(results):
            results = [results[i] for i in kept]
            then.yields = [then.yields[i] for i in kept]
            orelse.yields = [orelse.yields[i] for i in kept]
        extra, same = differing(before, then_state, else_state, raises,
                                 self.local_to(self.frame.pos[id(F)], defined_in(F)))
        for key in unset:  # set by both branches (that do not raise), not before
            found = [entry(st, key) for st in live if key[1] in st.attrs]
            if found and len(found) == len(live):
                if found[0] is found[-1]:
                    same.append((key, found[0]))
                else:
                    extra.append((key, key_hint(key), found[0], found[-1]))
        for key, value in same:
            set_entry(self.state, key, value)
        self.add_results(extra, results, then, orelse)
        self.merge_bookkeeping(then_state, else_state, raises)
        then.yields = [self.run_time(y) for y in then.yields]
        orelse.yields = [self.run_time(y) for y in orelse.yields]
        self.out.ops.append(If(cond, then, orelse, results, F.loc))
        if extra:
            self.changed = True

    def same_object(self, a, b) -> bool:
        """Whether ``a`` and ``b``, yields of one branch, are one object (or one
        view of it, along the same steps)."""
        if a is b:
            return True
        ra, rb = self.ref_of(a), self.ref_of(b)
        return ra is not None and rb is not None and ra.root is rb.root and \
            ra.path == rb.path and ra.exact

    def merge_bookkeeping(self, s1, s2, raises):
        st = self.state
        if raises[0]:
            s1 = s2
        if raises[1]:
            s2 = s1
        st.private = s1.private & s2.private
        st.join_cuts(s1, s2)
        for key in set(s1.attr_refs) | set(s2.attr_refs):
            a, b = s1.attr_refs.get(key), s2.attr_refs.get(key)
            st.attr_refs[key] = a if a is b else None
        for key in set(s1.attrs) | set(s2.attrs):
            if key[0] in st.roots and key not in st.attrs and \
                    (key not in s1.attrs or key not in s2.attrs):
                raise NonDifferentiableError(
                    f"the attribute '{key[1]}' of '{key[0].hint}' is set on one path only",
                    hint="set it before the if")

    def first_attributes(self, before, states, op, loop=False):
        """The attributes of objects from before a branch or a loop that it
        reads or sets first: an object passed in is read before it (the
        caller's object is never written, so that is what it reads), and an
        attribute of the class is its value before.  Returns the others (an
        object built in the function whose attribute the region sets first);
        a loop cannot carry those."""
        unset = []
        for key in dict.fromkeys(k for st in states for k in st.attrs):  # in order
            root, attr = key
            if key in before.attrs or root not in before.roots:
                continue  # known before, or the region's own object
            value = self.attribute_before(root, attr, op.loc)
            if value is None and loop:
                raise self.error(op, f"the attribute '{attr}' of the {root.cls.__name__} "
                                     "object is first set in this loop, so it has no value "
                                     "if the loop does not run",
                                 "set it before the loop (in __init__)")
            if value is None:
                unset.append(("attrs", key))
                continue
            before.attrs[key] = value
            for st in states:
                st.attrs.setdefault(key, value)
        return unset

    def merged_root(self, hint):
        root = Root("merged", hint)
        self.merged.append(root)
        return root

    def merge_ref(self, r, ys):
        refs = [self.ref_of(y) for y in ys]
        if not refs or any(x is None for x in refs):
            if any(x is not None for x in refs) and self.arrayness(r) != "scalar":
                root = self.merged_root(r.hint)
                root.maybe.update(x.root for x in refs if x is not None)
                self.add(r, Ref(root))
                self.state.roots[root] = r
            elif refs and self.arrayness(r) != "scalar":
                self.fresh(r)
            return
        first = refs[0]
        if all(x.root is first.root and x.path == first.path for x in refs):
            self.add(r, first)
            return
        root = self.merged_root(r.hint)
        root.maybe.update(x.root for x in refs)
        self.add(r, Ref(root))
        self.state.roots[root] = r

    def loop(self, L):
        frame = self.frame
        start, end = frame.pos[id(L)], frame.end[id(L)]
        inits = [self.val(i) for i in L.inits]
        iter_ = self.val(L.iter) if isinstance(L, For) else None
        for a, i in zip(L.args, L.inits):
            self.refs.pop(a, None)
            if i is not UNDEF:
                self.alias(a, i)
        if isinstance(L, For):
            self.item_ref(L)
        # which state the body changes, found by lowering it once for nothing
        frame.loops.append((start, end))
        for _ in range(3):
            before = self.state.copy()
            written = self.dry_body(L)
            dry_state = self.state
            self.state = before
            if not self.loop_refs_settled(L):
                continue
            break
        inner = self.local_to(start, defined_in(L))
        keys = changed_entries(before, dry_state, inner)
        # arguments written in the loop get their private copy before it
        hoisted = [r for r in written
                   if r.origin == "param" and r not in self.state.private and r in self.state.roots]
        frame.loops.pop()
        frame.current = start
        for root in hoisted:
            self.private_copy(root, self.state.roots[root], L.loc)
        known = len(self.state.attrs)
        self.first_attributes(self.state, [dry_state], L, loop=True)
        read_first = len(self.state.attrs) > known
        if hoisted:
            # the loop starts from the copies, and its names stand for themselves
            # (the carried values), not for the copy made before it
            copies = {id(root): self.state.roots[root] for root in hoisted}
            for k, i in enumerate(L.inits):
                ref = self.ref_of(i)
                if ref is not None and not ref.path and id(ref.root) in copies:
                    inits[k] = copies[id(ref.root)]
                    self.state.cur.pop(L.args[k], None)
        if hoisted or read_first:
            keys = changed_entries(self.state, dry_state, inner)
        frame.loops.append((start, end))
        unshared = set()
        outer = self.state
        for _ in range(8):
            try:
                return self.carry(L, keys, inits, iter_, start, end, unshared)
            except _Diverged as d:  # try again with that entry carried on its own
                unshared.add(d.key)
                self.state = outer
                frame.loops[-1:] = [(start, end)]
        raise self.error(L, "cannot follow the names of the arrays of this loop",
                         "give each array one name in the loop")

    def carry(self, L, keys, inits, iter_, start, end, unshared):
        """The loop itself, carrying ``keys`` (state entries the body changes)."""
        frame = self.frame
        outer = self.state
        extra_args, extra_inits = [], []
        self.state = outer.copy()
        # the object of a carried name is carried by that name: its other names
        # (and its root) are that same value all along the loop
        by_root = {}
        for i, (a, init) in enumerate(zip(L.args, inits)):
            ref = self.refs.get(a)
            if ref is not None and not ref.path and ref.root.origin != "merged":
                by_root.setdefault(id(ref.root), (i, a, init))
        shared, own = [], []
        for key, hint in keys:
            kind, k = key
            root = k if kind == "roots" else self.refs[k].root if kind == "cur" and \
                k in self.refs and not self.refs[k].path else None
            found = by_root.get(id(root)) if root is not None else None
            if found is not None and found[2] is entry(outer, key) and key not in unshared:
                set_entry(self.state, key, found[1])
                shared.append((key, found[0]))
            else:
                own.append((key, hint))
        # an object is carried once, however many names it has (two variables
        # starting as one array would both see a write into either)
        keys, first_of = [], {}
        for key, hint in own:
            kind, k = key
            root = k if kind == "roots" else self.refs[k].root if kind == "cur" and \
                k in self.refs and not self.refs[k].path else None
            group = (id(root), id(entry(outer, key))) \
                if root is not None and key not in unshared else None
            if group in first_of:
                set_entry(self.state, key, first_of[group][1])
                shared.append((key, first_of[group][0]))
                continue
            arg = Value(hint, True)
            keys.append((key, hint))
            extra_args.append(arg)
            extra_inits.append(entry(outer, key))
            set_entry(self.state, key, arg)
            self.frame_of[arg] = None
            if group is not None:
                first_of[group] = (key, arg)
        for a in L.args:
            ref = self.refs.get(a)
            if ref is not None and ref.root.origin == "merged" and not ref.path:
                self.state.roots[ref.root] = a
        if isinstance(L, While):
            cond = self.block(L.cond)
            body = self.block(L.body)
        else:
            cond = None
            body = self.block(L.body)
        extra_yields = [entry(self.state, key) for key, _ in keys]
        for key, i in shared:
            if not isinstance(i, int):  # carried with another entry for the same object
                if entry(self.state, key) is not entry(self.state, i):
                    raise _Diverged(key)
                continue
            if entry(self.state, key) is not body.yields[i]:
                raise _Diverged(key)  # not that name's object all along: carried on its own
        for key, i in shared:
            if isinstance(i, int):
                set_entry(outer, key, L.results[i])
        brk = self.val(L.brk) if L.brk is not None else None
        inner = self.state
        frame.loops.pop()
        frame.current = end
        self.state = outer
        # an entry the loop already carries (the same init and yield) is that one
        same, after = {}, {}
        own_yields = list(body.yields)
        kept = []
        for j, (key, hint) in enumerate(keys):
            arg, init, y = extra_args[j], extra_inits[j], extra_yields[j]
            if y is arg:
                same[arg] = init
                after[key] = init
                continue
            for a, i0, y0, r in zip(L.args, inits, own_yields, L.results):
                if i0 is init and y0 is y:
                    same[arg] = a
                    after[key] = r
                    break
            else:
                kept.append(j)
        if same:
            substitute(body, same)
            if cond is not None:
                substitute(cond, same)
            brk = same.get(brk, brk)
        keys = [keys[j] for j in kept]
        extra_args = [extra_args[j] for j in kept]
        extra_inits = [extra_inits[j] for j in kept]
        body.yields += [same.get(extra_yields[j], extra_yields[j]) for j in kept]
        results = list(L.results) + [Value(h, True) for _, h in keys]
        for r in results[len(L.results):]:
            self.frame_of[r] = None
        for key, value in after.items():
            set_entry(self.state, key, value)
        for (key, _), r in zip(keys, results[len(L.results):]):
            set_entry(self.state, key, r)
        for key, other in shared:
            if not isinstance(other, int):
                set_entry(self.state, key, entry(self.state, other))
        for r, a in zip(L.results, L.args):
            ref = self.refs.get(a)
            if ref is not None:
                self.add(r, ref)
                if ref.root.origin == "merged" and not ref.path:
                    self.state.roots[ref.root] = r
        self.state.private = outer.private & inner.private
        self.state.join_cuts(outer, inner)
        for key in set(inner.attr_refs):
            if inner.attr_refs.get(key) is not outer.attr_refs.get(key):
                self.state.attr_refs[key] = None
        args = list(L.args) + extra_args
        all_inits = [self.run_time(i) for i in inits] + extra_inits
        body.yields[:len(L.args)] = [self.run_time(y) for y in body.yields[:len(L.args)]]
        if isinstance(L, For):
            new = For(iter_, L.item, args, all_inits, body, results, brk, L.loc)
        else:
            new = While(args, all_inits, cond, body, results, brk, L.loc)
        self.out.ops.append(new)
        if keys:
            self.changed = True

    def dry_body(self, L):
        """Walk the body for nothing, to see what it changes."""
        saved_out, saved_changed, saved_written = self.out, self.changed, set(self.written)
        sites = len(self.write_sites)
        for a in L.args:
            ref = self.refs.get(a)
            if ref is not None and ref.root.origin == "merged" and not ref.path:
                self.state.roots[ref.root] = a
        try:
            if isinstance(L, While):
                self.block(L.cond)
            self.block(L.body)
        finally:
            self.out = saved_out
            self.changed = saved_changed
        if isinstance(L, For):
            self.check_iterated_unchanged(L, self.write_sites[sites:])
        return self.written - saved_written  # the objects the body writes

    def check_iterated_unchanged(self, L, sites):
        """Python's ``for v in xs`` reads ``xs[i]`` when it gets there (and goes on
        over what is appended), s2sad's loop goes over ``xs`` as it was when the
        loop started: a write into ``xs`` in the loop is refused, but at the
        entry the loop is at (``xs[i] = ...`` with ``i`` from ``enumerate``, or
        through the loop's item), which both see alike."""
        iterated = {ref.root for ref in map(self.ref_of, self.iterated_live(L.iter))
                    if ref is not None}
        counter = self.enumerate_counter(L)
        for root, op, wref in sites:
            if root not in iterated or self.at_current_entry(L, op, wref, counter):
                continue
            name = root.hint
            if op.kind == "callmethod" and op.attrs["method"] in GROWING:
                hint = (f"loop with while over positions (i = 0, while i < len({name}): "
                        f"v = {name}[i] ... i += 1), or over a copy (for v in list({name})) "
                        "if the loop should not see the entries added")
            else:
                hint = (f"loop over positions and read the entry in the body (for i in "
                        f"range(len({name})): v = {name}[i]), or over a copy (for v in "
                        f"{name}.copy()) if the loop should not see the change")
            raise self.error(op, f"this changes '{name}' while a for loop goes over it: "
                                 "Python's loop sees the change in the entries it has not "
                                 "reached yet (and goes on over entries added), s2sad's goes "
                                 "over the entries as they were when the loop began", hint)

    def iterated_live(self, it):
        """The arrays and lists a loop over ``it`` reads as it goes: ``xs`` of
        ``xs``, ``enumerate(xs)``, ``zip(xs, ys)``, ``reversed(xs)`` (not of
        ``list(xs)``, a copy; a loop over a dict's items reads the version the
        loop carries already)."""
        made = self.defs.get(it) if isinstance(it, Value) else None
        if made is not None and made.kind == "call" and isinstance(made.args[0], Global) and \
                made.args[0].obj in (enumerate, zip, reversed, iter) and \
                not made.attrs.get("kw"):
            return [x for a in made.args[1:] for x in self.iterated_live(a)]
        return [it] if self.arrayness(it) in ("nd", "list", None) else []

    def enumerate_counter(self, L):
        """``i`` of ``for i, v in enumerate(xs)``, or None."""
        made = self.defs.get(L.iter) if isinstance(L.iter, Value) else None
        if made is None or made.kind != "call" or not isinstance(made.args[0], Global) or \
                made.args[0].obj is not enumerate or len(made.args) != 2:
            return None
        for reader in self.readers.get(L.item, ()):
            if isinstance(reader, Prim) and reader.kind == "unpack" and reader.results:
                return reader.results[0]
        return None

    def at_current_entry(self, L, op, ref, counter):
        """The write goes into the entry the loop is at."""
        if any(step.op.results and step.op.results[0] is L.item for step in ref.path):
            return True
        if counter is None:
            return False
        if not ref.path:
            index = op.attrs.get("index") if op.kind in ("setitem", "augsetitem") else None
            return index is not None and index[0] == "val" and op.args[index[1]] is counter
        first = ref.path[0].op
        return first.kind == "getitem" and len(first.args) == 2 and \
            first.args[1] in (counter, self.val(counter))

    def loop_refs_settled(self, L) -> bool:
        settled = True
        for a, y in zip(L.args, L.body.yields):
            ra, ry = self.refs.get(a), self.ref_of(y)
            if ra is None and ry is None:
                continue
            if ra is not None and ry is not None and ra.root is ry.root and ra.path == ry.path:
                continue
            if ra is not None and ra.root.origin == "merged" and not ra.path and ry is not None \
                    and (ry.root is ra.root or ry.root in ra.root.maybe or
                         ry.root.origin == "fresh"):
                ra.root.maybe.add(ry.root)
                continue
            if self.arrayness(a) == "scalar":
                continue
            root = self.merged_root(a.hint)
            if ra is not None:
                root.maybe.add(ra.root)
            if ry is not None:
                root.maybe.add(ry.root)
            self.refs.pop(a, None)
            self.add(a, Ref(root))  # its version in the loop is the argument itself
            settled = False
        return settled

    def item_ref(self, L: For):
        ref = self.ref_of(L.iter)
        self.refs.pop(L.item, None)
        if ref is None or self.arrayness(L.item) == "scalar":
            return
        step = Step(Prim("getitem", [L.iter, Const(0)], [L.item], {"index": ("val", 1)}),
                    "unknown")
        self.add(L.item, Ref(ref.root, ref.path + (step,)))


_OPERATOR_METHODS = {("binop", "+"): "__add__", ("binop", "-"): "__sub__",
                     ("binop", "*"): "__mul__", ("binop", "/"): "__truediv__",
                     ("binop", "//"): "__floordiv__", ("binop", "%"): "__mod__",
                     ("binop", "**"): "__pow__", ("binop", "@"): "__matmul__",
                     ("unary", "-"): "__neg__", ("unary", "+"): "__pos__"}
