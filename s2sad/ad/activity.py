"""Kinds and activity.

*Kinds* are a coarse type per value, inferred from the kinds of the arguments a
derivative is compiled for: ``"float"`` (Python or NumPy floating scalar),
``"int"`` and ``"bool"`` (never differentiable), ``"array"`` (floating ndarray),
``"intarray"`` (integer or boolean ndarray, never differentiable), ``"complex"``,
or ``None`` when unknown (treated as possibly differentiable).

A value is *active* when it depends on a differentiated input and its kind can
carry a derivative.  Loop-carried values are solved to a fixed point.
"""
from __future__ import annotations

import builtins
import math
import numbers
from typing import Dict, Optional, Set

import numpy as np

from ..ir.nodes import Const, For, Function, Global, If, Prim, Value, While

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
    if isinstance(x, str):
        return "str"
    if x is None:
        return "none"
    return None


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


def infer_kinds(fn: Function, param_kinds: Dict[Value, Optional[str]]) -> Dict[Value, Optional[str]]:
    kinds: Dict[Value, Optional[str]] = dict(param_kinds)

    def k(a):
        if isinstance(a, Value):
            return kinds.get(a)
        if isinstance(a, Const):
            return kind_of_object(a.value)
        return None

    def prim(op: Prim):
        a = op.args
        kd = op.kind
        res = None
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
                elif f in (abs, min, max, sum):
                    res = _num_kind(args) if args else None
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
        elif kd == "copy":
            res = k(a[0])
        elif kd == "fstring":
            res = "str"
        for r in op.results:
            kinds[r] = res
        if op.attrs.get("inplace") or op.kind in ("setitem", "augsetitem"):
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
                    it = op.iter
                    it_kind = k(it)
                    kinds[op.item] = "int" if it_kind == "range" else (
                        "float" if it_kind == "array" else None)
                for a_, init in zip(op.args, op.inits):
                    kinds[a_] = k(init)
                for _ in range(3):
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
    return kinds


def _join_yields(k, y1, y2):
    from ..ir.nodes import UNDEF
    if y1 is UNDEF:
        return k(y2)
    if y2 is UNDEF:
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


def infer_activity(fn: Function, active_params: Set[Value], kinds) -> Set[Value]:
    """Values that depend on an active parameter and may carry a derivative."""
    active: Set[Value] = set(active_params)

    def on(a):
        return isinstance(a, Value) and a in active

    def mark(v):
        if differentiable_kind(kinds.get(v)) and v not in active:
            active.add(v)
            return True
        return False

    def block(b) -> bool:
        changed = False
        for op in b.ops:
            if isinstance(op, Prim):
                if op.kind in ("compare",) or (op.kind == "binop" and op.attrs["op"] in ("or", "and")):
                    continue
                if any(on(a) for a in op.args):
                    for r in op.results:
                        changed |= mark(r)
            elif isinstance(op, If):
                changed |= block(op.then)
                changed |= block(op.orelse)
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    if on(y1) or on(y2):
                        changed |= mark(r)
            else:
                if isinstance(op, For) and on(op.iter):
                    changed |= mark(op.item)
                while True:
                    inner = False
                    for a_, init, y in zip(op.args, op.inits, op.body.yields):
                        if on(init) or on(y):
                            inner |= mark(a_)
                    if isinstance(op, While):
                        inner |= block(op.cond)
                    inner |= block(op.body)
                    for a_, init, y in zip(op.args, op.inits, op.body.yields):
                        if on(init) or on(y):
                            inner |= mark(a_)
                    changed |= inner
                    if not inner:
                        break
                for r, a_ in zip(op.results, op.args):
                    if on(a_):
                        changed |= mark(r)
        return changed

    while block(fn.body):
        pass
    return active
