"""The memory model's vocabulary: roots (objects), view steps, refs, the state
a walk carries, liveness by position, and what is known of NumPy's views and
writes."""
from __future__ import annotations

import bisect
import types
from typing import Dict, List

import numpy as np

from ...errors import S2sadError
from ...ir.nodes import Const, For, Function, Global, If, Prim, UNDEF, Value, While
from ...rules.methods import METHODS
from ...rules.registry import lookup

# -- what the pass knows about NumPy --------------------------------------------
VIEW_FUNCS = {np.reshape: "reshape", np.ravel: "reshape", np.squeeze: "always",
               np.expand_dims: "always", np.atleast_1d: "always", np.atleast_2d: "always",
               np.atleast_3d: "always", np.transpose: "transpose", np.asarray: "same",
               np.asanyarray: "same", np.swapaxes: "swap", np.ascontiguousarray: "same?",
               np.asfortranarray: "same?", np.flip: "flip", np.fliplr: "flip",
               np.flipud: "flip", np.rot90: "rot90", np.moveaxis: "moveaxis",
               np.real: "same", np.diagonal: "readonly", np.broadcast_to: "readonly",
               np.split: "parts", np.array_split: "parts", np.hsplit: "parts",
               np.vsplit: "parts", np.dsplit: "parts"}


VIEW_METHODS = {"reshape": "reshape", "ravel": "reshape", "squeeze": "always",
                 "transpose": "transpose", "swapaxes": "swap", "view": "same",
                 "diagonal": "readonly"}


CONTIGUOUS_MAKERS = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like,
                      np.empty_like, np.full_like, np.arange, np.linspace, np.eye,
                      np.identity, np.array, np.copy}


ARRAY_METHODS = {"copy", "reshape", "ravel", "flatten", "astype", "transpose", "squeeze",
                  "swapaxes", "view", "clip", "cumsum", "cumprod", "round", "conj",
                  "conjugate", "repeat", "take", "diagonal"}


ARRAY_MUTATORS = {"sort", "fill", "put", "resize", "itemset", "setfield", "partition",
                   "setflags", "byteswap"}


LIST_MUTATORS = {"sort", "reverse", "pop", "remove", "clear", "append", "extend", "insert"}


GROWING = {"append", "extend", "insert"}


REFUSED_NUMPY = {np.place: "a[mask] = values", np.putmask: "a[mask] = values[mask]",
                  np.fill_diagonal: "a[np.diag_indices_from(a)] = v",
                  np.put_along_axis: "np.take_along_axis to read, a[...] = ... to write",
                  np.random.shuffle: "a = a[np.random.permutation(len(a))]"}


ARITHMETIC = {"+", "-", "*", "/", "//", "%", "**"}


_IMMUTABLE_KINDS = {"float", "int", "bool", "complex", "str", "none", "range"}


PENDING = object()  # an arrayness being worked out


class Roots(dict):
    """A set of roots that iterates in the order they were added: a set of
    objects hashed by address iterates by address, and the code emitted for
    each root would change with the allocations before it."""

    __slots__ = ()

    def add(self, root):
        self[root] = None

    def update(self, roots):
        dict.update(self, dict.fromkeys(roots))


class Root:
    """One Python object: the values that are it, or views into it."""

    __slots__ = ("origin", "hint", "members", "contiguous", "cls", "maybe", "holders", "obj",
                 "aliasing", "stores")

    def __init__(self, origin, hint, contiguous=False, cls=None, obj=None):
        self.origin = origin  # param | fresh | global | merged | object
        self.hint = hint
        self.members: List = []  # (value, Ref)
        self.contiguous = contiguous
        self.cls = cls  # the class of an object kept as its attributes
        self.maybe = Roots()  # merged: the roots this may be
        self.holders = Roots()  # containers holding this object where we lost track
        self.obj = obj  # an object passed in: the value to read attributes from
        # a container whose entries may be one object (stored twice, a list
        # repeated) or an object another container holds too
        self.aliasing = False
        self.stores = set()  # where it was put in a container at a position not known

    def __repr__(self):
        return f"<root {self.hint} {self.origin}>"


class Step:
    """One view step: ``op`` applied to the parent gives the child.  ``kind``
    says how a child's new version goes back into the parent: index (setitem),
    transpose, swap, reshape, always (a reshape that is always a view), same
    (the parent itself), or unknown; with a "?" (``index?``), the child may be
    a view or not (a number, a copy), which the generated code asks
    (:func:`s2sad.runtime.is_view`) where it matters."""

    __slots__ = ("op", "kind", "block", "anchor", "probe", "at")

    def __init__(self, op, kind, block=None, anchor=None):
        self.op = op
        self.kind = kind
        self.at = 1 if op.kind == "call" else 0  # the operand that is the parent
        self.block = block  # where the view was made, to test it there when asked
        self.anchor = anchor if anchor is not None else op
        self.probe = None  # a bool value: is the child a view (kinds with a "?")


def plain(kind):
    """A step's kind without its "?"."""
    return kind[:-1] if kind.endswith("?") else kind


class Ref:
    __slots__ = ("root", "path")

    def __init__(self, root, path=()):
        self.root = root
        self.path = path

    @property
    def exact(self):
        return all(not s.kind.endswith("?") and s.kind != "unknown" for s in self.path)


class State:
    """What changes as the walk goes: each value's current version, each root's,
    the attributes of the objects kept as attributes, which arguments have a
    private copy."""

    __slots__ = ("cur", "roots", "attrs", "attr_refs", "private", "slots", "cut", "unsure")

    def __init__(self):
        self.cur: Dict = {}
        self.roots: Dict = {}
        self.attrs: Dict = {}
        self.attr_refs: Dict = {}
        self.private = set()
        self.slots: Dict = {}  # (container root, position) -> Ref of what it holds
        # entry steps (``v = d[k]``) whose entry was since replaced (``d[k] = w``):
        # what was read through them is no longer in the container; ``unsure``:
        # replaced on some paths only
        self.cut = frozenset()
        self.unsure = frozenset()

    def copy(self):
        s = State()
        s.cur, s.roots, s.attrs = dict(self.cur), dict(self.roots), dict(self.attrs)
        s.attr_refs, s.private = dict(self.attr_refs), set(self.private)
        s.slots = dict(self.slots)
        s.cut, s.unsure = self.cut, self.unsure
        return s

    def join_cuts(self, a, b):
        """After two paths (branches, or a loop's entry and its back edge)."""
        self.cut = a.cut & b.cut
        self.unsure = a.unsure | b.unsure | (a.cut ^ b.cut)


class Frame:
    """Positions of one function's ops and uses (preorder), for liveness."""

    def __init__(self, fn: Function):
        self.pos: Dict[int, int] = {}
        self.end: Dict[int, int] = {}
        self.uses: Dict[Value, List[int]] = {}
        self.defpos: Dict[Value, int] = {}
        self.current = 0
        self.loops: List = []  # (start, end) of the loops around the current op
        self.n = 0
        for p in fn.params:
            self.defpos[p.value] = -1
        self._number(fn.body)

    def _use(self, v, at):
        if isinstance(v, Value):
            self.uses.setdefault(v, []).append(at)

    def _number(self, block):
        for op in block.ops:
            n = self.n
            self.n += 1
            self.pos[id(op)] = n
            for a in op.operands():
                self._use(a, n)
            for v in op.defined_here():
                self.defpos[v] = n
            for b in op.blocks():
                self._number(b)
            if isinstance(op, (For, While)) and op.brk is not None:
                self._use(op.brk, self.n)
            self.end[id(op)] = self.n
            # half a step before the next op: after every position the op
            # covers, yet before the next op (and a loop that follows starts
            # after what the op before it defines)
            for r in op.results:
                self.defpos[r] = self.n - 0.5
        for y in block.yields:
            self._use(y, self.n)
        self.end[id(block)] = self.n
        self.n += 1

    def live(self, v) -> bool:
        """``v`` is defined and read again after the current op (a value defined
        later, in a run over the same code, is not yet a name of anything)."""
        us = self.uses.get(v)
        if not us or self.defpos.get(v, -1) > self.current:
            return False
        if us[-1] > self.current:
            return True
        d = self.defpos.get(v, -1)
        for s, e in self.loops:
            if d < s:
                i = bisect.bisect_right(us, s)
                if i < len(us) and us[i] <= e:
                    return True
        return False


def is_user_class(f) -> bool:
    if not isinstance(f, type) or f.__module__ in ("builtins",) or \
            f.__module__.startswith(("numpy", "s2sad")):
        return False
    if issubclass(f, (tuple, list, dict, set, np.ndarray, BaseException)):
        return False
    if f.__setattr__ is not object.__setattr__ or f.__getattribute__ is not object.__getattribute__:
        return False
    init = f.__init__
    return init is object.__init__ or isinstance(init, types.FunctionType)


def user_function(f) -> bool:
    # a function with a derivative rule (scipy.special.logsumexp) is a primitive
    return isinstance(f, types.FunctionType) and \
        not (f.__module__ or "").startswith(("numpy", "s2sad")) and lookup(f) is None


#: modules whose compiled functions change none of their arguments
_PURE_MODULES = ("builtins", "math", "cmath", "operator", "functools", "itertools", "numpy",
                 "s2sad", "_operator", "_functools", "time", "copy", "random", "statistics")


def opaque_compiled(f) -> bool:
    """A compiled function (C or Cython) with no rule and no Python source:
    s2sad cannot see whether it changes the arrays it is given (scipy's
    ``expm`` hands its array to C code that rewrites it in place)."""
    if isinstance(f, (types.FunctionType, type, np.ufunc)) or not callable(f) or \
            type(f).__name__ not in ("builtin_function_or_method", "cython_function_or_method",
                                     "fused_cython_function"):
        return False
    module = getattr(f, "__module__", None) or ""
    if module.split(".")[0] in _PURE_MODULES or module.startswith("_"):
        return False
    try:
        return lookup(f) is None
    except TypeError:  # unhashable
        return False


def written_operands(op) -> list:
    """The operands ``op`` writes into, as far as its form tells."""
    if not isinstance(op, Prim):
        return []
    k = op.kind
    if k in ("setitem", "augsetitem", "setattr", "augsetattr"):
        return [op.args[0]]
    if k == "binop" and op.attrs.get("inplace"):
        return [op.args[0]]
    if k == "callmethod":
        m = op.attrs["method"]
        if op.attrs.get("mutates") or m in ARRAY_MUTATORS or m in LIST_MUTATORS:
            return [op.args[0]]
        if m == "at" and isinstance(op.args[0], Global) and isinstance(op.args[0].obj, np.ufunc):
            return op.args[1:2]
        return []
    if k == "call":
        kw = op.attrs.get("kw", ())
        out = []
        if "out" in kw:
            out.append(op.args[len(op.args) - len(kw) + kw.index("out")])
        f = op.args[0].obj if isinstance(op.args[0], Global) else None
        if f is np.copyto or f is np.put or f in REFUSED_NUMPY:
            out += op.args[1:2]
        return out
    return []


_effects_cache: Dict = {}


def forget_effects():
    """What is known of user functions' writes depends on the functions they
    call: forget it when a binding or a rule changes."""
    _effects_cache.clear()


def function_effects(f, lower):
    """``(writes, returns_alias)`` of a user function: whether it may write into
    what its arguments hold, and whether it may return (a view of) one."""
    key = f
    if key in _effects_cache:
        return _effects_cache[key]
    _effects_cache[key] = (False, False)  # recursion: what the rest of it does decides
    try:
        fn = lower(f)
    except S2sadError:
        _effects_cache[key] = (False, False)
        return _effects_cache[key]
    derived = {p.value for p in fn.params}
    changed = True
    ops = list(fn.walk())
    while changed:
        changed = False
        for op in ops:
            srcs, outs = [], []
            if isinstance(op, Prim) and op.kind in ("copy", "getitem", "getattr", "unpack",
                                                    "callmethod", "call", "binop"):
                if op.kind == "call":
                    g = op.args[0].obj if isinstance(op.args[0], Global) else None
                    srcs = op.args[1:2] if not is_unhashable(g) and g in VIEW_FUNCS else []
                elif op.kind == "callmethod":
                    srcs = op.args[:1] if op.attrs["method"] in VIEW_METHODS else []
                elif op.kind == "binop":
                    srcs = op.args[:1] if op.attrs.get("inplace") else []
                else:
                    srcs = op.args[:1]
                outs = op.results
            elif isinstance(op, For):
                srcs, outs = [op.iter], [op.item]
                for a, i, r in zip(op.args, op.inits, op.results):
                    if i in derived and (a not in derived or r not in derived):
                        derived.update((a, r))
                        changed = True
            elif isinstance(op, While):
                for a, i, r in zip(op.args, op.inits, op.results):
                    if i in derived and (a not in derived or r not in derived):
                        derived.update((a, r))
                        changed = True
            elif isinstance(op, If):
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    if (y1 in derived or y2 in derived) and r not in derived:
                        derived.add(r)
                        changed = True
            if any(s in derived for s in srcs if isinstance(s, Value)):
                for r in outs:
                    if r not in derived:
                        derived.add(r)
                        changed = True
    writes = False
    for op in ops:
        if any(isinstance(w, Value) and w in derived for w in written_operands(op)):
            writes = True
        elif isinstance(op, Prim) and op.kind == "call" and isinstance(op.args[0], Global) and \
                user_function(op.args[0].obj) and \
                any(isinstance(a, Value) and a in derived for a in op.args[1:]):
            if function_effects(op.args[0].obj, lower)[0]:
                writes = True
        elif isinstance(op, Prim) and op.kind == "callmethod" and \
                isinstance(op.args[0], Value) and op.args[0] in derived and \
                not _known_method(op.attrs["method"]):
            writes = True  # a method of an argument's class may change it
    out = fn.body.yields[0]
    result = (writes, isinstance(out, Value) and out in derived)
    _effects_cache[key] = result
    return result


def has_effects(fn: Function, lower) -> bool:
    """Whether ``fn`` writes into anything, builds an object, or calls a user
    function or method that might (else the pass has nothing to do)."""
    for op in fn.walk():
        if written_operands(op):
            return True
        if isinstance(op, Prim) and op.kind == "call" and isinstance(op.args[0], Global):
            f = op.args[0].obj
            if is_user_class(f):
                return True
            if user_function(f) and any(function_effects(f, lower)):
                return True
            if opaque_compiled(f):
                return True
        if isinstance(op, Prim) and op.kind == "callmethod" and \
                not _known_method(op.attrs["method"]) and not isinstance(op.args[0], Global):
            return True
    return False


_PLAIN_METHODS = {"index", "count", "get", "keys", "values", "items", "copy", "tolist",
                  "item", "astype", "format", "join", "split", "strip", "startswith", "endswith",
                  "lower", "upper", "replace"}


def _known_method(name) -> bool:
    """A method of NumPy arrays, lists, dicts or strings that changes nothing."""
    return name in METHODS or name in _PLAIN_METHODS or name in ARRAY_METHODS


# -- helpers ---------------------------------------------------------------------------
def arrayness_of_kind(k):
    if k in ("array", "intarray", "carray"):
        return "nd"
    if k in _IMMUTABLE_KINDS:
        return "scalar"
    if k in ("list", "tuple", "dict"):
        return k
    if isinstance(k, tuple) and k[0] == "object":
        return "object"
    return None


def has_slice(template):
    kind = template[0]
    if kind == "slice":
        return True
    if kind == "tuple":
        return any(has_slice(t) for t in template[1])
    return False


def basic_view(op, memory):
    """For ``x[index]`` on an array: "view" (basic indexing with a slice, None or
    ...), "maybe" (integers only: a view or a number, by x's rank), or "copy"
    (an index array or list), or "maybe" when an index operand's kind is unknown."""
    template = op.attrs["index"]
    any_slice = [False]
    unknown = [False]
    fancy = [False]

    def walk(t):
        if t[0] == "slice":
            any_slice[0] = True
            return
        if t[0] == "tuple":
            for s in t[1]:
                walk(s)
            return
        a = op.args[t[1]]
        if isinstance(a, Const):
            v = a.value
            if v is None or v is Ellipsis:
                any_slice[0] = True
            elif isinstance(v, (list, np.ndarray)):
                fancy[0] = True
            elif not isinstance(v, (int, np.integer)):
                unknown[0] = True
            return
        k = memory.arrayness(a)
        kind = memory.kinds.get(a) if isinstance(a, Value) else None
        if k == "nd" or k == "list" or kind == "intarray":
            fancy[0] = True
        elif kind not in ("int", "bool"):
            if isinstance(a, Value):
                made = memory.defs.get(a)
                if made is not None and made.kind == "call" and isinstance(made.args[0], Global) \
                        and made.args[0].obj is slice:
                    any_slice[0] = True
                    return
            unknown[0] = True

    walk(template)
    if fancy[0]:
        return "copy"
    if unknown[0]:
        return "maybe"
    return "view" if any_slice[0] else "maybe"


def hint_of(a):
    return a.hint if isinstance(a, Value) else "t"


def hint_copy(v):
    name = hint_of(v)
    return (f"if '{name}' should be a copy, make it one ({name} = ....copy()); if it should "
            "be a view, write through the array it views")


def call_attrs(op):
    return {k: v for k, v in op.attrs.items() if k in ("kw",)}


def is_unhashable(f):
    try:
        hash(f)
        return False
    except TypeError:
        return True


def is_constant(value):
    return isinstance(value, (int, float, complex, str, bool, type(None), tuple))


def ends_in_raise(block):
    return bool(block.ops) and isinstance(block.ops[-1], Prim) and block.ops[-1].kind == "raise"


def entry(state, key):
    kind, k = key
    if kind == "cur":
        return state.cur.get(k, k)
    return getattr(state, kind)[k]


def set_entry(state, key, value):
    kind, k = key
    getattr(state, kind)[k] = value


def _keys(*states, local=lambda v: False):
    """The state entries of values from outside a region (``local(v)``: the
    value is the region's own, and so is its entry)."""
    seen = set()
    for kind in ("cur", "roots", "attrs"):
        for state in states if kind == "cur" else states[:1]:
            for k in getattr(state, kind):
                if (kind, k) not in seen and not (kind == "cur" and local(k)):
                    seen.add((kind, k))
                    yield (kind, k)


def key_hint(key):
    kind, k = key
    if kind == "attrs":
        return k[1]
    return k.hint


def changed_entries(before, after, local):
    """The state entries from before a loop body that the body changes."""
    out = []
    for key in _keys(before, after, local=local):
        try:
            old, new = entry(before, key), entry(after, key)
        except KeyError:
            continue
        if new is not old and old is not None:
            out.append((key, key_hint(key)))
    return out


def differing(before, s1, s2, raises, local):
    """``(extra, same)``: the state entries from before an ``If`` that its branches
    leave different (they become results: key, hint, then's, else's) and those
    both change alike (or the one that does not raise changes)."""
    extra, same = [], []
    for key in _keys(before, s1, s2, local=local):
        try:
            old, a, b = entry(before, key), entry(s1, key), entry(s2, key)
        except KeyError:
            continue
        if old is None or (raises[0] and raises[1]):
            continue
        if raises[0]:
            a = b if b is old or not isinstance(b, Value) else UNDEF
        if raises[1]:
            b = a if a is old or not isinstance(a, Value) else UNDEF
        if a is b:
            if a is not old:
                same.append((key, a))
            continue
        extra.append((key, key_hint(key), a, b))
    return extra, same


def defined_in(op):
    out = set(op.defined_here())
    for b in op.blocks():
        for inner in b.walk():
            out.update(inner.results)
            out.update(inner.defined_here())
    return out
