"""The few helpers that generated derivative code imports.

Generated code calls these only where it cannot know shapes at compile time;
code compiled for scalar arguments uses none of them.  The transpiler copies
this module's functions into the modules it writes, so they run without s2sad
installed.

The tape of reverse mode is a plain Python list: the forward sweep appends a
tuple of the values the reverse sweep will read, once per loop iteration, and
the reverse sweep pops them in the opposite order.  Nothing else is recorded.
"""
import numpy as np


def _rebuild(x, items):
    """A container of x's type (named tuples too) holding ``items``."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*items)
    return type(x)(items)


def _pure(fn):
    fn.__s2sad_pure__ = True  # no side effects: generated code may fold calls to it
    return fn


@_pure
def unbroadcast(g, x):
    """Sum the adjoint ``g`` of a broadcast result back to the shape of ``x``."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if not shape:
        return g[()] if isinstance(g, np.ndarray) else g
    return g.reshape(shape)


@_pure
def zeros_like_value(x):
    """A zero with the structure of ``x``: 0.0, an array, or a tuple/list/dict of zeros."""
    if isinstance(x, (tuple, list)):
        return _rebuild(x, [zeros_like_value(v) for v in x])
    if isinstance(x, dict):
        return {k: zeros_like_value(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, (int, float, np.number)):
        return 0.0
    return None


@_pure
def add_any(a, b):
    """Add two adjoints that may be containers (tuples, lists, dicts) or None."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (tuple, list)):
        return _rebuild(a, [add_any(x, y) for x, y in zip(a, b)])
    if isinstance(a, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = add_any(out.get(k), v)
        return out
    return a + b


@_pure
def index_adjoint(g, x, index):
    """The adjoint of ``x`` from the adjoint ``g`` of ``x[index]``."""
    if isinstance(x, (tuple, list)):
        out = [zeros_like_value(v) for v in x]
        if isinstance(index, slice):
            for i, gi in zip(range(*index.indices(len(x))), g):
                out[i] = add_any(out[i], gi)
        else:
            out[index] = add_any(out[index], g)
        return _rebuild(x, out) if isinstance(x, tuple) else out
    if isinstance(x, dict):
        out = zeros_like_value(x)
        out[index] = add_any(out[index], g)
        return out
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g) if np.ndim(x) else float)
    np.add.at(out, index, g)
    return out


@_pure
def repeat_like(g, xs):
    """The adjoint of the elements of ``xs`` from the adjoint ``g`` of ``sum(xs)``:
    a fresh list holding ``g`` once per element."""
    return [g] * len(xs)


# ---------------------------------------------------------------------------
# Helpers of the NumPy and linear-algebra rules (s2sad/rules/numpy.py, linalg.py).
# Each does one shape-dependent thing that a rule cannot say without a loop.
# ---------------------------------------------------------------------------
def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of axes >= 0."""
    if axis is None:
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
    a = np.asarray(a, dtype=float)
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
    return [np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)]


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


@_pure
def norm_gradient(x, ord=None, axis=None, keepdims=False, ans=None):
    """The gradient of ``np.linalg.norm(x, ord, axis)`` with respect to ``x``, one
    entry per entry of ``x`` (ties of max/min norms share it evenly; the 2-norm of
    a matrix uses its largest singular pair)."""
    x = np.asarray(x, dtype=float)
    if ans is None:
        ans = np.linalg.norm(x, ord, axis, keepdims)
    matrix = (isinstance(axis, (tuple, list)) and len(axis) == 2) or \
        (axis is None and x.ndim == 2 and ord is not None)
    if not matrix:
        if axis is None:
            if ord is None or x.ndim == 1:
                return _vector_norm_gradient(x, ord, None, ans)
        return _vector_norm_gradient(x, ord, axis, expand_reduced(ans, x, axis, keepdims))
    rows, cols = (0, 1) if axis is None else (int(axis[0]) % x.ndim, int(axis[1]) % x.ndim)
    n = expand_reduced(ans, x, (rows, cols), keepdims)
    if ord in (None, "fro"):
        return x / np.where(n == 0, 1.0, n)
    if ord in (1, -1, np.inf, -np.inf):
        over, keep = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = np.sum(np.abs(x), axis=over, keepdims=True)
        best = (np.max if ord > 0 else np.min)(sums, axis=keep, keepdims=True)
        hit = sums == best
        return np.sign(x) * hit / np.sum(hit, axis=keep, keepdims=True)
    m = np.moveaxis(x, (rows, cols), (-2, -1))
    u, s, vh = np.linalg.svd(m, full_matrices=False)
    if ord == "nuc":
        grad = u @ vh
    elif ord in (2, -2):
        k = 0 if ord == 2 else -1
        grad = u[..., :, k, None] * vh[..., None, k, :]
    else:
        raise ValueError(f"norm: no derivative for ord={ord!r}")
    return np.moveaxis(grad, (-2, -1), (rows, cols))


def _vector_norm_gradient(x, ord, axis, n):
    if ord is None or ord == 2:
        return x / np.where(n == 0, 1.0, n)
    if ord in (np.inf, -np.inf):
        a = np.abs(x)
        hit = a == n
        return np.sign(x) * hit / np.sum(hit, axis=axis, keepdims=True)
    if ord == 0:
        return np.zeros_like(x)
    if ord == 1:
        return np.sign(x)
    a = np.abs(x)
    return np.sign(x) * (a / np.where(n == 0, 1.0, n)) ** (ord - 1)


@_pure
def vector_norm_gradient(x, axis=None, keepdims=False, ord=2, ans=None):
    """The gradient of ``np.linalg.vector_norm(x, axis=axis, ord=ord)``."""
    x = np.asarray(x, dtype=float)
    if ans is None:
        ans = np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    return _vector_norm_gradient(x, ord, axis, expand_reduced(ans, x, axis, keepdims))


@_pure
def matrix_power_tangent(a, a_dot, n):
    """The tangent of ``np.linalg.matrix_power(a, n)``: the sum over k of
    ``a^k a_dot a^(n-1-k)`` (through the inverse for n < 0)."""
    a = np.asarray(a)
    if n < 0:
        inv = np.linalg.inv(a)
        return matrix_power_tangent(inv, -inv @ a_dot @ inv, -n)
    out = np.zeros(np.broadcast_shapes(a.shape, np.shape(a_dot)))
    for k in range(n):
        out = out + np.linalg.matrix_power(a, k) @ a_dot @ np.linalg.matrix_power(a, n - 1 - k)
    return out


@_pure
def matrix_power_adjoint(g, a, n):
    """The adjoint of ``a`` from the adjoint ``g`` of ``np.linalg.matrix_power(a, n)``."""
    a = np.asarray(a)
    if n < 0:
        inv = np.linalg.inv(a)
        h = matrix_power_adjoint(g, inv, -n)
        inv_t = np.swapaxes(inv, -1, -2)
        return -inv_t @ h @ inv_t
    at = np.swapaxes(a, -1, -2)
    out = np.zeros(a.shape)
    for k in range(n):
        out = out + np.linalg.matrix_power(at, k) @ g @ np.linalg.matrix_power(at, n - 1 - k)
    return out


@_pure
def multi_dot_tangent(arrays, tangents):
    """The tangent of ``np.linalg.multi_dot(arrays)``: one product per factor with
    that factor replaced by its tangent."""
    out = 0.0
    for i in range(len(arrays)):
        factors = list(arrays)
        factors[i] = tangents[i]
        out = out + np.linalg.multi_dot(factors)
    return out


@_pure
def multi_dot_adjoint(g, arrays):
    """The adjoints of the factors of ``np.linalg.multi_dot(arrays)``."""
    arrays = [np.asarray(a) for a in arrays]
    first_vec, last_vec = arrays[0].ndim == 1, arrays[-1].ndim == 1
    mats = list(arrays)
    if first_vec:
        mats[0] = mats[0][None, :]
    if last_vec:
        mats[-1] = mats[-1][:, None]
    g = np.asarray(g)
    if first_vec and last_vec:
        g = g.reshape(1, 1)
    elif first_vec:
        g = g[None, :]
    elif last_vec:
        g = g[:, None]
    out = []
    for i in range(len(mats)):
        left = np.linalg.multi_dot(mats[:i]) if i > 1 else (mats[0] if i == 1 else None)
        right = np.linalg.multi_dot(mats[i + 1:]) if len(mats) - i > 2 else \
            (mats[-1] if i == len(mats) - 2 else None)
        h = g
        if left is not None:
            h = left.T @ h
        if right is not None:
            h = h @ right.T
        out.append(h.reshape(arrays[i].shape))
    return out


@_pure
def residual_adjoint(res_bar, r):
    """``r * res_bar`` column by column: half the adjoint of the residuals
    ``np.sum(r ** 2, axis=0)`` of ``np.linalg.lstsq`` (0 where they are empty:
    no over-determined full-rank system)."""
    res_bar = np.asarray(res_bar)
    if res_bar.size == 0:
        return np.zeros_like(r)
    return r * (res_bar.reshape(()) if np.ndim(r) == 1 else res_bar)


@_pure
def residuals_like(t, res):
    """The tangent ``t`` of lstsq's residuals shaped as they are (empty stays empty)."""
    if np.size(res) == 0:
        return np.zeros(np.shape(res))
    return np.reshape(t, np.shape(res))


@_pure
def outer_columns(p, q):
    """``p @ q.T`` for matrices, ``np.outer(p, q)`` for vectors (lstsq's b and x)."""
    if np.ndim(p) == 1:
        return np.outer(p, q)
    return p @ np.swapaxes(q, -1, -2)


@_pure
def solve_like(a, r, b):
    """``np.linalg.solve(a, r)`` for ``r`` shaped like the solution for the
    right-hand side ``b``: a (batch of) vector(s) when ``b`` is 1-D."""
    if np.ndim(b) == 1:
        return np.linalg.solve(a, np.asarray(r)[..., None])[..., 0]
    return np.linalg.solve(a, r)


@_pure
def matmul_like(m, x, b):
    """``m @ x`` for ``x`` shaped like the solution of ``np.linalg.solve(a, b)``."""
    if np.ndim(b) == 1:
        return (m @ np.asarray(x)[..., None])[..., 0]
    return m @ x


@_pure
def outer_like(u, x, b):
    """``u @ x.T`` for ``u`` and ``x`` shaped like the solution for ``b`` (the
    adjoint of the matrix of ``np.linalg.solve(a, b)``)."""
    if np.ndim(b) == 1:
        return np.asarray(u)[..., :, None] * np.asarray(x)[..., None, :]
    return u @ np.swapaxes(x, -1, -2)


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
    g_full = np.zeros(len(full))
    g_full[off:off + k] = g
    kernel = v[::-1] if fn is np.correlate else v  # correlate(a, v) = convolve(a, v[::-1])
    if which == 0:
        return np.correlate(g_full, kernel, "valid")
    gk = np.correlate(g_full, a, "valid")
    return gk[::-1] if fn is np.correlate else gk


@_pure
def gather(g, select, *args):
    """``select(g, *args)`` without the trailing ``None`` arguments (the reverse of
    :func:`selection_adjoint`, which scatters back what ``select`` picked)."""
    args = list(args)
    while args and args[-1] is None:
        args.pop()
    return select(g, *args)


@_pure
def concatenate_pieces(pieces, axis=0, promote=None):
    """Join ``pieces`` as the concatenation that :func:`unconcatenate` splits."""
    if axis is None:
        return np.concatenate([np.ravel(p) for p in pieces])
    return np.concatenate([p if promote is None else promote(p) for p in pieces], axis=axis)


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
def written_adjoint_transpose(a, g, index):
    """The transpose of :func:`written_adjoint`: ``a`` put back at ``index`` in
    zeros shaped like ``g`` (where a position repeats, its last write stays)."""
    g = np.asarray(g)
    out = np.zeros(g.shape, dtype=np.result_type(g, a))
    out[index] = a  # NumPy keeps the last of repeated writes, as the primal did
    return out


# ---------------------------------------------------------------------------
# Writes made into values (s2sad/passes/memory.py): ``np.put(a, ind, v)`` and
# ``np.add.at(a, idx, b)`` change ``a`` in place; derivative code computes the
# changed array as a new one, so that the old one is still there to read.
# ---------------------------------------------------------------------------
@_pure
def put(a, ind, v, mode="raise"):
    """``a`` after ``np.put(a, ind, v, mode)``, as a new array."""
    out = np.array(a, copy=True)
    np.put(out, ind, v, mode=mode)
    return out


def _put_positions(size, ind, mode):
    ind = np.ravel(np.asarray(ind))
    if mode == "wrap":
        return ind % size
    if mode == "clip":
        return np.clip(ind, 0, size - 1)
    return np.arange(size)[ind]


@_pure
def put_value_adjoint(g, ind, v, mode="raise"):
    """The adjoint of ``v`` in ``np.put(a, ind, v)`` from the adjoint ``g`` of the
    result: ``v`` is repeated cyclically along ``ind``, and where a position is
    written more than once only its last write stays."""
    g = np.asarray(g)
    positions = _put_positions(g.size, ind, mode)
    order = np.arange(positions.size)
    last = np.full(g.size, -1)
    last[positions] = order
    picked = np.where(last[positions] == order, g.ravel()[positions], 0.0)
    size = max(np.size(v), 1)
    out = np.zeros(size, dtype=np.result_type(g, float))
    np.add.at(out, order % size, picked)
    return out.reshape(np.shape(v)) if np.ndim(v) else out.sum() if np.size(v) != 1 else out[0]


@_pure
def add_at(a, indices, b):
    """``a`` after ``np.add.at(a, indices, b)``, as a new array."""
    out = np.array(a, copy=True, dtype=np.result_type(a, b))
    np.add.at(out, indices, b)
    return out


@_pure
def subtract_at(a, indices, b):
    """``a`` after ``np.subtract.at(a, indices, b)``, as a new array."""
    out = np.array(a, copy=True, dtype=np.result_type(a, b))
    np.subtract.at(out, indices, b)
    return out


@_pure
def sort_order(items, key=None, reverse=False):
    """The positions of ``items`` in the order ``sorted(items, key, reverse)``
    puts them (a stable sort, as Python's)."""
    keys = list(items) if key is None else [key(x) for x in items]
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=reverse)


@_pure
def permuted(items, order):
    """``[items[i] for i in order]``: a list in a given order."""
    return [items[i] for i in order]


@_pure
def unpermuted(g, order):
    """The transpose of :func:`permuted`: ``g[j]`` goes back to position ``order[j]``."""
    out = [0.0] * len(order)
    for j, i in enumerate(order):
        out[i] = g[j]
    return out


@_pure
def unpacked_adjoint(parts, x):
    """The adjoint of an array ``x`` unpacked as ``a, b, c = x``, from the
    adjoints of its rows (None where a row has none)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(x, float))
    for i, p in enumerate(parts):
        if p is not None:
            out[i] = p
    return out


@_pure
def starred_adjoint(before, middle, after):
    """The adjoint of ``t`` in ``a, *mid, b = t`` from those of ``a``, ``mid``
    (a list) and ``b``: one tuple of the entries' adjoints, in order."""
    return tuple(before) + tuple(middle) + tuple(after)


@_pure
def is_view(v, base, entry=False):
    """Whether ``v``, made from ``base`` (``base.reshape(...)``, or with ``entry``
    ``base[i]``), is part of it: an array sharing its memory (``x[i]`` of a 1-D
    array is a number, ``reshape`` of an array that is not contiguous a copy),
    or with ``entry`` an entry of a list or dict that can change."""
    if isinstance(base, np.ndarray):
        return isinstance(v, np.ndarray) and np.shares_memory(v, base)
    if entry and isinstance(base, (list, dict)):
        return not isinstance(v, (int, float, complex, str, bytes, tuple, type(None),
                                  np.generic))
    return False


@_pure
def without(items, i):
    """``items`` after ``items.pop(i)``, as a new list."""
    out = list(items)
    del out[i]
    return out


@_pure
def with_entry(items, i, value):
    """The transpose of :func:`without`: ``value`` put back at position ``i``
    (counted as in the list before the pop, ``len(items) + 1`` long)."""
    out = list(items)
    n = len(out) + 1
    out.insert(i % n if i < 0 else i, value)
    return out
