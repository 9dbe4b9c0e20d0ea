"""NumPy functions: elementwise math, reductions, shapes, selection, products.

Elementwise functions are declared by their partial derivatives (both modes
come from one declaration, and reverse mode sums broadcast adjoints back with
``unbroadcast``).  Everything else has a forward rule (``@defjvp``, or
``deflinear`` for functions that are linear in an argument: their tangent is the
function applied to the tangent) and a reverse rule (``@defvjp``).  Shape
bookkeeping that needs a loop lives in small helpers of :mod:`s2sad.runtime`.

Conventions: a reduction's adjoint is spread back over the reduced axes
(``spread`` / ``expand_reduced``); ties of max/min/maximum/minimum share the
derivative evenly; selections (take, tile, repeat, pad, diag, sort...) send each
adjoint entry back to the entry it was picked from (``selection_adjoint``).
"""
import numpy as np

from ..runtime import (array_adjoint, as_column, broadcast_like, convolve_adjoint, diff_adjoint,
                       diff_parts,
                       dot_adjoint, einsum_adjoint,
                       expand_reduced, hstack_axis, inner_adjoint, inverse_permutation,
                       kron_adjoint, matmul_left_adjoint, matmul_right_adjoint, prod_others,
                       reduced_count, reverse_cumsum, selection_adjoint, spread,
                       tensordot_adjoint, tie_weights, unbroadcast, unconcatenate, unstack)
from .elementwise import TABLE, declare
from .registry import defjvp, defpartials, defvjp, deflinear, nondifferentiable

L = "numpy"


# ---------------------------------------------------------------------------
# Elementwise functions, by their partials
# ---------------------------------------------------------------------------
RENAME = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
          "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2", "power": "pow",
          "rad2deg": "degrees", "deg2rad": "radians", "fabs": "fabs"}
NUMPY_ONLY = {
    "log": ("x", "1 / x"),
    "cbrt": ("x", "1 / (3 * ans * ans)"),
    "square": ("x", "2 * x"),
    "reciprocal": ("x", "-ans * ans"),
    "exp2": ("x", "ans * 0.6931471805599453"),
    "absolute": ("x", "sign(x)"),
    "negative": ("x", "-1.0"),
    "positive": ("x", "1.0"),
    "float_power": ("x, y", "scaled_power(y, x, y - 1)", "ans * log(x + (x == 0))"),
    "logaddexp": ("x, y", "exp(x - ans)", "exp(y - ans)"),
    "logaddexp2": ("x, y", "2 ** (x - ans)", "2 ** (y - ans)"),
    "add": ("x, y", "1.0", "1.0"),
    "subtract": ("x, y", "1.0", "-1.0"),
    "multiply": ("x, y", "y", "x"),
    "divide": ("x, y", "1 / y", "-ans / y"),
    "true_divide": ("x, y", "1 / y", "-ans / y"),
    "remainder": ("x, y", "1.0", "-floor_divide(x, y)"),
    "fmod": ("x, y", "1.0", "-trunc(x / y)"),
    "conjugate": ("x", "1.0"),
}
table = dict(TABLE)
table.update(NUMPY_ONLY)
table.pop("erf")
table.pop("erfc")
declare("np", np, table, RENAME, library=L)
# np.degrees and np.radians are other objects than np.rad2deg and np.deg2rad
declare("np", np, {"degrees": TABLE["degrees"], "radians": TABLE["radians"]}, library=L)


@defpartials(np.sinc, library=L)
def sinc(x, ans):
    # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, which is 0 at x = 0
    return (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x)


@defpartials(np.maximum, library=L)
def maximum(x, y):
    # 1 where x wins, 0 where y wins, 1/2 each on a tie
    return (1 + np.sign(x - y)) / 2, (1 - np.sign(x - y)) / 2


@defpartials(np.minimum, library=L)
def minimum(x, y):
    return (1 - np.sign(x - y)) / 2, (1 + np.sign(x - y)) / 2


@defpartials(np.fmax, library=L)
def fmax(x, y):
    # as maximum, except that a NaN loses
    wx = np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, (1 + np.sign(x - y)) / 2))
    return wx, 1 - wx


@defpartials(np.fmin, library=L)
def fmin(x, y):
    wx = np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, (1 - np.sign(x - y)) / 2))
    return wx, 1 - wx


@defpartials(np.clip, library=L)
def clip(a, a_min=None, a_max=None):
    # clip(a, lo, hi) = minimum(maximum(a, lo), hi): ties with a bound share evenly
    if a_min is None:
        low = 1.0
        inner = a
    else:
        low = (1 + np.sign(a - a_min)) / 2
        inner = np.maximum(a, a_min)
    if a_max is None:
        high = 1.0
    else:
        high = (1 - np.sign(inner - a_max)) / 2
    return low * high, (1 - low) * high, 1 - high


@defpartials(np.ldexp, library=L)
def ldexp(x1, x2):
    return np.ldexp(1.0, x2), None


@defpartials(np.real, library=L)
def real(val):
    return 1.0


@defjvp(np.nan_to_num, library=L)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None, *, x_dot):
    # the replaced entries are constants (where-, not multiply-masked: x_dot may be inf there)
    return np.where(np.isfinite(x), x_dot, 0.0)


@defvjp(np.nan_to_num, library=L)
def nan_to_num_vjp(x, copy=True, nan=0.0, posinf=None, neginf=None, *, ans_bar):
    return np.where(np.isfinite(x), ans_bar, 0.0)


@defjvp(np.divmod, library=L)
def divmod_(x1, x2, *, ans, x1_dot, x2_dot):
    # (x1 // x2, x1 % x2): the quotient is piecewise constant, x1 % x2 = x1 - (x1 // x2) x2
    return np.zeros_like(ans[0]), broadcast_like(x1_dot - ans[0] * x2_dot, ans[1])


@defvjp(np.divmod, library=L)
def divmod_vjp(x1, x2, *, ans, ans_bar):
    return unbroadcast(ans_bar[1], x1), unbroadcast(-ans_bar[1] * ans[0], x2)


@defjvp(np.modf, library=L)
def modf(x, *, ans, x_dot):
    # (fractional part, integral part)
    return x_dot, np.zeros_like(ans[1])


@defvjp(np.modf, library=L)
def modf_vjp(x, *, ans_bar):
    return (ans_bar[0],)


@defjvp(np.frexp, library=L)
def frexp(x, *, ans, x_dot):
    # x = m 2**e with e locally constant: dm = dx / 2**e
    return np.ldexp(x_dot, -ans[1]), np.zeros_like(ans[1])


@defvjp(np.frexp, library=L)
def frexp_vjp(x, *, ans, ans_bar):
    return (np.ldexp(ans_bar[0], -ans[1]),)


@defjvp(np.where, library=L)
def where(condition, x, y, *, x_dot, y_dot):
    return np.where(condition, x_dot, y_dot)


@defvjp(np.where, library=L)
def where_vjp(condition, x, y, *, ans_bar):
    return (None, unbroadcast(np.where(condition, ans_bar, 0.0), x),
            unbroadcast(np.where(condition, 0.0, ans_bar), y))


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------
def sum_vjp(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True, *,
            ans_bar):
    # initial adds to every entry of the result; where= leaves entries out
    # (as many entries on every path: initial may be None only at run time)
    a_bar = spread(ans_bar, a, axis, keepdims) if where is True else \
        spread(ans_bar, a, axis, keepdims) * where
    if initial is None:
        return a_bar, None, None, None, None, None, None
    return a_bar, None, None, None, None, np.sum(ans_bar), None


def mean_vjp(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True, ans_bar):
    if where is True:
        return spread(ans_bar, a, axis, keepdims) / reduced_count(a, axis)
    kept = np.broadcast_to(where, np.shape(a))
    return spread(ans_bar, a, axis, keepdims) * kept / np.sum(kept, axis=axis, keepdims=True)


@defjvp(np.prod, library=L)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, *, a_dot):
    return np.sum(a_dot * prod_others(a, axis), axis=axis, keepdims=keepdims)


@defvjp(np.prod, library=L)
def prod_vjp(a, axis=None, dtype=None, out=None, keepdims=False, *, ans_bar):
    return expand_reduced(ans_bar, a, axis, keepdims) * prod_others(a, axis)


def _extremum(fn):
    @defjvp(fn, library=L)
    def extremum(a, axis=None, out=None, keepdims=False, *, ans, a_dot):
        return np.sum(a_dot * tie_weights(a, ans, axis, keepdims), axis=axis, keepdims=keepdims)

    @defvjp(fn, library=L)
    def extremum_vjp(a, axis=None, out=None, keepdims=False, *, ans, ans_bar):
        return (expand_reduced(ans_bar, a, axis, keepdims) * tie_weights(a, ans, axis, keepdims))


for _fn in (np.max, np.min, np.amax, np.amin, np.nanmax, np.nanmin):
    _extremum(_fn)


@defjvp(np.ptp, library=L)
def ptp(a, axis=None, out=None, keepdims=False, *, a_dot):
    weights = tie_weights(a, np.max(a, axis=axis, keepdims=True), axis, True) - \
        tie_weights(a, np.min(a, axis=axis, keepdims=True), axis, True)
    return np.sum(a_dot * weights, axis=axis, keepdims=keepdims)


@defvjp(np.ptp, library=L)
def ptp_vjp(a, axis=None, out=None, keepdims=False, *, ans_bar):
    weights = tie_weights(a, np.max(a, axis=axis, keepdims=True), axis, True) - \
        tie_weights(a, np.min(a, axis=axis, keepdims=True), axis, True)
    return expand_reduced(ans_bar, a, axis, keepdims) * weights


@defjvp(np.var, library=L)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, a_dot):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return np.sum(centered * a_dot, axis=axis, keepdims=keepdims) * \
        (2.0 / (reduced_count(a, axis) - ddof))


@defvjp(np.var, library=L)
def var_vjp(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, ans_bar):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return (centered * expand_reduced(ans_bar, a, axis, keepdims) *
            (2.0 / (reduced_count(a, axis) - ddof)))


@defjvp(np.std, library=L)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, ans, a_dot):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    # 0 where ans is 0 (one entry; or equal entries, a kink: 0, as norm's at 0)
    return np.sum(centered * a_dot, axis=axis, keepdims=keepdims) / \
        ((reduced_count(a, axis) - ddof) * np.where(ans == 0, 1.0, ans))


@defvjp(np.std, library=L)
def std_vjp(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, ans, ans_bar):
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return (centered * expand_reduced(ans_bar / np.where(ans == 0, 1.0, ans), a, axis, keepdims) /
            (reduced_count(a, axis) - ddof))


@defjvp(np.nansum, library=L)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, *, a_dot):
    return np.sum(np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims)


@defvjp(np.nansum, library=L)
def nansum_vjp(a, axis=None, dtype=None, out=None, keepdims=False, *, ans_bar):
    return np.where(np.isnan(a), 0.0, spread(ans_bar, a, axis, keepdims))


@defjvp(np.nanmean, library=L)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, a_dot):
    return np.sum(np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims) / \
        np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)


@defvjp(np.nanmean, library=L)
def nanmean_vjp(a, axis=None, dtype=None, out=None, keepdims=False, *, ans_bar):
    count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
    return (np.where(np.isnan(a), 0.0, expand_reduced(ans_bar / count, a, axis, keepdims)))


def cumsum_vjp(a, axis=None, dtype=None, out=None, *, ans_bar):
    return reverse_cumsum(ans_bar, axis, np.shape(a))


@defjvp(np.cumprod, library=L)
def cumprod(a, axis=None, dtype=None, out=None, *, ans, a_dot):
    # d(a0 a1 ... ai) = (a0 ... ai) * sum_j aj_dot / aj  (entries must be nonzero)
    return ans * np.cumsum(a_dot / a, axis=axis)


@defvjp(np.cumprod, library=L)
def cumprod_vjp(a, axis=None, dtype=None, out=None, *, ans, ans_bar):
    return reverse_cumsum(ans_bar * ans, axis, np.shape(a)) / a


@defjvp(np.diff, library=L)
def diff(a, n=1, axis=-1, prepend=None, append=None, *, a_dot, prepend_dot, append_dot):
    # linear in a, prepend and append together
    if prepend is None and append is None:
        return np.diff(a_dot, n, axis)
    if append is None:
        return np.diff(a_dot, n, axis, prepend=prepend_dot)
    if prepend is None:
        return np.diff(a_dot, n, axis, append=append_dot)
    return np.diff(a_dot, n, axis, prepend=prepend_dot, append=append_dot)


@defvjp(np.diff, library=L)
def diff_vjp(a, n=1, axis=-1, prepend=None, append=None, *, ans_bar):
    # (as many entries on every path: prepend may be None only at run time)
    if prepend is None and append is None:
        return diff_adjoint(ans_bar, n, axis), None, None, None, None
    parts = diff_parts(diff_adjoint(ans_bar, n, axis), a, prepend, append, axis)
    return parts[0], None, None, parts[1], parts[2]


deflinear(np.sum, (0,), transpose=sum_vjp, offsets={"initial": 5}, library=L)
deflinear(np.mean, (0,), transpose=mean_vjp, library=L)
deflinear(np.cumsum, (0,), transpose=cumsum_vjp, library=L)


# ---------------------------------------------------------------------------
# Shapes: reshaping, joining, splitting, repeating, flipping
# ---------------------------------------------------------------------------
def _reshape_back(fn):
    """``fn`` only reshapes its first argument: its adjoint is reshaped back."""
    def reshape_back(a, *, ans_bar):
        return np.reshape(ans_bar, np.shape(a))

    deflinear(fn, (0,), transpose=reshape_back, library=L)


for _fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d, np.asarray, np.asanyarray,
            np.ascontiguousarray, np.asfortranarray):
    _reshape_back(_fn)


def copy_vjp(a, order="K", subok=False, *, ans_bar):
    return np.reshape(ans_bar, np.shape(a))


deflinear(np.copy, (0,), transpose=copy_vjp, library=L)  # x.copy(order=...) too


@defvjp(np.reshape, library=L)
def reshape_vjp(a, shape=None, order="C", *, ans_bar):
    return np.reshape(ans_bar, np.shape(a), order=order)


@defvjp(np.ravel, library=L)
def ravel_vjp(a, order="C", *, ans_bar):
    return np.reshape(ans_bar, np.shape(a), order=order)


@defvjp(np.squeeze, library=L)
def squeeze_vjp(a, axis=None, *, ans_bar):
    return np.reshape(ans_bar, np.shape(a))


@defvjp(np.expand_dims, library=L)
def expand_dims_vjp(a, axis, *, ans_bar):
    return np.reshape(ans_bar, np.shape(a))


@defvjp(np.transpose, library=L)
def transpose_vjp(a, axes=None, *, ans_bar):
    return np.transpose(ans_bar, inverse_permutation(axes, np.ndim(a)))


if hasattr(np, "matrix_transpose"):  # NumPy >= 2
    @defvjp(np.matrix_transpose, library=L)
    def matrix_transpose_vjp(x, *, ans_bar):
        return (np.swapaxes(ans_bar, -1, -2),)


@defvjp(np.swapaxes, library=L)
def swapaxes_vjp(a, axis1, axis2, *, ans_bar):
    return np.swapaxes(ans_bar, axis1, axis2)


@defvjp(np.moveaxis, library=L)
def moveaxis_vjp(a, source, destination, *, ans_bar):
    return np.moveaxis(ans_bar, destination, source)


@defvjp(np.rollaxis, library=L)
def rollaxis_vjp(a, axis, start=0, *, ans_bar):
    return selection_adjoint(ans_bar, a, np.rollaxis, axis, start)


@defvjp(np.broadcast_to, library=L)
def broadcast_to_vjp(array, shape, subok=False, *, ans_bar):
    return unbroadcast(ans_bar, array)


@defvjp(np.concatenate, library=L)
def concatenate_vjp(arrays, axis=0, *, ans_bar):
    return unconcatenate(ans_bar, arrays, axis)


@defvjp(np.stack, library=L)
def stack_vjp(arrays, axis=0, *, ans_bar):
    return unstack(ans_bar, axis)


@defvjp(np.hstack, library=L)
def hstack_vjp(tup, *, ans_bar):
    return (unconcatenate(ans_bar, tup, hstack_axis(tup), np.atleast_1d),)


@defvjp(np.vstack, library=L)
def vstack_vjp(tup, *, ans_bar):
    return (unconcatenate(ans_bar, tup, 0, np.atleast_2d),)


@defvjp(np.dstack, library=L)
def dstack_vjp(tup, *, ans_bar):
    return (unconcatenate(ans_bar, tup, 2, np.atleast_3d),)


@defvjp(np.column_stack, library=L)
def column_stack_vjp(tup, *, ans_bar):
    return (unconcatenate(ans_bar, tup, 1, as_column),)


if hasattr(np, "unstack"):  # NumPy >= 2
    @defvjp(np.unstack, library=L)
    def unstack_vjp(x, axis=0, *, ans_bar):
        return np.stack(ans_bar, axis=axis)


def _split(fn, axis):
    @defvjp(fn, library=L)
    def split_vjp(ary, indices_or_sections, *, ans_bar):
        return np.concatenate(ans_bar, axis=axis)

    deflinear(fn, (0,), library=L)


@defvjp(np.split, library=L)
def split_vjp(ary, indices_or_sections, axis=0, *, ans_bar):
    return np.concatenate(ans_bar, axis=axis)


@defvjp(np.array_split, library=L)
def array_split_vjp(ary, indices_or_sections, axis=0, *, ans_bar):
    return np.concatenate(ans_bar, axis=axis)


_split(np.vsplit, 0)
_split(np.dsplit, 2)


@defvjp(np.hsplit, library=L)
def hsplit_vjp(ary, indices_or_sections, *, ans_bar):
    return np.concatenate(ans_bar, axis=hstack_axis((ary,)))


@defjvp(np.append, library=L)
def append(arr, values, axis=None, *, arr_dot, values_dot):
    return np.append(arr_dot, values_dot, axis=axis)


@defvjp(np.append, library=L)
def append_vjp(arr, values, axis=None, *, ans_bar):
    parts = unconcatenate(ans_bar, (arr, values), axis)
    return parts[0], parts[1]


@defvjp(np.flip, library=L)
def flip_vjp(m, axis=None, *, ans_bar):
    return np.flip(ans_bar, axis)


@defvjp(np.fliplr, library=L)
def fliplr_vjp(m, *, ans_bar):
    return (np.fliplr(ans_bar),)


@defvjp(np.flipud, library=L)
def flipud_vjp(m, *, ans_bar):
    return (np.flipud(ans_bar),)


@defvjp(np.rot90, library=L)
def rot90_vjp(m, k=1, axes=(0, 1), *, ans_bar):
    return np.rot90(ans_bar, -k, axes)


@defvjp(np.roll, library=L)
def roll_vjp(a, shift, axis=None, *, ans_bar):
    return selection_adjoint(ans_bar, a, np.roll, shift, axis)


@defvjp(np.tile, library=L)
def tile_vjp(A, reps, *, ans_bar):
    return selection_adjoint(ans_bar, A, np.tile, reps)


@defvjp(np.repeat, library=L)
def repeat_vjp(a, repeats, axis=None, *, ans_bar):
    return selection_adjoint(ans_bar, a, np.repeat, repeats, axis)


@defvjp(np.resize, library=L)
def resize_vjp(a, new_shape, *, ans_bar):
    return selection_adjoint(ans_bar, a, np.resize, new_shape)


@defvjp(np.delete, library=L)
def delete_vjp(arr, obj, axis=None, *, ans_bar):
    return selection_adjoint(ans_bar, arr, np.delete, obj, axis)


@defjvp(np.pad, library=L)
def pad(array, pad_width, mode="constant", constant_values=0, *, array_dot):
    # the padding (a constant or copies of entries) has the tangent 0 or the copies'
    return np.pad(array_dot, pad_width, mode)


@defvjp(np.pad, library=L)
def pad_vjp(array, pad_width, mode="constant", constant_values=0, *, ans_bar):
    return selection_adjoint(ans_bar, array, np.pad, pad_width, mode)


@defvjp(np.diag, library=L)
def diag_vjp(v, k=0, *, ans_bar):
    return selection_adjoint(ans_bar, v, np.diag, k)


@defvjp(np.diagflat, library=L)
def diagflat_vjp(v, k=0, *, ans_bar):
    return selection_adjoint(ans_bar, v, np.diagflat, k)


@defvjp(np.diagonal, library=L)
def diagonal_vjp(a, offset=0, axis1=0, axis2=1, *, ans_bar):
    return selection_adjoint(ans_bar, a, np.diagonal, offset, axis1, axis2)


@defvjp(np.trace, library=L)
def trace_vjp(a, offset=0, axis1=0, axis2=1, dtype=None, out=None, *, ans_bar):
    return (selection_adjoint(np.expand_dims(ans_bar, -1), a, np.diagonal, offset, axis1, axis2))


@defvjp(np.tril, library=L)
def tril_vjp(m, k=0, *, ans_bar):
    return np.tril(ans_bar, k)


@defvjp(np.triu, library=L)
def triu_vjp(m, k=0, *, ans_bar):
    return np.triu(ans_bar, k)


for _name in ("reshape", "ravel", "squeeze", "expand_dims", "transpose", "matrix_transpose",
              "swapaxes", "moveaxis", "rollaxis", "broadcast_to", "concatenate", "stack",
              "hstack", "vstack", "dstack", "column_stack", "unstack", "split", "array_split",
              "hsplit", "flip", "fliplr", "flipud", "rot90", "roll", "tile", "repeat", "resize",
              "delete", "diag", "diagflat", "diagonal", "trace", "tril", "triu"):
    if hasattr(np, _name):
        deflinear(getattr(np, _name), (0,), library=L)


# ---------------------------------------------------------------------------
# Construction from lists of active values
# ---------------------------------------------------------------------------
def _construct(fn):
    @defvjp(fn, library=L)
    def construct_vjp(object, dtype=None, *, copy=True, order="K", ndmin=0, ans_bar):
        # (copy= and order= change no value, ndmin= adds leading axes of length 1)
        return array_adjoint(ans_bar, object)

    deflinear(fn, (0,), library=L)


_construct(np.array)

if hasattr(np, "astype"):  # NumPy >= 2.1; also the method x.astype(dtype)
    # A cast to a floating type passes the derivative through, a cast to an
    # integer or boolean type has none (when the dtype is known when compiling,
    # ir/kinds.py makes the result inactive and these rules are not read).
    @defjvp(np.astype, library=L)
    def astype_jvp(x, dtype, copy=True, *, x_dot):
        if np.issubdtype(dtype, np.inexact):
            return np.asarray(x_dot, dtype=dtype)
        return np.zeros(np.shape(x))

    @defvjp(np.astype, library=L)
    def astype_vjp(x, dtype, copy=True, *, ans_bar):
        if np.issubdtype(dtype, np.inexact):
            return ans_bar
        return np.zeros(np.shape(x))


# NumPy's scalar types as functions: np.float64(x) is x as a float64 (the
# identity on derivatives), np.int64(x) an integer (none).
def _float_type_vjp(x, *, ans_bar):
    return ans_bar


for _type in (np.float16, np.float32, np.float64, np.longdouble):
    defvjp(_type, library=L)(_float_type_vjp)
    deflinear(_type, (0,), library=L)
nondifferentiable(np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                  np.uint64, np.intp, np.uintp, np.bool_, library=L)


# ---------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------
@defjvp(np.sort, library=L)
def sort(a, axis=-1, kind=None, order=None, *, a_dot):
    return np.take_along_axis(a_dot, np.argsort(a, axis=axis), axis=axis)


@defvjp(np.sort, library=L)
def sort_vjp(a, axis=-1, kind=None, order=None, *, ans_bar):
    return (selection_adjoint(ans_bar, a, np.take_along_axis, np.argsort(a, axis=axis), axis))


@defvjp(np.take, library=L)
def take_vjp(a, indices, axis=None, out=None, mode="raise", *, ans_bar):
    return selection_adjoint(ans_bar, a, np.take, indices, axis, None, mode)


@defvjp(np.take_along_axis, library=L)
def take_along_axis_vjp(arr, indices, axis=-1, *, ans_bar):
    return selection_adjoint(ans_bar, arr, np.take_along_axis, indices, axis)


@defvjp(np.compress, library=L)
def compress_vjp(condition, a, axis=None, out=None, *, ans_bar):
    return (None, selection_adjoint(ans_bar, a, np.take, np.flatnonzero(condition), axis))


@defvjp(np.extract, library=L)
def extract_vjp(condition, arr, *, ans_bar):
    return None, selection_adjoint(ans_bar, arr, np.take, np.flatnonzero(condition))


deflinear(np.take, (0,), library=L)
deflinear(np.take_along_axis, (0,), library=L)
deflinear(np.compress, (1,), library=L)
deflinear(np.extract, (1,), library=L)


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------
@defvjp("binop:@", library="core", name="@")
def matmul_op_vjp(x, y, *, ans_bar):
    return matmul_left_adjoint(ans_bar, x, y), matmul_right_adjoint(ans_bar, x, y)


@defvjp(np.matmul, library=L)
def matmul_vjp(x1, x2, *, ans_bar):
    return matmul_left_adjoint(ans_bar, x1, x2), matmul_right_adjoint(ans_bar, x1, x2)


@defvjp(np.dot, library=L)
def dot_vjp(a, b, out=None, *, ans_bar):
    return dot_adjoint(ans_bar, a, b, 0), dot_adjoint(ans_bar, a, b, 1)


@defvjp(np.inner, library=L)
def inner_vjp(a, b, *, ans_bar):
    return inner_adjoint(ans_bar, a, b, 0), inner_adjoint(ans_bar, a, b, 1)


@defvjp(np.outer, library=L)
def outer_vjp(a, b, out=None, *, ans_bar):
    return (np.reshape(ans_bar @ np.ravel(b), np.shape(a)), np.reshape(np.ravel(a) @ ans_bar, np.shape(b)))


@defvjp(np.vdot, library=L)
def vdot_vjp(a, b, *, ans_bar):
    return np.reshape(ans_bar * b, np.shape(a)), np.reshape(ans_bar * a, np.shape(b))


@defvjp(np.tensordot, library=L)
def tensordot_vjp(a, b, axes=2, *, ans_bar):
    return (tensordot_adjoint(ans_bar, a, b, axes, 0), tensordot_adjoint(ans_bar, a, b, axes, 1))


@defvjp(np.kron, library=L)
def kron_vjp(a, b, *, ans_bar):
    return kron_adjoint(ans_bar, a, b, 0), kron_adjoint(ans_bar, a, b, 1)


@defvjp(np.cross, library=L)
def cross_vjp(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, *, ans_bar):
    # <g, a x b> = <a, b x g> = <b, g x a>  (3-vectors)
    if axis is None:
        ga = np.cross(b, ans_bar, axisa=axisb, axisb=axisc, axisc=axisa)
        gb = np.cross(ans_bar, a, axisa=axisc, axisb=axisa, axisc=axisb)
    else:
        ga = np.cross(b, ans_bar, axis=axis)
        gb = np.cross(ans_bar, a, axis=axis)
    return unbroadcast(ga, a), unbroadcast(gb, b)


if hasattr(np, "vecdot"):  # NumPy >= 2
    @defvjp(np.vecdot, library=L)
    def vecdot_vjp(x1, x2, axis=-1, *, ans_bar):
        g = np.expand_dims(ans_bar, axis)
        return unbroadcast(g * x2, x1), unbroadcast(g * x1, x2)


if hasattr(np, "matvec"):  # NumPy >= 2
    @defvjp(np.matvec, library=L)
    def matvec_vjp(x1, x2, *, ans_bar):
        # x1 @ x2[..., None]
        return (unbroadcast(ans_bar[..., :, None] * x2[..., None, :], x1),
                unbroadcast(np.matvec(np.swapaxes(x1, -1, -2), ans_bar), x2))


if hasattr(np, "vecmat"):  # NumPy >= 2
    @defvjp(np.vecmat, library=L)
    def vecmat_vjp(x1, x2, *, ans_bar):
        # x1[..., None, :] @ x2
        return (unbroadcast(np.matvec(x2, ans_bar), x1),
                unbroadcast(x1[..., :, None] * ans_bar[..., None, :], x2))


@defjvp(np.einsum, library=L)
def einsum(subscripts, a, b=None, c=None, d=None, optimize=False, *, a_dot, b_dot, c_dot, d_dot):
    # (the sublist form, np.einsum(a, [0, 1], b, [1, 2]), is read as this one:
    # s2sad/frontend/numpy_forms.py)
    if b is None:
        return np.einsum(subscripts, a_dot, optimize=optimize)
    if c is None:
        return np.einsum(subscripts, a_dot, b, optimize=optimize) + \
            np.einsum(subscripts, a, b_dot, optimize=optimize)
    if d is None:
        return np.einsum(subscripts, a_dot, b, c, optimize=optimize) + \
            np.einsum(subscripts, a, b_dot, c, optimize=optimize) + \
            np.einsum(subscripts, a, b, c_dot, optimize=optimize)
    return np.einsum(subscripts, a_dot, b, c, d, optimize=optimize) + \
        np.einsum(subscripts, a, b_dot, c, d, optimize=optimize) + \
        np.einsum(subscripts, a, b, c_dot, d, optimize=optimize) + \
        np.einsum(subscripts, a, b, c, d_dot, optimize=optimize)


@defvjp(np.einsum, library=L)
def einsum_vjp(subscripts, a, b=None, c=None, d=None, optimize=False, *, ans_bar):
    # (the same number of entries on every path: b may be None only at run time)
    if b is None:
        return None, einsum_adjoint(ans_bar, subscripts, (a,), 0), None, None, None
    if c is None:
        operands = (a, b)
        return (None, einsum_adjoint(ans_bar, subscripts, operands, 0),
                einsum_adjoint(ans_bar, subscripts, operands, 1), None, None)
    if d is None:
        operands = (a, b, c)
        return (None, einsum_adjoint(ans_bar, subscripts, operands, 0),
                einsum_adjoint(ans_bar, subscripts, operands, 1),
                einsum_adjoint(ans_bar, subscripts, operands, 2), None)
    operands = (a, b, c, d)
    return (None, einsum_adjoint(ans_bar, subscripts, operands, 0),
            einsum_adjoint(ans_bar, subscripts, operands, 1),
            einsum_adjoint(ans_bar, subscripts, operands, 2),
            einsum_adjoint(ans_bar, subscripts, operands, 3))


@defvjp(np.convolve, library=L)
def convolve_vjp(a, v, mode="full", *, ans_bar):
    return (convolve_adjoint(ans_bar, a, v, mode, 0, np.convolve), convolve_adjoint(ans_bar, a, v, mode, 1, np.convolve))


@defvjp(np.correlate, library=L)
def correlate_vjp(a, v, mode="valid", *, ans_bar):
    return (convolve_adjoint(ans_bar, a, v, mode, 0, np.correlate), convolve_adjoint(ans_bar, a, v, mode, 1, np.correlate))


for _name in ("matmul", "dot", "inner", "outer", "vdot", "tensordot", "kron", "cross", "vecdot",
              "matvec", "vecmat", "convolve", "correlate"):
    if hasattr(np, _name):
        deflinear(getattr(np, _name), (0, 1), library=L)
deflinear(np.einsum, (1, 2, 3, 4), library=L)


# ---------------------------------------------------------------------------
# No derivative
# ---------------------------------------------------------------------------
nondifferentiable(np.floor, np.ceil, np.trunc, np.rint, np.fix, np.round, np.around, np.sign,
                  np.signbit, np.heaviside, np.isnan, np.isinf, np.isfinite, np.isclose,
                  np.allclose, np.array_equal, np.floor_divide, np.shape, np.ndim, np.size,
                  np.zeros, np.ones, np.empty, np.identity, np.eye, np.tri, np.indices,
                  np.zeros_like, np.ones_like, np.empty_like, np.argmax,
                  np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
                  np.searchsorted, np.count_nonzero, np.all, np.any, np.equal,
                  np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
                  np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.imag,
                  np.spacing, np.nextafter, np.bitwise_and, np.bitwise_or, np.bitwise_xor,
                  np.bitwise_not, np.invert, np.left_shift, np.right_shift, np.gcd, np.lcm,
                  np.isnat, library=L)
# integer indices: G[np.diag_indices_from(G)] += lam
nondifferentiable(np.diag_indices, np.diag_indices_from, np.tril_indices, np.tril_indices_from,
                  np.triu_indices, np.triu_indices_from, np.unravel_index, np.ravel_multi_index,
                  np.digitize, library=L)
for _name in ("bitwise_count", "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift"):
    if hasattr(np, _name):  # NumPy >= 2
        nondifferentiable(getattr(np, _name), library=L)
