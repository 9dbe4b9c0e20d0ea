"""More NumPy functions: ranges and fills, ufunc reductions, interpolation,
polynomials, selection by conditions, partitions, numerical calculus, and the
runtime helpers their rules (and ``np.r_`` / ``np.c_``) call.

Ranges (``linspace``, ``geomspace``, ``logspace``, ``arange``) are smooth in
their float endpoints and steps: the number of entries is an integer that does
not change under a small perturbation.  A derivative a rule has no formula for
(``np.gradient``'s spacing, ``np.interp``'s ``period``, an array ``base`` of
``logspace``) is an error when the program asks for it (``no_derivative``).
"""
import numpy as np

from .. import runtime as rt
from ..runtime import (along_axis, array_adjoint, as_column, broadcast_like, convolve_adjoint,
                       convolve_apply, cov_factor,
                       cov_rows, cov_rows_adjoint, diff_join, diff_parts, einsum_adjoint,
                       einsum_adjoint_operands, einsum_adjoint_tangent, einsum_with,
                       expand_reduced, gradient_adjoint, gradient_of, index_adjoint,
                       interp_segments, median_weights, meshgrid_adjoint, meshgrid_lift,
                       no_derivative, prod_others, range_weights, reduced_count,
                       reverse_cumsum, select_adjoint, selection_adjoint, spread, tie_weights,
                       trapezoid_adjoint, unbroadcast, unconcatenate, unique_first)
from .registry import defjvp, defvjp, deflinear, lookup, nondifferentiable

L = "numpy"


# ---------------------------------------------------------------------------
# Ranges and fills
# ---------------------------------------------------------------------------
@defjvp(np.linspace, library=L)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             start_dot, stop_dot):
    # (1 - t) start + t stop: linear in the two together (and so is the step)
    return np.linspace(start_dot, stop_dot, num, endpoint, retstep, dtype, axis)


@defvjp(np.linspace, library=L)
def linspace_vjp(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
                 ans_bar):
    t = np.linspace(0.0, 1.0, num, endpoint)
    if retstep:
        along = np.moveaxis(ans_bar[0], axis, -1)
        step_bar = ans_bar[1] / (num - 1 if endpoint else num)
        return (unbroadcast(along @ (1 - t) - step_bar, start),
                unbroadcast(along @ t + step_bar, stop))
    along = np.moveaxis(ans_bar, axis, -1)
    return unbroadcast(along @ (1 - t), start), unbroadcast(along @ t, stop)


@defjvp(np.geomspace, library=L)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0, *, ans, start_dot,
              stop_dot):
    # log |y| = (1 - t) log |start| + t log |stop|
    return ans * np.linspace(start_dot / start, stop_dot / stop, num, endpoint, axis=axis)


@defvjp(np.geomspace, library=L)
def geomspace_vjp(start, stop, num=50, endpoint=True, dtype=None, axis=0, *, ans, ans_bar):
    t = np.linspace(0.0, 1.0, num, endpoint)
    along = np.moveaxis(ans_bar * ans, axis, -1)
    return unbroadcast(along @ (1 - t) / start, start), unbroadcast(along @ t / stop, stop)


@defjvp(np.logspace, library=L)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0, *, ans,
             start_dot, stop_dot, base_dot):
    # base ** ((1 - t) start + t stop)
    exponent_dot = np.linspace(start_dot, stop_dot, num, endpoint, axis=axis)
    if np.ndim(base) == 0:
        return ans * (np.log(base) * exponent_dot + base_dot * np.log(ans) / (base * np.log(base)))
    return ans * np.log(base) * exponent_dot + no_derivative(base_dot, "an array base of np.logspace")


@defvjp(np.logspace, library=L)
def logspace_vjp(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0, *, ans,
                 ans_bar):
    t = np.linspace(0.0, 1.0, num, endpoint)
    along = np.moveaxis(ans_bar * ans, axis, -1) * np.log(base)
    # (an array base: its adjoint has no formula here; a float one's is the sum)
    return (unbroadcast(along @ (1 - t), start), unbroadcast(along @ t, stop), None, None,
            np.sum(ans_bar * ans * np.log(ans)) / (base * np.log(base)))


@defjvp(np.arange, library=L)
def arange(start, stop=None, step=None, dtype=None, *, ans, start_dot, step_dot):
    # start + k step for k = 0, 1, ...; np.arange(stop) is 0, 1, ...
    if stop is None:
        return np.zeros(np.shape(ans))
    return broadcast_like(start_dot + step_dot * np.arange(np.size(ans)), ans)


@defvjp(np.arange, library=L)
def arange_vjp(start, stop=None, step=None, dtype=None, *, ans, ans_bar):
    # (as many entries on every path: stop may be None only at run time)
    if stop is None:
        return 0.0 * np.sum(ans_bar), None, None
    return np.sum(ans_bar), None, np.sum(ans_bar * np.arange(np.size(ans)))


@defjvp(np.full, library=L)
def full(shape, fill_value, dtype=None, order="C", *, ans, fill_value_dot):
    return broadcast_like(fill_value_dot, ans)


@defvjp(np.full, library=L)
def full_vjp(shape, fill_value, dtype=None, order="C", *, ans_bar):
    return None, unbroadcast(ans_bar, fill_value)


@defjvp(np.full_like, library=L)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, ans,
              fill_value_dot):
    # a gives the shape (and the dtype): no derivative
    return broadcast_like(fill_value_dot, ans)


@defvjp(np.full_like, library=L)
def full_like_vjp(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, ans_bar):
    return None, unbroadcast(ans_bar, fill_value)


# ---------------------------------------------------------------------------
# Reductions and accumulations of ufuncs (np.add.reduce, ...); their axis is 0
# by default, NumPy's.  s2sad/frontend/resolve.py folds np.add.reduce into the
# method registered here.
# ---------------------------------------------------------------------------
def _add_reduce_vjp(array, axis=0, dtype=None, out=None, keepdims=False, initial=None,
                    where=True, *, ans_bar):
    # (as np.sum's: initial adds to every entry, where= leaves entries out)
    array_bar = spread(ans_bar, array, axis, keepdims) if where is True else \
        spread(ans_bar, array, axis, keepdims) * where
    if initial is None:
        return array_bar, None, None, None, None, None, None
    return array_bar, None, None, None, None, np.sum(ans_bar), None


def _multiply_reduce_jvp(array, axis=0, dtype=None, out=None, keepdims=False, *, array_dot):
    return np.sum(array_dot * prod_others(array, axis), axis=axis, keepdims=keepdims)


def _multiply_reduce_vjp(array, axis=0, dtype=None, out=None, keepdims=False, *, ans_bar):
    return expand_reduced(ans_bar, array, axis, keepdims) * prod_others(array, axis)


def _extremum_reduce_jvp(array, axis=0, dtype=None, out=None, keepdims=False, *, ans,
                         array_dot):
    return np.sum(array_dot * tie_weights(array, ans, axis, keepdims), axis=axis,
                  keepdims=keepdims)


def _extremum_reduce_vjp(array, axis=0, dtype=None, out=None, keepdims=False, *, ans,
                         ans_bar):
    return expand_reduced(ans_bar, array, axis, keepdims) * tie_weights(array, ans, axis,
                                                                         keepdims)


def _logaddexp_reduce_jvp(array, axis=0, dtype=None, out=None, keepdims=False, *, ans,
                          array_dot):
    weights = np.exp(array - expand_reduced(ans, array, axis, keepdims))
    return np.sum(array_dot * weights, axis=axis, keepdims=keepdims)


def _logaddexp_reduce_vjp(array, axis=0, dtype=None, out=None, keepdims=False, *, ans,
                          ans_bar):
    weights = np.exp(array - expand_reduced(ans, array, axis, keepdims))
    return expand_reduced(ans_bar, array, axis, keepdims) * weights


def _logaddexp2_reduce_jvp(array, axis=0, dtype=None, out=None, keepdims=False, *, ans,
                           array_dot):
    weights = 2.0 ** (array - expand_reduced(ans, array, axis, keepdims))
    return np.sum(array_dot * weights, axis=axis, keepdims=keepdims)


def _logaddexp2_reduce_vjp(array, axis=0, dtype=None, out=None, keepdims=False, *, ans,
                           ans_bar):
    weights = 2.0 ** (array - expand_reduced(ans, array, axis, keepdims))
    return expand_reduced(ans_bar, array, axis, keepdims) * weights


def _add_accumulate_vjp(array, axis=0, dtype=None, out=None, *, ans_bar):
    return reverse_cumsum(ans_bar, axis, np.shape(array))


def _multiply_accumulate_jvp(array, axis=0, dtype=None, out=None, *, ans, array_dot):
    return ans * np.add.accumulate(array_dot / array, axis)


def _multiply_accumulate_vjp(array, axis=0, dtype=None, out=None, *, ans, ans_bar):
    return reverse_cumsum(ans_bar * ans, axis, np.shape(array)) / array


def _ufunc_method(ufunc, method, jvp=None, vjp=None, linear=False, offsets=None):
    bound = getattr(ufunc, method)  # one bound method: the one resolve.py folds into
    name = f"{ufunc.__name__}.{method}"
    if linear:
        deflinear(bound, (0,), transpose=vjp, offsets=offsets, library=L)
        lookup(bound).name = name
        return
    defjvp(bound, library=L, name=name)(jvp)
    defvjp(bound, library=L, name=name)(vjp)


_ufunc_method(np.add, "reduce", vjp=_add_reduce_vjp, linear=True, offsets={"initial": 5})
_ufunc_method(np.add, "accumulate", vjp=_add_accumulate_vjp, linear=True)
_ufunc_method(np.multiply, "reduce", _multiply_reduce_jvp, _multiply_reduce_vjp)
_ufunc_method(np.maximum, "reduce", _extremum_reduce_jvp, _extremum_reduce_vjp)
_ufunc_method(np.minimum, "reduce", _extremum_reduce_jvp, _extremum_reduce_vjp)
_ufunc_method(np.logaddexp, "reduce", _logaddexp_reduce_jvp, _logaddexp_reduce_vjp)
_ufunc_method(np.logaddexp2, "reduce", _logaddexp2_reduce_jvp, _logaddexp2_reduce_vjp)
_ufunc_method(np.multiply, "accumulate", _multiply_accumulate_jvp, _multiply_accumulate_vjp)


# ---------------------------------------------------------------------------
# Selection by conditions and by order
# ---------------------------------------------------------------------------
@defjvp(np.select, library=L)
def select(condlist, choicelist, default=0, *, choicelist_dot, default_dot):
    # linear in the choices and the default together
    return np.select(condlist, choicelist_dot, default_dot)


@defvjp(np.select, library=L)
def select_vjp(condlist, choicelist, default=0, *, ans_bar):
    parts = select_adjoint(ans_bar, condlist, choicelist)
    return None, parts[0], unbroadcast(parts[1], default)


@defjvp(np.partition, library=L)
def partition(a, kth, axis=-1, kind="introselect", order=None, *, a_dot):
    # as sort: each entry's derivative comes from the entry that lands there
    return np.take_along_axis(a_dot, np.argpartition(a, kth, axis=axis), axis=axis)


@defvjp(np.partition, library=L)
def partition_vjp(a, kth, axis=-1, kind="introselect", order=None, *, ans_bar):
    return selection_adjoint(ans_bar, a, np.take_along_axis, np.argpartition(a, kth, axis=axis),
                             axis)


@defjvp(np.real_if_close, library=L)
def real_if_close(a, tol=100, *, ans, a_dot):
    if np.iscomplexobj(ans):
        return a_dot
    return np.real(a_dot)


@defvjp(np.real_if_close, library=L)
def real_if_close_vjp(a, tol=100, *, ans_bar):
    return ans_bar


if hasattr(np, "row_stack"):  # NumPy < 2.x: another name of vstack, deprecated
    @defvjp(np.row_stack, library=L)
    def row_stack_vjp(tup, *, ans_bar):
        return (unconcatenate(ans_bar, tup, 0, np.atleast_2d),)

    deflinear(np.row_stack, (0,), library=L)


# ---------------------------------------------------------------------------
# Interpolation and polynomials
# ---------------------------------------------------------------------------
@defjvp(np.interp, library=L)
def interp(x, xp, fp, left=None, right=None, period=None, *, x_dot, xp_dot, fp_dot, left_dot,
           right_dot):
    # on the segment xp[lo] <= x <= xp[hi]: y = (1 - t) fp[lo] + t fp[hi],
    # t = (x - xp[lo]) / (xp[hi] - xp[lo]); outside xp: fp's first or last
    # entry, or left / right (lo == hi there)
    lo, hi = interp_segments(x, xp, period)
    inside = lo != hi
    width = np.where(inside, xp[hi] - xp[lo], 1.0)
    t = np.where(inside, (x - xp[lo]) / width, 0.0)
    slope = (fp[hi] - fp[lo]) / width
    out = slope * (x_dot - (1 - t) * xp_dot[lo] - t * xp_dot[hi]) + \
        (1 - t) * fp_dot[lo] + t * fp_dot[hi]
    if left is not None:
        out = np.where(x < xp[0], left_dot, out)
    if right is not None:
        out = np.where(x > xp[-1], right_dot, out)
    return out


@defvjp(np.interp, library=L)
def interp_vjp(x, xp, fp, left=None, right=None, period=None, *, ans_bar):
    lo, hi = interp_segments(x, xp, period)
    inside = lo != hi
    width = np.where(inside, xp[hi] - xp[lo], 1.0)
    t = np.where(inside, (x - xp[lo]) / width, 0.0)
    slope = (fp[hi] - fp[lo]) / width
    g = ans_bar
    left_bar = None
    right_bar = None
    if left is not None:
        left_bar = unbroadcast(np.where(x < xp[0], g, 0.0), left)
        g = np.where(x < xp[0], 0.0, g)
    if right is not None:
        right_bar = unbroadcast(np.where(x > xp[-1], g, 0.0), right)
        g = np.where(x > xp[-1], 0.0, g)
    gs = g * slope
    return (unbroadcast(gs, x),
            -(index_adjoint(gs * (1 - t), xp, lo) + index_adjoint(gs * t, xp, hi)),
            index_adjoint(g * (1 - t), fp, lo) + index_adjoint(g * t, fp, hi), left_bar,
            right_bar)


@defjvp(np.polyval, library=L)
def polyval(p, x, *, p_dot, x_dot):
    n = len(p)
    return np.polyval(p_dot, x) + x_dot * np.polyval(np.asarray(p)[:-1] * np.arange(n - 1, 0, -1), x)


@defvjp(np.polyval, library=L)
def polyval_vjp(p, x, *, ans, ans_bar):
    n = len(p)
    powers = np.reshape(broadcast_like(x, ans), (-1, 1)) ** np.arange(n - 1, -1, -1)
    p_bar = np.sum(np.reshape(ans_bar, (-1, 1)) * powers, axis=0)
    x_bar = ans_bar * np.polyval(np.asarray(p)[:-1] * np.arange(n - 1, 0, -1), x)
    return array_adjoint(p_bar, p), unbroadcast(x_bar, x)


deflinear(np.polyval, (0,), library=L)  # (for a zero tangent of p; the rules are above)


# ---------------------------------------------------------------------------
# Numerical calculus: linear in the samples (and in the coordinates, for trapezoid)
# ---------------------------------------------------------------------------
@defjvp(np.gradient, library=L)
def gradient(f, dx=None, dy=None, dz=None, axis=None, edge_order=1, *, f_dot, dx_dot, dy_dot,
             dz_dot):
    spacing_dot = no_derivative(dx_dot, "the spacing of np.gradient") + \
        no_derivative(dy_dot, "the spacing of np.gradient") + \
        no_derivative(dz_dot, "the spacing of np.gradient")
    if dx is None:
        return np.gradient(f_dot, axis=axis, edge_order=edge_order)
    if dy is None:
        return np.gradient(f_dot, dx, axis=axis, edge_order=edge_order) + spacing_dot
    if dz is None:
        return np.gradient(f_dot, dx, dy, axis=axis, edge_order=edge_order) + spacing_dot
    return np.gradient(f_dot, dx, dy, dz, axis=axis, edge_order=edge_order) + spacing_dot


@defvjp(np.gradient, library=L)
def gradient_vjp(f, dx=None, dy=None, dz=None, axis=None, edge_order=1, *, ans_bar):
    return (gradient_adjoint(ans_bar, f, (dx, dy, dz), axis, edge_order),
            no_derivative(ans_bar, "the spacing of np.gradient"),
            no_derivative(ans_bar, "the spacing of np.gradient"),
            no_derivative(ans_bar, "the spacing of np.gradient"))


if hasattr(np, "trapezoid"):  # NumPy >= 2 (np.trapz before)
    @defvjp(np.trapezoid, library=L)
    def trapezoid_vjp(y, x=None, dx=1.0, axis=-1, *, ans_bar):
        return (trapezoid_adjoint(ans_bar, y, x, dx, axis, 0),
                trapezoid_adjoint(ans_bar, y, x, dx, axis, 1),
                np.sum(ans_bar * np.trapezoid(y, None, 1.0, axis)))

    deflinear(np.trapezoid, (0, 1, 2), library=L)  # linear in y, and in x (or dx)


@defjvp(np.meshgrid, library=L)
def meshgrid(x, y=None, z=None, copy=True, sparse=False, indexing="xy", *, x_dot, y_dot, z_dot):
    # each output is one input repeated along the other axes: linear in them together
    if y is None:
        return np.meshgrid(x_dot, copy=copy, sparse=sparse, indexing=indexing)
    if z is None:
        return np.meshgrid(x_dot, y_dot, copy=copy, sparse=sparse, indexing=indexing)
    return np.meshgrid(x_dot, y_dot, z_dot, copy=copy, sparse=sparse, indexing=indexing)


@defvjp(np.meshgrid, library=L)
def meshgrid_vjp(x, y=None, z=None, copy=True, sparse=False, indexing="xy", *, ans_bar):
    # (as many entries on every path: y may be None only at run time)
    if y is None:
        return meshgrid_adjoint(ans_bar[0], x, 0, 1, indexing), None, None
    if z is None:
        return (meshgrid_adjoint(ans_bar[0], x, 0, 2, indexing),
                meshgrid_adjoint(ans_bar[1], y, 1, 2, indexing), None)
    return (meshgrid_adjoint(ans_bar[0], x, 0, 3, indexing),
            meshgrid_adjoint(ans_bar[1], y, 1, 3, indexing),
            meshgrid_adjoint(ans_bar[2], z, 2, 3, indexing))


@defjvp(np.unique, library=L)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           ans, ar_dot):
    # each value's derivative is that of its first entry in ar (the indices and
    # counts have none)
    if axis is not None:
        return no_derivative(ar_dot, "np.unique with axis=")
    values_dot = np.ravel(ar_dot)[unique_first(ar)]
    extra = return_index + return_inverse + return_counts
    if extra == 0:
        return values_dot
    if extra == 1:
        return values_dot, np.zeros(np.shape(ans[1]))
    if extra == 2:
        return values_dot, np.zeros(np.shape(ans[1])), np.zeros(np.shape(ans[2]))
    return (values_dot, np.zeros(np.shape(ans[1])), np.zeros(np.shape(ans[2])),
            np.zeros(np.shape(ans[3])))


@defvjp(np.unique, library=L)
def unique_vjp(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
               ans_bar):
    if axis is not None:
        return no_derivative(ans_bar, "np.unique with axis=")
    if return_index + return_inverse + return_counts == 0:
        g = ans_bar
    else:
        g = ans_bar[0]
    return np.reshape(index_adjoint(g, np.ravel(ar), unique_first(ar)), np.shape(ar))


# ---------------------------------------------------------------------------
# Statistics: NaN-ignoring reductions, median, weighted average, covariance
# ---------------------------------------------------------------------------
@defjvp(np.nanvar, library=L)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, a_dot):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
    return np.sum(centered * np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims) * \
        (2.0 / (count - ddof))


@defvjp(np.nanvar, library=L)
def nanvar_vjp(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, ans_bar):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
    return centered * expand_reduced(ans_bar * (2.0 / (count - ddof)), a, axis, keepdims)


@defjvp(np.nanstd, library=L)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, ans, a_dot):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
    return np.sum(centered * np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims) / \
        ((count - ddof) * np.where(ans == 0, 1.0, ans))


@defvjp(np.nanstd, library=L)
def nanstd_vjp(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, ans, ans_bar):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
    return centered * expand_reduced(ans_bar / ((count - ddof) * np.where(ans == 0, 1.0, ans)),
                                     a, axis, keepdims)


@defjvp(np.nanprod, library=L)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, *, a_dot):
    # NaNs count as ones
    others = prod_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.sum(np.where(np.isnan(a), 0.0, a_dot) * others, axis=axis, keepdims=keepdims)


@defvjp(np.nanprod, library=L)
def nanprod_vjp(a, axis=None, dtype=None, out=None, keepdims=False, *, ans_bar):
    others = prod_others(np.where(np.isnan(a), 1.0, a), axis)
    return np.where(np.isnan(a), 0.0, expand_reduced(ans_bar, a, axis, keepdims) * others)


@defjvp(np.nancumsum, library=L)
def nancumsum(a, axis=None, dtype=None, out=None, *, a_dot):
    return np.cumsum(np.where(np.isnan(a), 0.0, a_dot), axis=axis)


@defvjp(np.nancumsum, library=L)
def nancumsum_vjp(a, axis=None, dtype=None, out=None, *, ans_bar):
    return np.where(np.isnan(a), 0.0, reverse_cumsum(ans_bar, axis, np.shape(a)))


@defjvp(np.median, library=L)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False, *, a_dot):
    # the middle entry of each group (half each to the two middle ones of an even
    # group), found by sorting: as sort's, on a tie its derivative goes where argsort puts it
    return np.sum(a_dot * median_weights(a, axis), axis=axis, keepdims=keepdims)


@defvjp(np.median, library=L)
def median_vjp(a, axis=None, out=None, overwrite_input=False, keepdims=False, *, ans_bar):
    return expand_reduced(ans_bar, a, axis, keepdims) * median_weights(a, axis)


@defjvp(np.average, library=L)
def average(a, axis=None, weights=None, returned=False, keepdims=False, *, ans, a_dot,
            weights_dot):
    # sum(w a) / sum(w) over axis (a 1-D w runs along axis)
    if returned:
        return no_derivative(a_dot, "np.average with returned=True") + \
            no_derivative(weights_dot, "np.average with returned=True")
    if weights is None:
        return np.mean(a_dot, axis=axis, keepdims=keepdims)
    w = along_axis(weights, a, axis)
    w_dot = along_axis(weights_dot, a, axis)
    centered = a - expand_reduced(ans, a, axis, keepdims)
    return np.sum(w * a_dot + w_dot * centered, axis=axis, keepdims=keepdims) / \
        np.sum(w * np.ones(np.shape(a)), axis=axis, keepdims=keepdims)


@defvjp(np.average, library=L)
def average_vjp(a, axis=None, weights=None, returned=False, keepdims=False, *, ans, ans_bar):
    if returned:
        return no_derivative(ans_bar, "np.average with returned=True")
    if weights is None:
        return spread(ans_bar, a, axis, keepdims) / reduced_count(a, axis), None, None
    w = along_axis(weights, a, axis)
    g = expand_reduced(ans_bar / np.sum(w * np.ones(np.shape(a)), axis=axis, keepdims=keepdims),
                       a, axis, keepdims)
    centered = a - expand_reduced(ans, a, axis, keepdims)
    return (unbroadcast(g * w, a), None,
            np.reshape(unbroadcast(g * centered, w), np.shape(weights)))


@defjvp(np.cov, library=L)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, *, ans, m_dot, y_dot):
    # c = xc xc^T / (N - ddof) for the centred rows xc of x (m's and y's variables)
    x = cov_rows(m, y, rowvar)
    if y is None:
        x_dot = cov_rows(m_dot, None, rowvar)
    else:
        x_dot = cov_rows(m_dot, y_dot, rowvar)
    xc = x - np.mean(x, axis=1, keepdims=True)
    t = (x_dot - np.mean(x_dot, axis=1, keepdims=True)) @ xc.T
    return np.reshape((t + t.T) / cov_factor(x, bias, ddof), np.shape(ans))


@defvjp(np.cov, library=L)
def cov_vjp(m, y=None, rowvar=True, bias=False, ddof=None, *, ans_bar):
    x = cov_rows(m, y, rowvar)
    xc = x - np.mean(x, axis=1, keepdims=True)
    k = np.shape(x)[0]
    g = np.reshape(ans_bar, (k, k))
    xc_bar = (g + g.T) @ xc / cov_factor(x, bias, ddof)
    parts = cov_rows_adjoint(xc_bar - np.mean(xc_bar, axis=1, keepdims=True), m, y, rowvar)
    return parts[0], parts[1]


nondifferentiable(np.argpartition, library=L)


# ---------------------------------------------------------------------------
# The runtime helpers these rules and np.r_ / np.c_ call (for second derivatives)
# ---------------------------------------------------------------------------
def _r_vjp(items, *, ans_bar):
    return unconcatenate(ans_bar, items, 0, np.atleast_1d)


def _c_vjp(items, *, ans_bar):
    return unconcatenate(ans_bar, items, -1, as_column)


def _concatenate_pieces_vjp(pieces, axis=0, promote=None, *, ans_bar):
    return unconcatenate(ans_bar, pieces, axis, promote)


deflinear(rt.r_, (0,), transpose=_r_vjp, library="runtime")
deflinear(rt.c_, (0,), transpose=_c_vjp, library="runtime")
deflinear(rt.concatenate_pieces, (0,), transpose=_concatenate_pieces_vjp, library="runtime")


@defjvp(rt.index_range, library="runtime")
def index_range_jvp(start, stop, step=None, *, ans, start_dot, stop_dot, step_dot):
    w = range_weights(start, stop, step, np.size(ans))
    return w[0] * start_dot + w[1] * stop_dot + w[2] * step_dot


@defvjp(rt.index_range, library="runtime")
def index_range_vjp(start, stop, step=None, *, ans, ans_bar):
    w = range_weights(start, stop, step, np.size(ans))
    return np.sum(ans_bar * w[0]), np.sum(ans_bar * w[1]), np.sum(ans_bar * w[2])


def _select_adjoint_vjp(g, condlist, choicelist, *, ans_bar):
    return np.broadcast_to(np.select(condlist, ans_bar[0], ans_bar[1]), np.shape(g))


def _gradient_adjoint_vjp(g, f, spacing=(), axis=None, edge_order=1, *, ans_bar):
    return gradient_of(ans_bar, spacing, axis, edge_order)


def _gradient_of_vjp(h, spacing=(), axis=None, edge_order=1, *, ans_bar):
    return gradient_adjoint(ans_bar, h, spacing, axis, edge_order)


deflinear(rt.gradient_adjoint, (0,), transpose=_gradient_adjoint_vjp, library="runtime")
deflinear(rt.gradient_of, (0,), transpose=_gradient_of_vjp, library="runtime")


# trapezoid_adjoint is bilinear: in g and x (or dx) for y's adjoint (which=0),
# in g and y for x's (which=1)
@defjvp(rt.trapezoid_adjoint, library="runtime")
def trapezoid_adjoint_jvp(g, y, x=None, dx=1.0, axis=-1, which=0, *, g_dot, y_dot, x_dot, dx_dot):
    out = trapezoid_adjoint(g_dot, y, x, dx, axis, which)
    if which == 1:
        return out + trapezoid_adjoint(g, y_dot, x, dx, axis, 1)
    if x is None:
        return out + trapezoid_adjoint(g, y, None, dx_dot, axis, 0)
    return out + trapezoid_adjoint(g, y, x_dot, dx, axis, 0)


@defvjp(rt.trapezoid_adjoint, library="runtime")
def trapezoid_adjoint_vjp(g, y, x=None, dx=1.0, axis=-1, which=0, *, ans_bar):
    # (as many entries on every path: x may be None only at run time)
    if which == 1:
        return (np.trapezoid(y, ans_bar, dx, axis), trapezoid_adjoint(g, y, ans_bar, dx, axis, 0),
                None, None)
    if x is None:
        return (np.trapezoid(ans_bar, x, dx, axis), None, None,
                np.sum(g * np.trapezoid(ans_bar, None, 1.0, axis)))
    return (np.trapezoid(ans_bar, x, dx, axis), None,
            trapezoid_adjoint(g, ans_bar, x, dx, axis, 1), None)


# einsum_adjoint is linear in g and in each operand but the one it is the adjoint of
@defjvp(rt.einsum_adjoint, library="runtime")
def einsum_adjoint_jvp(g, subscripts, operands, which, *, g_dot, operands_dot):
    return einsum_adjoint(g_dot, subscripts, operands, which) + \
        einsum_adjoint_tangent(g, subscripts, operands, operands_dot, which)


@defvjp(rt.einsum_adjoint, library="runtime")
def einsum_adjoint_vjp(g, subscripts, operands, which, *, ans_bar):
    return (einsum_with(subscripts, operands, which, ans_bar), None,
            einsum_adjoint_operands(g, ans_bar, subscripts, operands, which))


# convolve_adjoint(g, a, v, mode, which, fn) is linear in g and in the factor
# other than the one it is the adjoint of
@defjvp(rt.convolve_adjoint, library="runtime")
def convolve_adjoint_jvp(g, a, v, mode, which, fn=np.convolve, *, g_dot, a_dot, v_dot):
    if which == 0:
        return convolve_adjoint(g_dot, a, v, mode, 0, fn) + convolve_adjoint(g, a, v_dot, mode, 0, fn)
    return convolve_adjoint(g_dot, a, v, mode, 1, fn) + convolve_adjoint(g, a_dot, v, mode, 1, fn)


@defvjp(rt.convolve_adjoint, library="runtime")
def convolve_adjoint_vjp(g, a, v, mode, which, fn=np.convolve, *, ans_bar):
    # <h, convolve_adjoint(g, a, v, .., 0)> = <g, fn(h, v)>, and so on
    if which == 0:
        return (convolve_apply(ans_bar, v, mode, fn), None,
                convolve_adjoint(g, ans_bar, v, mode, 1, fn))
    return convolve_apply(a, ans_bar, mode, fn), convolve_adjoint(g, a, ans_bar, mode, 0, fn)


def _convolve_apply_vjp(a, v, mode, fn=np.convolve, *, ans_bar):
    return convolve_adjoint(ans_bar, a, v, mode, 0, fn), convolve_adjoint(ans_bar, a, v, mode, 1, fn)


deflinear(rt.convolve_adjoint, (0,), library="runtime")  # (a zero g: no call)
deflinear(rt.convolve_apply, (0, 1), transpose=_convolve_apply_vjp, library="runtime")
deflinear(rt.einsum_adjoint, (0,), library="runtime")  # (a zero g: no call; rules above)
deflinear(rt.trapezoid_adjoint, (0,), library="runtime")


def _no_derivative_vjp(t, what, *, ans_bar):
    return no_derivative(ans_bar, what)


deflinear(rt.select_adjoint, (0,), transpose=_select_adjoint_vjp, library="runtime")
deflinear(rt.no_derivative, (0,), transpose=_no_derivative_vjp, library="runtime")
nondifferentiable(rt.range_weights, rt.interp_segments, rt.gradient_matrix,
                  rt.einsum_subscripts, rt.unique_first, rt.median_weights, rt.cov_factor,
                  library="runtime")


def _along_axis_vjp(w, a, axis=None, *, ans_bar):
    return np.reshape(unbroadcast(ans_bar, w if np.ndim(w) == np.ndim(a) else
                                  along_axis(w, a, axis)), np.shape(w))


def _cov_rows_vjp(m, y=None, rowvar=True, *, ans_bar):
    parts = cov_rows_adjoint(ans_bar, m, y, rowvar)
    return parts[0], parts[1]


def _cov_rows_adjoint_vjp(g, m, y=None, rowvar=True, *, ans_bar):
    if y is None:
        return cov_rows(ans_bar[0], None, rowvar)
    return cov_rows(ans_bar[0], ans_bar[1], rowvar)


@defjvp(rt.cov_rows, library="runtime")
def cov_rows_jvp(m, y=None, rowvar=True, *, m_dot, y_dot):
    # linear in m and y together
    if y is None:
        return cov_rows(m_dot, None, rowvar)
    return cov_rows(m_dot, y_dot, rowvar)


defvjp(rt.cov_rows, library="runtime")(_cov_rows_vjp)
deflinear(rt.along_axis, (0,), transpose=_along_axis_vjp, library="runtime")


def _diff_parts_vjp(g, a, prepend=None, append=None, axis=-1, *, ans_bar):
    return diff_join(ans_bar, a, prepend, append, axis)


def _diff_join_vjp(parts, a, prepend=None, append=None, axis=-1, *, ans_bar):
    return diff_parts(ans_bar, a, prepend, append, axis)


deflinear(rt.diff_parts, (0,), transpose=_diff_parts_vjp, library="runtime")
deflinear(rt.diff_join, (0,), transpose=_diff_join_vjp, library="runtime")
deflinear(rt.cov_rows_adjoint, (0,), transpose=_cov_rows_adjoint_vjp, library="runtime")


def _meshgrid_adjoint_vjp(g, x, k, n, indexing="xy", *, ans_bar):
    return meshgrid_lift(ans_bar, g, k, n, indexing)


def _meshgrid_lift_vjp(h, g, k, n, indexing="xy", *, ans_bar):
    return meshgrid_adjoint(ans_bar, h, k, n, indexing)


deflinear(rt.meshgrid_adjoint, (0,), transpose=_meshgrid_adjoint_vjp, library="runtime")
deflinear(rt.meshgrid_lift, (0,), transpose=_meshgrid_lift_vjp, library="runtime")


def _real_eig_vjp(pair, *, ans_bar):
    return ans_bar


deflinear(rt.real_eig, (0,), transpose=_real_eig_vjp, library="runtime")
