"""Rules for the runtime helpers that generated derivative code calls.

Higher-order derivatives (``hessian``, ``hvp``, ``jvp(grad(f))``) differentiate
generated code again, which calls :mod:`s2sad.runtime`.  Most helpers are
linear in the adjoint they move around (``unbroadcast``, ``spread``...): their
tangent is the helper applied to the tangent, and their reverse rule is the
map they transpose.  Helpers that only compute weights or shapes of piecewise
constant functions carry no derivative.
"""
import numpy as np

from .. import runtime as rt
from ..runtime import (add_at, broadcast_like, concatenate_pieces, dot_adjoint, gather,
                       inner_adjoint, matmul_left_adjoint, matmul_right_adjoint, permuted, put,
                       put_value_adjoint, subtract_at, tensordot_adjoint, unbroadcast,
                       unpermuted, with_entry, without)
from .registry import defjvp, defvjp, deflinear, nondifferentiable

L = "runtime"


@defvjp(rt.unbroadcast, library=L)
def unbroadcast_vjp(g, x, *, ans_bar):
    return np.broadcast_to(ans_bar, np.shape(g))


@defvjp(rt.broadcast_like, library=L)
def broadcast_like_vjp(t, like, *, ans_bar):
    return rt.unbroadcast(ans_bar, t)


@defvjp(rt.spread, library=L)
def spread_vjp(g, a, axis=None, keepdims=False, *, ans_bar):
    return np.sum(ans_bar, axis=axis, keepdims=keepdims)


@defvjp(rt.expand_reduced, library=L)
def expand_reduced_vjp(g, a, axis=None, keepdims=False, *, ans_bar):
    return np.reshape(ans_bar, np.shape(g))


@defvjp(rt.reverse_cumsum, library=L)
def reverse_cumsum_vjp(g, axis=None, shape=None, *, ans_bar):
    return np.reshape(np.cumsum(ans_bar, axis=axis), np.shape(g))


@defvjp(rt.selection_adjoint, library=L)
def selection_adjoint_vjp(g, x, select, a1=None, a2=None, a3=None, a4=None, *, ans_bar):
    # the transpose of scattering back is picking again
    return gather(ans_bar, select, a1, a2, a3, a4)


@defvjp(rt.unconcatenate, library=L)
def unconcatenate_vjp(g, arrays, axis=0, promote=None, *, ans_bar):
    return concatenate_pieces(ans_bar, axis, promote)


@defvjp(rt.unstack, library=L)
def unstack_vjp(g, axis=0, *, ans_bar):
    return np.stack(ans_bar, axis=axis)


@defvjp(rt.array_adjoint, library=L)
def array_adjoint_vjp(g, obj, *, ans_bar):
    return np.reshape(np.array(ans_bar, dtype=float), np.shape(g))


@defvjp(rt.matmul_left_adjoint, library=L)
def matmul_left_adjoint_vjp(g, x, y, *, ans_bar):
    # matmul_left_adjoint(g, x, y) = g @ y^T, summed to x's shape
    return (np.broadcast_to(np.matmul(ans_bar, y), np.shape(g)), None,
            matmul_right_adjoint(g, ans_bar, y))


@defvjp(rt.matmul_right_adjoint, library=L)
def matmul_right_adjoint_vjp(g, x, y, *, ans_bar):
    # matmul_right_adjoint(g, x, y) = x^T @ g, summed to y's shape
    return (np.broadcast_to(np.matmul(x, ans_bar), np.shape(g)), matmul_left_adjoint(g, x, ans_bar))


# The adjoint of one factor of a product P(a, b) (which=0: of a, 1: of b) is
# bilinear in the product's adjoint g and the other factor; its transposes are
# P itself and the adjoint of the other factor.
@defjvp(rt.dot_adjoint, library=L)
def dot_adjoint_jvp(g, a, b, which=0, *, g_dot, a_dot, b_dot):
    if which == 0:
        return dot_adjoint(g_dot, a, b, 0) + dot_adjoint(g, a, b_dot, 0)
    return dot_adjoint(g_dot, a, b, 1) + dot_adjoint(g, a_dot, b, 1)


@defvjp(rt.dot_adjoint, library=L)
def dot_adjoint_vjp(g, a, b, which=0, *, ans_bar):
    if which == 0:
        return np.dot(ans_bar, b), None, dot_adjoint(g, ans_bar, b, 1), None
    return np.dot(a, ans_bar), dot_adjoint(g, a, ans_bar, 0), None, None


@defjvp(rt.inner_adjoint, library=L)
def inner_adjoint_jvp(g, a, b, which=0, *, g_dot, a_dot, b_dot):
    if which == 0:
        return inner_adjoint(g_dot, a, b, 0) + inner_adjoint(g, a, b_dot, 0)
    return inner_adjoint(g_dot, a, b, 1) + inner_adjoint(g, a_dot, b, 1)


@defvjp(rt.inner_adjoint, library=L)
def inner_adjoint_vjp(g, a, b, which=0, *, ans_bar):
    if which == 0:
        return np.inner(ans_bar, b), None, inner_adjoint(g, ans_bar, b, 1), None
    return np.inner(a, ans_bar), inner_adjoint(g, a, ans_bar, 0), None, None


@defjvp(rt.tensordot_adjoint, library=L)
def tensordot_adjoint_jvp(g, a, b, axes=2, which=0, *, g_dot, a_dot, b_dot):
    if which == 0:
        return tensordot_adjoint(g_dot, a, b, axes, 0) + tensordot_adjoint(g, a, b_dot, axes, 0)
    return tensordot_adjoint(g_dot, a, b, axes, 1) + tensordot_adjoint(g, a_dot, b, axes, 1)


@defvjp(rt.tensordot_adjoint, library=L)
def tensordot_adjoint_vjp(g, a, b, axes=2, which=0, *, ans_bar):
    if which == 0:
        return (np.tensordot(ans_bar, b, axes), None, tensordot_adjoint(g, ans_bar, b, axes, 1),
                None, None)
    return (np.tensordot(a, ans_bar, axes), tensordot_adjoint(g, a, ans_bar, axes, 0), None,
            None, None)


for _fn in (rt.unbroadcast, rt.broadcast_like, rt.spread, rt.expand_reduced, rt.reverse_cumsum,
            rt.selection_adjoint, rt.unconcatenate, rt.unstack, rt.array_adjoint):
    deflinear(_fn, (0,), library=L)
deflinear(rt.matmul_left_adjoint, (0, 2), library=L)
deflinear(rt.matmul_right_adjoint, (0, 1), library=L)

nondifferentiable(rt.tie_weights, rt.reduced_count, rt.inverse_permutation, rt.hstack_axis,
                  rt.zeros_like_value, library=L)


deflinear(rt.index_adjoint, (0,), library=L)


@defvjp(rt.index_adjoint, library=L)
def index_adjoint_vjp(g, x, index, *, ans_bar):
    return ans_bar[index]


deflinear(rt.written_adjoint, (0,), library=L)


@defvjp(rt.written_adjoint, library=L)
def written_adjoint_vjp(g, index, *, ans_bar):
    return rt.written_adjoint_transpose(ans_bar, g, index)


deflinear(rt.written_adjoint_transpose, (0,), library=L)


@defvjp(rt.written_adjoint_transpose, library=L)
def written_adjoint_transpose_vjp(a, g, index, *, ans_bar):
    return rt.written_adjoint(ans_bar, index)


# Writes made into values (s2sad/passes/memory/): their templates name the
# helpers directly, so that transpiled modules copy them
@defjvp(rt.put, library=L)
def put_jvp(a, ind, v, mode="raise", *, a_dot, v_dot):
    return put(broadcast_like(a_dot, a), ind, v_dot, mode)


@defvjp(rt.put, library=L)
def put_vjp(a, ind, v, mode="raise", *, ans_bar):
    return put(ans_bar, ind, 0.0, mode), None, put_value_adjoint(ans_bar, ind, v, mode)


deflinear(rt.put_value_adjoint, (0,), library=L)


@defjvp(rt.add_at, library=L)
def add_at_jvp(a, indices, b, *, a_dot, b_dot):
    return add_at(broadcast_like(a_dot, a), indices, b_dot)


@defvjp(rt.add_at, library=L)
def add_at_vjp(a, indices, b, *, ans_bar):
    return ans_bar, None, unbroadcast(ans_bar[indices], b)


@defjvp(rt.subtract_at, library=L)
def subtract_at_jvp(a, indices, b, *, a_dot, b_dot):
    return subtract_at(broadcast_like(a_dot, a), indices, b_dot)


@defvjp(rt.subtract_at, library=L)
def subtract_at_vjp(a, indices, b, *, ans_bar):
    return ans_bar, None, -unbroadcast(ans_bar[indices], b)


nondifferentiable(rt.sort_order, rt.is_view, library=L)
deflinear(rt.permuted, (0,), library=L)
deflinear(rt.unpermuted, (0,), library=L)


@defvjp(rt.permuted, library=L)
def permuted_vjp(items, order, *, ans_bar):
    return unpermuted(ans_bar, order)


@defvjp(rt.unpermuted, library=L)
def unpermuted_vjp(g, order, *, ans_bar):
    return permuted(ans_bar, order)


deflinear(rt.unpacked_adjoint, (0,), library=L)


@defvjp(rt.put_value_adjoint, library=L)
def put_value_adjoint_vjp(g, ind, v, mode="raise", *, ans_bar):
    return put(np.zeros(np.shape(g)), ind, ans_bar, mode)


@defvjp(rt.unpacked_adjoint, library=L)
def unpacked_adjoint_vjp(parts, x, *, ans_bar):
    return list(ans_bar)


@defjvp(rt.without, library=L)
def without_jvp(items, i, *, items_dot):
    return without(items_dot, i)


@defvjp(rt.without, library=L)
def without_vjp(items, i, *, ans_bar):
    return with_entry(ans_bar, i, 0.0)


@defjvp(rt.with_entry, library=L)
def with_entry_jvp(items, i, value, *, items_dot, value_dot):
    return with_entry(items_dot, i, value_dot)


@defvjp(rt.with_entry, library=L)
def with_entry_vjp(items, i, value, *, ans_bar):
    return without(ans_bar, i), None, ans_bar[i]
