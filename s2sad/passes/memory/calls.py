"""Calls that write: NumPy's, list and array methods, user functions
(inlined), and objects kept as their attributes."""
from __future__ import annotations

import types
from typing import Optional

import numpy as np

from ... import runtime
from ...errors import LibraryFunctionError, NonDifferentiableError, S2sadError
from ...frontend.dataclass_init import NotReadable, readable_init
from ...frontend.locations import library_function_error, library_module
from ...frontend.resolve import class_member
from ...ir.clone import clone_function
from ...ir.kinds import kind_of_object
from ...ir.nodes import Const, Global, Prim, Value
from .model import (ARRAY_MUTATORS, GROWING, LIST_MUTATORS, REFUSED_NUMPY, Ref, Root, call_attrs,
                    function_effects, hint_of, is_constant, is_unhashable,
                    is_user_class, opaque_compiled, user_function)


class Calls:
    """The calls half of :class:`~s2sad.passes.memory.Memory`."""

    # -- calls that write --------------------------------------------------------------
    def method(self, op, args) -> bool:
        if op.attrs["method"] == "shuffle" and len(op.args) == 2 and \
                self.ref_of(op.args[1]) is not None:  # rng.shuffle(y)
            raise self.shuffled(op, op.args[1])
        m = op.attrs["method"]
        base = op.args[0]
        if isinstance(base, Global) and m == "at" and isinstance(base.obj, np.ufunc):
            return self.ufunc_at(op, args)
        obj = self.object_root(base)
        if obj is not None:
            return self.object_method(op, args, obj)
        if op.attrs.get("mutates"):
            self.entries_change(op, base, m)

            def make(b):
                return self.emit("callmethod", [b] + args[1:], loc=op.loc,
                                 results=list(op.results), **op.attrs).result
            self.write(op, base, make)
            return True
        kind = self.arrayness(base)
        if kind is None and m in ARRAY_MUTATORS and m not in LIST_MUTATORS:
            kind = "nd"  # only arrays have .fill(), .put()...
        elif kind is None and m in LIST_MUTATORS and m not in ARRAY_MUTATORS and \
                m not in ("pop", "clear"):
            kind = "list"  # ... and only lists .reverse(), .remove()
        if m in GROWING and kind in ("list", None):
            self.entries_change(op, base, m)

            def grow(b):
                return self.emit("callmethod", [b] + args[1:], hint_of(b), op.loc,
                                 **dict(op.attrs, mutates=True)).result
            self.write(op, base, grow, result_is_object=False)
            self.none_result(op)
            return True
        if kind == "list" and m in LIST_MUTATORS:
            return self.list_method(op, args, m)
        if kind == "nd" and m in ARRAY_MUTATORS:
            return self.array_method(op, args, m)
        if kind is None and (m in ARRAY_MUTATORS or m in LIST_MUTATORS) and \
                self.ref_of(base) is not None and m != "pop":
            raise self.error(op, f"cannot tell whether '{hint_of(base)}' is a list or an array, "
                                 f"so what .{m}() changes",
                             "make it an array (np.asarray) or a list (list(...)) where it is made")
        return False

    def entries_change(self, op, base, m):
        """``xs.append(v)`` (extend, insert): xs now holds v, at a place the
        analysis does not follow; insert moves the others."""
        ref = self.ref_of(base)
        if ref is None:
            return
        if m != "append":
            self.forget_slots(ref.root)
        if len(op.args) > 1:
            vref = self.ref_of(op.args[-1])
            if vref is not None and self.arrayness(op.args[-1]) != "scalar":
                self.hold(vref, op.args[-1], ref.root)

    def none_result(self, op):
        for r in op.results:
            self.state.cur[r] = Const(None)
        self.changed = True

    def list_method(self, op, args, m):
        loc = op.loc
        ref = self.ref_of(op.args[0])
        if ref is not None and m != "append":
            self.forget_slots(ref.root)
        if m == "pop":
            # pops in place (its rules keep the list's tangent and adjoint as stacks)
            ref = self.ref_of(op.args[0])
            if ref is not None:
                root = ref.root
                self.check_write(op, ref, op.args[0])
                if ref.path:
                    raise self.error(op, "cannot pop from a list held in another object here",
                                     "pop from it by the name it was made with")
                if root.origin == "param" and root not in self.state.private:
                    args = [self.private_copy(root, args[0], loc)] + args[1:]
                for mm, mref in root.members:
                    if mref.path and self.live(mm) and self.refs.get(mm) is mref:
                        raise self.error(op, f"'{mm.hint}' is an entry of the list popped here "
                                             "and is read later", "copy the entry first")
            if ref is None or self.stack_like(ref.root) or op.attrs.get("kw"):
                if ref is not None:
                    self.write_sites.append((ref.root, op, ref))
                self.out.ops.append(Prim(op.kind, args, list(op.results), dict(op.attrs), loc))
                for r in op.results:
                    self.fresh(r)
                return True
            # the list is read as it was before (xs[2], then xs.pop()): the popped
            # list is a new value, so that those reads keep their length
            where = args[1] if len(args) > 1 else Const(-1)
            popped = self.emit("getitem", [args[0], where], hint_of(op.results[0])
                               if op.results else "t", loc, index=("val", 1)).result
            for r in op.results:
                self.state.cur[r] = popped
                self.fresh(r)

            def make(b):
                return self.emit("call", [Global("without", runtime.without), b, where],
                                 hint_of(b), loc).result

            self.write(op, op.args[0], make, result_is_object=False)
            self.changed = True
            return True
        if m == "sort":
            kw = op.attrs.get("kw", ())
            if len(args) - 1 != len(kw):
                raise self.error(op, "list.sort() takes keyword arguments only")
            order = self.emit("call", [Global("sort_order", runtime.sort_order), args[0]] +
                              args[1:], "order", loc, **({"kw": kw} if kw else {})).result

            def make(b):
                return self.emit("call", [Global("permuted", runtime.permuted), b, order],
                                 hint_of(b), loc).result
        elif m == "reverse":
            def make(b):
                return self.emit("getitem", [b, Const(-1)], hint_of(b), loc,
                                 index=("slice", None, None, 1)).result
        elif m == "clear":
            def make(b):
                return self.emit("build", [], hint_of(b), loc, type="list").result
        else:
            raise self.error(op, f"cannot differentiate list.{m}() yet",
                             "build a new list instead (a comprehension)")
        self.write(op, op.args[0], make, result_is_object=False)
        self.none_result(op)
        return True

    def stack_like(self, root) -> bool:
        """A list only appended to, popped from and measured (a stack): it can
        pop in place, as its rules for both modes expect."""
        for m, _ in root.members:
            for reader in self.readers.get(m, ()):
                if isinstance(reader, Prim) and not (
                        reader.kind == "callmethod" and reader.args[0] is m and
                        reader.attrs["method"] in ("pop", "append") or
                        reader.kind == "call" and isinstance(reader.args[0], Global) and
                        reader.args[0].obj is len):
                    return False
        return True

    def array_method(self, op, args, m):
        loc = op.loc
        if m == "sort":
            def make(b):
                return self.emit("call", [Global("np.sort", np.sort, np), b] + args[1:],
                                 hint_of(b), loc, **call_attrs(op)).result
        elif m == "fill":
            def make(b):
                return self.emit("setitem", [b, args[1], Const(Ellipsis)], loc=loc,
                                 hint=hint_of(b), index=("val", 2)).result
        elif m == "put":
            def make(b):
                return self.emit("call", [Global("put", runtime.put), b] + args[1:],
                                 hint_of(b), loc, **call_attrs(op)).result
        else:
            raise self.error(op, f"cannot differentiate ndarray.{m}()",
                             "compute the new array and assign it")
        self.write(op, op.args[0], make, result_is_object=False)
        self.none_result(op)
        return True

    def ufunc_at(self, op, args):
        f = op.args[0].obj
        helper = {np.add: runtime.add_at, np.subtract: runtime.subtract_at}.get(f)
        if helper is None or len(args) != 4 or op.attrs.get("kw"):
            raise self.error(op, f"cannot differentiate np.{f.__name__}.at",
                             "np.add.at(a, indices, b) and np.subtract.at are supported")

        def make(b):
            return self.emit("call", [Global(helper.__name__, helper), b, args[2], args[3]],
                             hint_of(b), op.loc).result

        self.write(op, op.args[1], make, result_is_object=False)
        self.none_result(op)
        return True

    def call(self, op, args) -> bool:
        root = self.object_root(op.args[0])
        if root is not None:  # m(x): the method __call__ of m's class
            as_method = Prim("callmethod", op.args, op.results,
                             dict(op.attrs, method="__call__"), op.loc)
            if self.object_method(as_method, args, root):
                return True
            self.out.ops.append(Prim("callmethod", args, list(op.results),
                                     dict(as_method.attrs), op.loc))
            self.define(as_method, self.out.ops[-1])
            return True
        f = op.args[0].obj if isinstance(op.args[0], Global) else None
        kw = op.attrs.get("kw", ())
        if f is None:
            return False
        if "out" in kw:
            return self.out_call(op, args)
        if f is np.copyto:
            if kw or len(args) != 3:
                raise self.error(op, "np.copyto with casting= or where= is not supported",
                                 "write dst[...] = src")
            return self.assign_all(op, op.args[1], args[2])
        if f is np.put:
            if len(args) < 4:
                return False

            def make(b):
                return self.emit("call", [Global("put", runtime.put), b] + args[2:],
                                 hint_of(b), op.loc, **call_attrs(op)).result
            self.write(op, op.args[1], make, result_is_object=False)
            self.none_result(op)
            return True
        if opaque_compiled(f):
            for a in op.args[1:]:
                if self.ref_of(a) is not None and self.arrayness(a) != "scalar":
                    raise self.error(op, f"s2sad cannot see whether {f.__name__}() changes "
                                         f"'{hint_of(a)}': it is compiled code with no "
                                         "derivative rule", "give it a rule "
                                         f"(@s2sad.defvjp({f.__name__})), or call a NumPy "
                                         "function that computes the same")
        if f is np.random.shuffle and len(op.args) > 1:
            raise self.shuffled(op, op.args[1])
        if not is_unhashable(f) and f in REFUSED_NUMPY:
            raise self.error(op, f"np.{f.__name__} writes into its argument, which s2sad "
                                 "does not differentiate yet", f"write {REFUSED_NUMPY[f]}")
        if is_user_class(f):
            return self.construct(op, args, f)
        if user_function(f):
            objects = any(self.object_root(a) is not None for a in op.args[1:])
            writes, returns_alias = function_effects(f, self.lower)
            mutable = [a for a in op.args[1:] if self.ref_of(a) is not None and
                       self.arrayness(a) != "scalar"]
            if objects or writes:
                self.inline(op, f, args[1:], op.args[1:])
                return True
            if returns_alias and mutable and self.arrayness(op.results[0]) != "scalar":
                if f not in self.inlining:
                    self.inline(op, f, args[1:], op.args[1:])
                    return True
                # a recursive call that may return one of its arguments
                self.out.ops.append(Prim(op.kind, args, list(op.results), dict(op.attrs),
                                         op.loc))
                self.fresh(op.results[0])
                ref = self.refs.get(op.results[0])
                if ref is not None:
                    ref.root.maybe.update(self.ref_of(a).root for a in mutable)
                return True
        return False

    def out_call(self, op, args):
        kw = op.attrs["kw"]
        k = len(args) - len(kw) + kw.index("out")
        target = op.args[k]
        if isinstance(self.val(target), Value) is False and isinstance(target, Const) and \
                target.value is None:
            rest_kw = tuple(x for x in kw if x != "out")
            new = Prim("call", args[:k] + args[k + 1:], list(op.results),
                       dict(op.attrs, kw=rest_kw) if rest_kw else
                       {a: v for a, v in op.attrs.items() if a != "kw"}, op.loc)
            self.out.ops.append(new)
            self.define(op, new)
            self.changed = True
            return True
        if self.arrayness(target) == "tuple":
            raise self.error(op, "out= with a tuple of arrays is not supported",
                             "assign the results and write them with a[...] = ...")
        rest_kw = tuple(x for x in kw if x != "out")
        attrs = {a: v for a, v in op.attrs.items() if a != "kw"}
        if rest_kw:
            attrs["kw"] = rest_kw
        value = self.emit("call", args[:k] + args[k + 1:], hint_of(target), op.loc,
                          **attrs).result
        self.changed = True
        return self.assign_all(op, target, value, returns_target=True)

    def assign_all(self, op, target, value, returns_target=False):
        """``target[...] = value`` (np.copyto, out=, fill)."""
        def make(b):
            return self.emit("setitem", [b, value, Const(Ellipsis)], hint_of(b), op.loc,
                             index=("val", 2)).result

        new = self.write(op, target, make, result_is_object=False)
        if returns_target and op.results:
            self.state.cur[op.results[0]] = new
            self.alias(op.results[0], target)
        else:
            self.none_result(op)
        self.changed = True
        return True

    # -- user functions and objects ----------------------------------------------------
    def inline(self, op, f, args, originals, self_value=None, bind_result=True):
        if len(self.inlining) > 30 or f in self.inlining:
            raise self.error(op, f"'{f.__name__}' calls itself and writes into its arguments; "
                                 "s2sad cannot follow its writes", "return the new values instead")
        if op.attrs.get("star") or op.attrs.get("dstar"):
            raise self.error(op, f"cannot follow the writes of '{f.__name__}' through *args",
                             "pass the arguments one by one")
        try:
            fn, _ = clone_function(self.lower(f))
        except S2sadError:
            raise
        kw = op.attrs.get("kw", ())
        npos = len(args) - len(kw)
        positional, named = list(args[:npos]), dict(zip(kw, args[npos:]))
        pos_orig, named_orig = list(originals[:npos]), dict(zip(kw, originals[npos:]))
        if self_value is not None:
            positional.insert(0, self_value[0])
            pos_orig.insert(0, self_value[1])
        bindings = []
        for i, p in enumerate(fn.params):
            name = p.value.hint
            if p.kind == "positional" and i < len(positional):
                bindings.append((p.value, positional[i], pos_orig[i]))
            elif name in named:
                bindings.append((p.value, named[name], named_orig[name]))
            elif p.default is not None:
                bindings.append((p.value, p.default, p.default))
            else:
                raise self.error(op, f"cannot follow the call of '{f.__name__}': parameter "
                                     f"'{name}' of kind {p.kind} is not supported here",
                                 "pass positional arguments")
        self.changed = True
        kinds = {}
        for pv, a, orig in bindings:
            kinds[pv] = self.kinds.get(orig) if isinstance(orig, Value) else \
                kind_of_object(getattr(orig, "value", getattr(orig, "obj", None)))
            if kinds[pv] is None:
                kinds[pv] = {"nd": "array", "list": "list", "dict": "dict",
                             "tuple": "tuple"}.get(self.arrayness(orig))
        caller = self.frame
        self.inlining.append(f)
        self.enter(fn, kinds)
        for pv, a, orig in bindings:
            self.state.cur[pv] = a
            ref = self.ref_of(orig)
            if ref is not None and self.arrayness(pv) != "scalar":
                self.add(pv, ref)
            elif ref is not None and self.arrayness(orig) != "scalar":
                self.add(pv, ref)
        try:
            self.ops(fn.body)
        except S2sadError as exc:
            raise _at_library_call(exc, op, f) from exc
        out = fn.body.yields[0]
        result = self.val(out)
        self.frame = caller
        self.frames.pop()
        self.inlining.pop()
        if bind_result:
            for r in op.results[:1]:
                self.state.cur[r] = result
                self.alias(r, out)
        return result

    def object_root(self, a) -> Optional[Root]:
        ref = self.ref_of(a) if isinstance(a, Value) else None
        if ref is not None and ref.root.origin == "object" and not ref.path:
            return ref.root
        return None

    def run_time(self, v):
        """What a branch or a loop carries for ``v``: an object built in the
        function has no value when the program runs (it is kept as its
        attributes), and the versions of an object passed in that had an
        attribute written (``o.total = ...``) are that object."""
        root = self.object_root(v)
        if root is None:
            return v
        return Const(None) if root.obj is None else self.val(root.obj)

    def construct(self, op, args, cls):
        r = op.results[0]
        root = Root("object", cls.__name__.lower(), cls=cls)
        self.add(r, Ref(root))
        self.state.roots[root] = None
        self.changed = True
        try:  # a dataclass's __init__, made with exec, has no source of its own
            init = readable_init(cls) or cls.__init__
        except NotReadable as exc:
            raise self.error(op, *exc.args) from None
        if isinstance(init, types.FunctionType):
            self.inline(op, init, args[1:], op.args[1:], self_value=(r, r), bind_result=False)
        return True

    def read_attribute(self, op, args):
        root = self.object_root(op.args[0])
        attr = op.attrs["attr"]
        r = op.results[0]
        key = (root, attr)
        st = self.state
        if key in st.attrs:
            st.cur[r] = st.attrs[key]
            aref = st.attr_refs.get(key)
            if aref is not None:
                self.add(r, aref)
            self.changed = True
            return
        if root.obj is not None:  # an object passed in: read it, once
            new = Prim("getattr", [self.val(root.obj)], [r], dict(op.attrs), op.loc)
            self.out.ops.append(new)
            if self.arrayness(r) != "scalar":
                sub = Root("param", f"{root.hint}.{attr}")
                self.add(r, Ref(sub))
                st.roots[sub] = r
                st.attr_refs[key] = self.refs[r]
            st.attrs[key] = r
            return
        if hasattr(root.cls, attr):
            value = getattr(root.cls, attr)
            if isinstance(value, (types.FunctionType, property)):
                raise self.error(op, f"cannot read the method or property '{attr}' of "
                                     f"'{root.hint}' as a value", "call the method")
            st.cur[r] = Const(value) if is_constant(value) else Global(
                f"{root.cls.__name__}.{attr}", value)
            self.changed = True
            return
        raise self.error(op, f"'{root.cls.__name__}' object has no attribute '{attr}' here",
                         "set it in __init__")

    def setattr_(self, op, args):
        root = self.object_root(op.args[0])
        attr = op.attrs["attr"]
        if root is None:
            raise self.error(op, f"cannot differentiate the write of attribute '{attr}' of "
                                 f"'{hint_of(op.args[0])}' (s2sad does not know what it is)",
                             "create the object in the function, or pass it in as an argument "
                             "of a class defined in Python")
        value = args[1]
        st = self.state
        if op.kind == "augsetattr":
            cur = self.attribute_value(op, root, attr)
            value = self.emit("binop", [cur, value], attr, op.loc, op=op.attrs["op"]).result
        st.attrs[(root, attr)] = value
        self.written.add(root)
        vref = self.ref_of(op.args[1]) if op.kind == "setattr" else None
        st.attr_refs[(root, attr)] = vref
        for r in op.results:
            self.add(r, Ref(root))
        self.changed = True

    def attribute_before(self, root, attr, loc):
        """The attribute ``attr`` of the object ``root`` where the walk is (an
        object passed in is read), or None where it has none."""
        if root.obj is not None:
            fake = Prim("getattr", [root.obj], [Value(attr)], {"attr": attr}, loc)
            self.frame_of[fake.results[0]] = None
            self.read_attribute(fake, None)
            return self.state.attrs[(root, attr)]
        value = getattr(root.cls, attr, None)
        if not hasattr(root.cls, attr) or isinstance(value, (types.FunctionType, property)):
            return None
        return Const(value) if is_constant(value) else Global(
            f"{root.cls.__name__}.{attr}", value)

    def attribute_value(self, op, root, attr):
        fake = Prim("getattr", [root.obj if root.obj is not None else op.args[0]],
                    [Value(attr)], {"attr": attr}, op.loc)
        self.frame_of[fake.results[0]] = None
        self.read_attribute(fake, None)
        return self.val(fake.results[0])

    def object_method(self, op, args, root):
        _, raw, f = class_member(root.cls, op.attrs["method"])
        # c.add(v) as a statement (a name of list.append's kind: frontend/lower.py)
        # gives c a new version, not the method's result
        receiver = bool(op.attrs.get("mutates"))
        if f is None and self.has_attribute(root, op.attrs["method"]):
            return self.call_attribute(op, root)
        if f is None:
            raise self.error(op, f"cannot follow the method '{op.attrs['method']}' of "
                                 f"'{root.hint}'", "define it in Python in the class")
        if f is not raw:  # a staticmethod, or a classmethod (called with the class)
            cls = Global(root.cls.__name__, root.cls)
            first = [cls] if isinstance(raw, classmethod) else []
            self.inline(op, f, first + args[1:], first + op.args[1:], bind_result=not receiver)
        elif root.obj is not None and not self.dirty(root) and \
                not function_effects(f, self.lower)[0] and not receiver:
            return False  # an argument's method that changes nothing: called as it is
        else:
            self.inline(op, f, args[1:], op.args[1:], self_value=(args[0], op.args[0]),
                        bind_result=not receiver)
        if receiver:
            for r in op.results:
                self.add(r, Ref(root))
        return True

    def has_attribute(self, root, attr) -> bool:
        """Whether the object has ``attr`` of its own (set in the function, or an
        object passed in or global: read from it, an error there if missing)."""
        return (root, attr) in self.state.attrs or root.obj is not None

    def call_attribute(self, op, root):
        """``self.l1(x)``: a call of what the attribute holds (a layer object,
        by its ``__call__``; a function), not a method of the class."""
        value = self.attribute_value(op, root, op.attrs["method"])
        attrs = {k: v for k, v in op.attrs.items() if k not in ("method", "mutates")}
        if self.object_root(value) is not None:
            call = Prim("callmethod", [value] + op.args[1:], list(op.results),
                        dict(attrs, method="__call__"), op.loc)
        else:
            call = Prim("call", [value] + op.args[1:], list(op.results), attrs, op.loc)
        self.prim(call)
        return True

    def shuffled(self, op, seq):
        return self.error(op, f"shuffle() reorders '{hint_of(seq)}' in place, which s2sad "
                              "cannot follow", "draw the order and index with it: "
                              "y = y[rng.permutation(len(y))]")

    def dirty(self, root):
        return any(k[0] is root for k in self.state.attrs) and root in self.written

    def check_escape(self, op, args):
        for a in op.args:
            root = self.object_root(a)
            if root is not None and root.obj is None:
                raise self.error(op, f"s2sad keeps the object '{root.hint}' (a "
                                     f"{root.cls.__name__}) as its attributes; it cannot be "
                                     "used here", "read its attributes, or call its methods")
            if root is not None and any(k[0] is root for k in self.state.attrs) and \
                    root in self.written:
                raise self.error(op, f"'{root.hint}' had attributes written, and is then used "
                                     "here as a whole", "pass the attributes instead")

    def check_returned(self, out, body):
        root = self.object_root(out)
        if root is not None and root.obj is None:
            raise self.error(None, f"returning the object '{root.hint}' built in the function "
                                   "is not supported", "return its attributes")


def _at_library_call(exc, op, f):
    """An error inside a library function being inlined (scipy's ``det``),
    said of the call ``op`` of it; ``exc`` itself for the user's functions."""
    module = library_module(f)
    if module is None or not hasattr(exc, "message") or \
            isinstance(exc, LibraryFunctionError) and exc.function is f:
        return exc
    if isinstance(exc, LibraryFunctionError):  # deeper in the library
        inner = getattr(exc.function, "__qualname__", "a function")
        exc = NonDifferentiableError(f"it calls {inner}, which has no derivative rule either "
                                     "and whose source s2sad cannot differentiate")
    return library_function_error(f, module, exc).at_call(op.loc, f)
