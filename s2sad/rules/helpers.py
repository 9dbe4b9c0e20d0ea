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
# named directly, so that generated code calls them by their names (not rt.name)
from ..runtime import attribute_adjoint, attribute_entry
from ..runtime import (item_adjoint, item_of, log_or_zero, polygamma, scaled_power,
                       unzipped_adjoint, unzipped_entry, written_adjoint, written_adjoint_transpose)
from ..runtime import (add_at, broadcast_like, concatenate_pieces, dot_adjoint, gather,
                       inner_adjoint, matmul_left_adjoint, matmul_right_adjoint, permuted, put,
                       put_value_adjoint, subtract_at, tensordot_adjoint, unbroadcast,
                       unpermuted, with_entry, without)
from .. import trees
from ..runtime import (add_any, embed_like, kron_adjoint, matmul_like, no_derivative,
                       norm_gradient_tangent, outer_like, part_like, prod_others_tangent,
                       solve_like, vector_norm_gradient_tangent)
from ..runtime import (product_adjoints_tangent, product_adjoints_transpose,
                       slice_write_transpose, sum_adjoints_transpose)
from ..runtime import (copy_adjoint, entry_cleared, index_adjoint, matrix_power_adjoint,
                       matrix_power_second, matrix_power_tangent, multi_dot_adjoint,
                       multi_dot_adjoint_tangent, multi_dot_second, multi_dot_tangent,
                       residual_adjoint, residuals_like, starred_adjoint)
from ..runtime import like_sequence, zipped_adjoint, zipped_adjoint_transpose
from ..trees import (jacobian_columns, jacobian_columns_adjoint, jacobian_rows,
                     jacobian_rows_adjoint)
from .registry import defjvp, defpartials, defvjp, deflinear, nondifferentiable

L = "runtime"


@defvjp(rt.unbroadcast, library=L)
def unbroadcast_vjp(g, x, *, ans_bar):
    return np.broadcast_to(ans_bar, np.shape(g))


@defvjp(rt.broadcast_like, library=L)
def broadcast_like_vjp(t, like, *, ans_bar):
    return unbroadcast(ans_bar, t)


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
def selection_adjoint_vjp(g, x, select, a1=..., a2=..., a3=..., a4=..., *, ans_bar):
    # the transpose of scattering back is picking again (summed to g's shape: g
    # broadcasts against what select picks); ``...`` marks the arguments not given
    # (a None given is an argument: take_along_axis(g, i, None) picks from the flat g)
    return unbroadcast(gather(ans_bar, select, a1, a2, a3, a4), g)


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


# reverse mode adds adjoints of unknown kind (containers) with add_any
deflinear(rt.part_like, (0,), library=L)
deflinear(rt.embed_like, (0,), library=L)


@defjvp(rt.add_any, library=L)
def add_any_jvp(a, b, *, a_dot, b_dot):
    return add_any(a_dot, b_dot)  # linear in both together (not multilinear)


@defvjp(rt.add_any, library=L)
def add_any_vjp(a, b, *, ans_bar):
    return part_like(ans_bar, a), part_like(ans_bar, b)


@defvjp(rt.part_like, library=L)
def part_like_vjp(g, x, *, ans_bar):
    return embed_like(ans_bar, g)


@defvjp(rt.embed_like, library=L)
def embed_like_vjp(c, g, *, ans_bar):
    return part_like(ans_bar, c)


deflinear(rt.index_adjoint, (0,), library=L)
deflinear(rt.dict_entry, (0,), library=L)
deflinear(rt.entry_cleared, (0,), library=L)
deflinear(rt.copy_adjoint, (0,), library=L)


@defvjp(rt.entry_cleared, library=L)
def entry_cleared_vjp(g, index, *, ans_bar):
    # a projection (zero at one entry, the rest as it is): its own transpose
    return entry_cleared(ans_bar, index)


@defvjp(rt.copy_adjoint, library=L)
def copy_adjoint_vjp(g, x, *, ans_bar):
    # the identity, or a reshape to x's shape: undone by a reshape to g's
    return copy_adjoint(ans_bar, g)


@defvjp(rt.dict_entry, library=L)
def dict_entry_vjp(g, key, *, ans_bar):
    # the entry of a dict of adjoints: its transpose puts it back among zeros
    return index_adjoint(ans_bar, g, key)


@defvjp(rt.index_adjoint, library=L)
def index_adjoint_vjp(g, x, index, *, ans_bar):
    return ans_bar[index]


# an attribute's part of an object's tangent or adjoint, and its transpose
deflinear(rt.attribute_adjoint, (0,), library=L)
deflinear(rt.attribute_entry, (0,), library=L)


@defvjp(rt.attribute_adjoint, library=L)
def attribute_adjoint_vjp(g, x, name, *, ans_bar):
    return attribute_entry(ans_bar, name)


@defvjp(rt.attribute_entry, library=L)
def attribute_entry_vjp(t, name, *, ans_bar):
    return attribute_adjoint(ans_bar, t, name)


deflinear(rt.written_adjoint, (0,), library=L)


@defvjp(rt.written_adjoint, library=L)
def written_adjoint_vjp(g, index, *, ans_bar):
    return written_adjoint_transpose(ans_bar, g, index)


deflinear(rt.written_adjoint_transpose, (0,), library=L)


@defvjp(rt.written_adjoint_transpose, library=L)
def written_adjoint_transpose_vjp(a, g, index, *, ans_bar):
    return written_adjoint(ans_bar, index)


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


# a, *mid, b = t: starred_adjoint joins the adjoints of a, mid (a list) and b into
# t's (a tuple); linear in the three together, its transpose splits them again
@defjvp(rt.starred_adjoint, library=L)
def starred_adjoint_jvp(before, middle, after, *, before_dot, middle_dot, after_dot):
    return starred_adjoint(before_dot, middle_dot, after_dot)


@defvjp(rt.starred_adjoint, library=L)
def starred_adjoint_vjp(before, middle, after, *, ans_bar):
    n, m = len(before), len(middle)
    return tuple(ans_bar[:n]), list(ans_bar[n:n + m]), tuple(ans_bar[n + m:])


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


# Helpers of the math and builtin rules
@defpartials(rt.polygamma, library=L)
def polygamma_partials(n, x):
    return None, polygamma(n + 1, x)


deflinear(rt.repeat_like, (0,), library=L)


@defvjp(rt.repeat_like, library=L)
def repeat_like_vjp(g, xs, *, ans_bar):
    # repeat_like(g, xs) is g once per entry of xs, summed to the entry's shape: its
    # transpose sums the entries, broadcast back to g's shape
    return broadcast_like(sum(ans_bar), g)


# the adjoints of xs * n, of xs[i:j] = v, and of a + b, a * b whose kinds were not
# known (tests/ad/test_list_arithmetic.py checks them at second order)
deflinear(rt.repeated_adjoint, (0,), library=L)
deflinear(rt.sum_adjoints, (0,), library=L)
deflinear(rt.slice_write_adjoints, (0,), library=L)


@defvjp(rt.repeated_adjoint, library=L)
def repeated_adjoint_vjp(g, xs, *, ans_bar):
    # its transpose repeats the adjoint of xs once per copy of xs in xs * n
    return list(ans_bar) * (len(g) // len(xs))


@defvjp(rt.sum_adjoints, library=L)
def sum_adjoints_vjp(g, a, b, *, ans_bar):
    return sum_adjoints_transpose(ans_bar, g, a, b)


@defjvp(rt.product_adjoints, library=L)
def product_adjoints_jvp(g, a, b, *, g_dot, a_dot, b_dot):
    return product_adjoints_tangent(g, a, b, g_dot, a_dot, b_dot)


@defvjp(rt.product_adjoints, library=L)
def product_adjoints_vjp(g, a, b, *, ans_bar):
    g_bar, a_bar, b_bar = product_adjoints_transpose(ans_bar, g, a, b)
    return g_bar, a_bar, b_bar


@defvjp(rt.slice_write_adjoints, library=L)
def slice_write_adjoints_vjp(g, xs, index, value, *, ans_bar):
    return slice_write_transpose(ans_bar, g, xs, index, value)


nondifferentiable(rt.extremum_index, rt.piecewise_masks, rt.sign, library=L)


@defpartials(rt.scaled_power, library=L)
def scaled_power_partials(c, x, p, ans):
    # c * x ** p: x ** p, c * p * x ** (p - 1) (0 where c * p is 0: d/dx x ** 1 at
    # x = 0 is 1, and its derivative 0), and c * x ** p * log x
    return x ** p, scaled_power(c * p, x, p - 1), ans * log_or_zero(x)


@defpartials(rt.log_or_zero, library=L)
def log_or_zero_partial(x):
    return 1 / (x + (x == 0))


# x.item(index) and its adjoint (s2sad/rules/methods.py): each the other's transpose
@defvjp(rt.item_adjoint, library=L)
def item_adjoint_vjp(g, x, index=None, *, ans_bar):
    return item_of(ans_bar, x, index)


@defvjp(rt.item_of, library=L)
def item_of_vjp(g, x, index=None, *, ans_bar):
    return item_adjoint(ans_bar, x, index)


deflinear(rt.item_adjoint, (0,), library=L)
deflinear(rt.item_of, (0,), library=L)


# Jacobians (s2sad.jacfwd, s2sad.jacrev; s2sad/trees.py) assemble the results of one
# derivative per unit vector: linear in those results, with each other's transposes
nondifferentiable(trees.jacobian_basis, trees.detached, library=L)
for _fn in (jacobian_columns, jacobian_columns_adjoint, jacobian_rows, jacobian_rows_adjoint):
    deflinear(_fn, (0,), library=L)


@defvjp(jacobian_columns, library=L)
def jacobian_columns_vjp(columns, xs, single=True, *, ans_bar):
    return jacobian_columns_adjoint(ans_bar, columns, xs, single)


@defvjp(jacobian_columns_adjoint, library=L)
def jacobian_columns_adjoint_vjp(g, columns, xs, single=True, *, ans_bar):
    return jacobian_columns(ans_bar, xs, single)


@defvjp(jacobian_rows, library=L)
def jacobian_rows_vjp(rows, y, xs, single=True, *, ans_bar):
    return jacobian_rows_adjoint(ans_bar, rows, y, xs, single)


@defvjp(jacobian_rows_adjoint, library=L)
def jacobian_rows_adjoint_vjp(g, rows, y, xs, single=True, *, ans_bar):
    return jacobian_rows(ans_bar, y, xs, single)
deflinear(rt.like_sequence, (0,), library=L)


@defvjp(rt.like_sequence, library=L)
def like_sequence_vjp(g, xs, *, ans_bar):
    return list(ans_bar)


# the tangents and adjoints of iterators (s2sad/rules/core.py, ad/structure.py)
nondifferentiable(rt.item_zeros, library=L)
deflinear(rt.items_again, (0,), library=L)
deflinear(rt.enumerated_tangents, (0,), library=L)
deflinear(rt.iterated_adjoint, (0,), library=L)
deflinear(rt.reversed_adjoint, (0,), library=L)
deflinear(rt.zipped_adjoint, (0,), library=L)
deflinear(rt.zipped_adjoint_transpose, (0,), library=L)


@defvjp(rt.items_again, library=L)
def items_again_vjp(xs, *, ans_bar):
    return like_sequence(ans_bar, xs)


@defvjp(rt.enumerated_tangents, library=L)
def enumerated_tangents_vjp(xs_dot, *, ans_bar):
    return zipped_adjoint(ans_bar, 1, xs_dot)


@defvjp(rt.iterated_adjoint, library=L)
def iterated_adjoint_vjp(g, xs, *, ans_bar):
    return list(ans_bar)[:len(g)]


@defvjp(rt.reversed_adjoint, library=L)
def reversed_adjoint_vjp(g, xs, *, ans_bar):
    return list(ans_bar)[::-1][:len(g)]


@defvjp(rt.zipped_adjoint, library=L)
def zipped_adjoint_vjp(g, j, xs, *, ans_bar):
    return zipped_adjoint_transpose(ans_bar, g, j)


@defvjp(rt.zipped_adjoint_transpose, library=L)
def zipped_adjoint_transpose_vjp(h, g, j, *, ans_bar):
    return zipped_adjoint(ans_bar, j, h)


# zip(*seqs) in reverse mode (s2sad/ad/reverse.py): each the other's transpose
@defvjp(rt.unzipped_adjoint, library=L)
def unzipped_adjoint_vjp(g, seqs, index, *, ans_bar):
    return unzipped_entry(ans_bar, index)


@defvjp(rt.unzipped_entry, library=L)
def unzipped_entry_vjp(h, index, *, ans_bar):
    return unzipped_adjoint(ans_bar, h, index)


deflinear(rt.unzipped_adjoint, (0,), library=L)
deflinear(rt.unzipped_entry, (0,), library=L)


# The helpers of the NumPy and linalg rules that first-order derivative code calls
# (hessian and hvp differentiate that code again)
deflinear(rt.diff_adjoint, (0,), library=L)


@defvjp(rt.diff_adjoint, library=L)
def diff_adjoint_vjp(g, n=1, axis=-1, *, ans_bar):
    return np.diff(ans_bar, n=n, axis=axis)  # diff_adjoint is np.diff's transpose


# np.linalg.solve: solve_like(a, r, b) solves a x = r, x shaped as the solution for b;
# matmul_like(m, x, b) = m @ x and outer_like(u, x, b) = u @ x^T for such x
@defjvp(rt.solve_like, library=L)
def solve_like_jvp(a, r, b, *, ans, a_dot, r_dot):
    return solve_like(a, r_dot - matmul_like(a_dot, ans, b), b)


@defvjp(rt.solve_like, library=L)
def solve_like_vjp(a, r, b, *, ans, ans_bar):
    r_bar = solve_like(np.swapaxes(a, -1, -2), ans_bar, b)
    return unbroadcast(-outer_like(r_bar, ans, b), a), unbroadcast(r_bar, r)


deflinear(rt.matmul_like, (0, 1), library=L)
deflinear(rt.outer_like, (0, 1), library=L)


@defvjp(rt.matmul_like, library=L)
def matmul_like_vjp(m, x, b, *, ans_bar):
    return (unbroadcast(outer_like(ans_bar, x, b), m),
            unbroadcast(matmul_like(np.swapaxes(m, -1, -2), ans_bar, b), x))


@defvjp(rt.outer_like, library=L)
def outer_like_vjp(u, x, b, *, ans_bar):
    return (unbroadcast(matmul_like(ans_bar, x, b), u),
            unbroadcast(matmul_like(np.swapaxes(ans_bar, -1, -2), u, b), x))


# np.linalg.matrix_power: matrix_power_tangent(a, t, n) is the derivative along t,
# matrix_power_adjoint(g, a, n) its transpose (the same map at a^T), linear in t
# and g; matrix_power_second(a, u, v, n) is the second derivative, symmetric in u, v
deflinear(rt.matrix_power_tangent, (1,), library=L)
deflinear(rt.matrix_power_adjoint, (0,), library=L)


@defjvp(rt.matrix_power_tangent, library=L)
def matrix_power_tangent_jvp(a, t, n, *, a_dot, t_dot):
    return matrix_power_tangent(a, t_dot, n) + matrix_power_second(a, t, a_dot, n)


@defvjp(rt.matrix_power_tangent, library=L)
def matrix_power_tangent_vjp(a, t, n, *, ans_bar):
    a_t = np.swapaxes(a, -1, -2)
    return (unbroadcast(matrix_power_second(a_t, np.swapaxes(t, -1, -2), ans_bar, n), a),
            unbroadcast(matrix_power_adjoint(ans_bar, a, n), t))


@defjvp(rt.matrix_power_adjoint, library=L)
def matrix_power_adjoint_jvp(g, a, n, *, g_dot, a_dot):
    return matrix_power_adjoint(g_dot, a, n) + \
        matrix_power_second(np.swapaxes(a, -1, -2), g, np.swapaxes(a_dot, -1, -2), n)


@defvjp(rt.matrix_power_adjoint, library=L)
def matrix_power_adjoint_vjp(g, a, n, *, ans_bar):
    a_t = np.swapaxes(a, -1, -2)
    return (unbroadcast(matrix_power_tangent(a, ans_bar, n), g),
            unbroadcast(matrix_power_second(a_t, np.swapaxes(ans_bar, -1, -2), g, n), a))


deflinear(rt.matrix_power_second, (1, 2), library=L)


@defjvp(rt.matrix_power_second, library=L)
def matrix_power_second_jvp(a, u, v, n, *, a_dot, u_dot, v_dot):
    return matrix_power_second(a, u_dot, v, n) + matrix_power_second(a, u, v_dot, n) + \
        no_derivative(a_dot, "np.linalg.matrix_power's matrix at third order")


@defvjp(rt.matrix_power_second, library=L)
def matrix_power_second_vjp(a, u, v, n, *, ans_bar):
    a_t = np.swapaxes(a, -1, -2)
    return (no_derivative(ans_bar, "np.linalg.matrix_power's matrix at third order"),
            unbroadcast(matrix_power_second(a_t, np.swapaxes(v, -1, -2), ans_bar, n), u),
            unbroadcast(matrix_power_second(a_t, np.swapaxes(u, -1, -2), ans_bar, n), v))


# np.linalg.multi_dot: multi_dot_tangent(arrays, ts) (one factor replaced by its
# tangent, summed) and multi_dot_adjoint(g, arrays) (the factors' adjoints) are each
# other's transposes; multi_dot_adjoint_tangent(g, arrays, ts, g_dot), the tangent of
# the adjoints, is its own transpose in ts (its rules would be third order)
deflinear(rt.multi_dot_tangent, (1,), library=L)
deflinear(rt.multi_dot_adjoint, (0,), library=L)


@defjvp(rt.multi_dot_tangent, library=L)
def multi_dot_tangent_jvp(arrays, tangents, *, arrays_dot, tangents_dot):
    return multi_dot_tangent(arrays, tangents_dot) + \
        multi_dot_second(arrays, tangents, arrays_dot)


@defvjp(rt.multi_dot_tangent, library=L)
def multi_dot_tangent_vjp(arrays, tangents, *, ans_bar):
    return (multi_dot_adjoint_tangent(ans_bar, arrays, tangents),
            multi_dot_adjoint(ans_bar, arrays))


@defjvp(rt.multi_dot_adjoint, library=L)
def multi_dot_adjoint_jvp(g, arrays, *, g_dot, arrays_dot):
    return multi_dot_adjoint_tangent(g, arrays, arrays_dot, g_dot)


@defvjp(rt.multi_dot_adjoint, library=L)
def multi_dot_adjoint_vjp(g, arrays, *, ans_bar):
    return (multi_dot_tangent(arrays, ans_bar),
            multi_dot_adjoint_tangent(g, arrays, ans_bar))


# np.linalg.lstsq: residual_adjoint(res_bar, r) = r * res_bar column by column and
# outer_columns(p, q) = p @ q^T (np.outer for vectors) are bilinear; residuals_like
# (forward-mode code only) reshapes a tangent to the residuals' shape
deflinear(rt.residual_adjoint, (0, 1), library=L)
deflinear(rt.outer_columns, (0, 1), library=L)
deflinear(rt.residuals_like, (0,), library=L)


@defvjp(rt.residual_adjoint, library=L)
def residual_adjoint_vjp(res_bar, r, *, ans_bar):
    return residuals_like(np.sum(r * ans_bar, axis=0), res_bar), \
        residual_adjoint(res_bar, ans_bar)


@defvjp(rt.outer_columns, library=L)
def outer_columns_vjp(p, q, *, ans_bar):
    return unbroadcast(ans_bar @ q, p), unbroadcast(np.swapaxes(ans_bar, -1, -2) @ p, q)


@defvjp(rt.residuals_like, library=L)
def residuals_like_vjp(t, res, *, ans_bar):
    return residuals_like(ans_bar, t) if np.size(res) else np.zeros(np.shape(t))


# np.prod: prod_others(a, axis), each entry's product of the others of its group
@defjvp(rt.prod_others, library=L)
def prod_others_jvp(a, axis=None, *, a_dot):
    return prod_others_tangent(a, a_dot, axis)


@defvjp(rt.prod_others, library=L)
def prod_others_vjp(a, axis=None, *, ans_bar):
    return prod_others_tangent(a, ans_bar, axis)  # a symmetric map


@defjvp(rt.prod_others_tangent, library=L)
def prod_others_tangent_jvp(a, t, axis=None, *, a_dot, t_dot):
    return prod_others_tangent(a, t_dot, axis) + \
        no_derivative(a_dot, "the entries of np.prod at third order")


@defvjp(rt.prod_others_tangent, library=L)
def prod_others_tangent_vjp(a, t, axis=None, *, ans_bar):
    return (no_derivative(ans_bar, "the entries of np.prod at third order"),
            prod_others_tangent(a, ans_bar, axis))


# np.kron: kron_adjoint(g, a, b, which) is linear in g and in the other factor
@defjvp(rt.kron_adjoint, library=L)
def kron_adjoint_jvp(g, a, b, which=0, *, g_dot, a_dot, b_dot):
    if which == 0:
        return kron_adjoint(g_dot, a, b, 0) + kron_adjoint(g, a, b_dot, 0)
    return kron_adjoint(g_dot, a, b, 1) + kron_adjoint(g, a_dot, b, 1)


@defvjp(rt.kron_adjoint, library=L)
def kron_adjoint_vjp(g, a, b, which=0, *, ans_bar):
    if which == 0:
        return np.kron(ans_bar, b), None, kron_adjoint(g, ans_bar, b, 1), None
    return np.kron(a, ans_bar), kron_adjoint(g, a, ans_bar, 0), None, None


# np.linalg.norm: norm_gradient(x, ..., ans) is the gradient, given the norm ``ans``
# of x; its tangent is the Hessian applied to x's (which accounts for ans's too)
@defjvp(rt.norm_gradient, library=L)
def norm_gradient_jvp(x, ord=None, axis=None, keepdims=False, norm=None, *, x_dot):
    return norm_gradient_tangent(x, x_dot, ord, axis, keepdims, norm)


@defvjp(rt.norm_gradient, library=L)
def norm_gradient_vjp(x, ord=None, axis=None, keepdims=False, norm=None, *, ans_bar):
    return norm_gradient_tangent(x, ans_bar, ord, axis, keepdims, norm)  # symmetric


@defjvp(rt.norm_gradient_tangent, library=L)
def norm_gradient_tangent_jvp(x, t, ord=None, axis=None, keepdims=False, norm=None, *,
                              x_dot, t_dot):
    return norm_gradient_tangent(x, t_dot, ord, axis, keepdims, norm) + \
        no_derivative(x_dot, "np.linalg.norm's argument at third order")


@defvjp(rt.norm_gradient_tangent, library=L)
def norm_gradient_tangent_vjp(x, t, ord=None, axis=None, keepdims=False, norm=None, *,
                              ans_bar):
    return (no_derivative(ans_bar, "np.linalg.norm's argument at third order"),
            norm_gradient_tangent(x, ans_bar, ord, axis, keepdims, norm))


@defjvp(rt.vector_norm_gradient, library=L)
def vector_norm_gradient_jvp(x, axis=None, keepdims=False, ord=2, norm=None, *, x_dot):
    return vector_norm_gradient_tangent(x, x_dot, axis, keepdims, ord, norm)


@defvjp(rt.vector_norm_gradient, library=L)
def vector_norm_gradient_vjp(x, axis=None, keepdims=False, ord=2, norm=None, *, ans_bar):
    return vector_norm_gradient_tangent(x, ans_bar, axis, keepdims, ord, norm)


@defjvp(rt.vector_norm_gradient_tangent, library=L)
def vector_norm_gradient_tangent_jvp(x, t, axis=None, keepdims=False, ord=2, norm=None, *,
                                     x_dot, t_dot):
    return vector_norm_gradient_tangent(x, t_dot, axis, keepdims, ord, norm) + \
        no_derivative(x_dot, "np.linalg.vector_norm's argument at third order")


@defvjp(rt.vector_norm_gradient_tangent, library=L)
def vector_norm_gradient_tangent_vjp(x, t, axis=None, keepdims=False, ord=2, norm=None, *,
                                     ans_bar):
    return (no_derivative(ans_bar, "np.linalg.vector_norm's argument at third order"),
            vector_norm_gradient_tangent(x, ans_bar, axis, keepdims, ord, norm))
