"""np.linalg: inverses, solves, determinants, factorizations, norms.

Rules follow the usual matrix-calculus results (Giles 2008, "Collected matrix
derivative results"; Murray 2016 for Cholesky; Townsend 2016 for the SVD) and
work on stacks of matrices (the last two axes).  ``a.T`` is written
``np.swapaxes(a, -1, -2)`` so that batches work.

Functions that read one triangle of their argument (``cholesky``, ``eigh``,
``eigvalsh``) are differentiated as NumPy computes them: a perturbation of the
other triangle changes nothing, so the adjoint lives on the triangle read
(for a symmetric perturbation this is the usual symmetric derivative).

Assumptions, as for any smooth derivative: ``svd``/``eigh`` have distinct
singular values/eigenvalues, ``svd`` is called with ``full_matrices=False``
(or on a square matrix), ``qr`` is the reduced one of a matrix with at least as
many rows as columns, ``lstsq`` and ``pinv`` see full-rank matrices.
"""
import numpy as np

from ..runtime import (expand_reduced, matmul_left_adjoint, matmul_like, matmul_right_adjoint,
                       tensordot_adjoint, matrix_power_adjoint, matrix_power_tangent,
                       multi_dot_adjoint, multi_dot_tangent, norm_gradient, outer_columns,
                       outer_like, real_eig, residual_adjoint, residuals_like,
                       selection_adjoint, solve_like, unbroadcast, vector_norm_gradient)
from .registry import defjvp, defvjp, deflinear, nondifferentiable

L = "linalg"
la = np.linalg


# ---------------------------------------------------------------------------
# Inverse, solve, determinants
# ---------------------------------------------------------------------------
@defjvp(la.inv, library=L)
def inv(a, *, ans, a_dot):
    return -(ans @ a_dot @ ans)


@defvjp(la.inv, library=L)
def inv_vjp(a, *, ans, ans_bar):
    ans_t = np.swapaxes(ans, -1, -2)
    return (-(ans_t @ ans_bar @ ans_t),)


@defjvp(la.solve, library=L)
def solve(a, b, *, ans, a_dot, b_dot):
    # a x = b  =>  a dx = db - da x
    return solve_like(a, b_dot - matmul_like(a_dot, ans, b), b)


@defvjp(la.solve, library=L)
def solve_vjp(a, b, *, ans, ans_bar):
    b_bar = solve_like(np.swapaxes(a, -1, -2), ans_bar, b)
    return unbroadcast(-outer_like(b_bar, ans, b), a), unbroadcast(b_bar, b)


@defjvp(la.det, library=L)
def det(a, *, ans, a_dot):
    # d det(a) = det(a) tr(a^-1 da)
    return ans * np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)


@defvjp(la.det, library=L)
def det_vjp(a, *, ans, ans_bar):
    return (np.expand_dims(ans_bar * ans, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2),)


@defjvp(la.slogdet, library=L)
def slogdet(a, *, ans, a_dot):
    # the sign is locally constant; d log|det a| = tr(a^-1 da)
    return np.zeros_like(ans[0]), np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)


@defvjp(la.slogdet, library=L)
def slogdet_vjp(a, *, ans, ans_bar):
    return (np.expand_dims(ans_bar[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2),)


@defjvp(la.matrix_power, library=L)
def matrix_power(a, n, *, a_dot):
    return matrix_power_tangent(a, a_dot, n)


@defvjp(la.matrix_power, library=L)
def matrix_power_vjp(a, n, *, ans_bar):
    return matrix_power_adjoint(ans_bar, a, n)


@defjvp(la.pinv, library=L)
def pinv(a, rcond=None, hermitian=False, *, ans, a_dot):
    # Golub & Pereyra: dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P
    p_t = np.swapaxes(ans, -1, -2)
    da_t = np.swapaxes(a_dot, -1, -2)
    left = ans @ p_t @ da_t
    right = da_t @ p_t @ ans
    return -(ans @ a_dot @ ans) + (left - left @ a @ ans) + (right - ans @ a @ right)


@defvjp(la.pinv, library=L)
def pinv_vjp(a, rcond=None, hermitian=False, *, ans, ans_bar):
    p_t = np.swapaxes(ans, -1, -2)
    g_t = np.swapaxes(ans_bar, -1, -2)
    left = g_t @ ans @ p_t
    right = p_t @ ans @ g_t
    return -(p_t @ ans_bar @ p_t) + (left - a @ ans @ left) + (right - right @ ans @ a)


# ---------------------------------------------------------------------------
# Factorizations
# ---------------------------------------------------------------------------
@defjvp(la.cholesky, library=L)
def cholesky(a, upper=False, *, ans, a_dot):
    # a = l l^T  =>  dl = l phi(l^-1 da l^-T), phi: lower triangle, half the diagonal.
    # NumPy reads the lower triangle (the upper one with upper=True).
    if upper:
        low = np.swapaxes(ans, -1, -2)
        da = np.swapaxes(a_dot, -1, -2)
    else:
        low = ans
        da = a_dot
    sym = np.tril(da) + np.swapaxes(np.tril(da, -1), -1, -2)
    x = np.linalg.solve(low, np.swapaxes(np.linalg.solve(low, sym), -1, -2))
    dl = low @ (np.tril(x, -1) + 0.5 * x * np.eye(np.shape(a)[-1]))
    if upper:
        return np.swapaxes(dl, -1, -2)
    return dl


@defvjp(la.cholesky, library=L)
def cholesky_vjp(a, upper=False, *, ans, ans_bar):
    if upper:
        low = np.swapaxes(ans, -1, -2)
        low_bar = np.swapaxes(ans_bar, -1, -2)
    else:
        low = ans
        low_bar = ans_bar
    low_t = np.swapaxes(low, -1, -2)
    m = low_t @ low_bar
    p = np.tril(m, -1) + 0.5 * m * np.eye(np.shape(a)[-1])
    s = np.swapaxes(np.linalg.solve(low_t, np.swapaxes(np.linalg.solve(low_t, p), -1, -2)), -1, -2)
    sym = (s + np.swapaxes(s, -1, -2)) / 2
    g = np.tril(sym) + np.tril(sym, -1)
    if upper:
        return np.swapaxes(g, -1, -2), None
    return g, None


@defjvp(la.eigh, library=L)
def eigh(a, UPLO="L", *, ans, a_dot):
    # dw = diag(v^T da v),  dv = v (F o v^T da v),  F_ij = 1 / (w_j - w_i)
    w, v = ans
    if UPLO == "L":
        sym = np.tril(a_dot) + np.swapaxes(np.tril(a_dot, -1), -1, -2)
    else:
        sym = np.triu(a_dot) + np.swapaxes(np.triu(a_dot, 1), -1, -2)
    p = np.swapaxes(v, -1, -2) @ sym @ v
    eye = np.eye(np.shape(w)[-1])
    f = (1 - eye) / (w[..., None, :] - w[..., :, None] + eye)
    return np.diagonal(p, axis1=-2, axis2=-1), v @ (f * p)


@defvjp(la.eigh, library=L)
def eigh_vjp(a, UPLO="L", *, ans, ans_bar):
    w, v = ans
    w_bar, v_bar = ans_bar
    v_t = np.swapaxes(v, -1, -2)
    eye = np.eye(np.shape(w)[-1])
    f = (1 - eye) / (w[..., None, :] - w[..., :, None] + eye)
    g = v @ (np.expand_dims(w_bar, -1) * eye + f * (v_t @ v_bar)) @ v_t
    sym = (g + np.swapaxes(g, -1, -2)) / 2
    if UPLO == "L":
        return np.tril(sym) + np.tril(sym, -1), None
    return np.triu(sym) + np.triu(sym, 1), None


@defjvp(la.eig, library=L)
def eig(a, *, ans, a_dot):
    # a v = v diag(w), distinct real eigenvalues (complex ones are an error), columns
    # of v of norm 1 (NumPy's): p = v^-1 da v, dw = diag(p), dv = v (F o p), less
    # each column's part along itself; F_ij = 1 / (w_j - w_i)
    w, v = real_eig(ans)
    p = np.linalg.solve(v, a_dot @ v)
    eye = np.eye(np.shape(w)[-1])
    f = (1 - eye) / (w[..., None, :] - w[..., :, None] + eye)
    dv = v @ (f * p)
    return np.diagonal(p, axis1=-2, axis2=-1), dv - v * np.sum(v * dv, axis=-2, keepdims=True)


@defvjp(la.eig, library=L)
def eig_vjp(a, *, ans, ans_bar):
    w, v = real_eig(ans)
    # real eigenpairs have real cotangents (NumPy 2.5 types the zeros complex)
    w_bar, v_bar = np.real(ans_bar[0]), np.real(ans_bar[1])
    v_t = np.swapaxes(v, -1, -2)
    eye = np.eye(np.shape(w)[-1])
    f = (1 - eye) / (w[..., None, :] - w[..., :, None] + eye)
    v_bar = v_bar - v * np.sum(v * v_bar, axis=-2, keepdims=True)
    m = np.expand_dims(w_bar, -1) * eye + f * (v_t @ v_bar)
    return (np.linalg.solve(v_t, m @ v_t),)


@defjvp(la.eigvals, library=L)
def eigvals(a, *, a_dot):
    w, v = real_eig(np.linalg.eig(a))
    return np.diagonal(np.linalg.solve(v, a_dot @ v), axis1=-2, axis2=-1)


@defvjp(la.eigvals, library=L)
def eigvals_vjp(a, *, ans_bar):
    w, v = real_eig(np.linalg.eig(a))
    v_t = np.swapaxes(v, -1, -2)
    return (np.linalg.solve(v_t, np.expand_dims(ans_bar, -1) * np.eye(np.shape(w)[-1]) @ v_t),)


@defjvp(la.eigvalsh, library=L)
def eigvalsh(a, UPLO="L", *, a_dot):
    v = np.linalg.eigh(a, UPLO)[1]
    if UPLO == "L":
        sym = np.tril(a_dot) + np.swapaxes(np.tril(a_dot, -1), -1, -2)
    else:
        sym = np.triu(a_dot) + np.swapaxes(np.triu(a_dot, 1), -1, -2)
    return np.sum(v * (sym @ v), axis=-2)


@defvjp(la.eigvalsh, library=L)
def eigvalsh_vjp(a, UPLO="L", *, ans_bar):
    v = np.linalg.eigh(a, UPLO)[1]
    g = (v * np.expand_dims(ans_bar, -2)) @ np.swapaxes(v, -1, -2)
    if UPLO == "L":
        return np.tril(g) + np.tril(g, -1), None
    return np.triu(g) + np.triu(g, 1), None


@defjvp(la.svd, library=L)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False, *, ans, a_dot):
    # a = u diag(s) v^T; dP = u^T da v; F_ij = 1 / (s_j^2 - s_i^2)
    if compute_uv:
        u, s, vh = ans
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = np.swapaxes(vh, -1, -2)
    dp = np.swapaxes(u, -1, -2) @ a_dot @ v
    ds = np.diagonal(dp, axis1=-2, axis2=-1)
    if compute_uv:
        dp_t = np.swapaxes(dp, -1, -2)
        eye = np.eye(np.shape(s)[-1])
        f = (1 - eye) / (s[..., None, :] ** 2 - s[..., :, None] ** 2 + eye)
        s_row = s[..., None, :]
        s_col = s[..., :, None]
        du = u @ (f * (dp * s_row + s_col * dp_t)) + (a_dot @ v - u @ dp) / s_row
        dv = v @ (f * (s_col * dp + dp_t * s_row)) + \
            (np.swapaxes(a_dot, -1, -2) @ u - v @ dp_t) / s_row
        return du, ds, np.swapaxes(dv, -1, -2)
    return ds


@defvjp(la.svd, library=L)
def svd_vjp(a, full_matrices=True, compute_uv=True, hermitian=False, *, ans, ans_bar):
    # Townsend (2016), real case
    if compute_uv:
        u, s, vh = ans
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return (u * np.expand_dims(ans_bar, -2)) @ vh, None, None, None
    u_bar, s_bar, vh_bar = ans_bar
    v = np.swapaxes(vh, -1, -2)
    u_t = np.swapaxes(u, -1, -2)
    v_bar = np.swapaxes(vh_bar, -1, -2)
    eye = np.eye(np.shape(s)[-1])
    f = (1 - eye) / (s[..., None, :] ** 2 - s[..., :, None] ** 2 + eye)
    s_row = s[..., None, :]
    s_col = s[..., :, None]
    j = f * (u_t @ u_bar - np.swapaxes(u_bar, -1, -2) @ u)
    k = f * (vh @ v_bar - np.swapaxes(v_bar, -1, -2) @ v)
    core = j * s_row + np.expand_dims(s_bar, -1) * eye + s_col * k
    off_u = (u_bar - u @ (u_t @ u_bar)) / s_row
    off_v = (v_bar - v @ (vh @ v_bar)) / s_row
    return u @ core @ vh + off_u @ vh + u @ np.swapaxes(off_v, -1, -2), None, None, None


if hasattr(la, "svdvals"):  # NumPy >= 2
    @defjvp(la.svdvals, library=L)
    def svdvals(x, *, x_dot):
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        return np.sum(u * (x_dot @ np.swapaxes(vh, -1, -2)), axis=-2)

    @defvjp(la.svdvals, library=L)
    def svdvals_vjp(x, *, ans_bar):
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        return ((u * np.expand_dims(ans_bar, -2)) @ vh,)


@defjvp(la.qr, library=L)
def qr(a, mode="reduced", *, ans, a_dot):
    # c = q^T da r^-1 = omega + (upper), omega antisymmetric
    q, r = ans
    dar = np.swapaxes(np.linalg.solve(np.swapaxes(r, -1, -2), np.swapaxes(a_dot, -1, -2)), -1, -2)
    c = np.swapaxes(q, -1, -2) @ dar
    low = np.tril(c, -1)
    upper_part = c - (low - np.swapaxes(low, -1, -2))
    return dar - q @ upper_part, upper_part @ r


@defvjp(la.qr, library=L)
def qr_vjp(a, mode="reduced", *, ans, ans_bar):
    q, r = ans
    q_bar, r_bar = ans_bar
    b = r_bar @ np.swapaxes(r, -1, -2) - np.swapaxes(q, -1, -2) @ q_bar
    e = np.triu(b) + np.tril(np.swapaxes(b, -1, -2), -1)
    m = q_bar + q @ e
    return np.swapaxes(np.linalg.solve(r, np.swapaxes(m, -1, -2)), -1, -2)


@defjvp(la.lstsq, library=L)
def lstsq(a, b, rcond=None, *, ans, a_dot, b_dot):
    # x = (a^T a)^-1 a^T b; the residual r = b - a x is orthogonal to a's columns
    x, res, rank, s = ans
    a_t = np.swapaxes(a, -1, -2)
    r = b - a @ x
    db_minus = b_dot - a_dot @ x
    dx = np.linalg.solve(a_t @ a, a_t @ db_minus + np.swapaxes(a_dot, -1, -2) @ r)
    dres = residuals_like(2 * np.sum(r * db_minus, axis=0), res)
    u, sv, vh = np.linalg.svd(a, full_matrices=False)
    ds = np.sum(u * (a_dot @ np.swapaxes(vh, -1, -2)), axis=-2)
    return dx, dres, 0, ds


@defvjp(la.lstsq, library=L)
def lstsq_vjp(a, b, rcond=None, *, ans, ans_bar):
    x, res, rank, s = ans
    x_bar, res_bar, rank_bar, s_bar = ans_bar
    a_t = np.swapaxes(a, -1, -2)
    z = np.linalg.solve(a_t @ a, x_bar)
    r = b - a @ x
    w = 2 * residual_adjoint(res_bar, r)
    b_bar = a @ z + w
    u, sv, vh = np.linalg.svd(a, full_matrices=False)
    a_bar = outer_columns(r, z) - outer_columns(b_bar, x) + (u * np.expand_dims(s_bar, -2)) @ vh
    return a_bar, b_bar


@defjvp(la.multi_dot, library=L)
def multi_dot(arrays, *, arrays_dot):
    return multi_dot_tangent(arrays, arrays_dot)


@defvjp(la.multi_dot, library=L)
def multi_dot_vjp(arrays, *, ans_bar):
    return (multi_dot_adjoint(ans_bar, arrays),)


# ---------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------
@defjvp(la.norm, library=L)
def norm(x, ord=None, axis=None, keepdims=False, *, ans, x_dot):
    return np.sum(norm_gradient(x, ord, axis, keepdims, ans) * x_dot, axis=axis,
                  keepdims=keepdims)


@defvjp(la.norm, library=L)
def norm_vjp(x, ord=None, axis=None, keepdims=False, *, ans, ans_bar):
    return (expand_reduced(ans_bar, x, axis, keepdims) * norm_gradient(x, ord, axis, keepdims, ans))


if hasattr(la, "vector_norm"):  # NumPy >= 2
    @defjvp(la.vector_norm, library=L)
    def vector_norm(x, axis=None, keepdims=False, ord=2, *, ans, x_dot):
        return np.sum(vector_norm_gradient(x, axis, keepdims, ord, ans) * x_dot, axis=axis,
                      keepdims=keepdims)

    @defvjp(la.vector_norm, library=L)
    def vector_norm_vjp(x, axis=None, keepdims=False, ord=2, *, ans, ans_bar):
        return (expand_reduced(ans_bar, x, axis, keepdims) *
                vector_norm_gradient(x, axis, keepdims, ord, ans))


if hasattr(la, "matrix_norm"):  # NumPy >= 2
    @defjvp(la.matrix_norm, library=L)
    def matrix_norm(x, keepdims=False, ord="fro", *, ans, x_dot):
        return np.sum(norm_gradient(x, ord, (-2, -1), keepdims, ans) * x_dot, axis=(-2, -1),
                      keepdims=keepdims)

    @defvjp(la.matrix_norm, library=L)
    def matrix_norm_vjp(x, keepdims=False, ord="fro", *, ans, ans_bar):
        return (expand_reduced(ans_bar, x, (-2, -1), keepdims) *
                norm_gradient(x, ord, (-2, -1), keepdims, ans))


# ---------------------------------------------------------------------------
# The array-API names in np.linalg (other objects than their np.* twins)
# ---------------------------------------------------------------------------
if hasattr(la, "matrix_transpose"):  # NumPy >= 2
    @defvjp(la.matmul, library=L)
    def matmul_vjp(x1, x2, *, ans_bar):
        return matmul_left_adjoint(ans_bar, x1, x2), matmul_right_adjoint(ans_bar, x1, x2)

    @defvjp(la.outer, library=L)
    def outer_vjp(x1, x2, *, ans_bar):
        return ans_bar @ x2, x1 @ ans_bar

    @defvjp(la.tensordot, library=L)
    def tensordot_vjp(x1, x2, axes=2, *, ans_bar):
        return (tensordot_adjoint(ans_bar, x1, x2, axes, 0), tensordot_adjoint(ans_bar, x1, x2, axes, 1))

    @defvjp(la.cross, library=L)
    def cross_vjp(x1, x2, axis=-1, *, ans_bar):
        # <g, a x b> = <a, b x g> = <b, g x a>
        return (unbroadcast(np.cross(x2, ans_bar, axis=axis), x1), unbroadcast(np.cross(ans_bar, x1, axis=axis), x2))

    @defvjp(la.vecdot, library=L)
    def vecdot_vjp(x1, x2, axis=-1, *, ans_bar):
        g = np.expand_dims(ans_bar, axis)
        return unbroadcast(g * x2, x1), unbroadcast(g * x1, x2)

    @defvjp(la.diagonal, library=L)
    def diagonal_vjp(x, offset=0, *, ans_bar):
        return selection_adjoint(ans_bar, x, np.diagonal, offset, -2, -1)

    @defvjp(la.trace, library=L)
    def trace_vjp(x, offset=0, dtype=None, *, ans_bar):
        return (selection_adjoint(np.expand_dims(ans_bar, -1), x, np.diagonal, offset, -2, -1))

    @defvjp(la.matrix_transpose, library=L)
    def matrix_transpose_vjp(x, *, ans_bar):
        return (np.swapaxes(ans_bar, -1, -2),)

    for _fn in (la.matmul, la.outer, la.tensordot, la.cross, la.vecdot):
        deflinear(_fn, (0, 1), library=L)
    for _fn in (la.diagonal, la.trace, la.matrix_transpose):
        deflinear(_fn, (0,), library=L)

deflinear(la.solve, (1,), library=L)  # a zero right-hand side has a zero solution

nondifferentiable(la.matrix_rank, library=L)
