"""Names, views and kinds: which object each value is, and where in it."""
from __future__ import annotations

import types
from typing import Optional

import numpy as np

from ... import runtime
from ...errors import NonDifferentiableError, at_location
from ...ir.kinds import infer_kinds, kind_of_object
from ...ir.nodes import Const, Global, If, Prim, UNDEF, Value
from .model import (ARITHMETIC, ARRAY_METHODS, CONTIGUOUS_MAKERS, Frame, PENDING, Ref, Root, Step,
                    VIEW_FUNCS, VIEW_METHODS, arrayness_of_kind, basic_view,
                    has_slice, is_unhashable)


class Values:
    """The naming half of :class:`~s2sad.passes.memory.Memory`."""

    def local_to(self, start, inner=frozenset()):
        """Which values belong to a region starting at position ``start`` of the
        current function: defined there or later, or by a function inlined
        and finished since."""
        active = {id(f) for f in self.frames}
        frame = self.frame

        def local(v):
            if v in inner:
                return True
            fr = self.frame_of.get(v)
            if fr is None:
                return False
            if id(fr) not in active:
                return True
            return fr is frame and fr.defpos.get(v, -1) >= start

        return local

    # -- errors --------------------------------------------------------------
    def error(self, op, message, hint=None):
        return at_location(NonDifferentiableError, message, op.loc if op is not None else None,
                           hint)

    def enter(self, fn, param_kinds):
        frame = Frame(fn)
        for p in fn.params:
            self.frame_of[p.value] = frame
        for op in fn.walk():
            for r in list(op.results) + list(op.defined_here()):
                self.frame_of[r] = frame
            for a in op.operands():
                if isinstance(a, Value):
                    self.readers.setdefault(a, []).append(op)
            if isinstance(op, Prim):
                for r in op.results:
                    self.defs[r] = op
            elif isinstance(op, If):
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    self.sources[r] = (y1, y2)
            else:
                for a, i, y, r in zip(op.args, op.inits, op.body.yields, op.results):
                    self.sources[a] = self.sources[r] = (i, y)
        try:
            self.kinds.update(infer_kinds(fn, param_kinds, self.lower))
        except Exception:  # kinds are hints here
            pass
        self.frame = frame
        self.frames.append(frame)
        return frame

    def param_root(self, v):
        a = self.arrayness(v)
        if a == "scalar":
            return
        if a == "object":
            root = Root("object", v.hint, cls=self.kinds.get(v)[1], obj=v)
        else:
            root = Root("param", v.hint)
        self.add(v, Ref(root))
        self.state.roots[root] = v

    # -- values and refs ----------------------------------------------------------
    def val(self, a):
        if isinstance(a, Value):
            return self.state.cur.get(a, a)
        return a

    def add(self, v, ref):
        if self.refs.get(v) is ref:
            return
        self.refs[v] = ref
        ref.root.members.append((v, ref))

    def ref_of(self, a) -> Optional[Ref]:
        if isinstance(a, Value):
            return self.refs.get(a)
        obj = a.obj if isinstance(a, Global) else a.value if isinstance(a, Const) else None
        if isinstance(obj, (np.ndarray, list, dict)) or (
                obj is not None and hasattr(obj, "__dict__") and
                not isinstance(obj, (types.ModuleType, types.FunctionType, type))):
            root = self.global_roots.get(id(obj))
            if root is None:
                root = self.global_roots[id(obj)] = Root("global", getattr(a, "name", "constant"))
                self.state.roots[root] = a
            return Ref(root)
        return None

    def live(self, v) -> bool:
        frame = self.frame_of.get(v)
        return frame is not None and frame.live(v)

    def arrayness(self, a):
        """nd, scalar, list, tuple, dict, object or None (not known)."""
        if not isinstance(a, Value):
            obj = a.obj if isinstance(a, Global) else a.value if isinstance(a, Const) else None
            if a is UNDEF:
                return None
            return arrayness_of_kind(kind_of_object(obj))
        if a in self.arrayness_memo:
            got = self.arrayness_memo[a]
            return None if got is PENDING else got
        self.arrayness_memo[a] = PENDING
        got = arrayness_of_kind(self.kinds.get(a))
        op = self.defs.get(a)
        if got is None and op is not None:
            got = self.arrayness_of_op(op)
        if got is None and a in self.sources and a not in self.unsettled:
            # a loop's carried value or an If's result: what all its sources are.
            # Around a loop, assume what it starts as, and check the assumption.
            sources = [src for src in self.sources[a] if src is not UNDEF]
            if sources:
                guess = self.arrayness(sources[0])
                self.arrayness_memo[a] = guess
                if guess is not None and all(self.arrayness(src) == guess for src in sources[1:]):
                    return guess
                if guess is not None:  # wrong: forget what was worked out from it
                    self.unsettled.add(a)
                    self.arrayness_memo.clear()
                    return self.arrayness(a)
        self.arrayness_memo[a] = got
        return got

    def arrayness_of_op(self, op):
        k, args = op.kind, op.args
        if k == "copy" or k in ("setitem", "augsetitem") or op.attrs.get("inplace") or \
                op.attrs.get("mutates"):
            return self.arrayness(args[0])
        if k == "binop":
            if op.attrs["op"] in ARITHMETIC and any(self.arrayness(x) == "nd" for x in args):
                return "nd"
            if op.attrs["op"] == "+" and all(self.arrayness(x) == "list" for x in args):
                return "list"
            if op.attrs["op"] == "*" and any(self.arrayness(x) == "list" for x in args):
                return "list"  # [a] * 3
            return None
        if k == "getitem":
            base = self.arrayness(args[0])
            if base == "nd":
                return "nd" if basic_view(op, self) in ("view", "copy") else None
            if base in ("list", "tuple") and has_slice(op.attrs["index"]):
                return base
            return None
        if k == "getattr" and op.attrs["attr"] in ("T", "real", "imag", "mT"):
            return self.arrayness(args[0])
        if k == "callmethod":
            base = self.arrayness(args[0])
            m = op.attrs["method"]
            if base == "nd" and m in ARRAY_METHODS:
                return "nd"
            if base in ("list", "dict") and m == "copy":
                return base
            return None
        if k == "call" and isinstance(args[0], Global):
            f = args[0].obj
            if f in (list, sorted):
                return "list"
            if f is dict:
                return "dict"
            if f is tuple:
                return "tuple"
            if f in CONTIGUOUS_MAKERS or f in VIEW_FUNCS or f in (
                    np.stack, np.concatenate, np.vstack, np.hstack, np.outer, np.diag,
                    np.tile, np.sort, np.cumsum, np.where, np.kron, runtime.put, runtime.add_at):
                if VIEW_FUNCS.get(f) == "parts":
                    return "list"
                return "nd" if f not in (np.asarray, np.asanyarray, np.array, np.real) or \
                    self.arrayness(args[1]) in ("nd", "list") else None
            if isinstance(f, np.ufunc) and any(self.arrayness(x) == "nd" for x in args[1:]):
                return "nd"
            return None
        if k == "build":
            t = op.attrs["type"]
            return t if t in ("list", "tuple", "dict") else None
        return None

    def fresh(self, v, contiguous=False):
        if self.arrayness(v) == "scalar":
            return
        root = Root("fresh", v.hint, contiguous)
        self.add(v, Ref(root))
        self.state.roots[root] = v

    def alias(self, v, src):
        ref = self.ref_of(src)
        if ref is not None and self.arrayness(v) != "scalar":
            self.add(v, ref)

    def child(self, v, src, new_op, kind):
        """``v`` is ``src`` seen through the view step ``new_op``."""
        ref = self.ref_of(src)
        if ref is None:
            self.fresh(v)
            return
        if kind == "reshape" and not (ref.root.contiguous and not ref.path):
            kind = "reshape?"  # a copy when the base is not contiguous: asked at run time
        if kind == "same" and not ref.path:
            self.add(v, ref)
            return
        self.add(v, Ref(ref.root, ref.path + (Step(new_op, kind, self.out),)))

    # -- emitting ----------------------------------------------------------------
    def emit(self, kind, args, hint="t", loc=None, results=None, **attrs):
        results = results if results is not None else [Value(hint)]
        op = Prim(kind, list(args), results, attrs, loc)
        self.out.ops.append(op)
        return op

    def copy_of(self, b, loc, keep_layout=False):
        """A copy of ``b``; ``keep_layout``: in the same memory order (an array
        in Fortran order stays so), for copies that stand for the object."""
        hint = b.hint if isinstance(b, Value) else "t"
        self.changed = True
        if keep_layout and self.arrayness(b) != "list":
            return self.emit("callmethod", [b, Const("K")], hint, loc, method="copy",
                             kw=("order",)).result
        return self.emit("callmethod", [b], hint, loc, method="copy").result

    def define(self, op, new):
        """The refs of a copied op's results."""
        k = op.kind
        if not op.results:
            return
        r = op.results[0]
        if k == "copy":
            self.alias(r, op.args[0])
        elif k == "getitem":
            base_kind = self.arrayness(op.args[0])
            if base_kind == "nd":
                how = basic_view(op, self)
                if how == "view":
                    self.child(r, op.args[0], new, "index")
                elif how == "maybe":
                    if self.arrayness(r) == "scalar":
                        return
                    self.child(r, op.args[0], new, "index" if self.arrayness(r) == "nd"
                               else "index?")
                else:
                    self.fresh(r)
            elif base_kind in ("list", "tuple", "dict"):
                slot = self.slot_of(op)
                if slot is not None:
                    self.add(r, slot)
                    return
                if has_slice(op.attrs["index"]):
                    self.fresh(r)
                    ref = self.ref_of(op.args[0])
                    if ref is not None:
                        self.refs[r].root.maybe.add(ref.root)  # the entries are shared
                    return
                if self.arrayness(r) == "scalar":
                    return
                ref = self.ref_of(op.args[0])
                # an entry that may be any of the objects the container holds: a
                # write through it reaches the container at its position, which
                # is exact where nothing else sees those objects
                index = op.attrs["index"]
                known = index[0] == "val" and isinstance(op.args[index[1]], Const)
                if ref is not None and not known and not ref.path:
                    self.forget_slots(ref.root)  # which entry it reads is not known
                shared = ref is not None and ref.root.origin == "fresh" and (
                    ref.root.maybe or not known and (ref.root.aliasing or any(
                        self.read_later(e) or e.aliasing for e in self.entries_of(ref.root))))
                kind = "index" if base_kind != "tuple" and not shared else "unknown"
                self.child(r, op.args[0], new, kind)
            elif self.ref_of(op.args[0]) is not None and self.arrayness(r) != "scalar":
                self.child(r, op.args[0], new, "index?")
            else:
                self.fresh(r)
        elif k == "getattr":
            attr = op.attrs["attr"]
            if attr in ("T", "mT") and self.arrayness(op.args[0]) == "nd":
                self.child(r, op.args[0], new, "transpose")
            elif attr in ("T", "mT") and self.arrayness(op.args[0]) is None:
                self.child(r, op.args[0], new, "transpose?")
            elif attr == "real" and self.arrayness(op.args[0]) == "nd":
                self.child(r, op.args[0], new, self.real_part(op.args[0]))
            elif self.arrayness(r) != "scalar" and self.ref_of(op.args[0]) is not None:
                self.child(r, op.args[0], new, "unknown")
        elif k == "callmethod":
            m = op.attrs["method"]
            if self.arrayness(op.args[0]) in ("nd", None) and m in VIEW_METHODS and \
                    (not op.attrs.get("kw") or VIEW_METHODS[m] == "readonly") and \
                    (m not in ("transpose", "view") or len(op.args) == 1):
                # of a value whose kind is not known: a view if it is an array
                self.child(r, op.args[0], new, VIEW_METHODS[m] +
                           ("" if self.arrayness(op.args[0]) == "nd" else "?"))
            elif self.arrayness(op.args[0]) in ("nd", None) and m in VIEW_METHODS and \
                    self.ref_of(op.args[0]) is not None:
                # y.transpose(1, 0), y.reshape(3, 2, order="F"): a view s2sad cannot place
                self.child(r, op.args[0], new, "unknown")
            else:
                self.fresh(r, m == "copy" and self.arrayness(op.args[0]) == "nd")
                if m in SHARING_METHODS and self.arrayness(op.args[0]) in ("list", "dict", None):
                    self.share_entries(r, op.args[:1])
        elif k == "call" and isinstance(op.args[0], Global):
            f = op.args[0].obj
            kind = view_call_kind(op, f) if not is_unhashable(f) and len(op.args) > 1 else None
            if kind is not None and f is np.real:
                kind = self.real_part(op.args[1])
            if kind is not None and self.arrayness(op.args[1]) == "nd":
                self.child(r, op.args[1], new, kind)
            elif kind is not None and self.arrayness(op.args[1]) is None and \
                    self.ref_of(op.args[1]) is not None:
                # a view of an array, or a new one
                self.child(r, op.args[1], new, kind if kind.endswith("?") or
                           kind == "unknown" else kind + "?")
            else:
                self.fresh(r, not is_unhashable(f) and f in CONTIGUOUS_MAKERS)
                if not is_unhashable(f) and f in SHARING_CALLS:
                    self.share_entries(r, op.args[1:])
        elif k == "binop" and op.attrs["op"] in ("*", "+") and \
                any(self.arrayness(a) == "list" for a in op.args):
            self.joined_lists(r, op)
        elif k == "unpack":
            self.unpacked(op, new)
        elif k == "build":
            self.fresh(r)
            container = self.refs[r].root
            exact = op.attrs["type"] in ("list", "tuple") and not op.attrs.get("star")
            for i, a in enumerate(op.args):
                ref = self.ref_of(a)
                if ref is None or self.arrayness(a) == "scalar":
                    continue
                if exact:
                    self.state.slots[(container, i)] = (ref, a, len(op.args))
                else:
                    self.hold(ref, a, container, part=i)
        else:
            for v in op.results:
                self.fresh(v)

    def real_part(self, a):
        """The view step of ``a.real``: ``a`` itself when it is a real array; of
        a complex array (or one s2sad cannot tell), a view it cannot place."""
        return "same" if self.kinds.get(a) in ("array", "intarray") else "unknown"

    def joined_lists(self, r, op):
        """``xs + ys`` and ``[a] * n`` hold the entries of the lists they join:
        repeated, each entry is there n times."""
        self.fresh(r)
        if r not in self.refs:
            return
        # (a list of numbers, [0.0] * n, has no entries to share)
        lists = [a for a in op.args if self.arrayness(a) == "list" and self.has_entries(a)]
        self.share_entries(r, lists)
        if op.attrs["op"] == "*" and lists:
            self.refs[r].root.aliasing = True

    def has_entries(self, a):
        """``a`` may hold objects: it is not made here, or holds some."""
        ref = self.ref_of(a)
        return ref is not None and (ref.root.origin != "fresh" or bool(self.entries_of(ref.root)))

    def share_entries(self, r, sources):
        """``r`` (``enumerate(xs)``, ``list(xs)``, ``zip(xs, ys)``, ``d.values()``)
        holds the entries of ``sources``: a write into one of them through ``r``
        is one into theirs."""
        if r not in self.refs:
            return
        for a in sources:
            ref = self.ref_of(a)
            if ref is not None and self.arrayness(a) not in ("scalar", "nd"):
                self.refs[r].root.maybe.add(ref.root)

    def slot_of(self, op):
        """The Ref of ``xs[i]`` for a constant ``i`` where the analysis knows what
        the container holds there."""
        ref = self.ref_of(op.args[0])
        index = op.attrs["index"]
        if ref is None or ref.path or index[0] != "val" or not isinstance(op.args[index[1]], Const):
            return None
        i = op.args[index[1]].value
        for (container, pos), (sref, _, n) in self.state.slots.items():
            if container is ref.root and isinstance(i, int) and (pos == i or pos == i + n):
                return sref
        return None

    def hold(self, ref, value, container, moved=False, part=0):
        """``container`` holds ``value`` where the analysis lost its position: a
        write into it while the container is read later is refused.  Stored
        where it is held already (another entry, another container, again in a
        loop), or being itself an entry of a container, the object is reached by
        more than one entry: the containers are marked aliasing."""
        root = ref.root
        if not moved and self.arrayness(value) != "scalar":
            # (a loop's body is walked more than once: a store is known by its place)
            site = (id(self.frame), self.frame.current, part)
            elsewhere = {c for (c, _), (s, _, _) in self.state.slots.items() if s.root is root}
            if root.stores - {site}:
                elsewhere.update(root.holders)
            root.stores.add(site)
            if ref.path and self.is_entry(ref.path[-1]):
                elsewhere.add(root)  # d["b"] = d["a"]: an entry of a container
            if self.stored_again_in_loop(value):
                elsewhere.add(container)
            if elsewhere:
                for c in elsewhere | {container}:
                    c.aliasing = True
        if self.arrayness(value) in ("nd", "list", "dict") or not ref.path:
            root.holders.add(container)

    def is_entry(self, step):
        """The view step reads an entry of a list, tuple or dict (the object
        itself, not a copy of a slice of it)."""
        op = step.op
        return op.kind == "getitem" and self.arrayness(op.args[0]) in ("list", "tuple", "dict") \
            and not has_slice(op.attrs["index"])

    def stored_again_in_loop(self, value):
        """``value`` was made outside a loop the store is in: each run of the
        loop stores the same object again."""
        frame = self.frame
        if not isinstance(value, Value) or self.frame_of.get(value) is not frame:
            return False
        made = frame.defpos.get(value, -1)
        return any(made < start for start, _ in frame.loops)

    def forget_slots(self, container):
        """Positions of a container's entries moved (insert, sort...)."""
        seen = set()
        for key in [k for k in self.state.slots if k[0] is container]:
            ref, value, _ = self.state.slots.pop(key)
            if ref.root in seen or ref.root.holders.keys() - {container}:
                container.aliasing = True  # one object at two places: no longer told apart
            seen.add(ref.root)
            self.hold(ref, value, container, moved=True)

    def unpacked(self, op, new):
        base = op.args[0]
        ref = self.ref_of(base)
        star = op.attrs.get("star")
        n = len(op.results)
        for i, r in enumerate(op.results):
            if self.arrayness(r) == "scalar" or ref is None:
                continue
            if star is not None and i == star:
                self.fresh(r)
                self.refs[r].root.maybe.add(ref.root)
                continue
            index = i if star is None or i < star else i - n
            step_op = Prim("getitem", [self.val(base), Const(index)], [r], {"index": ("val", 1)},
                           op.loc)
            kind = "index" if self.arrayness(base) in ("nd", "list") and \
                self.arrayness(r) not in (None,) else "index?"
            if self.arrayness(base) == "tuple":
                kind = "unknown"
            self.add(r, Ref(ref.root, ref.path + (Step(step_op, kind, self.out, new),)))

    def seen(self, root) -> bool:
        """Something still reads the object: a live name, an attribute or a
        container entry that holds it."""
        st = self.state
        return any(self.refs.get(m) is mref and self.live(m) for m, mref in root.members) or \
            any(r is not None and r.root is root for r in st.attr_refs.values()) or \
            any(r.root is root for r, _, _ in st.slots.values())


# what holds the entries of its arguments (a shallow copy, an iterator over them)
SHARING_CALLS = {enumerate, zip, reversed, iter, list, tuple, sorted, dict}
SHARING_METHODS = {"values", "items", "copy"}
_SELF_INVERSE = {"flip", "readonly"}  # kinds whose keywords are kept as they are


def view_call_kind(op, f):
    """How the result of the NumPy call ``op`` to ``f`` shares the memory of its
    first argument: a view step's kind, or None for a new array."""
    kw = op.attrs.get("kw") or ()
    given = dict(zip(kw, op.args[len(op.args) - len(kw):]))
    if f is np.array:  # np.array(y, copy=False/None) may be y itself
        if "copy" not in given:
            return None
        copy = given["copy"]
        if isinstance(copy, Const) and copy.value is True:
            return None
        return "same?" if isinstance(copy, Const) else "unknown"
    kind = VIEW_FUNCS.get(f)
    if kind is None:
        return None
    if op.attrs.get("star") or op.attrs.get("dstar"):
        return "unknown"
    if kind == "same":  # np.asarray(y) is y; with a dtype or an order, it may be a copy
        return kind if len(op.args) == 2 else "same?"
    if kind == "parts":
        return "unknown"  # a list of views: a write through one is refused
    if kind == "same?" or kind in _SELF_INVERSE:
        return kind
    if kw or (kind == "transpose" and len(op.args) > 3):
        return "unknown"
    return kind
