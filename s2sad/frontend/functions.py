"""Functions as values, known when the function is lowered.

The IR has no closures and no function values.  A ``lambda``, a nested
``def``, a function passed to or returned from the user's own helpers, and a
NumPy function bound to a name are compile-time constants of the lowering:
each call of one is resolved where it is lowered, and inlined (or, for a
NumPy, math or user function, called by its rule or its own derivative).

A lambda or nested def is a :class:`Closure`: its node and the :class:`Frame`
it was made in.  Its body reads the frame's variables *when it is called*, as
Python's late-binding closures do; its defaults were evaluated where it was
made.  ``functools.partial`` of one is a :class:`Partial`.  A list, tuple or
dict literal that holds one is a :class:`StaticSeq`,
iterated (the loop is unrolled) and indexed by constants at compile time.
A name whose function depends on run-time data (set differently on two paths
of a branch, changed from one loop iteration to the next) is a
:class:`Poison`: an error where it is used.
"""
from __future__ import annotations

import functools
import operator
import types

import gast
import numpy as np

from ..ir.nodes import Const, Global
from .source import FileFunction, transparent_wrapper
from .syntax import assigned_names

_DISPATCHER = type(np.sum)

#: What a lowering of a call answers when the call is not one it resolves.
NOT_HANDLED = object()


class Frame:
    """One invocation being lowered: the differentiated function or an inlined
    call.  While it runs, its variables are the lowerer's ``env``; while it
    calls another function, and once it has returned, they are kept here for
    the closures made in it."""

    __slots__ = ("info", "locals", "env")

    def __init__(self, info, local_names, env=None):
        self.info = info
        self.locals = set(local_names)
        self.env = env


class Closure:
    """A lambda or nested def and the frame it was made in."""

    __slots__ = ("node", "frame", "defaults", "kwdefaults", "name")

    def __init__(self, node, frame, defaults, kwdefaults, name):
        self.node = node  # gast.Lambda or gast.FunctionDef
        self.frame = frame
        self.defaults = defaults  # lowered values of the positional defaults
        self.kwdefaults = kwdefaults  # name -> lowered value
        self.name = name  # for naming its results (None: an anonymous lambda)

    @property
    def params(self):
        a = self.node.args
        return [p.id for p in list(a.posonlyargs) + list(a.args)]

    @property
    def label(self):
        return self.name or "lambda"

    def body(self):
        """The statements its call runs (a lambda's expression is returned)."""
        if isinstance(self.node, gast.Lambda):
            ret = gast.Return(value=self.node.body)
            gast.copy_location(ret, self.node.body)
            return [ret]
        return list(self.node.body)

    def __repr__(self):
        return f"Closure({self.label})"


class Partial:
    """``functools.partial(fn, *args, **keywords)`` of a function value."""

    __slots__ = ("fn", "args", "keywords")

    def __init__(self, fn, args, keywords):
        self.fn, self.args, self.keywords = fn, list(args), dict(keywords)

    def __repr__(self):
        return f"Partial({self.fn!r})"


class StaticSeq:
    """A list, tuple or dict literal holding a function value, kept as its
    entries (``keys`` are the dict's, as constants)."""

    __slots__ = ("kind", "items", "keys")

    def __init__(self, kind, items, keys=None):
        self.kind = kind
        self.items = list(items)
        self.keys = keys

    def __repr__(self):
        return f"StaticSeq({self.kind}, {self.items!r})"


class Poison:
    """What a name holds where its function value depends on run-time data."""

    __slots__ = ("name", "loc", "why", "hint")

    def __init__(self, name, loc, why, hint):
        self.name, self.loc, self.why, self.hint = name, loc, why, hint

    def message(self):
        where = f" (line {self.loc.lineno})" if self.loc is not None else ""
        what = "this is" if self.name is None else f"'{self.name}' is here"
        return f"cannot tell which function {what}: {self.why}{where}"


def is_function_object(obj) -> bool:
    """Whether ``obj`` is a function s2sad resolves when it lowers a call of it."""
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, np.ufunc,
                            _DISPATCHER, FileFunction, functools.partial)) or \
        transparent_wrapper(obj)


def is_compile_time(v) -> bool:
    """Values that exist only while lowering: they may not reach the IR."""
    return isinstance(v, (Closure, Partial, StaticSeq, Poison))


def is_static(v) -> bool:
    """A function value known at compile time (or a container of them)."""
    return is_compile_time(v) or (isinstance(v, Global) and is_function_object(v.obj))


def is_callable_static(v) -> bool:
    """A function known at compile time (not a container of them)."""
    return isinstance(v, (Closure, Partial)) or \
        (isinstance(v, Global) and is_function_object(v.obj))


def same_value(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, Const) and isinstance(b, Const):
        return a == b
    if isinstance(a, Global) and isinstance(b, Global):
        return a.obj is b.obj
    if isinstance(a, Closure) and isinstance(b, Closure):
        # late binding: two closures of one node made in one frame read the
        # same variables, so they are the same function if their defaults are
        return a.node is b.node and a.frame is b.frame and \
            len(a.defaults) == len(b.defaults) and \
            all(same_value(x, y) for x, y in zip(a.defaults, b.defaults)) and \
            a.kwdefaults.keys() == b.kwdefaults.keys() and \
            all(same_value(v, b.kwdefaults[k]) for k, v in a.kwdefaults.items())
    return False


def merge_static(name, a, b, loc):
    """The value of ``name`` after a branch whose paths left it ``a`` and ``b``,
    one of them a function value."""
    if same_value(a, b):
        return a
    for v in (a, b):
        if isinstance(v, Poison):
            return v
    pseudo = name.startswith(".")  # (an if-expression, a returned value)
    return Poison(None if pseudo else name, loc, "it is a different function (or "
                  "none) depending on the branch taken",
                  "call the function inside each branch instead (if c: y = f(x) "
                  "else: y = g(x)), or pass the choice as a constant")


def global_for(obj, info):
    """A :class:`Global` for a function object (a default argument): spelled
    through a module of the function's globals when one holds it (``np.sum``)."""
    name = getattr(obj, "__name__", None) or "fn"
    for gname, mod in info.globals.items():
        if isinstance(mod, types.ModuleType) and getattr(mod, name, None) is obj:
            return Global(f"{gname}.{name}", obj, mod)
    if info.globals.get(name) is obj:
        return Global(name, obj)
    return Global(name if name.isidentifier() else "fn", obj)


def constant(obj, info):
    """A Python object (a default's value) as an operand of the lowering."""
    return global_for(obj, info) if is_function_object(obj) else Const(obj)


def function_locals(node):
    """The names local to a lambda or def: its parameters and what it assigns."""
    a = node.args
    names = {p.id for p in list(a.posonlyargs) + list(a.args) + list(a.kwonlyargs)}
    for p in (a.vararg, a.kwarg):
        if p is not None:
            names.add(p.id)
    body = [node.body] if isinstance(node, gast.Lambda) else node.body
    names.update(assigned_names([gast.Expr(value=b) if isinstance(b, gast.expr) else b
                                 for b in body], mutations=False))
    return names


def defines_functions(node, globals_):
    """Whether a helper's body makes a function value (a lambda, a nested def
    used other than by calling it), returns a global function or calls one of
    its parameters."""
    a = node.args
    params = {p.id for p in list(a.posonlyargs) + list(a.args) + list(a.kwonlyargs)}
    called, loads, defs = set(), [], set()
    for n in gast.walk(node):
        if n is node:
            continue
        if isinstance(n, gast.Lambda):
            return True
        if isinstance(n, gast.Return) and _global_function(n.value, globals_):
            return True
        if isinstance(n, gast.FunctionDef):
            defs.add(n.name)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Name):
            if n.func.id in params:
                return True
            called.add(id(n.func))
        elif isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            loads.append(n)
    return any(n.id in defs and id(n) not in called for n in loads)


def _global_function(e, globals_):
    """Whether the expression ``e`` is a name (``np.sin``) of a global function."""
    path = []
    while isinstance(e, gast.Attribute):
        path.append(e.attr)
        e = e.value
    if not isinstance(e, gast.Name) or e.id not in globals_:
        return False
    obj = globals_[e.id]
    for attr in reversed(path):
        obj = getattr(obj, attr, None)
    return is_function_object(obj)


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "==": operator.eq, "!=": operator.ne, "is": operator.is_,
            "is not": operator.is_not, "in": lambda a, b: a in b,
            "not in": lambda a, b: a not in b}


def fold_compare(op, a, b):
    """``a op b`` of two constants, as a constant: a helper inlined with
    ``get_activation("tanh")`` picks its function when compiling.  None when
    either is not a constant, or the comparison is not a plain bool.  A function
    value compares by identity (``if callback is not None``)."""
    if op in ("is", "is not", "==", "!=") and (is_static(a) or is_static(b)):
        known = [x.value if isinstance(x, Const) else x.obj if isinstance(x, Global) else x
                 for x in (a, b) if isinstance(x, (Const, Global)) or is_compile_time(x)]
        if len(known) == 2 and not any(isinstance(x, Poison) for x in known):
            return Const((known[0] is known[1]) == (op in ("is", "==")))
        return None
    if not (isinstance(a, Const) and isinstance(b, Const)):
        return None
    try:
        r = _COMPARE[op](a.value, b.value)
    except Exception:
        return None
    return Const(r) if isinstance(r, bool) else None


def literal(node):
    """A tuple, list or set display of constants (``("sin", "sine")``) as a
    constant, for :func:`fold_compare`; None for anything else."""
    if isinstance(node, (gast.Tuple, gast.List, gast.Set)) and \
            all(isinstance(e, gast.Constant) for e in node.elts):
        return Const(tuple(e.value for e in node.elts))
    return None


# Calls whose arguments may be a map or filter: they iterate over it once, as
# s2sad's list of its items is iterated.
CONSUMERS = {"list", "tuple", "sum", "sorted", "min", "max", "set", "any", "all",
             "enumerate", "zip", "reduce", "map", "filter", "dict"}


def consumed_calls(fnode):
    """The ids of the ``map(...)``/``filter(...)`` calls of a function that are
    consumed where they are made: an argument of ``list``, ``sum`` (...), the
    iterable of a for loop or a comprehension."""
    out = set()
    for n in gast.walk(fnode):
        if isinstance(n, gast.Call):
            f = n.func
            name = f.id if isinstance(f, gast.Name) else f.attr if isinstance(
                f, gast.Attribute) else None
            if name in CONSUMERS:
                out.update(id(a) for a in n.args)
        elif isinstance(n, gast.For):
            out.add(id(n.iter))
        elif isinstance(n, gast.comprehension):
            out.add(id(n.iter))
    return out
