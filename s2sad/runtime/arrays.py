"""Helpers of the NumPy rules (s2sad/rules/numpy.py): reductions, shapes,
selections, products.  Each does one shape-dependent thing that a rule
cannot say without a loop."""
import numpy as np

from .core import _pure, unbroadcast


# ---------------------------------------------------------------------------
# Helpers of the NumPy and linear-algebra rules (s2sad/rules/numpy.py, linalg.py).
# Each does one shape-dependent thing that a rule cannot say without a loop.
# ---------------------------------------------------------------------------
def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of axes >= 0
    (none of a 0-d array, which ``np.add.reduce(x, axis=0)`` takes as it is)."""
    if axis is None or ndim == 0:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(a) % ndim for a in axis))
    return (int(axis) % ndim,)


@_pure
def broadcast_like(t, like):
    """The tangent ``t`` broadcast to the shape of the result ``like`` (for
    ``x + c`` where only ``x`` is active and ``c`` broadcasts the result larger)."""
    shape = np.shape(like)
    if np.shape(t) == shape:
        return t
    if isinstance(t, (list, tuple)) and isinstance(like, (list, tuple)):
        raise TypeError("s2sad: '+' or '*' of lists or tuples was differentiated as "
                        "arithmetic (its operands' kinds were not known when compiling): "
                        "make one a list (list(...)) or use np.concatenate")
    return np.broadcast_to(t, shape)


@_pure
def expand_reduced(g, a, axis=None, keepdims=False):
    """``g``, the result or adjoint of a reduction of ``a`` over ``axis``, with the
    reduced axes put back as size-1 axes, so that it broadcasts against ``a``."""
    if keepdims or axis is None:
        return g
    return np.expand_dims(g, _axes(axis, np.ndim(a)))


@_pure
def spread(g, a, axis=None, keepdims=False):
    """The adjoint of ``a`` from the adjoint ``g`` of ``np.sum(a, axis)``: ``g``
    repeated over the reduced axes (a read-only broadcast view)."""
    return np.broadcast_to(expand_reduced(g, a, axis, keepdims), np.shape(a))


@_pure
def reduced_count(a, axis=None):
    """How many entries of ``a`` each result of a reduction over ``axis`` combines."""
    shape = np.shape(a)
    n = 1
    for k in _axes(axis, len(shape)):
        n *= shape[k]
    return n


@_pure
def tie_weights(a, ans, axis=None, keepdims=False):
    """For ``ans = np.max(a, axis)`` (or min): 1/k at the k entries of each group
    equal to its extremum, 0 elsewhere, so that ties share the derivative evenly."""
    hit = np.asarray(a) == expand_reduced(ans, a, axis, keepdims)
    return hit / np.sum(hit, axis=axis, keepdims=True)


@_pure
def prod_others(a, axis=None):
    """For each entry of ``a``, the product of the other entries of its group in
    a product over ``axis`` (without dividing, so zeros are fine)."""
    a = np.asarray(a)  # (a list: np.result_type would read it as a dtype)
    a = np.asarray(a, dtype=np.result_type(a, float))
    axes = _axes(axis, a.ndim)
    if not axes:
        return np.ones_like(a)
    dest = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, dest)
    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis((left * right).reshape(moved.shape), dest, axes)


@_pure
def prod_others_tangent(a, t, axis=None):
    """The tangent of ``prod_others(a, axis)`` along ``t``: for each entry, the sum
    over the other entries ``j`` of its group of ``t[j]`` times the product of the
    rest (no division: zeros are fine).  The map is symmetric, so it is also the
    transpose (the adjoint of ``a`` from that of ``prod_others``)."""
    a, t = np.asarray(a), np.asarray(t)
    a = np.asarray(a, dtype=np.result_type(a, t, float))
    t = np.broadcast_to(t, a.shape)
    axes = _axes(axis, a.ndim)
    if not axes:
        return np.zeros_like(a)
    dest = tuple(range(a.ndim - len(axes), a.ndim))
    moved, moved_t = np.moveaxis(a, axes, dest), np.moveaxis(t, axes, dest)
    lead = moved.shape[:a.ndim - len(axes)]
    flat, flat_t = moved.reshape(lead + (-1,)), moved_t.reshape(lead + (-1,))
    out = np.zeros_like(flat)
    for j in range(flat.shape[-1]):
        swapped = flat.copy()
        swapped[..., j] = flat_t[..., j]
        term = prod_others(swapped, -1)
        term[..., j] = 0
        out = out + term
    return np.moveaxis(out.reshape(moved.shape), dest, axes)


@_pure
def reverse_cumsum(g, axis=None, shape=None):
    """The adjoint of ``np.cumsum(x, axis)``: sums from the end (flattened when
    ``axis`` is None, then shaped as ``shape``)."""
    if axis is None:
        g = np.ravel(g)
        return np.cumsum(g[::-1])[::-1].reshape(shape)
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


@_pure
def inverse_permutation(axes, ndim):
    """The axes that undo ``np.transpose(x, axes)`` (None undoes None)."""
    if axes is None:
        return None
    return tuple(np.argsort([int(a) % ndim for a in axes]))


@_pure
def selection_adjoint(g, x, select, *args, **kwargs):
    """The adjoint of ``x`` from the adjoint ``g`` of ``select(x, *args)``, for a
    ``select`` that only picks, repeats or moves entries of ``x`` and fills zeros
    (take, tile, repeat, pad, diag, tril, sort by indices, ...).  ``select`` is
    applied to the positions 1..n of ``x``'s entries; each entry of ``g`` is added
    to the entry it came from (position 0 is a filled-in zero)."""
    shape = np.shape(x)
    n = int(np.prod(shape))
    picked = np.asarray(select(np.arange(1, n + 1).reshape(shape), *args, **kwargs))
    g = np.broadcast_to(g, picked.shape)
    if np.iscomplexobj(g):  # bincount adds real weights: the two parts one by one
        return selection_adjoint(g.real, x, select, *args, **kwargs) + \
            1j * selection_adjoint(g.imag, x, select, *args, **kwargs)
    out = np.bincount(picked.ravel(), weights=np.ravel(g), minlength=n + 1)[1:]
    return out.reshape(shape)


@_pure
def unconcatenate(g, arrays, axis=0, promote=None):
    """Split the adjoint ``g`` of a concatenation back into one piece per entry of
    ``arrays``, each shaped like its array.  ``promote`` (np.atleast_2d, ...) is
    what the function did to each array before concatenating along ``axis``;
    ``axis=None`` concatenates the flattened arrays."""
    if axis is None:
        g = np.ravel(g)
        axis = 0
        promoted = [np.ravel(a) for a in arrays]
    else:
        promoted = [np.asarray(a) if promote is None else promote(a) for a in arrays]
    ends = np.cumsum([np.shape(p)[axis] for p in promoted])[:-1]
    pieces = np.split(g, ends, axis=axis)
    out = [array_adjoint(np.reshape(p, np.shape(a)), a) for p, a in zip(pieces, arrays)]
    # np.vstack(x) of one array x joins its rows: x's adjoint is an array
    return np.stack(out) if isinstance(arrays, np.ndarray) else out


@_pure
def as_column(a):
    """``a`` as ``np.column_stack`` takes it: a 1-D array becomes one column."""
    a = np.asarray(a)
    return a.reshape(-1, 1) if a.ndim < 2 else a


@_pure
def hstack_axis(arrays):
    """The axis ``np.hstack`` joins along: 0 for 1-D arrays, else 1."""
    return 0 if np.ndim(arrays[0]) <= 1 else 1


@_pure
def array_adjoint(g, obj):
    """The adjoint of the (nested) list or tuple ``obj`` from the adjoint ``g`` of
    ``np.array(obj)``: the same nesting, with ``g``'s slices as leaves."""
    if isinstance(obj, (list, tuple)):
        return [array_adjoint(gi, oi) for gi, oi in zip(g, obj)]
    if isinstance(obj, np.ndarray):
        return np.reshape(g, obj.shape)
    return g[()] if isinstance(g, np.ndarray) and g.ndim == 0 else g


@_pure
def unstack(g, axis=0):
    """The pieces of ``g`` along ``axis`` (the adjoint of ``np.stack``)."""
    return list(np.moveaxis(np.asarray(g), axis, 0))


def _as_matrices(g, x, y):
    """x @ y's operands and adjoint with 1-D operands made matrices (as matmul does)."""
    x, y, g = np.asarray(x), np.asarray(y), np.asarray(g)
    if y.ndim == 1:
        y, g = y[:, None], g[..., None]
    if x.ndim == 1:
        x, g = x[None, :], g[..., None, :]
    return g, x, y


@_pure
def matmul_left_adjoint(g, x, y):
    """The adjoint of ``x`` from the adjoint ``g`` of ``x @ y`` (1-D operands and
    broadcast batch axes included)."""
    g2, x2, y2 = _as_matrices(g, x, y)
    return unbroadcast(g2 @ np.swapaxes(y2, -1, -2), x2).reshape(np.shape(x))


@_pure
def matmul_right_adjoint(g, x, y):
    """The adjoint of ``y`` from the adjoint ``g`` of ``x @ y``."""
    g2, x2, y2 = _as_matrices(g, x, y)
    return unbroadcast(np.swapaxes(x2, -1, -2) @ g2, y2).reshape(np.shape(y))


def _contraction_axes(a, b, axes):
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    aa, bb = axes
    aa = [aa] if isinstance(aa, (int, np.integer)) else list(aa)
    bb = [bb] if isinstance(bb, (int, np.integer)) else list(bb)
    return [int(i) % a.ndim for i in aa], [int(i) % b.ndim for i in bb]


@_pure
def tensordot_adjoint(g, a, b, axes=2, which=0):
    """The adjoint of ``a`` (``which=0``) or ``b`` (``which=1``) from the adjoint
    ``g`` of ``np.tensordot(a, b, axes)``."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    aa, bb = _contraction_axes(a, b, axes)
    free_a = [i for i in range(a.ndim) if i not in aa]
    free_b = [i for i in range(b.ndim) if i not in bb]
    na = len(free_a)
    if which == 0:
        t = np.tensordot(g, b, axes=(list(range(na, g.ndim)), free_b))
        order = free_a + [aa[i] for i in np.argsort(bb)]
        return np.transpose(t, np.argsort(order))
    t = np.tensordot(a, g, axes=(free_a, list(range(na))))
    order = [bb[i] for i in np.argsort(aa)] + free_b
    return np.transpose(t, np.argsort(order))


@_pure
def dot_adjoint(g, a, b, which=0):
    """The adjoint of ``a`` or ``b`` from the adjoint ``g`` of ``np.dot(a, b)``."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        other = b if which == 0 else a
        return unbroadcast(np.multiply(g, other), a if which == 0 else b)
    axes = ([a.ndim - 1], [max(b.ndim - 2, 0)])
    return tensordot_adjoint(g, a, b, axes, which)


@_pure
def inner_adjoint(g, a, b, which=0):
    """The adjoint of ``a`` or ``b`` from the adjoint ``g`` of ``np.inner(a, b)``."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        other = b if which == 0 else a
        return unbroadcast(np.multiply(g, other), a if which == 0 else b)
    return tensordot_adjoint(g, a, b, ([a.ndim - 1], [b.ndim - 1]), which)


@_pure
def kron_adjoint(g, a, b, which=0):
    """The adjoint of ``a`` or ``b`` from the adjoint ``g`` of ``np.kron(a, b)``."""
    a, b = np.asarray(a), np.asarray(b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    blocks = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    if which == 0:
        out = np.tensordot(blocks, b.reshape(sb), axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
        return out.reshape(a.shape)
    out = np.tensordot(blocks, a.reshape(sa), axes=(list(range(0, 2 * nd, 2)), list(range(nd))))
    return out.reshape(b.shape)


def _einsum_parse(subscripts, operands):
    """Explicit subscripts with letters for the ellipses: (inputs, output)."""
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        ins, out = spec.split("->")
    else:
        ins, out = spec, None
    ins = ins.split(",")
    used = set(c for c in spec if c.isalpha())
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    nell = 0
    for s, op in zip(ins, operands):
        if "..." in s:
            nell = max(nell, np.ndim(op) - (len(s) - 3))
    ell = "".join(spare[:nell])
    new_ins = []
    for s, op in zip(ins, operands):
        if "..." in s:
            k = np.ndim(op) - (len(s) - 3)
            s = s.replace("...", ell[nell - k:] if k else "")
        new_ins.append(s)
    if out is None:
        letters = "".join(new_ins)
        once = (c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        out = ell + "".join(sorted(once))
    else:
        out = out.replace("...", ell)
    return new_ins, out


@_pure
def einsum_adjoint(g, subscripts, operands, which):
    """The adjoint of ``operands[which]`` from the adjoint ``g`` of
    ``np.einsum(subscripts, *operands)`` (repeated indices, ellipses and
    broadcasting included)."""
    ins, out = _einsum_parse(subscripts, operands)
    target = np.asarray(operands[which])
    mine = ins[which]
    others = [s for i, s in enumerate(ins) if i != which]
    other_ops = [o for i, o in enumerate(operands) if i != which]
    unique = "".join(dict.fromkeys(mine))
    present = "".join(c for c in unique if c in out or any(c in s for s in others))
    t = np.einsum(",".join([out] + others) + "->" + present, g, *other_ops)
    # letters only this operand has were summed over: the adjoint is constant along them
    lonely = [k for k, c in enumerate(unique) if c not in present]
    if lonely:
        t = np.expand_dims(t, lonely)
    sizes = dict(zip(mine, target.shape))
    shape_u = tuple(sizes[c] for c in unique)
    # axes the operand has of size 1 that broadcast larger are summed
    wide = tuple(k for k, n in enumerate(shape_u) if n == 1 and t.shape[k] != 1)
    if wide:
        t = np.sum(t, axis=wide, keepdims=True)
    t = np.broadcast_to(t, shape_u)
    if len(unique) == len(mine):
        return np.transpose(t, [unique.index(c) for c in mine])
    # a repeated index (a diagonal): put the values on that diagonal
    res = np.zeros(target.shape, dtype=np.result_type(t, float))
    grid = np.indices(shape_u, sparse=True)
    np.add.at(res, tuple(grid[unique.index(c)] for c in mine), t)
    return res


@_pure
def unpad(g, pad_width):
    """The adjoint of ``np.pad(x, pad_width, mode='constant')``: the middle of ``g``."""
    g = np.asarray(g)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int).reshape(-1, 2)
                             if np.ndim(pad_width) else pad_width, (g.ndim, 2))
    return g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(widths, g.shape))]
