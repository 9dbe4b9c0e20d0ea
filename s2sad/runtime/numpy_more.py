"""Helpers of the further NumPy rules (s2sad/rules/numpy_more.py):
differences, convolutions, index tricks, interpolation, gradients,
statistics, and the adjoints of writes into arrays."""
import numpy as np

from .core import _pure, unbroadcast, zeros_like_value
from .arrays import _axes, array_adjoint, as_column, einsum_adjoint


@_pure
def diff_adjoint(g, n=1, axis=-1):
    """The adjoint of ``np.diff(x, n, axis)``: ``n`` times minus the difference of
    ``g`` padded with a zero at both ends of ``axis``."""
    g = np.asarray(g)
    for _ in range(n):
        widths = [(0, 0)] * g.ndim
        widths[axis] = (1, 1)
        g = -np.diff(np.pad(g, widths), axis=axis)
    return g


@_pure
def convolve_adjoint(g, a, v, mode, which, fn=np.convolve):
    """The adjoint of ``a`` (``which=0``) or ``v`` (``which=1``) from the adjoint
    ``g`` of ``fn(a, v, mode)`` for ``fn`` np.convolve or np.correlate."""
    a, v = np.ravel(a), np.ravel(v)
    n, m = len(a), len(v)
    # where the mode's output sits in the full output (found on distinct probes)
    full = fn(np.arange(1.0, n + 1), np.exp(np.arange(m) / max(m, 1)), "full")
    out = fn(np.arange(1.0, n + 1), np.exp(np.arange(m) / max(m, 1)), mode)
    k = len(out)
    off = next(o for o in range(len(full) - k + 1) if np.allclose(full[o:o + k], out))
    g_full = np.zeros(len(full), dtype=np.result_type(g, float))
    g_full[off:off + k] = g
    # correlate(a, v) = convolve(a, conj(v[::-1])); np.correlate conjugates its second
    # argument, which the transposes (sums of plain products) undo
    kernel = np.conj(v[::-1]) if fn is np.correlate else v
    if which == 0:
        return np.correlate(g_full, np.conj(kernel), "valid")
    gk = np.correlate(g_full, np.conj(a), "valid")
    return np.conj(gk[::-1]) if fn is np.correlate else gk


@_pure
def convolve_apply(a, v, mode, fn=np.convolve):
    """``fn(a, v, mode)`` for ``fn`` np.convolve or np.correlate (the transposes
    of :func:`convolve_adjoint`)."""
    return fn(np.ravel(a), np.ravel(v), mode)


@_pure
def gather(g, select, *args):
    """``select(g, *args)`` without the trailing ``...`` arguments (those not given:
    the reverse of :func:`selection_adjoint`, which scatters back what ``select``
    picked)."""
    args = list(args)
    while args and args[-1] is Ellipsis:
        args.pop()
    return select(g, *args)


@_pure
def concatenate_pieces(pieces, axis=0, promote=None):
    """Join ``pieces`` as the concatenation that :func:`unconcatenate` splits."""
    if axis is None:
        return np.concatenate([np.ravel(p) for p in pieces])
    return np.concatenate([p if promote is None else promote(p) for p in pieces], axis=axis)


@_pure
def r_(items):
    """``np.r_[a, b, ...]`` of arrays and numbers: joined along the first axis
    (a slice item ``lo:hi:step`` is :func:`index_range`)."""
    return concatenate_pieces(items, 0, np.atleast_1d)


@_pure
def c_(items):
    """``np.c_[a, b, ...]``: 1-D items as columns, joined along the last axis."""
    return concatenate_pieces(items, -1, as_column)


@_pure
def einsum_subscripts(subscripts):
    """``np.einsum``'s first argument if it is a string (s2sad reads the sublist
    form only with its sublists written out as lists)."""
    if not isinstance(subscripts, str):
        raise TypeError("s2sad: np.einsum's sublist form is read only with sublists written "
                        "out as lists of integers; write the subscripts as a string: "
                        "np.einsum('ij,jk->ik', a, b)")
    return subscripts


@_pure
def index_range(start, stop, step=None):
    """``np.r_[start:stop:step]``: ``np.arange``, or for a complex ``step`` ``nj``
    ``np.linspace(start, stop, n)``."""
    return np.r_[slice(start, stop, step)]


@_pure
def range_weights(start, stop, step, n):
    """The derivatives of :func:`index_range`'s ``n`` entries by start, stop, step."""
    if isinstance(step, complex):
        t = np.linspace(0.0, 1.0, n)
        return 1 - t, t, np.zeros(n)
    return np.ones(n), np.zeros(n), np.arange(n, dtype=float)


@_pure
def interp_segments(x, xp, period=None):
    """For ``np.interp(x, xp, fp)``: the indices into ``xp`` of the ends of the
    segment each ``x`` falls in (equal, 0 or n - 1, outside ``xp``'s range)."""
    if period is not None:
        raise ValueError("s2sad: np.interp with period= has no derivative rule; "
                         "map x into one period and pass the extended xp, fp")
    xp, x = np.asarray(xp), np.asarray(x)
    n = len(xp)
    hi = np.minimum(np.clip(np.searchsorted(xp, x, "right"), 1, n - 1), n - 1)
    out = (x < xp[0]) | (x > xp[-1])
    end = np.where(x < xp[0], 0, n - 1)
    return np.where(out, end, np.maximum(hi - 1, 0)), np.where(out, end, hi)


@_pure
def gradient_matrix(n, spacing, edge_order=1):
    """The matrix ``G`` with ``np.gradient(f, spacing) = G @ f`` along one axis."""
    return np.gradient(np.eye(n), *([] if spacing is None else [spacing]), axis=0,
                       edge_order=edge_order)


@_pure
def gradient_adjoint(g, f, spacing=(), axis=None, edge_order=1):
    """The adjoint of ``f`` from the adjoint ``g`` of ``np.gradient(f, *spacing,
    axis=axis)`` (a list of arrays, one per axis, or one array)."""
    f = np.asarray(f)
    axes = _axes(axis, f.ndim)
    gs = [g] if len(axes) == 1 else list(g)
    spacing = [s for s in spacing if s is not None]
    spacing = spacing * len(axes) if len(spacing) == 1 else spacing or [None] * len(axes)
    out = np.zeros(f.shape)
    for k, h, dx in zip(axes, gs, spacing):
        m = gradient_matrix(f.shape[k], dx, edge_order)
        out = out + np.moveaxis(np.tensordot(m, np.asarray(h), axes=([0], [k])), 0, k)
    return out


@_pure
def no_derivative(t, what):
    """Raise: a derivative rule met a tangent or adjoint ``t`` it has no formula
    for (rules call it linearly, so a zero ``t`` leaves no call behind)."""
    raise ValueError(f"s2sad: no derivative with respect to {what}")


@_pure
def select_adjoint(g, condlist, choicelist):
    """The adjoints of the choices and of the default (a list and an array) from
    the adjoint ``g`` of ``np.select(condlist, choicelist, default)``."""
    g = np.asarray(g)
    taken = np.zeros(g.shape, dtype=bool)
    out = []
    for c, x in zip(condlist, choicelist):
        pick = np.broadcast_to(c, g.shape) & ~taken
        out.append(array_adjoint(unbroadcast(np.where(pick, g, 0.0), x), x))
        taken = taken | pick
    return out, np.where(taken, 0.0, g)


@_pure
def trapezoid_adjoint(g, y, x=None, dx=1.0, axis=-1, which=0):
    """The adjoint of ``y`` (``which=0``) or ``x`` (1) from the adjoint ``g`` of
    ``np.trapezoid(y, x, dx, axis)``."""
    y = np.moveaxis(np.asarray(y, dtype=float), axis, -1)
    g = np.expand_dims(g, -1)
    if which == 0:
        d = dx if x is None else np.diff(x if np.ndim(x) == 1 else np.moveaxis(x, axis, -1))
        d = np.broadcast_to(d, y.shape[:-1] + (y.shape[-1] - 1,))
        w = np.zeros(y.shape)
        w[..., 1:] += d / 2
        w[..., :-1] += d / 2
        return np.moveaxis(g * w, -1, axis)
    s = y[..., 1:] + y[..., :-1]
    xs = np.zeros(y.shape)
    xs[..., 1:] += s / 2
    xs[..., :-1] -= s / 2
    out = g * xs
    if np.ndim(x) == 1:
        return np.sum(out.reshape(-1, out.shape[-1]), axis=0)
    return unbroadcast(np.moveaxis(out, -1, axis), x)


@_pure
def gradient_of(h, spacing=(), axis=None, edge_order=1):
    """``np.gradient(h, *spacing, axis=axis)`` without the None spacings (the
    transpose of :func:`gradient_adjoint`)."""
    return np.gradient(h, *[s for s in spacing if s is not None], axis=axis,
                       edge_order=edge_order)


@_pure
def einsum_with(subscripts, operands, which, value):
    """``np.einsum(subscripts, *operands)`` with ``operands[which]`` replaced by ``value``."""
    ops = list(operands)
    ops[which] = value
    return np.einsum(subscripts, *ops)


@_pure
def einsum_adjoint_tangent(g, subscripts, operands, tangents, which):
    """The part of the tangent of ``einsum_adjoint(g, subscripts, operands, which)``
    that comes from the tangents of the other operands."""
    out = 0.0
    for k, t in enumerate(tangents):
        if k != which and t is not None:
            ops = list(operands)
            ops[k] = t
            out = out + einsum_adjoint(g, subscripts, ops, which)
    return out


@_pure
def einsum_adjoint_operands(g, h, subscripts, operands, which):
    """The adjoints of the other operands from the adjoint ``h`` of
    ``einsum_adjoint(g, subscripts, operands, which)``."""
    ops = list(operands)
    ops[which] = h
    return tuple(np.zeros(np.shape(operands[k])) if k == which else
                 einsum_adjoint(g, subscripts, ops, k) for k in range(len(ops)))


def _meshgrid_axis(k, n, indexing):
    return 1 - k if indexing == "xy" and n >= 2 and k < 2 else k


@_pure
def meshgrid_adjoint(g, x, k, n, indexing="xy"):
    """The adjoint of ``x``, the ``k``-th of the ``n`` inputs of ``np.meshgrid``,
    from the adjoint ``g`` of its ``k``-th output."""
    g = np.asarray(g)
    ax = _meshgrid_axis(k, n, indexing)
    return np.reshape(np.sum(g, axis=tuple(i for i in range(g.ndim) if i != ax)), np.shape(x))


@_pure
def meshgrid_lift(h, g, k, n, indexing="xy"):
    """The transpose of :func:`meshgrid_adjoint`: ``h`` repeated to ``g``'s shape."""
    shape = [1] * np.ndim(g)
    shape[_meshgrid_axis(k, n, indexing)] = -1
    return np.broadcast_to(np.reshape(h, shape), np.shape(g))


@_pure
def unique_first(ar):
    """The flat positions in ``ar`` of the first of each value ``np.unique`` returns."""
    return np.unique(ar, return_index=True)[1]


@_pure
def diff_parts(g, a, prepend=None, append=None, axis=-1):
    """The adjoints of ``a``, ``prepend`` and ``append`` from the adjoint ``g`` of
    what ``np.diff(a, prepend=..., append=...)`` differences (them joined)."""
    def length(v):
        return 0 if v is None else 1 if np.ndim(v) == 0 else np.shape(v)[axis]

    def part(piece, v):
        return None if v is None else np.sum(piece) if np.ndim(v) == 0 else \
            np.moveaxis(piece, 0, axis)

    k, n = length(prepend), np.shape(a)[axis]
    g = np.moveaxis(np.asarray(g), axis, 0)
    return np.moveaxis(g[k:k + n], 0, axis), part(g[:k], prepend), part(g[k + n:], append)


@_pure
def diff_join(parts, a, prepend=None, append=None, axis=-1):
    """The transpose of :func:`diff_parts`: its three pieces joined again (a
    number's piece repeated across the other axes)."""
    shape = list(np.shape(a))
    shape[axis] = 1
    pieces = []
    for p, v in ((parts[1], prepend), (parts[0], a), (parts[2], append)):
        if v is not None:
            p = np.zeros(np.shape(v)) if p is None else p
            pieces.append(np.broadcast_to(p, shape) if np.ndim(v) == 0 else p)
    return np.concatenate(pieces, axis=axis)


@_pure
def median_weights(a, axis=None):
    """1 at the middle entry of each group of ``np.median(a, axis)`` (1/2 at the
    two middle ones of an even group), 0 elsewhere."""
    a = np.asarray(a, dtype=float)
    if axis is None:
        return np.reshape(median_weights(np.ravel(a), 0), a.shape)
    moved = np.moveaxis(a, axis, -1)
    n = moved.shape[-1]
    order = np.argsort(moved, axis=-1)
    w = np.zeros(moved.shape)
    for k in ((n - 1) // 2, n // 2):
        hit = np.zeros(moved.shape)
        np.put_along_axis(hit, order[..., k:k + 1], 0.5, axis=-1)
        w = w + hit
    return np.moveaxis(w, -1, axis)


@_pure
def along_axis(w, a, axis=None):
    """``np.average``'s weights ``w`` shaped to broadcast against ``a`` (a 1-D ``w``
    runs along ``axis``)."""
    if np.ndim(w) == np.ndim(a):
        return w
    shape = [1] * np.ndim(a)
    shape[int(axis) % np.ndim(a)] = -1
    return np.reshape(w, shape)


@_pure
def cov_rows(m, y=None, rowvar=True):
    """The variables of ``np.cov(m, y, rowvar)`` as the rows of one matrix."""
    rows = []
    for v in (m, y):
        if v is not None:
            x = np.array(v, ndmin=2, dtype=np.result_type(v, float))
            rows.append(x.T if not rowvar and x.shape[0] != 1 else x)
    return np.concatenate(rows, axis=0)


@_pure
def cov_rows_adjoint(g, m, y=None, rowvar=True):
    """The adjoints of ``m`` and ``y`` from the adjoint ``g`` of :func:`cov_rows`."""
    out = []
    start = 0
    for v in (m, y):
        if v is None:
            out.append(None)
            continue
        x = np.array(v, ndmin=2)
        turn = not rowvar and x.shape[0] != 1
        k = x.shape[1] if turn else x.shape[0]
        piece = g[start:start + k]
        start += k
        out.append(np.reshape(piece.T if turn else piece, np.shape(v)))
    return out[0], out[1]


@_pure
def cov_factor(x, bias=False, ddof=None):
    """What ``np.cov`` divides by for the rows ``x``: observations less ddof."""
    if ddof is None:
        ddof = 0 if bias else 1
    return np.shape(x)[1] - ddof


@_pure
def real_eig(pair):
    """``np.linalg.eig``'s (eigenvalues, eigenvectors) if the eigenvalues are real
    (its derivative rules need real ones), as real arrays (NumPy 2.5 returns
    complex ones even then)."""
    if np.iscomplexobj(pair[0]) and not np.any(np.imag(pair[0])):
        pair = type(pair)(*(np.real(p) for p in pair)) if hasattr(pair, "_fields") else \
            tuple(np.real(p) for p in pair)
    if np.iscomplexobj(pair[0]):
        raise ValueError("s2sad: np.linalg.eig has a derivative rule for real eigenvalues "
                         "only; these are complex (for a symmetric matrix use eigh)")
    return pair


@_pure
def written_adjoint(g, index):
    """The adjoint of ``v`` in ``x[index] = v`` (or ``+=``) from the adjoint ``g``
    of the result: ``g[index]``, except that where an index array names a
    position more than once only its last write (the one that stays) counts."""
    g = np.asarray(g)
    picked = g[index]
    order = np.arange(picked.size).reshape(picked.shape)
    last = np.full(g.shape, -1)
    last[index] = order
    return np.where(last[index] == order, picked, 0)


@_pure
def attribute_adjoint(g, x, name):
    """The adjoint of ``x`` from the adjoint ``g`` of ``x.name``: a named tuple of
    zeros with ``g`` in that field, or for another object a dict ``{name: g}``."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return zeros_like_value(x)._replace(**{name: g})
    return {name: g}


@_pure
def attribute_entry(t, name):
    """The part of ``t``, the tangent (or adjoint) of an object or named tuple,
    that belongs to its attribute ``name``: a named tuple's field, or a dict's
    entry (0.0 where the dict has none: that attribute's is zero)."""
    if isinstance(t, tuple) and hasattr(t, "_fields"):
        return getattr(t, name)
    return t.get(name, 0.0)


@_pure
def written_adjoint_transpose(a, g, index):
    """The transpose of :func:`written_adjoint`: ``a`` put back at ``index`` in
    zeros shaped like ``g`` (where a position repeats, its last write stays)."""
    g = np.asarray(g)
    out = np.zeros(g.shape, dtype=np.result_type(g, a))
    out[index] = a  # NumPy keeps the last of repeated writes, as the primal did
    return out


def piecewise_masks(x, condlist, n):
    """The masks of ``np.piecewise(x, condlist, funclist)`` with ``n`` pieces, as
    NumPy reads them: one per condition, and, with one piece more than
    conditions, where none holds.  A later piece overrides an earlier one."""
    x = np.asarray(x)
    if np.isscalar(condlist) or (
            not isinstance(condlist[0], (list, np.ndarray)) and x.ndim != 0):
        condlist = [condlist]
    masks = [np.broadcast_to(c, x.shape) for c in np.asarray(condlist, dtype=bool)]
    if len(masks) == n - 1:
        masks.append(~np.any(masks, axis=0) if masks else np.ones(x.shape, dtype=bool))
    elif len(masks) != n:
        raise ValueError(f"with {len(masks)} condition(s), np.piecewise takes "
                         f"{len(masks)} or {len(masks) + 1} functions, not {n}")
    return masks
