"""Kinds: a coarse type per value.

*Kinds* are a coarse type per value, inferred from the kinds of the arguments a
derivative is compiled for: ``"float"`` (Python or NumPy floating scalar),
``"int"`` and ``"bool"`` (never differentiable), ``"array"`` (floating ndarray),
``"intarray"`` (integer or boolean ndarray, never differentiable), ``"complex"``
(Python or NumPy complex scalar), ``"carray"`` (complex ndarray), or ``None``
when unknown (treated as possibly differentiable).

An array kind may also know its rank (:class:`Ranked`, never its shape, so
that code is not compiled again per shape): ``v[i]`` of a 1-D float array is
a ``"float"``, and derivative code for it needs no broadcasting.

User functions called with known argument kinds are lowered (through the
``lower`` function the caller passes: the compiler's cache) to infer what they
return.
"""
from __future__ import annotations

import math
import types
import numbers
import operator
from typing import Dict, Optional

import numpy as np

from .. import runtime
from .nodes import UNDEF, Const, For, Function, Global, If, Prim, Value, While

# "key": what iterating over a dict gives; "type": type(x)
NONDIFF_KINDS = {"int", "bool", "intarray", "str", "none", "range", "key", "type"}


class Ranked(str):
    """An array kind (``"array"``, ``"intarray"``, ``"carray"``) of known rank.

    It equals its plain kind for every test the stages make (``kind ==
    "array"``, ``kind in REAL_KINDS``), and hashes alike; caches tell ranks
    apart through :func:`kinds_key`, joins through :func:`same_kind`."""

    def __new__(cls, kind, rank):
        self = str.__new__(cls, kind)
        self.rank = rank
        return self

    def __repr__(self):
        return f"{str.__repr__(self)}[rank {self.rank}]"

    def __reduce__(self):
        return Ranked, (str(self), self.rank)


ELEMENT_KINDS = {"array": "float", "intarray": "int", "carray": "complex"}


def rank_of(kind) -> Optional[int]:
    """The rank a kind knows (0 for a scalar), or None."""
    if isinstance(kind, Ranked):
        return kind.rank
    if kind in ("float", "int", "bool", "complex"):
        return 0
    return None


def ranked(kind, rank):
    """``kind`` with rank ``rank`` (None: unknown); rank 0 is the element kind."""
    if kind not in ELEMENT_KINDS:
        return kind
    if rank is None:
        return str(kind)
    return ELEMENT_KINDS[kind] if rank == 0 else Ranked(str(kind), rank)


def same_kind(a, b) -> bool:
    """``a == b`` with ranks told apart (a known rank is not an unknown one)."""
    return a == b and getattr(a, "rank", None) == getattr(b, "rank", None)


def kinds_key(kinds) -> tuple:
    """A cache key for argument kinds that tells ranks apart."""
    return tuple((k, k.rank) if isinstance(k, Ranked) else k for k in kinds)


# the kinds of the types constants have most often, found at once
_LITERAL_KINDS = {float: "float", int: "int", bool: "bool", complex: "complex", str: "str",
                  type(None): "none"}


def kind_of_object(x) -> Optional[str]:
    kind = _LITERAL_KINDS.get(type(x))
    if kind is not None:
        return kind
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
            return Ranked("array", x.ndim) if x.ndim else "array"
        if np.issubdtype(x.dtype, np.complexfloating):
            return Ranked("carray", x.ndim) if x.ndim else "carray"
        if np.issubdtype(x.dtype, np.integer) or x.dtype == bool:
            return Ranked("intarray", x.ndim) if x.ndim else "intarray"
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
COMPLEX_KINDS = {"complex", "carray"}
REAL_KINDS = {"float", "array"}  # differentiable, and known to hold real numbers
_UNSET = "<unset>"  # a loop-carried value not defined yet (bottom of the kind lattice)


_INT_FUNCS = {len, int, round, math.floor, math.ceil, math.trunc, math.factorial,
              math.comb, math.perm, math.gcd, ord, hash, id}
_BOOL_FUNCS = {bool, isinstance, math.isnan, math.isinf, math.isfinite, callable, any, all,
               np.isnan, np.isinf, np.isfinite, np.any, np.all, np.signbit}
_INT_ARRAY_FUNCS = {np.argmax, np.argmin, np.argsort, np.nonzero, np.floor_divide}
# of one array, with no axis: a scalar
_FULL_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.std, np.var,
                    np.nansum, np.nanmean, np.nanprod, np.nanmax, np.nanmin, np.median,
                    np.average, np.ptp}
# of a complex number, a real one (of a complex array, a real array)
_REAL_PARTS = {abs, operator.abs, np.absolute, np.real, np.imag, np.angle}
# the runtime helpers of derivative code whose result is a dict when the operands at
# these positions all are (the adjoint of a dict is a dict: differentiated again,
# derivative code adds such adjoints entry by entry and copies them as dicts)
_SAME_STRUCTURE = {runtime.add_any: (0, 1), runtime.index_adjoint: (1,),
                   runtime.embed_like: (1,), runtime.zeros_like_value: (0,),
                   runtime.entry_cleared: (0,), runtime.copy_adjoint: (0,)}


def _real_part_kind(k):
    return {"complex": "float", "carray": "array"}.get(k, k)


def _num_kind(kinds):
    if "carray" in kinds or "complex" in kinds and ({"array", "intarray", None} & set(kinds)):
        return "carray"  # complex, whatever the others are (an unknown one may be an array)
    if None in kinds:
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
        if type(a) is Value:
            return kinds.get(a)
        if type(a) is Const:
            return kind_of_object(a.value)
        return None

    iterators: Dict[Value, tuple] = {}  # enumerate(xs), zip(a, b), reversed(xs)
    shapes = set()  # x.shape of arrays: tuples of ints

    def item_of(it):
        """The kind of what iterating over ``it`` gives, and its entries' kinds."""
        it_kind = k(it)
        if it_kind == "range":
            return "int", None
        if it_kind in ELEMENT_KINDS:  # the rows of a 2-D array are arrays
            return (ranked(it_kind, it_kind.rank - 1) if isinstance(it_kind, Ranked)
                    else None), None
        if it_kind == "dict":
            return "key", None
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
        ks = [kinds.get(x) if type(x) is Value else k(x) for x in a]  # the operands' kinds
        if _UNSET in ks:
            for r in op.results:
                kinds[r] = _UNSET  # not known until the loop around has been seen once
            return
        if kd == "binop":
            o = op.attrs["op"]
            ka, kb = ks[0], ks[1]
            if o in ("or", "and"):
                res = ka if same_kind(ka, kb) else None
            elif ka in ("list", "tuple") or kb in ("list", "tuple"):
                res = sequence_arithmetic(o, a, k)  # xs + ys, xs * 2
                # (None: a list and an array, or maybe a NumPy integer: not known)
                got = [elems.get(x) if isinstance(x, Value) else None for x in a]
                times = [x.value for x in a if isinstance(x, Const) and type(x.value) is int]
                if res is None:
                    pass
                elif o == "+" and None not in got:
                    elems[op.results[0]] = got[0] + got[1]
                elif o == "*" and times and any(g is not None for g in got):
                    elems[op.results[0]] = next(g for g in got if g is not None) * times[0]
            else:
                res = _num_kind([ka, kb])
                if o == "/" and res == "int":
                    res = "float"
                if o == "/" and res == "intarray":
                    res = "array"
                if o in ("//", "%") and res == "float":
                    res = "float"
        elif kd == "unary":
            o = op.attrs["op"]
            res = "bool" if o == "not" else ks[0]
        elif kd == "compare":
            ka, kb = ks[0], ks[1]
            res = "intarray" if {"array", "intarray", "carray"} & {ka, kb} else "bool"
        elif kd == "call" and isinstance(a[0], Global):
            f = a[0].obj
            args = ks[1:]
            try:
                made = _made_array_kind(f, a, k, op, elems)
                if made is not None:
                    res = made
                elif f in _INT_FUNCS:
                    res = "int"
                elif f in _BOOL_FUNCS:
                    res = "bool" if all(x not in ("array", "intarray", "carray") for x in args) \
                        else "intarray"
                elif f is float:
                    res = "float"
                elif _cast_kind(f, args) is not None:  # np.int64(x), str(x), print(x)
                    res = _cast_kind(f, args)
                elif f is complex:
                    res = "complex"
                elif f in _REAL_PARTS and args and not op.attrs.get("kw"):
                    res = _real_part_kind(_num_kind(args[:1]))
                    if f in (np.real, np.imag) and res == "int":
                        res = None  # np.real(2) is an int array of rank 0
                    if f is np.angle and res in ("int", "intarray"):
                        res = "float" if res == "int" else "array"
                    if f is np.absolute and res == "intarray":
                        res = "array"  # as for the other ufuncs
                elif f is range:
                    res = "range"
                elif f in _INT_ARRAY_FUNCS:
                    res = "intarray"
                elif f in _FULL_REDUCTIONS and len(args) == 1 and args[0] in ("array", "carray") \
                        and not op.attrs.get("kw") and not op.attrs.get("star"):
                    res = "float" if args[0] == "array" else "complex"  # np.sum(x): a scalar
                elif isinstance(f, np.ufunc) and f.nout > 1 or \
                        f is math.modf or f is math.frexp:
                    res = "tuple"  # np.modf, np.divmod, np.frexp: (a, b), never an array
                elif getattr(f, "__module__", None) == "math" or getattr(f, "__self__", None) is math:
                    res = "float"
                elif getattr(f, "__module__", None) == "cmath":
                    res = {"phase": "float", "isnan": "bool", "isinf": "bool", "isfinite": "bool",
                           "isclose": "bool", "polar": "tuple"}.get(f.__name__, "complex")
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
                elif f in (min, max) and not op.attrs.get("kw") and (
                        (len(a) == 2 and isinstance(a[1], Value) and elems.get(a[1])) or
                        op.attrs.get("star") == (len(a) - 1,) and isinstance(a[-1], Value)):
                    # min(xs) of a literal, max(a, b, *rest) (ad/normalize.py)
                    res = _num_kind(elems.get(a[-1]) or [None]) if len(a) == 2 else \
                        _num_kind(args[:-1] + (elems.get(a[-1]) or [None]))
                elif f in (abs, min, max, sum):
                    res = _num_kind(args) if args else None
                elif f is runtime.zeros_like_value and len(args) == 1 and \
                        args[0] in CONTAINER_KINDS:
                    res = args[0]  # rebuilt as it is: a list of zeros is a list
                elif f in _SAME_STRUCTURE and not op.attrs.get("kw") and \
                        not op.attrs.get("star"):
                    got = {args[i] if i < len(args) else None for i in _SAME_STRUCTURE[f]}
                    res = "dict" if got == {"dict"} else None
                elif isinstance(f, types.FunctionType) and lower is not None:
                    res = callee_kind(f, args, op, lower)
            except TypeError:
                res = None
        elif kd == "getattr" and op.attrs["attr"] in ("shape", "ndim", "size", "dtype"):
            res = {"ndim": "int", "size": "int"}.get(op.attrs["attr"], "none")
            if op.attrs["attr"] == "shape" and ks[0] in ELEMENT_KINDS:
                shapes.add(op.results[0])
        elif kd == "getattr" and op.attrs["attr"] == "T":
            res = ks[0]
        elif kd == "getattr" and op.attrs["attr"] in ("real", "imag") and \
                ks[0] in ("complex", "carray", "float", "array"):
            res = _real_part_kind(ks[0])
        elif kd == "callmethod" and op.attrs.get("method") in ("conj", "conjugate") and \
                ks[0] in ("complex", "carray", "float", "array"):
            res = ks[0]
        elif kd == "getitem":
            base = ks[0]
            if base == "intarray":
                res = "intarray"
            if a[0] in shapes and op.attrs.get("index", ("",))[0] == "val" and \
                    _indexed_kind(Ranked("intarray", 1), op.attrs["index"], a, k) == "int":
                res = "int"  # x.shape[0]
            if isinstance(base, Ranked) and op.attrs.get("index") is not None:
                res = _indexed_kind(base, op.attrs["index"], a, k)
            index = op.attrs.get("index")
            if base in ("tuple", "list") and index is not None and index[0] == "val" and \
                    isinstance(a[index[1]], Const):
                res = element(a[0], a[index[1]].value)
            if base in ("tuple", "list") and index is not None and index[0] == "slice":
                res = base  # a slice of a list is a list, of a tuple a tuple
        elif kd == "build":
            t = op.attrs.get("type")
            res = t if t in CONTAINER_KINDS else None
            if t in ("tuple", "list") and not op.attrs.get("star"):
                elems[op.results[0]] = list(ks)
        elif kd == "unpack":
            got = elems.get(a[0]) if isinstance(a[0], Value) else None
            if got is not None and len(got) == len(op.results) and not op.attrs.get("star"):
                for r, kr in zip(op.results, got):
                    kinds[r] = kr
                return
        elif kd == "copy":
            res = ks[0]
        elif kd == "callmethod" and op.attrs.get("method") in ("astype", "item", "copy"):
            res = _method_cast_kind(op, ks)
        elif kd == "fstring":
            res = "str"
        if res is None and kd in ("call", "callmethod") and op.results:
            res = _complex_result(op, ks, elems)
        if res in ELEMENT_KINDS and not isinstance(res, Ranked) or res is None:
            res = _product_kind(op, ks) or res
        if res in ELEMENT_KINDS and not isinstance(res, Ranked) and (
                kd == "binop" and op.attrs["op"] != "@" or kd == "unary" or
                kd == "call" and isinstance(a[0], Global) and isinstance(a[0].obj, np.ufunc)
                and not op.attrs.get("kw") and not op.attrs.get("star")):
            res = ranked(res, _broadcast_rank(ks if kd != "call" else ks[1:]))
        for r in op.results:
            kinds[r] = res
        if op.attrs.get("inplace") or op.kind in ("setitem", "augsetitem") or \
                (kd == "callmethod" and op.attrs.get("mutates") and op.results):
            kinds[op.results[0]] = ks[0]

    def join(a, b):
        return a if a == b else (None if a is not None and b is not None else (a or b))

    def block(b):
        for op in b.ops:
            if type(op) is Prim:
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
                        if not same_kind(new, kinds.get(a_)):
                            kinds[a_] = new
                            changed = True
                    if not changed:
                        break
                for r, a_ in zip(op.results, op.args):
                    kinds[r] = kinds.get(a_)

    block(fn.body)
    block = prim = element = k = item_of = None  # recursive closures are reference
    # cycles: freed now, not by the cyclic collector
    for v, kv in kinds.items():
        if kv is _UNSET:
            kinds[v] = None
    return kinds


# NumPy functions (and methods) that return one array of their arguments' dtype
_KEEPS_DTYPE = {getattr(np, n) for n in (
    "sum", "mean", "prod", "cumsum", "cumprod", "outer", "dot", "matmul", "inner", "kron",
    "einsum", "tensordot", "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "squeeze",
    "expand_dims", "concatenate", "stack", "hstack", "vstack", "diag", "diagonal", "trace",
    "tile", "repeat", "flip", "roll", "where", "asarray", "array", "copy", "atleast_1d",
    "broadcast_to", "sort", "max", "min", "diff", "take")} | {
    np.linalg.inv, np.linalg.solve, np.linalg.det, np.linalg.matrix_power, np.linalg.multi_dot}
_KEEPS_DTYPE_METHODS = {"sum", "mean", "prod", "cumsum", "cumprod", "dot", "reshape", "ravel",
                        "flatten", "transpose", "swapaxes", "squeeze", "copy", "diagonal",
                        "trace", "repeat", "take", "max", "min"}


def _contracted_rank(name, ranks):
    """The rank of ``name(a, b)`` (dot, matmul, inner, vdot, outer) for operands
    of ranks ``ranks``."""
    ra, rb = ranks
    if name == "vdot":
        return 0
    if name == "outer":
        return 2
    if name == "matmul":
        if 0 in ranks:
            return None  # an error in NumPy
        if ra == 1 or rb == 1:
            return ra + rb - 2
        return max(ra, rb)
    if 0 in ranks:
        return ra + rb
    return ra + rb - 2  # dot, inner: one axis of each is summed


_CONTRACTIONS = {np.dot: "dot", np.matmul: "matmul", np.inner: "inner", np.vdot: "vdot",
                 np.outer: "outer"}
# of one array, with no other argument: the rank of the result given the array's
_RANK_OF_ONE = {np.trace: lambda r: r - 2 if r >= 2 else None,
                np.linalg.det: lambda r: r - 2 if r >= 2 else None,
                np.linalg.norm: lambda r: 0}
_REDUCING_METHODS = {"sum", "mean", "prod", "max", "min", "std", "var", "ptp"}


def _product_kind(op, kinds):
    """The ranked kind of a product (``np.dot``, ``@``, ``x.dot``), of a method
    that reduces a whole array (``x.sum()``) or of ``np.trace``,
    ``np.linalg.det``, ``np.linalg.norm`` of one array whose operands' ranks are
    known; None where they are not, or where integers or keywords are involved."""
    if op.attrs.get("kw") or op.attrs.get("star") or op.attrs.get("dstar"):
        return None
    name = None
    operands = kinds
    if op.kind == "binop" and op.attrs.get("op") == "@":
        name = "matmul"
    elif op.kind == "call" and isinstance(op.args[0], Global):
        try:
            name = _CONTRACTIONS.get(op.args[0].obj)
            one = _RANK_OF_ONE.get(op.args[0].obj)
        except TypeError:
            return None
        operands = kinds[1:]
        if one is not None and len(operands) == 1:
            rank = rank_of(operands[0])
            if rank is None or operands[0] not in ("array", "carray"):
                return None
            rank = one(rank)
            real = operands[0] == "array" or op.args[0].obj is np.linalg.norm
            return None if rank is None else ranked("array" if real else "carray", rank)
    elif op.kind == "callmethod":
        method = op.attrs.get("method")
        if method == "dot":
            name = "dot"
        elif method in _REDUCING_METHODS and len(kinds) == 1 and \
                kinds[0] in ("array", "carray") and rank_of(kinds[0]) is not None:
            return "float" if kinds[0] == "array" else "complex"
    if name is None or len(operands) != 2:
        return None
    ranks = [rank_of(x) for x in operands]
    if None in ranks or any(x not in ("array", "carray", "float", "complex") for x in operands):
        return None
    rank = _contracted_rank(name, ranks)
    if rank is None:
        return None
    complex_ = any(x in ("carray", "complex") for x in operands)
    return ranked("carray" if complex_ else "array", rank)


def _broadcast_rank(kinds):
    """The rank of an elementwise result of operands of these kinds (None: unknown)."""
    ranks = [rank_of(x) for x in kinds if x is not None]
    if len(ranks) < len(kinds) or None in ranks:
        return None
    return max(ranks, default=None)


def _indexed_kind(base, template, args, k):
    """The kind of ``x[index]`` for an ``x`` of known rank and a basic index of
    ints and slices (None where the index may be anything else)."""
    parts = template[1] if template[0] == "tuple" else [template]
    rank = base.rank
    for part in parts:
        if part[0] == "slice":
            continue
        if part[0] != "val":
            return None
        i = args[part[1]]
        if not (isinstance(i, Const) and type(i.value) is int or
                isinstance(i, Value) and k(i) == "int"):
            return None  # None, ..., an index array, a bool: the rank changes otherwise
        rank -= 1
    return ranked(base, rank) if rank >= 0 else None


def indexed_kind(base_kind, template, args, kinds):
    """The kind of ``x[index]`` (``template`` over ``args``, as a getitem's
    ``index`` attribute over its operands) for an ``x`` of kind ``base_kind``:
    the entry's kind for as many int indices as ``x``'s rank, None when not
    known."""
    if not isinstance(base_kind, Ranked):
        return None

    def k(a):
        return kinds.get(a) if isinstance(a, Value) else None
    return _indexed_kind(base_kind, template, args, k)


def _complex_result(op, arg_kinds, elems):
    """``"carray"`` for a function of _KEEPS_DTYPE given complex arrays (or a list
    of them): a complex kind, though the rank is not known (a complex sum is a
    scalar); None otherwise."""
    if op.kind == "call":
        f = op.args[0].obj if isinstance(op.args[0], Global) else None
        try:
            if f not in _KEEPS_DTYPE:
                return None
        except TypeError:
            return None
    elif op.attrs.get("method") not in _KEEPS_DTYPE_METHODS:
        return None
    found = list(arg_kinds)
    for x in op.args:
        if isinstance(x, Value) and elems.get(x):
            found += elems[x]
    return "carray" if any(k in ("complex", "carray") for k in found) else None


def _join_yields(k, y1, y2):
    if y1 is UNDEF or k(y1) is _UNSET:
        return k(y2)
    if y2 is UNDEF or k(y2) is _UNSET:
        return k(y1)
    a, b = k(y1), k(y2)
    if a == b:
        return a if same_kind(a, b) else str(a)  # of two ranks: an array of either
    if {a, b} <= {"int", "float"}:
        return "float"
    if {a, b} <= {"int", "bool"}:
        return "int"
    if {a, b} <= {"float", "array"} or {a, b} <= {"int", "array"}:
        return "array"
    if {a, b} <= {"float", "int", "complex"}:
        return "complex"
    if {a, b} <= {"float", "int", "complex", "array", "carray"}:
        return "carray"
    return None


def differentiable_kind(kind) -> bool:
    return kind not in NONDIFF_KINDS


_callee_kinds: Dict = {}


def callee_kind(f, arg_kinds, op, lower):
    """The kind a user function returns for arguments of these kinds."""
    if op.attrs.get("kw") or op.attrs.get("star") or op.attrs.get("dstar"):
        return None
    key = (f, kinds_key(arg_kinds))
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


# list(x), sorted(x), and the NumPy functions that return a list (of arrays)
_LIST_FUNCS = {list, sorted, np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit}


def sequence_arithmetic(o, args, k):
    """The kind of ``a + b`` or ``a * b`` that concatenates or repeats lists or
    tuples (``"list"``, ``"tuple"``), from the operands' kinds (``k``); None
    where it is not known to (arithmetic, or unknown operands).  ``n * xs`` of
    an int ``n`` that may be a NumPy integer is not: that makes an array."""
    ka, kb = (k(x) for x in args)
    if o == "+":
        return ka if ka == kb and ka in ("list", "tuple") else None
    if o != "*":
        return None
    if ka in ("list", "tuple") and kb == "int":
        return ka
    if kb in ("list", "tuple") and isinstance(args[0], Const) and type(args[0].value) is int:
        return kb
    return None


# What converts a value to another type: str(x), print(x), type(x), np.int64(x),
# np.float32(x), x.astype(dtype), x.item().
_STR_FUNCS = {str, repr, ascii, format}


def _scalar_type_kind(t, arg_kind):
    """The kind of ``t(x)`` (or ``x.astype(t)``) for a NumPy scalar type or dtype
    ``t`` and an argument of kind ``arg_kind``; None when ``t`` is no dtype."""
    try:
        dt = np.dtype(t)
    except TypeError:
        return None
    array = arg_kind in ("array", "intarray", "carray", "list", "tuple") or arg_kind is None
    if dt.kind in "biu":
        return "intarray" if array else ("bool" if dt.kind == "b" else "int")
    if dt.kind == "f":
        return "array" if array else "float"
    if dt.kind == "c":
        return "carray" if array else "complex"
    return None


def _cast_kind(f, args):
    if f in _STR_FUNCS:
        return "str"
    if f is print:
        return "none"
    if f is dict:
        return "dict"
    if f in _LIST_FUNCS:
        return "list"
    if f is tuple:
        return "tuple"
    if f is type and len(args) == 1:
        return "type"
    if isinstance(f, type) and issubclass(f, np.generic) and len(args) <= 1:
        kind = _scalar_type_kind(f, args[0] if args else "float")
        if kind in ("array", "carray") and args[0] is None:
            return None  # np.float64(x) of an unknown x: a scalar or an array
        return kind
    return None


def _method_cast_kind(op, kinds):
    """x.astype(dtype) with a dtype known when compiling; x.item(); d.copy()."""
    base = kinds[0]
    if op.attrs["method"] == "copy":
        if isinstance(base, Ranked) and len(op.args) - 1 == len(op.attrs.get("kw", ())) and \
                set(op.attrs.get("kw", ())) <= {"order"}:
            return base  # x.copy(), x.copy(order="K")
        return base if base in ("dict", "list") and len(op.args) == 1 else None
    if op.attrs["method"] == "item":
        return {"array": "float", "intarray": "int", "carray": "complex", "float": "float",
                "complex": "complex", "int": "int", "bool": "bool"}.get(base)
    dtype = op.args[1] if len(op.args) > 1 and not op.attrs.get("kw") else None
    value = getattr(dtype, "value", getattr(dtype, "obj", None))
    if value is None or base not in ("array", "intarray", "carray", "float", "int", "complex",
                                     "bool"):
        return None
    kind = _scalar_type_kind(value, "array" if base in ("array", "intarray", "carray")
                             else "float")
    return kind



# Array constructors: the rank of what they make, and where their dtype is given
# (position among the call's arguments, or the keyword).  np.zeros(n) is a float
# array of rank 1, np.zeros((n, m), dtype=int) an int array of rank 2.
_SHAPED = {np.zeros: 1, np.ones: 1, np.empty: 1, np.full: 2}
_LIKE = {np.zeros_like: 1, np.ones_like: 1, np.empty_like: 1, np.full_like: 2,
         np.copy: None, np.array: 1, np.asarray: 1}
_RANGES = {np.arange: None, np.linspace: 5}


def _dtype_kind(op, args, position, default):
    """The kind of an array of the dtype given at ``position`` (or as ``dtype=``)
    of the call ``op`` (``default`` when none is given; None when it is not
    known when compiling)."""
    kw = op.attrs.get("kw", ())
    npos = len(args) - len(kw)
    given = None
    if "dtype" in kw:
        given = args[npos + kw.index("dtype")]
    elif position is not None and position < npos:
        given = args[position]
    if given is None:
        return default
    value = given.obj if isinstance(given, Global) else \
        given.value if isinstance(given, Const) else _UNSET
    if value is _UNSET or value is None:
        return None if value is _UNSET else default
    kind = _scalar_type_kind(value, "array")
    return kind if kind in ELEMENT_KINDS else None


def _made_array_kind(f, a, k, op, elems):
    """The ranked kind of a NumPy array constructor's result (None: not one, or
    not known)."""
    try:
        if f not in _SHAPED and f not in _LIKE and f not in _RANGES:
            return None
    except TypeError:
        return None
    if op.attrs.get("star") or op.attrs.get("dstar"):
        return None
    args = list(a[1:])
    kw = op.attrs.get("kw", ())
    npos = len(args) - len(kw)
    allowed = {"dtype", "order", "copy"} if f in _LIKE else {"dtype", "order", "endpoint"}
    if any(name not in allowed for name in kw) or npos < 1:
        return None
    if f in _SHAPED:
        shape = args[0]
        if isinstance(shape, Const) and type(shape.value) is int or \
                isinstance(shape, Value) and k(shape) == "int":
            rank = 1
        elif isinstance(shape, Const) and isinstance(shape.value, tuple) and \
                all(type(x) is int for x in shape.value):
            rank = len(shape.value)
        elif isinstance(shape, Value) and elems.get(shape) is not None and \
                k(shape) == "tuple" and all(e == "int" for e in elems[shape]):
            rank = len(elems[shape])
        else:
            return None
        default = "array"
        if f is np.full:
            if npos < 2:
                return None
            fill = k(args[1])
            default = {"float": "array", "int": "intarray", "bool": "intarray",
                       "complex": "carray"}.get(fill)
        kind = _dtype_kind(op, args, _SHAPED[f], default)
        return ranked(kind, rank) if kind is not None and rank > 0 else None
    if f in _LIKE:
        proto = k(args[0])
        items = elems.get(args[0]) if isinstance(args[0], Value) else None
        if f in (np.array, np.asarray) and proto in ("list", "tuple") and items and \
                all(e in ("float", "int") for e in items):
            proto = ranked("array" if "float" in items else "intarray", 1)  # np.array([a, 1.0])
        if not isinstance(proto, Ranked):
            return None
        if f in (np.array, np.asarray) and (npos > 2 or "copy" in kw and f is np.asarray):
            return None
        kind = _dtype_kind(op, args, _LIKE[f], str(proto))
        return ranked(kind, proto.rank) if kind is not None else None
    # np.arange(n), np.arange(a, b, step), np.linspace(a, b, num)
    if f is np.arange:
        if npos > 3 or any(k(x) not in ("int", "float") for x in args[:npos]):
            return None
        default = "intarray" if all(k(x) == "int" for x in args[:npos]) else "array"
        kind = _dtype_kind(op, args, 3, default)
    else:
        if npos > 3 or any(name not in ("endpoint", "dtype") for name in kw) or \
                any(k(x) not in ("int", "float") for x in args[:2]):
            return None
        kind = _dtype_kind(op, args, 5, "array")
    return ranked(kind, 1) if kind is not None else None
