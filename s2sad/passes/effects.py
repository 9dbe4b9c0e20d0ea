"""What the optimizing passes must know about side effects and aliasing.

Three facts, all conservative, computed once per pass over the whole function:

* **In-place bases.**  An op that writes into its first operand
  (``x[i] = v``, ``x += v``, ``xs.append(v)``: :func:`~s2sad.ir.analysis.is_mutation`)
  makes the emitter keep that operand and the op's result in *one* Python
  variable.  A pass may therefore never make such a base stand for another
  value, nor another value stand for it: :meth:`Effects.is_base`.
* **May-alias classes.**  A flow-insensitive points-to analysis in the style of
  Steensgaard: values that may be the same object (``y = x``, a view ``x[1:]``,
  a loop's init, argument and result) are one class, and each class knows the
  classes of what it contains (a list's entries, a tuple's items, an object's
  attributes); they become one class only when something is read out of it
  (``t[i]`` may be any of them), so ``(a, b)`` alone does not tie ``a`` to ``b``.  A class is *mutated* when a value of it is written in
  place, and *escaped* when one of its values is handed to code whose effects
  are unknown (then everything it contains is escaped too).  Values whose kind
  is an immutable number or string take no part: they are never changed.
* **Effects of an op** (:meth:`Effects.effect`): ``None`` (pure, or rebinding a
  number), ``"local"`` (writes into the alias class of its first operand: an
  array or a list) or ``"opaque"`` (an unknown call: it may change anything
  reachable from its operands, the arguments or global state).
"""
from __future__ import annotations

import math
import types
from typing import Dict, Optional

import numpy as np

from ..ir.analysis import is_mutation, is_pure
from ..ir.kinds import kind_of_object
from ..rules.structure import LIST_METHODS, is_context_op
from ..ir.nodes import MISSING, Const, For, Function, Global, If, Prim, UNDEF, Value, While

IMMUTABLE_KINDS = frozenset({"float", "int", "bool", "complex", "str", "none", "range"})
# methods of a list that change only the list (never its entries)
_LITERAL_TYPES = frozenset({int, float, complex, bool, str, bytes, type(None), type(Ellipsis)})


def is_literal(value) -> bool:
    """An immutable constant (numbers, strings, None, tuples of those)."""
    if type(value) in _LITERAL_TYPES or isinstance(value, np.generic):
        return True
    if type(value) is tuple:
        return all(is_literal(v) for v in value)
    return False


def is_clean_global(obj) -> bool:
    """A global nothing can change: a module, a function, a class, a literal."""
    if is_literal(obj):
        return True
    return isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                            types.BuiltinMethodType, type, np.ufunc))


class _Node:
    """A class's element, before any value has been seen in it."""

    __slots__ = ("__weakref__",)

    def __repr__(self):
        return "<elem>"


class Effects:
    def __init__(self, fn: Function, kinds: Optional[Dict] = None):
        self.kinds = kinds or {}
        self.bases = set()  # values an in-place op takes the variable of
        self.defs: Dict[Value, Prim] = {}
        self.parent: Dict[object, object] = {}
        self.items: Dict[object, list] = {}  # root -> nodes of what it contains
        self.mutated = set()  # roots written in place
        self.escaped = set()  # roots handed to unknown code
        self.world = _Node()  # what globals and non-literal constants may point to
        self.escaped.add(self.world)
        self._region_effects: Dict[int, Optional[str]] = {}
        self._pure: Dict[Prim, bool] = {}
        self._visit(fn.body)
        self._finish()

    # -- queries ------------------------------------------------------------
    def kind(self, a):
        if type(a) is Value:
            return self.kinds.get(a)
        if type(a) is Const:
            return kind_of_object(a.value)
        return None

    def immutable(self, a) -> bool:
        """Values of this operand can never change (a number, a string...)."""
        if type(a) is Value:
            return self.kinds.get(a) in IMMUTABLE_KINDS
        if type(a) is Const:
            return is_literal(a.value)
        return False

    def pure(self, op: Prim) -> bool:
        """:func:`~s2sad.ir.analysis.is_pure`, asked once per op: the passes
        that share these facts never change an op's kind, attributes or callee
        (they replace Values by Values or Consts)."""
        found = self._pure.get(op)
        if found is None:
            found = self._pure[op] = is_pure(op)
        return found

    def all_immutable(self, operands) -> bool:
        kinds = self.kinds
        for a in operands:
            if type(a) is Value:  # (most often: looked up here)
                if kinds.get(a) not in IMMUTABLE_KINDS:
                    return False
            elif not self.immutable(a):
                return False
        return True

    def is_base(self, a) -> bool:
        return isinstance(a, Value) and a in self.bases

    def dirty(self, a) -> bool:
        """The object ``a`` (or one sharing its memory) may be written in place
        somewhere in the function, or by unknown code."""
        if isinstance(a, Global):
            return not is_clean_global(a.obj)
        if isinstance(a, Const):
            return not is_literal(a.value)
        if not isinstance(a, Value) or self.immutable(a):
            return False
        return self.find(a) in self._dirty_roots

    def deep_dirty(self, a) -> bool:
        """Something ``a`` is or contains (at any depth) may be changed."""
        if isinstance(a, Global):
            return not is_clean_global(a.obj)
        if isinstance(a, Const):
            return not is_literal(a.value)
        if not isinstance(a, Value) or self.immutable(a):
            return False
        return self.find(a) in self._deep_roots

    def effect(self, op) -> Optional[str]:
        """None, "local" or "opaque" for one op (regions: the worst inside)."""
        if not isinstance(op, Prim):
            key = id(op)
            if key not in self._region_effects:
                worst = None
                for b in op.blocks():
                    for inner in b.walk():
                        e = self.effect(inner)
                        if e == "opaque":
                            worst = "opaque"
                            break
                        if e == "local":
                            worst = "local"
                    if worst == "opaque":
                        break
                self._region_effects[key] = worst
            return self._region_effects[key]
        if self.pure(op) or op.kind == "raise" or is_context_op(op):
            return None
        if is_mutation(op):
            if op.kind == "binop" and (op.attrs.get("scalar") or self.immutable(op.args[0])):
                return None  # ``t += v`` on a number only rebinds t
            if op.kind == "callmethod" and not self.is_container(op.args[0]):
                return "opaque"  # ``obj.update(v)`` may be any method of a user's class
            if op.kind in ("setattr", "augsetattr"):
                return "opaque"  # a property's setter may do anything
            return "local"
        if op.kind == "callmethod" and op.args:
            base, method = op.args[0], op.attrs.get("method")
            if method in LIST_METHODS and self.is_list(base):
                return "local"
            if method == "copy" and self.kind(base) in ("array", "carray", "list", "dict"):
                return None
        return "opaque"

    def is_container(self, a) -> bool:
        if self.kind(a) in ("list", "dict"):
            return True
        op = self.defs.get(a) if isinstance(a, Value) else None
        return op is not None and op.kind == "build" and op.attrs.get("type") in ("list", "dict",
                                                                                   "set")

    def is_list(self, a) -> bool:
        if self.kind(a) == "list":
            return True
        op = self.defs.get(a) if isinstance(a, Value) else None
        return op is not None and op.kind == "build" and op.attrs.get("type") == "list"

    # -- union-find; each class lists the classes it contains ---------------------------
    def find(self, x):
        root = x
        parent = self.parent
        while parent.get(root, root) is not root:
            root = parent[root]
        while x is not root:
            nxt = parent.get(x, x)
            parent[x] = root
            x = nxt
        return root

    def _node(self, a):
        """The points-to node of an operand (None: it can hold no mutable object)."""
        if type(a) is Value:
            return None if self.kinds.get(a) in IMMUTABLE_KINDS else a
        if isinstance(a, Global):
            return None if is_clean_global(a.obj) else self.world
        if isinstance(a, Const):
            return None if is_literal(a.value) else self.world
        return None

    def union(self, a, b):
        if a is None or b is None:
            return
        rx, ry = self.find(a), self.find(b)
        if rx is ry:
            return
        if ry is self.world:
            rx, ry = ry, rx
        self.parent[ry] = rx
        for flags in (self.mutated, self.escaped):
            if ry in flags:
                flags.discard(ry)
                flags.add(rx)
        items = self.items.pop(ry, None)
        if items:
            self.items.setdefault(rx, []).extend(items)

    def element(self, a):
        """One class for everything ``a``'s class contains (what ``a[i]`` may be)."""
        if a is None:
            return None
        r = self.find(a)
        items = self.items.get(r)
        if not items:
            node = _Node()
            self.items[r] = [node]
            return node
        first = items[0]
        for other in items[1:]:
            self.union(first, other)
        r = self.find(a)  # merging may have merged a's class itself
        self.items[r] = [self.find(first)]
        return first

    def same(self, a, b):
        self.union(self._node(a), self._node(b))

    def contains(self, container, item):
        c, i = self._node(container), self._node(item)
        if c is not None and i is not None:
            self.items.setdefault(self.find(c), []).append(i)

    def share_elements(self, a, b):
        na, nb = self._node(a), self._node(b)
        if na is not None and nb is not None:
            self.union(self.element(na), self.element(nb))

    def part(self, base, result):
        """``result`` is read out of ``base``: a view of an array, an entry of a
        container, or (kind unknown) either."""
        kind = self.kind(base)
        if kind in ("array", "carray"):
            self.same(result, base)
        elif kind in ("tuple", "list", "dict") or isinstance(kind, tuple):
            # ``t[i]`` may be any entry: written in place, each may change
            nb, nr = self._node(base), self._node(result)
            if nb is not None and nr is not None:
                self.union(self.element(nb), nr)
        else:
            self.same(result, base)
            self.contains(base, result)

    # -- the walk -----------------------------------------------------------------
    def _visit(self, block):
        defs = self.defs
        for op in block.ops:
            if type(op) is Prim:
                for r in op.results:
                    defs[r] = op
                self._prim(op)
            elif isinstance(op, If):
                self._visit(op.then)
                self._visit(op.orelse)
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    self.same(r, y1)
                    self.same(r, y2)
            else:
                if isinstance(op, For):
                    self.part(op.iter, op.item)
                if isinstance(op, While):
                    self._visit(op.cond)
                self._visit(op.body)
                for a, init, y, r in zip(op.args, op.inits, op.body.yields, op.results):
                    self.same(a, init)
                    self.same(a, y)
                    self.same(a, r)

    def _escape(self, operands):
        nodes = [n for n in (self._node(a) for a in operands) if n is not None]
        for n in nodes:
            self.union(self.world, n)

    def _prim(self, op: Prim):
        k, args = op.kind, op.args
        pure = self.pure(op)  # (then neither a mutation nor with effects)
        if not pure and is_mutation(op):
            base = args[0]
            if isinstance(base, Value):
                self.bases.add(base)
            if k == "binop" and (op.attrs.get("scalar") or self.immutable(base)):
                return
            if self.effect(op) == "opaque":
                self._escape(list(args) + list(op.results))
                return
            for r in op.results:
                self.same(r, base)
            node = self._node(base)
            if node is not None:
                self.mutated.add(self.find(node))
            if k in ("setitem", "augsetitem", "setattr", "augsetattr"):
                self.contains(base, args[1])
                if k == "augsetitem" and node is not None and \
                        self.kind(base) not in ("array", "carray"):
                    # ``xs[i] += v`` adds into the entry itself when it is an array
                    # (``__iadd__``), not only into the container
                    self.mutated.add(self.find(self.element(node)))
            else:  # ``xs += ys``, ``xs.extend(ys)``, ``xs.append(y)``
                for a in args[1:]:
                    self.contains(base, a)
                    self.share_elements(base, a)
            return
        effect = None if pure else self.effect(op)
        if k == "callmethod" and effect != "opaque":
            base = args[0]
            if op.attrs.get("method") == "copy":
                for r in op.results:
                    self.share_elements(r, base)
                return
            node = self._node(base)
            if node is not None:
                self.mutated.add(self.find(node))
            for a in list(args[1:]) + list(op.results):
                self.contains(base, a)
            return
        if effect == "opaque":
            self._escape(list(args) + list(op.results))
            return
        if k == "raise" or is_context_op(op):
            return
        # pure primitives
        if k in ("binop", "unary", "compare", "fstring"):
            if k == "binop":  # ``t1 + t2`` and ``xs * 2`` hold the entries of their operands
                for r in op.results:
                    if self._node(r) is not None:  # (a number holds nothing)
                        for a in args:
                            self.share_elements(r, a)
            return
        if k == "copy":
            self.same(op.results[0], args[0])
            return
        if k in ("getitem", "getattr"):
            for r in op.results:
                self.part(args[0], r)
            return
        if k == "unpack":
            for r in op.results:
                self.part(args[0], r)
            return
        if k == "build":
            for r in op.results:
                for a in args:
                    self.contains(r, a)
            return
        if k == "call":
            f = args[0].obj if isinstance(args[0], Global) else None
            if isinstance(f, np.ufunc) or getattr(f, "__module__", None) == "math" or \
                    getattr(f, "__self__", None) is math:
                return  # a fresh number or array
            for r in op.results:
                for a in args[1:]:
                    self.same(r, a)  # np.asarray(x) is x; np.reshape(x) is a view
            return
        for r in op.results:  # anything else: as if it returned its operands
            for a in args:
                self.same(r, a)

    def _children(self, root):
        return {self.find(i) for i in self.items.get(root, ())}

    def _finish(self):
        roots = {self.find(x) for x in list(self.parent) + list(self.items) +
                 list(self.mutated) + list(self.escaped)}
        # escaped: everything reachable from an escaped class
        escaped = set()
        work = [self.find(r) for r in self.escaped]
        while work:
            node = work.pop()
            if node in escaped:
                continue
            escaped.add(node)
            work.extend(self._children(node))
        self._dirty_roots = escaped | {self.find(m) for m in self.mutated}
        # deep: a class that is, or contains at any depth, a dirty one
        parents = {}
        for r in roots:
            for c in self._children(r):
                parents.setdefault(c, set()).add(r)
        deep = set()
        work = list(self._dirty_roots)
        while work:
            node = work.pop()
            if node in deep:
                continue
            deep.add(node)
            work.extend(parents.get(node, ()))
        self._deep_roots = deep


def mutation_bases(fn: Function):
    """Values whose variable an in-place op takes over (see :class:`Effects`)."""
    bases = set()
    for op in fn.walk():
        if is_mutation(op) and type(op.args[0]) is Value:
            bases.add(op.args[0])
    return bases


def operand_key(a):
    """Operands compare by identity (Values), by value (literal Consts, with the
    sign of a zero and the type), by object (Globals)."""
    if isinstance(a, Value):
        return a
    if isinstance(a, Const):
        v = a.value
        if is_literal(v) and not isinstance(v, np.generic):
            return ("const", type(v), repr(v))
        return ("const-obj", id(v))
    if isinstance(a, Global):
        return ("global", a.name) if a.obj is MISSING else ("global", id(a.obj))
    if a is UNDEF:
        return ("undef",)
    return None


def freeze(x):
    """A hashable form of an attribute value (None if there is none)."""
    if isinstance(x, (str, int, float, bool, type(None), complex)):
        return (type(x), repr(x)) if isinstance(x, float) else x
    if isinstance(x, (tuple, list)):
        parts = [freeze(y) for y in x]
        if any(p is _UNHASHABLE for p in parts):
            return _UNHASHABLE
        return (type(x).__name__,) + tuple(parts)
    if isinstance(x, dict):
        items = [(k, freeze(v)) for k, v in x.items()]
        if any(v is _UNHASHABLE for _, v in items):
            return _UNHASHABLE
        try:
            return ("dict",) + tuple(sorted(items, key=repr))
        except TypeError:
            return _UNHASHABLE
    try:
        hash(x)
        return ("obj", id(x))
    except TypeError:
        return _UNHASHABLE


_UNHASHABLE = object()


def is_number(a) -> bool:
    return isinstance(a, Const) and type(a.value) in (int, float, complex, bool)


def number(a):
    if isinstance(a, Const) and type(a.value) in (int, float, complex) and \
            not isinstance(a.value, bool):
        return a.value
    return None


