"""A small interpreter of IR primitives: one operation run on concrete values.

The trace tables compute every row by running its primitive here, on the values
the earlier rows computed, so a row's value is what Python gives for that line.
"""
from __future__ import annotations

import operator

import numpy as np

from ..errors import S2sadError
from .nodes import Prim

__all__ = ["BINARY_OPS", "UNARY_OPS", "evaluate_prim", "index_value", "writable_copy"]

BINARY_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
              "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
              "@": operator.matmul, "<<": operator.lshift, ">>": operator.rshift,
              "|": operator.or_, "&": operator.and_, "^": operator.xor}
_COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                "==": operator.eq, "!=": operator.ne, "is": operator.is_,
                "is not": operator.is_not, "in": lambda a, b: a in b,
                "not in": lambda a, b: a not in b}
UNARY_OPS = {"-": operator.neg, "+": operator.pos, "not": operator.not_, "~": operator.invert}
_ITERATORS = (zip, enumerate, reversed, map, filter)


def _call_arguments(op: Prim, vals, first):
    kw = op.attrs.get("kw", ())
    star = set(op.attrs.get("star", ()))
    dstar = set(op.attrs.get("dstar", ()))
    n = len(vals) - len(kw)
    pos, kws = [], {}
    for i in range(first, n):
        if i in dstar:
            kws.update(vals[i])
        elif i in star:
            pos.extend(vals[i])
        else:
            pos.append(vals[i])
    for name, v in zip(kw, vals[n:]):
        kws[name] = v
    return pos, kws


def index_value(template, vals):
    """The index object of a subscript from its template and the operand values."""
    kind = template[0]
    if kind == "val":
        return vals[template[1]]
    if kind == "slice":
        return slice(*[None if p is None else vals[p] for p in template[1:]])
    return tuple(index_value(t, vals) for t in template[1])


def writable_copy(x):
    """A copy to write into: the trace never changes the caller's containers, and
    the values it has recorded stay as they were."""
    if isinstance(x, list):
        return list(x)
    if isinstance(x, dict):
        return dict(x)
    if isinstance(x, np.ndarray):
        return x.copy()
    return x


def _format_fstring(parts, vals):
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        pos, conv, spec = part
        v = vals[pos]
        if conv in (115, "s"):
            v = str(v)
        elif conv in (114, "r"):
            v = repr(v)
        elif conv in (97, "a"):
            v = ascii(v)
        if spec and not isinstance(spec, str):
            spec = _format_fstring(spec, vals)
        out.append(format(v, spec or ""))
    return "".join(out)


def evaluate_prim(op: Prim, vals):
    """Run one primitive on values, with Python's semantics.  ``unpack`` returns
    the list of its results; a write returns the written (copied) container."""
    k, a = op.kind, op.attrs
    if k == "binop":
        o = a["op"]
        if o == "or":
            return vals[0] or vals[1]
        if o == "and":
            return vals[0] and vals[1]
        return BINARY_OPS[o](vals[0], vals[1])  # x += v is computed as x + v
    if k == "unary":
        return UNARY_OPS[a["op"]](vals[0])
    if k == "compare":
        return _COMPARISONS[a["op"]](vals[0], vals[1])
    if k == "call":
        pos, kws = _call_arguments(op, vals, 1)
        out = vals[0](*pos, **kws)
        # one-shot iterators become lists: a trace reads them by position
        return list(out) if vals[0] in _ITERATORS or isinstance(out, _ITERATORS) else out
    if k == "callmethod":
        pos, kws = _call_arguments(op, vals, 1)
        if a.get("mutates"):
            obj = writable_copy(vals[0])
            getattr(obj, a["method"])(*pos, **kws)
            return obj
        return getattr(vals[0], a["method"])(*pos, **kws)
    if k == "getattr":
        return getattr(vals[0], a["attr"])
    if k == "getitem":
        return vals[0][index_value(a["index"], vals)]
    if k in ("setitem", "augsetitem"):
        obj = writable_copy(vals[0])
        idx = index_value(a["index"], vals)
        obj[idx] = vals[1] if k == "setitem" else BINARY_OPS[a["op"]](obj[idx], vals[1])
        return obj
    if k in ("setattr", "augsetattr"):
        obj = vals[0]
        new = vals[1] if k == "setattr" else \
            BINARY_OPS[a["op"]](getattr(obj, a["attr"]), vals[1])
        setattr(obj, a["attr"], new)
        return obj
    if k == "build":
        t = a["type"]
        if t == "dict":
            out = {}
            dstar = set(a.get("dstar", ()))
            i = 0
            while i < len(vals):
                if i in dstar:
                    out.update(vals[i])
                    i += 1
                else:
                    out[vals[i]] = vals[i + 1]
                    i += 2
            return out
        star = set(a.get("star", ()))
        items = []
        for i, v in enumerate(vals):
            if i in star:
                items.extend(v)
            else:
                items.append(v)
        return {"tuple": tuple, "list": list, "set": set}[t](items)
    if k == "unpack":
        seq = list(vals[0])
        n = len(op.results)
        star = a.get("star")
        if star is None:
            if len(seq) != n:
                raise ValueError(f"cannot unpack {len(seq)} values into {n} names")
            return seq
        after = n - star - 1
        if len(seq) < n - 1:
            raise ValueError(f"not enough values to unpack (expected at least {n - 1}, "
                             f"got {len(seq)})")
        return seq[:star] + [seq[star:len(seq) - after]] + seq[len(seq) - after:]
    if k == "copy":
        return vals[0]
    if k == "fstring":
        return _format_fstring(a["parts"], vals)
    if k in ("with_enter", "with_exit"):
        return None  # a with-block that changes no values (frontend/contexts.py)
    if k == "raise":
        if vals:
            raise vals[0]
        raise RuntimeError("No active exception to reraise")
    raise S2sadError(f"the trace interpreter does not know the primitive {k!r}")
