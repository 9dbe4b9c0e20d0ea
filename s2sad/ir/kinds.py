"""Kinds: a coarse type per value.

*Kinds* are a coarse type per value, inferred from the kinds of the arguments a
derivative is compiled for: ``"float"`` (Python or NumPy floating scalar),
``"int"`` and ``"bool"`` (never differentiable), ``"array"`` (floating ndarray),
``"intarray"`` (integer or boolean ndarray, never differentiable), ``"complex"``,
or ``None`` when unknown (treated as possibly differentiable).

User functions called with known argument kinds are lowered (through the
``lower`` function the caller passes: the compiler's cache) to infer what they
return.
"""
from __future__ import annotations

import math
import types
import numbers
from typing import Dict, Optional

import numpy as np

from .nodes import UNDEF, Const, For, Function, Global, If, Prim, Value, While

NONDIFF_KINDS = {"int", "bool", "intarray", "str", "none", "range"}


def kind_of_object(x) -> Optional[str]:
    if isinstance(x, bool) or isinstance(x, np.bool_):
        return "bool"
    if isinstance(x, numbers.Integral):
        return "int"
    if isinstance(x, (float, np.floating)):
        return "float"
    if isinstance(x, (complex, np.complexfloating)):
        return "complex"
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.floating):
            return "array"
        if np.issubdtype(x.dtype, np.complexfloating):
            return "complex"
        if np.issubdtype(x.dtype, np.integer) or x.dtype == bool:
            return "intarray"
        return None
    if isinstance(x, tuple):
        return "tuple"
    if isinstance(x, list):
        return "list"
    if isinstance(x, dict):
        return "dict"
    if isinstance(x, str):
        return "str"
    if x is None:
        return "none"
    cls = type(x)
    if getattr(cls, "__module__", "builtins") not in ("builtins",) and \
            not cls.__module__.startswith("numpy") and hasattr(x, "__dict__"):
        return ("object", cls)  # a user object: its methods can be differentiated through
    if isinstance(x, (tuple, list, dict)):
        return type(x).__name__
    return None


CONTAINER_KINDS = {"tuple", "list", "dict"}
_UNSET = "<unset>"  # a loop-carried value not defined yet (bottom of the kind lattice)


_INT_FUNCS = {len, int, round, math.floor, math.ceil, math.trunc, math.factorial,
              math.comb, math.perm, math.gcd, ord, hash, id}
_BOOL_FUNCS = {bool, isinstance, math.isnan, math.isinf, math.isfinite, callable, any, all,
               np.isnan, np.isinf, np.isfinite, np.any, np.all, np.signbit}
_INT_ARRAY_FUNCS = {np.argmax, np.argmin, np.argsort, np.nonzero, np.floor_divide}


def _num_kind(kinds):
    if any(k is None for k in kinds):
        return None
    if "complex" in kinds:
        return "complex"
    if "array" in kinds:
        return "array"
    if "intarray" in kinds:
        return "array" if "float" in kinds else "intarray"
    if "float" in kinds:
        return "float"
    if all(k in ("int", "bool") for k in kinds):
        return "int"
    return None


def infer_kinds(fn: Function, param_kinds: Dict[Value, Optional[str]],
                lower=None) -> Dict[Value, Optional[str]]:
    """The kind of every value of ``fn``, given its parameters' kinds; ``lower``
    (a function to its IR) looks into the user functions ``fn`` calls."""
    kinds: Dict[Value, Optional[str]] = dict(param_kinds)
    elems: Dict[Value, list] = {}  # kinds of the entries of tuple/list literals

    def element(base, i):
        got = elems.get(base) if isinstance(base, Value) else None
        if got is not None and isinstance(i, int) and -len(got) <= i < len(got):
            return got[i]
        return None

    def k(a):
        if isinstance(a, Value):
            return kinds.get(a)
        if isinstance(a, Const):
            return kind_of_object(a.value)
        return None

    iterators: Dict[Value, tuple] = {}  # enumerate(xs), zip(a, b), reversed(xs)

    def item_of(it):
        """The kind of what iterating over ``it`` gives, and its entries' kinds."""
        it_kind = k(it)
        if it_kind == "range":
            return "int", None
        if it_kind == "array":
            return "float", None
        got = elems.get(it) if isinstance(it, Value) else None
        if it_kind in ("tuple", "list") and got and all(g == got[0] for g in got):
            return got[0], None
        made = iterators.get(it) if isinstance(it, Value) else None
        if made is not None:
            f, args = made
            if f is enumerate:
                return "tuple", ["int", item_of(args[0])[0]]
            if f is zip:
                return "tuple", [item_of(x)[0] for x in args]
            return item_of(args[0])  # reversed
        return None, None

    def prim(op: Prim):
        a = op.args
        kd = op.kind
        res = None
        if kd == "call" and isinstance(a[0], Global) and a[0].obj in (enumerate, zip, reversed) \
                and len(a) > 1 and not op.attrs.get("kw") and not op.attrs.get("star"):
            iterators[op.results[0]] = (a[0].obj, a[1:])
        if any(k(x) is _UNSET for x in a):
            for r in op.results:
                kinds[r] = _UNSET  # not known until the loop around has been seen once
            return
        if kd == "binop":
            o = op.attrs["op"]
            if o in ("or", "and"):
                res = k(a[0]) if k(a[0]) == k(a[1]) else None
            else:
                res = _num_kind([k(a[0]), k(a[1])])
                if o == "/" and res == "int":
                    res = "float"
                if o == "/" and res == "intarray":
                    res = "array"
                if o in ("//", "%") and res == "float":
                    res = "float"
        elif kd == "unary":
            o = op.attrs["op"]
            res = "bool" if o == "not" else k(a[0])
        elif kd == "compare":
            ka, kb = k(a[0]), k(a[1])
            res = "intarray" if "array" in (ka, kb) or "intarray" in (ka, kb) else "bool"
        elif kd == "call" and isinstance(a[0], Global):
            f = a[0].obj
            args = [k(x) for x in a[1:]]
            try:
                if f in _INT_FUNCS:
                    res = "int"
                elif f in _BOOL_FUNCS:
                    res = "bool" if all(x not in ("array", "intarray") for x in args) else "intarray"
                elif f is float:
                    res = "float"
                elif f is range:
                    res = "range"
                elif f in _INT_ARRAY_FUNCS:
                    res = "intarray"
                elif getattr(f, "__module__", None) == "math" or getattr(f, "__self__", None) is math:
                    res = "float"
                elif isinstance(f, np.ufunc):
                    res = _num_kind(args) if args else None
                    if res == "int":
                        res = "float" if f not in (np.add, np.multiply, np.subtract, np.negative,
                                                   np.absolute) else "int"
                    if res == "intarray":
                        res = "array"
                elif f is sum and args and args[0] in ("tuple", "list") and \
                        elems.get(a[1]) and not op.attrs.get("kw") and not op.attrs.get("star"):
                    res = _num_kind(elems[a[1]] + args[1:])  # sum((x, y)): a float
                elif f in (abs, min, max, sum):
                    res = _num_kind(args) if args else None
                elif isinstance(f, types.FunctionType) and lower is not None:
                    res = callee_kind(f, args, op, lower)
            except TypeError:
                res = None
        elif kd == "getattr" and op.attrs["attr"] in ("shape", "ndim", "size", "dtype"):
            res = {"ndim": "int", "size": "int"}.get(op.attrs["attr"], "none")
        elif kd == "getattr" and op.attrs["attr"] == "T":
            res = k(a[0])
        elif kd == "getitem":
            base = k(a[0])
            if base == "intarray":
                res = "intarray"
            index = op.attrs.get("index")
            if base in ("tuple", "list") and index is not None and index[0] == "val" and \
                    isinstance(a[index[1]], Const):
                res = element(a[0], a[index[1]].value)
        elif kd == "build":
            t = op.attrs.get("type")
            res = t if t in CONTAINER_KINDS else None
            if t in ("tuple", "list") and not op.attrs.get("star"):
                elems[op.results[0]] = [k(x) for x in a]
        elif kd == "unpack":
            got = elems.get(a[0]) if isinstance(a[0], Value) else None
            if got is not None and len(got) == len(op.results) and not op.attrs.get("star"):
                for r, kr in zip(op.results, got):
                    kinds[r] = kr
                return
        elif kd == "copy":
            res = k(a[0])
        elif kd == "fstring":
            res = "str"
        for r in op.results:
            kinds[r] = res
        if op.attrs.get("inplace") or op.kind in ("setitem", "augsetitem") or \
                (kd == "callmethod" and op.attrs.get("mutates") and op.results):
            kinds[op.results[0]] = k(a[0])

    def join(a, b):
        return a if a == b else (None if a is not None and b is not None else (a or b))

    def block(b):
        for op in b.ops:
            if isinstance(op, Prim):
                prim(op)
            elif isinstance(op, If):
                block(op.then)
                block(op.orelse)
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    kinds[r] = _join_yields(k, y1, y2)
            else:
                if isinstance(op, For):
                    item_kind = item_of(op.iter)
                    kinds[op.item] = item_kind[0]
                    if item_kind[1] is not None:
                        elems[op.item] = item_kind[1]
                for a_, init in zip(op.args, op.inits):
                    kinds[a_] = _UNSET if init is UNDEF else k(init)
                for _ in range(10):
                    if isinstance(op, While):
                        block(op.cond)
                    block(op.body)
                    changed = False
                    for a_, init, y in zip(op.args, op.inits, op.body.yields):
                        new = _join_yields(k, init, y)
                        if new != kinds.get(a_):
                            kinds[a_] = new
                            changed = True
                    if not changed:
                        break
                for r, a_ in zip(op.results, op.args):
                    kinds[r] = kinds.get(a_)

    block(fn.body)
    for v, kv in kinds.items():
        if kv is _UNSET:
            kinds[v] = None
    return kinds


def _join_yields(k, y1, y2):
    if y1 is UNDEF or k(y1) is _UNSET:
        return k(y2)
    if y2 is UNDEF or k(y2) is _UNSET:
        return k(y1)
    a, b = k(y1), k(y2)
    if a == b:
        return a
    if {a, b} <= {"int", "float"}:
        return "float"
    if {a, b} <= {"int", "bool"}:
        return "int"
    if {a, b} <= {"float", "array"} or {a, b} <= {"int", "array"}:
        return "array"
    return None


def differentiable_kind(kind) -> bool:
    return kind not in NONDIFF_KINDS


_callee_kinds: Dict = {}


def callee_kind(f, arg_kinds, op, lower):
    """The kind a user function returns for arguments of these kinds."""
    if op.attrs.get("kw") or op.attrs.get("star") or op.attrs.get("dstar"):
        return None
    key = (f, tuple(arg_kinds))
    if key in _callee_kinds:
        return _callee_kinds[key]
    _callee_kinds[key] = None  # recursion: unknown until known
    try:
        fn = lower(f)
        params = [p for p in fn.params if p.kind == "positional"]
        kinds = {p.value: (kind_of_object(p.default.value) if isinstance(p.default, Const) else None)
                 for p in params}
        kinds.update({p.value: k for p, k in zip(params, arg_kinds)})
        out = fn.body.yields[0]
        res = infer_kinds(fn, kinds, lower).get(out) if isinstance(out, Value) else \
            (kind_of_object(out.value) if isinstance(out, Const) else None)
    except Exception:
        res = None
    _callee_kinds[key] = res
    return res
