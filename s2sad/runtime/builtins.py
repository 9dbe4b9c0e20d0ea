"""Helpers of the math, builtin and array-method rules (s2sad/rules/math.py,
core.py, methods.py)."""
import math

import numpy as np

from .core import (_pure, _rebuild, add_any, embed_like, index_adjoint, unbroadcast,
                   zeros_like_value)


# ---------------------------------------------------------------------------
# Helpers of the math and builtin rules (s2sad/rules/math.py, core.py)
# ---------------------------------------------------------------------------
@_pure
def polygamma(n, x):
    """The ``n``-th derivative of the digamma function (``n = 0``: digamma, the
    derivative of ``lgamma``) at real ``x`` (not 0 or a negative integer): the
    recurrence psi(x) = psi(x + 1) - 1/x moves ``x`` past 12 + n, where the
    asymptotic series is exact to rounding."""
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
                 43867 / 798, -174611 / 330)  # B2, B4, ..., B20
    n = int(n)
    x = np.asarray(x, dtype=float)
    fact = 1.0
    for k in range(2, n + 1):
        fact *= k
    steps = np.maximum(0.0, np.ceil(12.0 + n - x))
    near = np.zeros_like(x)
    for j in range(int(np.max(steps, initial=0.0))):
        near = near + np.where(steps > j, 1.0 / (x + j) ** (n + 1), 0.0)
    y = x + steps
    if n == 0:
        far = np.log(y) - 0.5 / y
        for k, b in enumerate(bernoulli, 1):
            far = far - b / (2 * k * y ** (2 * k))
        out = far - near
    else:
        # (-1)^(n+1) [(n-1)!/y^n + n!/(2 y^(n+1)) + sum B2k (2k+n-1)!/((2k)! y^(2k+n))]
        far = fact / n / y ** n + fact / (2 * y ** (n + 1))
        coef = fact / n  # (2k+n-1)!/(2k)! built up as k grows
        for k, b in enumerate(bernoulli, 1):
            coef = coef * (2 * k + n - 2) * (2 * k + n - 1) / ((2 * k - 1) * (2 * k))
            far = far + b * coef / y ** (2 * k + n)
        sign = 1.0 if n % 2 else -1.0
        out = sign * far + sign * fact * near
    return out[()] if out.ndim == 0 else out


@_pure
def sign(x):
    """``np.sign(x)``, as a Python float for a Python float: ``np.sign`` gives
    an ``np.float64``, and everything computed from one is several times slower
    than Python float arithmetic.  0.0 and nan are returned as they are."""
    if type(x) is float:
        return 1.0 if x > 0.0 else -1.0 if x < 0.0 else x
    return np.sign(x)


@_pure
def log_or_zero(x):
    """``log(x)``, and 0 where ``x`` is 0: the factor of ``x ** y``'s partial
    with respect to ``y`` (which is 0 at ``x = 0`` for ``y > 0``).  A Python
    float for a positive Python float, as for :func:`sign`."""
    if type(x) is float and x > 0.0:
        return math.log(x)
    return np.log(x + (x == 0))


@_pure
def scaled_power(c, x, p):
    """``c * x ** p``, and 0 where ``c`` is 0 (and ``x`` is 0, where ``x ** p``
    may be infinite): the partial ``y * x ** (y - 1)`` of ``x ** y`` with respect
    to ``x``, whose ``y = 0`` term vanishes (``x ** 0`` is 1 everywhere) although
    ``0 * 0.0 ** -1`` is nan for arrays and raises for Python floats."""
    return c * (x + ((c == 0) & (x == 0))) ** p


@_pure
def extremum_index(items, largest=True):
    """The position of the entry that ``max(items)`` (``min`` when not
    ``largest``) returns: the first of equal ones, as Python's."""
    best = None
    for i, v in enumerate(items):
        if best is None or (v > items[best] if largest else v < items[best]):
            best = i
    if best is None:
        raise ValueError(f"{'max' if largest else 'min'}() arg is an empty sequence")
    return best


# ---------------------------------------------------------------------------
# Helpers of the rules of array methods (s2sad/rules/methods.py)
# ---------------------------------------------------------------------------
@_pure
def item_adjoint(g, x, index=None):
    """The adjoint of ``x`` from the adjoint ``g`` of ``x.item(index)``: zeros
    shaped like ``x`` with ``g`` at the entry ``item`` read (``index`` None: the
    only entry; an int: a position in the flattened array; a tuple: an index)."""
    if np.ndim(x) == 0:
        return g
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g, float))
    if index is None:
        out.flat[0] = g
    elif isinstance(index, tuple):
        out[index] = g
    else:
        out.flat[index] = g
    return out


@_pure
def item_of(g, x, index=None):
    """``g.item(index)`` for ``g`` shaped as ``x`` (the transpose of
    :func:`item_adjoint`)."""
    if np.ndim(x) == 0:
        return g
    g = np.asarray(g)
    if index is None:
        return g.flat[0]
    if isinstance(index, tuple):
        return g[index]
    return g.flat[index]


@_pure
def like_sequence(g, xs):
    """The adjoint of ``xs`` from the adjoint ``g`` (a list, None where an entry
    has none) of ``list(xs)`` or ``tuple(xs)``: a list or tuple as ``xs`` is, an
    array for an array (``list(a)`` is its rows), zeros for a dict (``list(d)``
    is its keys), and the list itself for an iterator."""
    if isinstance(xs, dict):
        return zeros_like_value(xs)
    if isinstance(xs, np.ndarray):
        out = np.zeros(np.shape(xs), dtype=np.result_type(xs, float))
        for i, gi in enumerate(g):
            if gi is not None:
                out[i] = gi
        return out
    if not isinstance(xs, (list, tuple)):
        return list(g)
    items = [zeros_like_value(x) if gi is None else gi for x, gi in zip(xs, g)]
    return _rebuild(xs, items) if isinstance(xs, tuple) else items


def enumerated_tangents(xs_dot):
    """The tangent of ``enumerate(xs)``: ``(0.0, t)`` for each tangent ``t`` of
    an item of ``xs``, since the count, an int, carries none.  An iterator, as
    ``enumerate``'s result is, consumed in step with it (not pure: two calls
    give two iterators, which must stay apart)."""
    return ((0.0, t) for t in xs_dot)


@_pure
def item_zeros(xs):
    """Zeros for the tangents of the items that iterating over ``xs`` gives
    (``xs`` carries no derivative): 0.0 for each number of a ``range``, None for
    each character of a string or key of a dict, zeros shaped like the entries
    of a list, tuple or array.  An iterator cannot be read ahead without using
    it up: its zeros are built when compiling, from the call that made it."""
    if isinstance(xs, range):
        return [0.0] * len(xs)
    if isinstance(xs, (str, dict, set, frozenset)):
        return [zeros_like_value(x) for x in xs]
    if iter(xs) is xs:
        raise TypeError("s2sad cannot make zero tangents for the items of an iterator "
                        "it did not see made: pass a list instead (list(...))")
    return zeros_like_value(xs)


@_pure
def items_again(xs):
    """The items of ``xs`` as a list, for a derivative rule that reads again what
    the primal call read: a list, tuple or array can be read twice, an iterator
    only once (s2sad makes one a list before such a call when it sees it made)."""
    if iter(xs) is xs:
        raise TypeError("s2sad would iterate twice over an iterator it did not see made: "
                        "pass a list instead (list(...))")
    return list(xs)


@_pure
def iterated_adjoint(g, xs):
    """The adjoint of ``xs`` from ``g``, the adjoints (None for none) of the
    first ``len(g)`` items that iterating over it gave (``zip`` stops at its
    shortest sequence, so the others' last items may never have been read):
    :func:`like_sequence` of ``g`` with None for the items not read.  For an
    iterator ``xs`` (``zip(reversed(a), b)``) the list ``g`` itself."""
    if isinstance(xs, (list, tuple, np.ndarray)) and len(g) < len(xs):
        g = list(g) + [None] * (len(xs) - len(g))
    return like_sequence(g, xs)


@_pure
def reversed_adjoint(g, xs):
    """The adjoint of the sequence ``xs`` from ``g``, the adjoints of the first
    ``len(g)`` items of ``reversed(xs)`` (its last entries, last first)."""
    g = list(g) + [None] * (len(xs) - len(g))
    return like_sequence(g[::-1], xs)


@_pure
def zipped_adjoint(g, j, xs):
    """The adjoint of ``xs`` from ``g``, the adjoints of the items of
    ``zip(..., xs, ...)`` or ``enumerate(xs)`` (entry ``j`` of each is
    ``xs``'s item; None for an item with none)."""
    return iterated_adjoint([None if gi is None else gi[j] for gi in g], xs)


@_pure
def zipped_adjoint_transpose(h, g, j):
    """The adjoint of ``g`` in ``zipped_adjoint(g, j, xs)`` from the adjoint
    ``h`` of its result: entry ``j`` of item ``i`` gets ``h[i]``, the others
    zeros (None for an item with no adjoint)."""
    h = list(h)
    out = []
    for i, gi in enumerate(g):
        if gi is None:
            out.append(None)
            continue
        parts = [zeros_like_value(p) for p in gi]
        parts[j] = h[i]
        out.append(_rebuild(gi, parts) if isinstance(gi, tuple) else parts)
    return out


@_pure
def unzipped_adjoint(g, seqs, index):
    """The adjoint of ``seqs`` from the adjoint ``g`` of entry ``index`` of
    ``zip(*seqs)`` (entry ``j`` of ``g`` belongs to ``seqs[j][index]``)."""
    parts = [index_adjoint(gj, s, index) for gj, s in zip(g, seqs)]
    return _rebuild(seqs, parts) if isinstance(seqs, (tuple, list)) else parts


@_pure
def unzipped_entry(h, index):
    """Entry ``index`` of ``zip(*h)`` (the transpose of :func:`unzipped_adjoint`)."""
    return tuple(s[index] for s in h)


@_pure
def repeated_adjoint(g, xs):
    """The adjoint of the list or tuple ``xs`` from the adjoint ``g`` of
    ``xs * n`` (``n`` copies of its entries one after another): entry ``i``
    gets the sum of the adjoints of its ``n`` copies."""
    out = [zeros_like_value(x) for x in xs]
    size = len(out)
    for i, gi in enumerate(g):
        out[i % size] = add_any(out[i % size], gi)
    return _rebuild(xs, out) if isinstance(xs, tuple) else out


@_pure
def sum_adjoints(g, a, b):
    """The adjoints of ``a`` and ``b`` from the adjoint ``g`` of ``a + b`` where
    the kinds could not tell, when compiling, whether ``+`` concatenates two
    lists or tuples (``g`` splits after ``len(a)`` entries) or adds numbers or
    arrays (``g`` summed back to each operand's shape)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return g[:len(a)], g[len(a):]
    return unbroadcast(g, a), unbroadcast(g, b)


def _entries(c, like):
    """The adjoint ``c`` of the list or tuple ``like`` as a list (zeros for none)."""
    return list(c) if isinstance(c, (list, tuple, np.ndarray)) else \
        [zeros_like_value(x) for x in like]


@_pure
def sum_adjoints_transpose(parts, g, a, b):
    """The adjoint of ``g`` in ``sum_adjoints(g, a, b)`` from the adjoints of the
    two parts it returns: they are put back together."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        out = _entries(parts[0], g[:len(a)]) + _entries(parts[1], g[len(a):])
        return _rebuild(g, out) if isinstance(g, tuple) else out
    return add_any(embed_like(parts[0], g), embed_like(parts[1], g))


@_pure
def product_adjoints(g, a, b):
    """The adjoints of ``a`` and ``b`` from the adjoint ``g`` of ``a * b`` where
    the kinds could not tell, when compiling, whether ``*`` repeats a list or
    tuple (by an int: its entries' adjoints add up, the int has none) or
    multiplies numbers or arrays."""
    if isinstance(a, (list, tuple)) and hasattr(b, "__index__"):
        return repeated_adjoint(g, a), None  # xs * n (a NumPy integer too)
    if isinstance(b, (list, tuple)) and type(a) in (int, bool):
        return None, repeated_adjoint(g, b)  # n * xs (a NumPy integer makes an array)
    return unbroadcast(g * b, a), unbroadcast(g * a, b)


@_pure
def product_adjoints_tangent(g, a, b, g_dot, a_dot, b_dot):
    """The tangent of ``product_adjoints(g, a, b)``: linear in ``g`` for a
    repetition, the product rule for a product."""
    if isinstance(a, (list, tuple)) and hasattr(b, "__index__") or \
            isinstance(b, (list, tuple)) and type(a) in (int, bool):
        return product_adjoints(g_dot, a, b)
    return unbroadcast(g_dot * b + g * b_dot, a), unbroadcast(g_dot * a + g * a_dot, b)


@_pure
def product_adjoints_transpose(parts, g, a, b):
    """The adjoints of ``g``, ``a`` and ``b`` in ``product_adjoints(g, a, b)`` from
    the adjoints of the two parts it returns."""
    if isinstance(a, (list, tuple)) and hasattr(b, "__index__"):
        return _entries(parts[0], a) * (len(g) // max(len(a), 1)), None, None
    if isinstance(b, (list, tuple)) and type(a) in (int, bool):
        return _entries(parts[1], b) * (len(g) // max(len(b), 1)), None, None
    ga, gb = embed_like(parts[0], g * b), embed_like(parts[1], g * a)
    return unbroadcast(ga * b + gb * a, g), unbroadcast(gb * g, a), unbroadcast(ga * g, b)


@_pure
def slice_write_adjoints(g, xs, index, value):
    """The adjoints of the list ``xs`` and of ``value`` from the adjoint ``g`` of
    the list after ``xs[index] = value`` (``index`` a slice): the entries the
    value took are its adjoint; those it replaced (as many as the slice named in
    ``xs``, which may be more or fewer) get zeros."""
    start, stop, step = index.indices(len(xs))
    if step != 1:  # an extended slice: as many entries as it names, in place
        positions = range(start, stop, step)
        taken = [g[i] for i in positions]
        out = list(g)
        for i in positions:
            out[i] = zeros_like_value(xs[i])
        return out, like_sequence(taken, value)
    stop = max(stop, start)
    size = len(g) - len(xs) + stop - start  # how many entries the value gave
    cleared = [zeros_like_value(x) for x in xs[start:stop]]
    return list(g[:start]) + cleared + list(g[start + size:]), \
        like_sequence(list(g[start:start + size]), value)


@_pure
def slice_write_transpose(parts, g, xs, index, value):
    """The adjoint of ``g`` in ``slice_write_adjoints(g, xs, index, value)`` from
    the adjoints of the two parts it returns: the write made again."""
    out = _entries(parts[0], xs)
    out[index] = _entries(parts[1], list(value))
    return out
