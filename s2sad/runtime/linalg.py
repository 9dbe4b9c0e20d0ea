"""Helpers of the linear-algebra rules (s2sad/rules/linalg.py): norms,
matrix powers, chains of products, least squares."""
import numpy as np

from .core import _pure
from .arrays import expand_reduced


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


def _is_matrix_norm(x, ord, axis):
    return (isinstance(axis, (tuple, list)) and len(axis) == 2) or \
        (axis is None and np.ndim(x) == 2 and ord is not None)


@_pure
def norm_gradient_tangent(x, t, ord=None, axis=None, keepdims=False, ans=None):
    """The tangent of ``norm_gradient(x, ord, axis, keepdims)`` along ``t``: the
    Hessian of the norm applied to ``t`` (symmetric: also its transpose).  Norms
    that are piecewise linear (1, inf, the max/min sums of a matrix) have none;
    those of singular values need them distinct and nonzero."""
    x = np.asarray(x, dtype=float)
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    if ans is None:
        ans = np.linalg.norm(x, ord, axis, keepdims)
    if not _is_matrix_norm(x, ord, axis):
        if axis is None and (ord is None or x.ndim == 1):
            return _vector_norm_hessian(x, t, ord, None, ans)
        return _vector_norm_hessian(x, t, ord, axis, expand_reduced(ans, x, axis, keepdims))
    rows, cols = (0, 1) if axis is None else (int(axis[0]) % x.ndim, int(axis[1]) % x.ndim)
    n = expand_reduced(ans, x, (rows, cols), keepdims)
    if ord in (None, "fro"):
        return _vector_norm_hessian(x, t, 2, (rows, cols), n)
    if ord in (1, -1, np.inf, -np.inf):
        return np.zeros_like(x)
    if ord not in ("nuc", 2, -2):
        raise ValueError(f"s2sad: no derivative of np.linalg.norm for ord={ord!r}")
    m, dm = np.moveaxis(x, (rows, cols), (-2, -1)), np.moveaxis(t, (rows, cols), (-2, -1))
    return np.moveaxis(_singular_hessian(m, dm, ord), (-2, -1), (rows, cols))


def _singular_hessian(m, dm, ord):
    """The tangent along ``dm`` of the gradient of the nuclear norm (``u @ vh``) or of
    the largest (ord 2) or smallest (ord -2) singular value (``u_k v_k^T``), from
    the SVD's perturbation (singular values distinct and nonzero)."""
    u, s, vh = np.linalg.svd(m, full_matrices=False)
    v, ut = np.swapaxes(vh, -1, -2), np.swapaxes(u, -1, -2)
    k = ut @ dm @ v  # dm in the singular bases
    proj_u = np.eye(m.shape[-2]) - u @ ut  # onto what u does not span
    proj_v = np.eye(m.shape[-1]) - v @ vh
    if ord == "nuc":
        omega = (k - np.swapaxes(k, -1, -2)) / (s[..., :, None] + s[..., None, :])
        return (u @ omega @ vh + proj_u @ dm @ (v / s[..., None, :]) @ vh +
                (u / s[..., None, :]) @ ut @ dm @ proj_v)
    j = 0 if ord == 2 else s.shape[-1] - 1
    sj = s[..., j:j + 1]
    same = np.arange(s.shape[-1]) == j
    gap = np.where(same, 1.0, sj ** 2 - s ** 2)
    a = np.where(same, 0.0, (k[..., :, j] * sj + s * k[..., j, :]) / gap)
    b = np.where(same, 0.0, (s * k[..., :, j] + k[..., j, :] * sj) / gap)
    uj, vj = u[..., :, j], v[..., :, j]
    du = (u @ a[..., :, None])[..., 0] + (proj_u @ dm @ vj[..., :, None])[..., 0] / sj
    dv = (v @ b[..., :, None])[..., 0] + \
        (proj_v @ np.swapaxes(dm, -1, -2) @ uj[..., :, None])[..., 0] / sj
    return du[..., :, None] * vj[..., None, :] + uj[..., :, None] * dv[..., None, :]


@_pure
def vector_norm_gradient_tangent(x, t, axis=None, keepdims=False, ord=2, ans=None):
    """The tangent of ``vector_norm_gradient(x, axis, keepdims, ord)`` along ``t``."""
    x = np.asarray(x, dtype=float)
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    if ans is None:
        ans = np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    return _vector_norm_hessian(x, t, ord, axis, expand_reduced(ans, x, axis, keepdims))


def _vector_norm_hessian(x, t, ord, axis, n):
    if ord in (np.inf, -np.inf, 0, 1):  # piecewise linear: no curvature
        return np.zeros_like(x)
    safe = np.where(n == 0, 1.0, n)
    g = _vector_norm_gradient(x, ord, axis, n)
    dn = np.sum(g * t, axis=axis, keepdims=True)
    if ord is None or ord == 2:
        return (t - g * dn) / safe
    # the p-norm: g = sign(x) r^(p-1) with r = |x| / n
    r = np.abs(x) / safe
    curve = np.where(r > 0, r, 1.0) ** (ord - 2) * (r > 0)
    return (ord - 1) * curve * (t - np.sign(x) * r * dn) / safe


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
def matrix_power_second(a, u, v, n):
    """The second derivative of ``np.linalg.matrix_power(a, n)`` along ``u`` and
    ``v``: every product of n factors ``a`` with ``u`` put at one and ``v`` at
    another (through the inverse for n < 0).  The corner block of the n-th power
    of the block matrix [[a, u, 0], [0, a, v], [0, 0, a]] holds the products
    with ``u`` before ``v``; the other order adds the rest."""
    a, u, v = np.broadcast_arrays(np.asarray(a), np.asarray(u), np.asarray(v))
    m = a.shape[-1]
    out = 0.0
    for first, second in ((u, v), (v, u)):
        x = np.zeros(a.shape[:-2] + (3 * m, 3 * m), dtype=np.result_type(a, u, v, float))
        for i in range(3):
            x[..., i * m:(i + 1) * m, i * m:(i + 1) * m] = a
        x[..., :m, m:2 * m] = first
        x[..., m:2 * m, 2 * m:] = second
        out = out + np.linalg.matrix_power(x, n)[..., :m, 2 * m:]
    return out


@_pure
def multi_dot_tangent(arrays, tangents):
    """The tangent of ``np.linalg.multi_dot(arrays)``: one product per factor with
    that factor replaced by its tangent."""
    out = 0.0
    for i in range(len(arrays)):
        factors = _replaced(arrays, [(i, tangents[i])])
        if factors is not None:
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


def _replaced(arrays, pairs):
    """``arrays`` with the entries at the positions of ``pairs`` (position, value)
    replaced; None when a value is a zero (None or a number: no factor is one)."""
    out = list(arrays)
    for i, t in pairs:
        if t is None or np.ndim(t) == 0:
            return None
        out[i] = t
    return out


@_pure
def multi_dot_adjoint_tangent(g, arrays, tangents, g_tangent=None):
    """The tangent of ``multi_dot_adjoint(g, arrays)`` along the factors' tangents
    (and ``g_tangent``, g's): for each factor, the adjoints it gets from the
    products with one other factor replaced by its tangent (a map of ``tangents``
    that is its own transpose), plus ``multi_dot_adjoint(g_tangent, arrays)``."""
    if g_tangent is None or not np.any(g_tangent):
        out = [np.zeros(np.shape(a)) for a in arrays]
    else:
        out = multi_dot_adjoint(g_tangent, arrays)
    for j, t in enumerate(tangents):
        factors = _replaced(arrays, [(j, t)])
        if factors is None:
            continue
        parts = multi_dot_adjoint(g, factors)
        for i in range(len(arrays)):
            if i != j:
                out[i] = out[i] + parts[i]
    return out


@_pure
def multi_dot_second(arrays, s, t):
    """``np.linalg.multi_dot`` of ``arrays`` with one factor replaced by its entry
    of ``s`` and another by its entry of ``t``, summed over the ordered pairs."""
    out = 0.0
    for i in range(len(arrays)):
        for j in range(len(arrays)):
            factors = _replaced(arrays, [(i, s[i]), (j, t[j])]) if i != j else None
            if factors is not None:
                out = out + np.linalg.multi_dot(factors)
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
