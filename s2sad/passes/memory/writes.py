"""Writes into an object, written back along the views they went through,
and every other live name given its new version."""
from __future__ import annotations

import numpy as np

from ... import runtime
from ...errors import NonDifferentiableError
from ...ir.nodes import Block, Const, Global, If, Prim, Value, shift_index
from .model import Roots, differing, hint_copy, hint_of, plain, set_entry


class Writes:
    """The writing half of :class:`~s2sad.passes.memory.Memory`."""

    # -- writes --------------------------------------------------------------------
    def setitem(self, op, args):
        base, value, idx = args[0], args[1], args[2:]
        index = op.attrs["index"]
        if op.kind == "augsetitem":
            self.check_entry_in_place(op)
        if op.kind == "augsetitem" and (op.attrs["op"] not in ("+", "-") or
                                        self.arrayness(op.args[0]) in ("list", "dict")):
            # x[i] *= v is x[i] = x[i] * v (for a slice too: the view is written back);
            # xs[i] += v too: an array there changes in place, which the reverse
            # sweep must not see through the names it read it by
            self.changed = True
            got = self.emit("getitem", [base] + idx, hint_of(base), op.loc,
                            index=shift_index(index, -1)).result
            slot = self.slot_of(op) if self.arrayness(op.args[0]) == "list" else None
            if slot is not None and self.arrayness(self.slot_value(op, slot)) == "nd":
                # ``xs[i] *= v`` with an array there changes that array in place
                self.add(got, slot)
                rhs = value

                def scaled(b):
                    return self.emit("binop", [b, rhs], hint_of(got), op.loc,
                                     op=op.attrs["op"]).result

                self.write(op, got, scaled, result_is_object=False)
                changed = self.state.roots[slot.root]

                def put(b):  # the list holds the changed array, still at i
                    return self.emit("setitem", [b, changed] + idx, loc=op.loc,
                                     results=list(op.results), index=index).result

                self.write(op, op.args[0], put)
                return
            value = self.emit("binop", [got, value], hint_of(base), op.loc,
                              op=op.attrs["op"]).result
            kind, attrs = "setitem", {"index": index}
        else:
            kind, attrs = op.kind, dict(op.attrs)

        def make(b):
            return self.emit(kind, [b, value] + idx, loc=op.loc, results=list(op.results),
                             **attrs).result

        if self.arrayness(op.args[0]) in ("list", "dict"):
            self.replace_entry(op, index)
        self.write(op, op.args[0], make)
        ref = self.ref_of(op.args[0])
        vref = self.ref_of(op.args[1]) if kind == "setitem" else None
        # (an array written into copies the values: it holds no object)
        if ref is not None and vref is not None and self.arrayness(op.args[0]) != "nd" and (
                ref.path or self.arrayness(op.args[0]) == "dict"):
            # d[k] = a: d[k] is a (a value that may be a number is held when
            # something else may reach it: another name, or as a part of another)
            stored = self.arrayness(op.args[1])
            if stored in ("nd", "list", "dict", "object") or stored is None and (
                    vref.path or self.live(op.args[1])):
                self.hold(vref, op.args[1], ref.root)
            return
        if ref is not None and not ref.path and self.arrayness(op.args[0]) == "list":
            container = ref.root
            position = op.args[index[1]].value if index[0] == "val" and \
                isinstance(op.args[index[1]], Const) else None
            if not isinstance(position, int):
                self.forget_slots(container)
                if vref is not None:
                    self.hold(vref, op.args[1], container)
                return
            n = next((m for (c, _), (_, _, m) in self.state.slots.items() if c is container), None)
            self.state.slots.pop((container, position), None)
            if vref is not None and self.arrayness(op.args[1]) != "scalar":
                if n is None or position < 0:
                    self.hold(vref, op.args[1], container)
                else:
                    self.state.slots[(container, position)] = (vref, op.args[1], n)

    def check_entry_in_place(self, op):
        """``xs[i] *= v`` at a position not known changes an array held in ``xs``
        in place (when the entry is an array): refused where that array is
        read through another name."""
        ref = self.ref_of(op.args[0])
        if ref is None or self.arrayness(op.args[0]) not in ("list", "dict") or \
                self.slot_of(op) is not None:
            return
        self.check_entry_aliases(op, ref.root, hint_of(op.args[0]))

    def check_entry_aliases(self, op, container, name):
        """A write into an entry of ``container`` changes the object there, which
        other names, entries or containers may hold too (``xs = [a] * 3``,
        ``d["b"] = d["a"]``, ``lst[0] = lst[1] = a``): refused where s2sad
        cannot tell which of them see it."""
        shared = sorted((e for e in self.entries_of(container) if self.read_later(e)),
                        key=lambda e: (e.origin != "param", e.hint))
        if shared:
            raise self.error(op, f"'{name}[...]' may be an array that is also '{shared[0].hint}', "
                                 f"and s2sad cannot tell which entry of '{name}' this changes "
                                 "in place",
                             f"write into '{shared[0].hint}' by its own name, or store "
                             f"copies in '{name}'")
        in_slots = [s.root for (c, _), (s, _, _) in self.state.slots.items() if c is container]
        if container.aliasing or any(e.aliasing for e in container.maybe) or \
                len(set(in_slots)) < len(in_slots):
            raise self.error(op, f"entries of '{name}' may be one and the same object (stored "
                                 "in more than one place, or a list repeated with *), and "
                                 "s2sad cannot tell which entries a write into one changes",
                             f"store a copy in each place (.copy()), or build '{name}' "
                             "with a comprehension ([... for _ in range(n)])")

    def entries_of(self, root):
        """The objects that may be entries of the container ``root``, or of the
        containers whose entries it shares (``enumerate(xs)``, ``list(xs)``,
        ``zip(xs, ys)``, ``d.values()``, a loop over them), other than ``root``."""
        st = self.state
        found, todo = Roots(), [root]
        while todo:
            r = todo.pop()
            more = list(r.maybe) + [sref.root for (c, _), (sref, _, _) in st.slots.items()
                                    if c is r] + [o for o in st.roots if r in o.holders]
            for o in more:
                if o is not root and o not in found:
                    found.add(o)
                    todo.append(o)
        return found

    def read_later(self, root):
        """A live name or an attribute holds the object."""
        return any(self.refs.get(m) is mref and self.live(m) for m, mref in root.members) or \
            any(r is not None and r.root is root for r in self.state.attr_refs.values())

    def check_unplaced(self, op, ref, base):
        """A write through a part of an object that s2sad cannot place (a loop
        item, a view no inverse is known for) is refused where anything sees
        the object or an object it may be part of."""
        unplaced = next((s.op for s in ref.path if s.kind == "unknown"), None)
        root = ref.root
        if unplaced is None or not (
                self.observed(root, op, base) or self.viewed_later(root, ref, op) or
                any(self.read_later(e) for e in self.entries_of(root))):
            return
        if unplaced.kind in ("call", "getattr", "callmethod"):
            raise self.error(op, f"'{hint_of(base)}' is a view of '{root.hint}' made by "
                                 f"{made_by(unplaced)}, which s2sad cannot follow, so a "
                                 f"write into it cannot reach '{root.hint}'",
                             f"write into '{root.hint}' itself ({root.hint}[a:b] = ...), "
                             f"or copy '{hint_of(base)}' first if '{root.hint}' should "
                             "not change")
        shared = sorted((e for e in self.entries_of(root) if self.read_later(e)),
                        key=lambda e: (e.origin != "param", e.hint))
        whole = shared[0].hint if shared else root.hint
        raise self.error(op, f"'{hint_of(base)}' is a part of '{whole}' that s2sad "
                             "cannot place (a loop item, or an entry at a position "
                             f"not known), so a write into it cannot reach '{whole}'",
                         f"loop over positions and write {whole}[i], or copy "
                         f"'{hint_of(base)}' first if '{whole}' should not change")

    def slot_value(self, op, slot):
        for (container, _), (sref, value, _) in self.state.slots.items():
            if sref is slot and container is self.ref_of(op.args[0]).root:
                return value
        return None

    def replace_entry(self, op, index):
        """``c[k] = w`` on a list or dict puts another object at ``k``: what was read
        from there before (``v = c[k]``) keeps the old one, and no later write into
        ``c`` changes it.  ``c[k] += w`` changes the entry itself when it is an
        array or a list, and replaces it when it is a number."""
        ref = self.ref_of(op.args[0])
        if ref is None:
            return
        n = len(ref.path)
        key = op.args[index[1]] if index[0] == "val" else None
        for m, mref in ref.root.members:
            if self.refs.get(m) is not mref or len(mref.path) <= n or \
                    mref.path[:n] != ref.path or not self.live(m):
                continue
            step = mref.path[n]
            if step.op.kind != "getitem" or plain(step.kind) != "index":
                continue
            own = step.op.args[1] if len(step.op.args) == 2 else None
            if isinstance(key, Const) and isinstance(own, Const) and key.value != own.value:
                continue  # another entry: still the same object
            if op.kind == "augsetitem":
                entry = self.arrayness(step.op.results[0])
                if entry in ("nd", "list"):
                    continue  # changed in place: every name of it sees the change
                raise self.error(op, f"'{hint_of(m)}' was read from '{hint_of(op.args[0])}' "
                                     "before this write, and s2sad cannot tell whether the "
                                     "entry is changed in place (an array) or replaced "
                                     "(a number)",
                                 f"write '{hint_of(op.args[0])}[...] = "
                                 f"{hint_of(op.args[0])}[...] {op.attrs['op']} ...' instead")
            self.state.cut = self.state.cut | {step}

    def inplace(self, op, args):
        base = op.args[0]
        a = self.arrayness(base)
        ref = self.ref_of(base)
        if a == "scalar" or ref is None:
            self.out.ops.append(Prim(op.kind, args, list(op.results), dict(op.attrs), op.loc))
            return
        if a is None:
            # an array (then ``+=`` writes into it, and every name and view of it
            # sees that) or a number (then it rebinds the name): asked at run time
            attrs = {k: v for k, v in op.attrs.items() if k != "inplace"}
            self.out.ops.append(Prim(op.kind, args, list(op.results), attrs, op.loc))
            self.add(op.results[0], ref)
            if self.observed(ref.root, op, base):
                self.when_array(args[0], lambda: self.commit(op, ref, base, op.results[0]),
                                op.loc)
            return

        def make(b):
            return self.emit(op.kind, [b, args[1]], loc=op.loc, results=list(op.results),
                             **op.attrs).result

        self.write(op, base, make)

    def when_array(self, probe, then, loc):
        """Run ``then`` only when ``probe`` is an array at run time."""
        cond = self.emit("call", [Global("isinstance", isinstance), probe,
                                  Global("np.ndarray", np.ndarray, np)], "is_array", loc).result
        self.when(cond, then, loc)

    def probe(self, step):
        """Whether the view step made a view, tested where it was made."""
        if step.probe is None:
            child, parent = step.op.results[0], step.op.args[step.at]
            if step.kind == "same?":  # np.asarray(x): x itself, or a new array
                test = Prim("compare", [child, parent], [Value("same")], {"op": "is"},
                            step.op.loc)
            else:
                entry = [Const(True)] if step.kind == "index?" else []
                test = Prim("call", [Global("is_view", runtime.is_view), child, parent] + entry,
                            [Value("is_view")], {}, step.op.loc)
            ops = step.block.ops
            at = next((i for i, o in enumerate(ops) if o is step.anchor), len(ops) - 1)
            ops.insert(at + 1, test)
            step.probe = test.results[0]
        return step.probe

    def path_probe(self, path, loc):
        """One bool: every view step of ``path`` that may be a copy made a view."""
        cond = None
        for step in path:
            if step.kind.endswith("?"):
                p = self.probe(step)
                cond = p if cond is None else self.emit("binop", [cond, p], "views", loc,
                                                        op="and").result
        return cond

    def when(self, cond, then, loc):
        """Run ``then`` (which changes the state) only when ``cond`` holds at run
        time: an ``If`` whose results are the state it changed."""
        self.changed = True
        if cond is None:
            then()
            return
        before, saved_out = self.state, self.out
        self.state = before.copy()
        self.out = Block()
        then()
        then_block, then_state = self.out, self.state
        self.out, self.state = saved_out, before
        extra, same = differing(before, then_state, before, [False, False],
                                 self.local_to(self.frame.current + 1))
        for key, value in same:
            set_entry(self.state, key, value)
        results = []
        orelse = Block()
        self.add_results(extra, results, then_block, orelse)
        self.state.private = before.private
        self.out.ops.append(If(cond, then_block, orelse, results, loc))

    def add_results(self, extra, results, then, orelse):
        """The state entries an ``If`` changes become its results: one per pair
        of yields (two names of one array are one result, so that a write into
        one is seen through the other)."""
        pairs = {(id(a), id(b)): r for r, a, b in zip(results, then.yields, orelse.yields)}
        for key, hint, a, b in extra:
            r = pairs.get((id(a), id(b)))
            if r is None:
                r = Value(hint, True)
                results.append(r)
                then.yields.append(a)
                orelse.yields.append(b)
                pairs[(id(a), id(b))] = r
                self.frame_of[r] = None
            set_entry(self.state, key, r)

    def write(self, op, base, make, result_is_object=True):
        """Write into the object ``base`` (an original operand) is: ``make(b)``
        emits the write into its current version ``b`` (or a copy of it) and
        returns the new version."""
        ref = self.ref_of(base)
        if ref is None:
            return make(self.val(base))
        root = ref.root
        if root.origin == "global":
            raise self.error(op, f"'{root.hint}' is a global; s2sad does not write into module "
                                 "state from derivative code",
                             f"copy it first ({root.hint}.copy()) and write into the copy")
        if root.origin == "object":
            raise self.error(op, f"cannot write into the object '{hint_of(base)}' this way",
                             "set its attributes instead")
        b = self.val(base)
        if ref.path:
            b = self.copy_of(b, op.loc)  # a view: write into a copy, then write it back
        elif root.origin == "param" and root not in self.state.private:
            b = self.private_copy(root, b, op.loc)

        new_child = make(b)
        if result_is_object and op.results:
            self.add(op.results[0], ref)
        self.commit(op, ref, base, new_child)
        return new_child

    def commit(self, op, ref, base, new_child):
        """The object of ``ref`` now has ``new_child`` where ``ref`` points: give its
        root and every live name of it their new versions."""
        root = ref.root
        self.written.add(root)
        self.write_sites.append((root, op, ref))
        readonly = next((s.op for s in ref.path if plain(s.kind) == "readonly"), None)
        if readonly is not None:
            raise self.error(op, f"'{hint_of(base)}' is a read-only view (made by "
                                 f"{made_by(readonly)}): NumPy refuses to write into it",
                             "copy it first (.copy()) and write into the copy")
        if ref.path and ref.path[0].op.kind == "getitem" and \
                self.arrayness(ref.path[0].op.args[0]) in ("list", "dict"):
            self.check_entry_aliases(op, root, root.hint)
        self.check_unplaced(op, ref, base)
        self.check_write(op, ref, base)
        old_root = self.state.roots.get(root)
        self.commit_into(op, ref, base, new_child, old_root)

    def maybe_same(self, root):
        """The objects ``root`` may be, or that may be it, by the path taken (a
        name that is one of two arrays, another that is one of them or a third
        one: the two may be one object)."""
        out = Roots()
        out.update(root.maybe)
        mine = _candidates(root)
        for m in self.merged:
            if m is not root and (root in m.maybe or any(c in mine for c in _candidates(m))):
                out.add(m)
        out.update(c for c in mine if c is not root)
        return list(out)

    def follow_candidates(self, root, old_root, loc):
        """An array that is one of several by the path taken was written: each
        other one that still has readers follows when it is the same object,
        which the generated code asks (``is``)."""
        new_root = self.state.roots.get(root)
        if old_root is None or new_root is None:
            return
        for other in self.maybe_same(root):
            other_old = self.state.roots.get(other)
            if other is root or other_old is None or other_old is old_root or \
                    not self.seen(other):
                continue
            same = self.emit("compare", [old_root, other_old], "same", loc, op="is").result

            def follow(other=other):
                self.update(other, new_root, {})

            self.when(same, follow, loc)

    def commit_into(self, op, ref, base, new_child, old_root):
        root = ref.root
        for m, mref in root.members:  # its own names (a.sort() rebinds none) see it
            if mref is ref and self.live(m) and self.refs.get(m) is mref and \
                    self.state.cur.get(m, m) is not new_child:
                self.state.cur[m] = new_child
                self.changed = True
        if ref.path:
            if not self.observed(root, op, base) and not self.viewed_later(root, ref, op):
                return  # nothing else sees the object: nothing to write back
            if root.origin == "param" and root not in self.state.private:
                self.private_copy(root, self.state.roots[root], op.loc)
            if root not in self.state.roots:
                raise self.error(op, f"cannot tell which array '{hint_of(base)}' is here",
                                 hint_copy(base))
            self.changed = True
            if not ref.exact:
                def back():  # a view or a copy: asked at run time
                    self.update(root, self.write_back(ref, new_child, op.loc),
                                {ref.path: new_child})
                    self.follow_candidates(root, old_root, op.loc)

                self.when(self.path_probe(ref.path, op.loc), back, op.loc)
                return
            new_root = self.write_back(ref, new_child, op.loc)
        else:
            new_root = new_child
        self.update(root, new_root, {ref.path: new_child})
        self.follow_candidates(root, old_root, op.loc)

    def private_copy(self, root, b, loc):
        """An argument's first write goes into a copy: the caller's object stays."""
        copy = self.copy_of(b, loc, keep_layout=self.arrayness(b) == "nd")
        self.state.private.add(root)
        self.update(root, copy, {})
        return copy

    def observed(self, root, op, base):
        """Something else sees the object: another live name, an attribute, a
        container, or (for a container) a name of an object it may hold."""
        return self.others_live(root, op, base) or any(
            self.read_later(e) for e in self.entries_of(root)) or any(
            r.root is root for r in self.state.attr_refs.values() if r is not None) or any(
            r.root is root for r, _, _ in self.state.slots.values())

    def others_live(self, root, op, base):
        skip = {base} | set(op.results)
        return any(m not in skip and self.refs.get(m) is mref and self.live(m)
                   for m, mref in root.members)

    def check_write(self, op, ref, base):
        root = ref.root
        skip = {base} | set(op.results)
        for m, mref in root.members:
            if m in skip or self.refs.get(m) is not mref or not self.live(m):
                continue
            if mref is ref:
                continue
            if any(st.kind == "unknown" for st in mref.path):
                raise self.error(op, f"cannot tell whether '{m.hint}' is a view of "
                                     f"'{root.hint}' (then this write changes it) or a copy",
                                 hint_copy(m))
        if all(s.kind != "unknown" for s in ref.path):
            return self.check_holders(op, root, base)  # the other candidates: at run time
        for other in self.maybe_same(root):
            if any(self.refs.get(m) is mref and self.live(m) for m, mref in other.members):
                raise self.error(op, f"'{hint_of(base)}' may or may not be the same array as "
                                     f"'{other.hint}' here (it depends on the path taken)",
                                 "copy it where it is assigned (.copy()) so that each name has "
                                 "an array of its own")
        self.check_holders(op, root, base)

    def check_holders(self, op, root, base):
        for holder in root.holders:
            if any(self.refs.get(m) is mref and self.live(m) for m, mref in holder.members):
                raise self.error(op, f"'{hint_of(base)}' is also held in a list, tuple or dict "
                                     f"('{holder.hint}') that is read later",
                                 "write through the container, or store a copy in it")

    def write_back(self, ref, new_child, loc):
        """The root's new version after its view ``ref`` became ``new_child``."""
        root = ref.root
        parents = [self.state.roots[root]]
        for step in ref.path[:-1]:
            parents.append(self.derive_step(step, parents[-1], loc))
        new = new_child
        for depth in range(len(ref.path) - 1, -1, -1):
            parent = parents[depth]
            if depth and plain(ref.path[depth].kind) == "index":
                # a view made here to write into: a copy, so that what still
                # reads the old values (the reverse sweep) keeps them
                parent = self.copy_of(parent, loc)
            new = self.put_back(ref.path[depth], parent, new, loc)
        return new

    def viewed_later(self, root, ref, op) -> bool:
        """Whether a live name of the view ``ref`` (just written into) may be
        read into a view of it (``w = v[1:]``) or passed on: a write through
        that one is written back through the root, which must then have this
        write too.  Arithmetic and entries read (numbers) make no views."""
        n = len(ref.path)
        for m, mref in list(root.members):
            if self.refs.get(m) is not mref or mref.path[:n] != ref.path or \
                    not (self.live(m) or m in op.results):  # (the write's own: defined now)
                continue
            for reader in self.readers.get(m, ()):
                if reader is op:
                    continue
                if not isinstance(reader, Prim):
                    return True
                k = reader.kind
                if k in ("binop", "unary", "compare") and not reader.attrs.get("inplace"):
                    continue
                if k == "getitem" and reader.results and \
                        all(self.arrayness(r) == "scalar" for r in reader.results):
                    continue
                if k == "callmethod" and reader.attrs.get("method") in _NOT_VIEWS and \
                        reader.args and reader.args[0] is m:
                    continue
                return True
        return False

    def put_back(self, step, parent, new, loc):
        s = step.op
        hint = hint_of(parent)
        kind = plain(step.kind)
        if kind == "index":
            return self.emit("setitem", [parent, new] + s.args[1:], hint, loc,
                             index=shift_index(s.attrs["index"], 1)).result
        if kind == "transpose" and len(s.args) > step.at + 1:  # np.transpose(x, axes)
            ndim = self.emit("getattr", [new], "ndim", loc, attr="ndim").result
            axes = self.emit("call", [Global("inverse_permutation", runtime.inverse_permutation),
                                      s.args[2], ndim], "axes", loc).result
            back = self.emit("call", [s.args[0], new, axes], hint, loc).result
        elif kind == "transpose":
            back = self.emit("getattr", [new], hint, loc, attr="T").result
        elif kind == "swap":  # x.swapaxes(i, j) or np.swapaxes(x, i, j): its own inverse
            back = self.emit("callmethod", [new] + s.args[step.at + 1:], hint, loc,
                             method="swapaxes").result
        elif kind == "flip":  # np.flip, np.fliplr, np.flipud: their own inverses
            back = self.emit("call", [s.args[0], new] + s.args[2:], hint, loc, **s.attrs).result
        elif kind == "rot90":  # np.rot90(x, k, axes) is undone by a turn of 3 * k
            k = s.args[2] if len(s.args) > 2 else Const(1)
            turn = self.emit("binop", [Const(3), k], "k", loc, op="*").result
            back = self.emit("call", [s.args[0], new, turn] + s.args[3:], hint, loc).result
        elif kind == "moveaxis":  # np.moveaxis(x, a, b) is undone by np.moveaxis(., b, a)
            back = self.emit("call", [s.args[0], new, s.args[3], s.args[2]], hint, loc).result
        elif kind in ("reshape", "always"):
            shape = self.emit("getattr", [parent], "shape", loc, attr="shape").result
            back = self.emit("call", [Global("np.reshape", np.reshape, np), new, shape], hint,
                             loc).result
        else:
            return new  # same
        # written into a copy of the parent: the object keeps its memory order (a
        # reshape of it later is a view exactly when Python's would be)
        copy = self.copy_of(parent, loc, keep_layout=True)
        return self.emit("setitem", [copy, back, Const(Ellipsis)], hint, loc,
                         index=("val", 2)).result

    def derive_step(self, step, parent, loc):
        s = step.op
        if step.kind == "same":
            return parent  # np.asarray(x) is x
        hint = s.results[0].hint if s.results else "t"
        args = list(s.args)
        args[step.at] = parent  # np.reshape(x, ...): x is the call's first argument
        return self.emit(s.kind, args, hint, loc, **s.attrs).result

    def update(self, root, new_root, known):
        """Give every live name of ``root`` its version from the root's new one."""
        st = self.state
        st.roots[root] = new_root
        cache = {(): new_root}
        cache.update(known)

        def derive(path, cache=cache):
            if path not in cache:
                cache[path] = self.derive_step(path[-1], derive(path[:-1], cache), None)
            return cache[path]

        for m, mref in list(root.members):
            if self.refs.get(m) is not mref or not self.live(m):
                continue
            if any(s.kind == "unknown" for s in mref.path):
                continue  # check_write refused a write that would change it
            if self.read_through_replaced(m, mref):
                continue
            if mref.path in cache or mref.exact:
                new = derive(mref.path)
                if st.cur.get(m, m) is not new:
                    st.cur[m] = new
                    self.changed = True
                continue
            # m = x[i] is a view of x when it is an array, else a number (and
            # x.reshape(...) a view or a copy): asked at run time
            def rederive(m=m, mref=mref):
                self.state.cur[m] = derive(mref.path, dict(cache))

            self.when(self.path_probe(mref.path, None), rederive, None)
        for key, aref in list(st.attr_refs.items()):
            if aref is not None and aref.root is root and aref.exact:
                st.attrs[key] = derive(aref.path)
        # the lists and tuples that hold it, at known positions, hold its new version
        for (container, pos), (sref, value, n) in list(st.slots.items()):
            if sref.root is not root or container is root or not self.seen(container) or \
                    any(s.kind == "unknown" for s in sref.path):
                continue
            if sref.exact or sref.path in cache:
                self.replace_slot(container, pos, n, derive(sref.path))
                continue

            def reslot(container=container, pos=pos, n=n, sref=sref):
                self.replace_slot(container, pos, n, derive(sref.path, dict(cache)))

            self.when(self.path_probe(sref.path, None), reslot, None)

    def read_through_replaced(self, m, mref) -> bool:
        """``m`` was read from a container entry that was replaced since."""
        st = self.state
        if any(step in st.unsure for step in mref.path):
            raise NonDifferentiableError(
                f"'{hint_of(m)}' was read from a list or dict entry that is replaced on "
                "some paths only, and the container is written again",
                hint=f"copy '{hint_of(m)}' where it is read, or write the entry on every path")
        return any(step in st.cut for step in mref.path)

    def replace_slot(self, container, pos, n, elem):
        current = self.state.roots.get(container)
        if current is None:
            return
        self.changed = True
        hint = hint_of(current)
        if self.arrayness(current) == "tuple":
            items = [elem if j == pos else self.emit("getitem", [current, Const(j)], "t",
                                                     None, index=("val", 1)).result
                     for j in range(n)]
            new = self.emit("build", items, hint, None, type="tuple").result
        else:
            copy = self.copy_of(current, None)
            new = self.emit("setitem", [copy, elem, Const(pos)], hint, None,
                            index=("val", 2)).result
        self.update(container, new, {})


# methods whose result shares no memory with the array
_NOT_VIEWS = {"sum", "mean", "prod", "max", "min", "any", "all", "std", "var", "item", "tolist",
              "copy", "argmax", "argmin", "cumsum", "cumprod", "dot", "astype"}


def made_by(op):
    """How the user wrote the call that made a view: ``np.split``, ``.diagonal``."""
    if op.kind == "call" and isinstance(op.args[0], Global):
        return op.args[0].name
    if op.kind == "getattr":
        return "." + op.attrs["attr"]
    return "." + op.attrs["method"] if op.kind == "callmethod" else "a call"


def _candidates(root) -> Roots:
    """The objects a root may be: itself, or those a merged one may be, through
    merged roots of merged roots."""
    out, todo = Roots(), [root]
    while todo:
        r = todo.pop()
        if r in out:
            continue
        out.add(r)
        todo.extend(r.maybe)
    return out
