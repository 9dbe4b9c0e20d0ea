"""Numba forms of the runtime helpers that derivative code calls most.

Each is an ``overload`` of the plain helper of :mod:`s2sad.runtime`: Numba
calls it whenever compiled code calls the helper, and picks the implementation
from the argument types at compile time, as the helper's ``isinstance`` tests
pick one at run time.  Only helpers with a form here can appear in Numba code;
any other is refused with the line that needs it (backend/numba.py).

``s2sad transpile --backend numba`` copies this file's overloads into the
module it writes (after the plain helpers), so the module needs Numba but not
s2sad.
"""
import numpy as np
from numba import types
from numba.extending import overload, register_jitable

from ..runtime import (add_any, broadcast_like, expand_reduced, extremum_index, index_adjoint,
                       log_or_zero, reduced_count, repeat_like, scaled_power, sign, spread,
                       tie_weights, unbroadcast, zeros_like_value)



# --- overloads (copied into transpiled modules) ---


def _is_number(t):
    return isinstance(t, (types.Number, types.Boolean))


def _absent(t):
    """An argument left out, or None."""
    return t is None or isinstance(t, (types.NoneType, types.Omitted))


def _tuple_impl(params, n, entry, guard=""):
    """An implementation that builds a tuple of ``n`` entries, written out
    (Numba cannot loop over a tuple of mixed types), after the line ``guard``."""
    entries = ", ".join(entry.format(i=i, n=n) for i in range(n))
    src = f"def impl({params}):\n    {guard or 'pass'}\n" \
          f"    return ({entries}{',' if n == 1 else ''})\n"
    scope = {"add_any": add_any, "zeros_like_value": zeros_like_value,
             "unbroadcast": unbroadcast}
    exec(src, scope)
    return scope["impl"]


@register_jitable
def _summed_to(g, x):
    """``g`` summed over the axes it was broadcast along to match ``x``."""
    gs, xs = g.shape, x.shape
    off = len(gs) - len(xs)
    for d in range(off, len(gs)):
        if xs[d - off] != 1 and xs[d - off] != gs[d]:
            raise ValueError("the adjoint does not broadcast to the value's shape")
    out = np.zeros(xs, dtype=g.dtype)
    flat = out.reshape(-1)
    src = np.ascontiguousarray(g).reshape(-1)
    for k in range(src.size):
        rest, at, stride = k, 0, 1
        for d in range(len(gs) - 1, -1, -1):
            i = rest % gs[d]
            rest //= gs[d]
            if d >= off:
                n = xs[d - off]
                if n != 1:
                    at += i * stride
                stride *= n
        flat[at] += src[k]
    return out


@overload(unbroadcast)
def _unbroadcast(g, x):
    if _is_number(x) and _is_number(g):
        return lambda g, x: g
    if _is_number(x) and isinstance(g, types.Array):
        return lambda g, x: g.sum()
    if isinstance(x, types.Array) and isinstance(g, types.Array) and g.ndim > x.ndim:
        return _summed_to
    if isinstance(x, types.Array) and isinstance(g, types.Array) and g.ndim == x.ndim:
        def impl(g, x):
            if g.shape == x.shape:
                return g
            return _summed_to(g, x)
        return impl
    return None


@overload(broadcast_like)
def _broadcast_like(t, like):
    if _is_number(like):
        return lambda t, like: t
    if isinstance(like, types.Array) and _is_number(t):
        return lambda t, like: np.full(like.shape, t)
    if isinstance(like, types.Array) and isinstance(t, types.Array):
        return lambda t, like: np.broadcast_to(t, like.shape)
    return None


@overload(zeros_like_value)
def _zeros_like_value(x):
    if _is_number(x):
        return lambda x: 0.0
    if isinstance(x, types.Array):
        return lambda x: np.zeros_like(x)
    if isinstance(x, types.BaseTuple):
        return _tuple_impl("x", len(x), "zeros_like_value(x[{i}])")
    if isinstance(x, types.List):
        return lambda x: [zeros_like_value(v) for v in x]
    return None


@overload(add_any)
def _add_any(a, b):
    if isinstance(a, types.NoneType):
        return lambda a, b: b
    if isinstance(b, types.NoneType):
        return lambda a, b: a
    if isinstance(a, types.BaseTuple) and isinstance(b, types.BaseTuple) and len(a) == len(b):
        return _tuple_impl("a, b", len(a), "add_any(a[{i}], b[{i}])")
    if isinstance(a, types.List) and isinstance(b, types.List):
        return lambda a, b: [add_any(a[i], b[i]) for i in range(len(a))]
    if (_is_number(a) or isinstance(a, types.Array)) and \
            (_is_number(b) or isinstance(b, types.Array)):
        return lambda a, b: a + b
    return None


def _adjoint_dtype(g, x):
    """The dtype of an adjoint of the array ``x`` built from ``g``."""
    return np.complex128 if isinstance(getattr(g, "dtype", g), types.Complex) or \
        isinstance(x.dtype, types.Complex) else np.float64


@overload(index_adjoint)
def _index_adjoint(g, x, index):
    if isinstance(x, types.List) and isinstance(index, types.Integer):
        def of_list(g, x, index):
            out = [zeros_like_value(v) for v in x]
            out[index] = add_any(out[index], g)
            return out
        return of_list
    if isinstance(x, types.BaseTuple) and isinstance(index, types.Integer):
        return _tuple_impl("g, x, index", len(x),
                           "add_any(zeros_like_value(x[{i}]), g) if index % {n} == {i} "
                           "else zeros_like_value(x[{i}])",
                           f"if index < -{len(x)} or index >= {len(x)}: "
                           "raise IndexError('tuple index out of range')")
    if not isinstance(x, types.Array):
        return None
    dtype = _adjoint_dtype(g, x)
    if isinstance(index, types.Array):  # repeated entries add up, as np.add.at does
        if not isinstance(index.dtype, types.Integer):
            return None  # a mask: not written here

        def gather(g, x, index):
            out = np.zeros(x.shape, dtype=dtype)
            for k in range(index.size):
                out[index[k]] += g[k]
            return out
        return gather if x.ndim == 1 and index.ndim == 1 else None

    basic = (types.Integer, types.SliceType, types.NoneType)
    if not (isinstance(index, basic) or isinstance(index, types.BaseTuple) and
            all(isinstance(t, basic) for t in index)):
        return None  # an index array inside a tuple: entries may repeat

    def impl(g, x, index):
        out = np.zeros(x.shape, dtype=dtype)
        out[index] += g
        return out
    return impl


@overload(repeat_like)
def _repeat_like(g, xs):
    if isinstance(xs, (types.List, types.UniTuple)):
        return lambda g, xs: [unbroadcast(g, x) for x in xs]
    if isinstance(xs, types.Array):  # its rows: each gets the same adjoint
        dtype = _adjoint_dtype(g, xs)

        def of_rows(g, xs):
            out = np.zeros(xs.shape, dtype=dtype)
            for i in range(len(xs)):
                out[i] = unbroadcast(g, xs[i])
            return out
        return of_rows
    return None


@overload(spread)
def _spread(g, a, axis=None, keepdims=False):
    if not isinstance(a, types.Array):
        return None
    if _absent(axis) and _is_number(g):  # np.sum(a): every entry gets g
        return lambda g, a, axis=None, keepdims=False: np.full(a.shape, g)
    if isinstance(axis, types.Integer) and isinstance(g, types.Array) and a.ndim == 2:
        def rows_or_columns(g, a, axis=None, keepdims=False):
            if keepdims or axis % 2 == 0:
                return np.broadcast_to(g, a.shape)
            return np.broadcast_to(g.reshape((a.shape[0], 1)), a.shape)
        return rows_or_columns
    if isinstance(axis, types.Integer) and isinstance(g, types.Number) and a.ndim == 1:
        return lambda g, a, axis=None, keepdims=False: np.full(a.shape, g)
    return None


@overload(expand_reduced)
def _expand_reduced(g, a, axis=None, keepdims=False):
    if _absent(axis):
        return lambda g, a, axis=None, keepdims=False: g
    return None


@overload(reduced_count)
def _reduced_count(a, axis=None):
    if isinstance(a, types.Array) and _absent(axis):
        return lambda a, axis=None: a.size
    if isinstance(a, types.Array) and isinstance(axis, types.Integer):
        return lambda a, axis=None: a.shape[axis % a.ndim]
    return None


@overload(sign)
def _sign(x):
    return lambda x: np.sign(x)


@overload(log_or_zero)
def _log_or_zero(x):
    return lambda x: np.log(x + (x == 0))


@overload(scaled_power)
def _scaled_power(c, x, p):
    return lambda c, x, p: c * (x + ((c == 0) & (x == 0))) ** p


@overload(extremum_index)
def _extremum_index(items, largest=True):
    if isinstance(items, (types.UniTuple, types.List)) or \
            isinstance(items, types.Array) and items.ndim == 1:
        def impl(items, largest=True):
            best = 0
            for i in range(1, len(items)):
                if items[i] > items[best] if largest else items[i] < items[best]:
                    best = i
            return best
        return impl
    return None


@overload(tie_weights)
def _tie_weights(a, ans, axis=None, keepdims=False):
    if isinstance(a, types.Array) and _absent(axis):
        def impl(a, ans, axis=None, keepdims=False):
            hit = (a == ans).astype(np.float64)
            return hit / hit.sum()
        return impl
    return None
