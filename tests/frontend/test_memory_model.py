"""The memory model: aliases, views and mutation (the reproducers of issue 12).

Python and NumPy code writes into arrays, lists and objects, and several names
can stand for one array (``z = y``, ``a = b = ...``, a basic slice, ``.T``,
``.reshape``, ``.ravel()``, ``np.asarray``, a helper's parameter).  The
derivative code must follow Python's semantics exactly: a write through one
name is seen through every other name of the same memory, a rebound name no
longer aliases anything, and floats are immutable (aliasing a scalar never
propagates a later ``+=``).

Every case below is checked in both modes (:func:`check_case`), against
central finite differences (Richardson-extrapolated, in float64, each
evaluation on fresh copies of the inputs because the functions write into
arrays):

* the value the derivative code returns is the function's;
* the derivative (gradient, or every row / column of the Jacobian) is the
  finite differences' one, and a gradient with respect to an array argument
  is an ndarray of that argument's shape (not a tuple, not a list);
* the caller's arrays are unchanged afterwards, even where the function writes
  into its argument (s2sad differentiates the function at the caller's point
  and never writes into the caller's memory).

Where the expected numbers were computed by hand they are given too, and
``test_hand_values_match_finite_differences`` checks them against the plain
function, so a wrong expectation is a failure of that test, not of s2sad.

``AMBIGUOUS`` cases are ones where the memory a name stands for depends on a
branch, a loop iteration or a helper's data-dependent choice.  Python defines
what they do, but a static analysis may not decide it: s2sad may either give
the exact derivative or refuse with an :class:`s2sad.errors.S2sadError` whose
message names one of the lines marked ``# AMBIGUOUS``.  A wrong number is
never acceptable.
"""
import inspect
import re
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2sadError

X3 = np.array([1.0, 2.0, 3.0])
X4 = np.array([1.0, 2.0, 3.0, 4.0])
X23 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
X_SORT = np.array([1.5, 0.5, 1.2])  # no ties (nor near-ties) after the maps below


# ---------------------------------------------------------------------------
# The programs: aliases by assignment
# ---------------------------------------------------------------------------
def alias(x):
    y = x.copy()
    z = y
    z[0] = z[0] * 5.0
    return np.sum(y * y)


def chained(x):
    a = b = np.zeros(3)
    a[0] = x
    return b[0] * 3.0 + a[0]


def chained_copy(x):
    a = b = x.copy()
    b[1] = b[1] * a[2]
    return np.sum(a * x)


def rebound(x):
    y = x.copy()
    z = y
    z = z * 2.0
    z[0] = 1.0
    return np.sum(y * y) + np.sum(z * x)


def scalar_alias(x):
    a = x[0]
    b = a
    a += 1.0
    return b * a


def scalar_alias_plain(x):
    a = x
    b = a
    a += 1.0
    return b


def unpack_array(x):
    a, b, c = x
    return a * b + c * c


def starred(x, y):
    a, *mid, b = (x, y, x * y, y * y)
    return a * b + mid[0] * mid[1]


# ---------------------------------------------------------------------------
# Views: writes go through
# ---------------------------------------------------------------------------
def view(x):
    y = x.copy()
    v = y[1:3]
    v *= 2.0
    return np.sum(y ** 2)


def view_step(x):
    y = x.copy()
    v = y[::2]
    v += x[1]
    return np.sum(y * y)


def view_T(x):
    y = x.copy()
    t = y.T
    t[0] *= 3.0
    return np.sum(y * y) + t[2, 1]


def view_reshape(x):
    y = x.copy()
    r = y.reshape(2, 2)
    r[1] *= x[0]
    return np.sum(y * y)


def view_ravel(x):
    y = x.copy()
    r = y.ravel()
    r[4] = r[4] * r[0]
    return np.sum(y * y)


def view_asarray(x):
    y = x.copy()
    v = np.asarray(y)
    v[2] = v[2] * 4.0
    return np.sum(y * y)


def view_row(x):
    y = x.copy()
    r = y[0]
    r *= 2.0
    return np.sum(y * y)


def view_of_view(x):
    y = x.copy()
    v = y[1:]
    w = v[:2]
    w *= 3.0
    return np.sum(y * y) + np.sum(v)


def base_write_seen_by_view(x):
    y = x.copy()
    v = y[1:3]
    y[1] = 7.0 * x[0]
    return np.sum(v * v)


# ---------------------------------------------------------------------------
# Element and slice writes, every augmented operator
# ---------------------------------------------------------------------------
def elem_add(x):
    y = x.copy()
    y[1] += x[0] * x[2]
    return np.sum(y * y)


def elem_sub(x):
    y = x.copy()
    y[1] -= x[0] * x[2]
    return np.sum(y * y)


def elem_mul(x):
    y = x.copy()
    y[1] *= x[0] * x[2]
    return np.sum(y * y)


def elem_div(x):
    y = x.copy()
    y[1] /= 1.0 + x[0] * x[0]
    return np.sum(y * y)


def elem_pow(x):
    y = x.copy()
    y[1] **= 3.0
    return np.sum(y * x)


def slice_add(x):
    y = x.copy()
    y[1:] += x[:2] * x[0]
    return np.sum(y * y)


def slice_sub(x):
    y = x.copy()
    y[1:] -= x[:2] * x[2]
    return np.sum(y * y)


def slice_mul(x):
    y = x.copy()
    y[:2] *= x[1:]
    return np.sum(y * y)


def slice_div(x):
    y = x.copy()
    y[1:] /= 1.0 + x[:2] * x[:2]
    return np.sum(y * y)


def slice_pow(x):
    y = x.copy()
    y[:2] **= 3.0
    return np.sum(y * x)


def elem_in_loop(x):
    y = x.copy()
    for i in range(1, 3):
        y[i] += y[i - 1] * x[i]
    return np.sum(y * y)


# ---------------------------------------------------------------------------
# Mutating methods and NumPy calls
# ---------------------------------------------------------------------------
def out_kw(v):
    w = np.empty_like(v)
    np.multiply(v, 4.0, out=w)
    return np.sum(w * w)


def out_kw_view(x):
    y = x.copy()
    np.multiply(x[:2], 3.0, out=y[1:])
    return np.sum(y * y)


def out_add_inplace(x):
    a = x.copy()
    np.add(a, x * x, out=a)
    return np.sum(a * a)


def list_sort(x):
    lst = [x[0] * 2.0, x[1], x[2] * x[2]]
    lst.sort()
    return lst[0] + 10.0 * lst[1] + 100.0 * lst[2]


def list_reverse(x):
    lst = [x[0], x[1] * 2.0, x[2] * x[0]]
    lst.reverse()
    return lst[0] * 3.0 + lst[1] * lst[2]


def ndarray_sort(x):
    y = x * x
    y.sort()
    return y[0] + 10.0 * y[1] + 100.0 * y[2]


def ndarray_fill(x):
    y = x.copy()
    y.fill(x[0] * 2.0)
    y[2] = x[2]
    return np.sum(y * x)


def copyto(x):
    dst = np.zeros(3)
    np.copyto(dst, x * x)
    return np.sum(dst * x)


def copyto_view(x):
    y = x.copy()
    np.copyto(y[1:], x[:2] * x[2])
    return np.sum(y * y)


def put(x):
    y = x.copy()
    np.put(y, [0, 2], x[:2] * 3.0)
    return np.sum(y * y)


def add_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0, 2], x)
    return np.sum(y ** 2) + y[0] * x[0]


# ---------------------------------------------------------------------------
# Helpers that write into their arguments, objects, closures
# ---------------------------------------------------------------------------
def _fill(buf, x):
    buf[0] = x
    buf[1] = x * x


def caller(x):
    buf = np.zeros(3)
    _fill(buf, x)
    return np.sum(buf ** 2)


def _push(lst, v):
    lst.append(v)


def push_caller(x):
    lst = []
    _push(lst, x * x)
    _push(lst, 3.0 * x)
    return lst[0] + lst[1] * lst[0]


def _scale_into(buf, v):
    buf *= v


def scale_view_caller(x):
    y = x.copy()
    _scale_into(y[1:], x[0])
    return np.sum(y * y)


class Stack:
    def __init__(self):
        self.items = []

    def push(self, v):
        self.items.append(v)

    def pop(self):
        return self.items.pop()


def uses_stack(a):
    s = Stack()
    s.push(a * a)
    s.push(a)
    return s.pop() * s.pop() * 2.0


class Acc:
    def __init__(self):
        self.total = 0.0


def attr_accumulate(x):
    o = Acc()
    o.total = o.total + x * x
    o.total = o.total + 3.0 * x
    return o.total * 2.0


class Holder:
    def __init__(self, buf):
        self.buf = buf


def attr_array(x):
    o = Holder(x.copy())
    b = o.buf
    b[1] = b[1] * 3.0
    return np.sum(o.buf * o.buf)


def make_scaler(c):
    def scaled(x):
        y = x.copy()
        y[1] *= c
        return np.sum(y * y)
    return scaled


closure_scaled = make_scaler(3.0)


def inner_closure(x):
    y = x.copy()

    def bump(k):
        y[k] = y[k] * x[k]

    bump(0)
    bump(2)
    return np.sum(y * y)


def write_arg(x):
    x[0] = x[0] * 3.0
    return x * x


def write_arg_scalar(x):
    x[1] = x[1] * x[0]
    return np.sum(x * x)


# ---------------------------------------------------------------------------
# Ambiguous: the memory a name stands for depends on the data
# ---------------------------------------------------------------------------
def branch_alias(x):
    y = x.copy()
    w = x * 2.0
    if x[0] > 0.0:
        z = y  # AMBIGUOUS
    else:
        z = w  # AMBIGUOUS
    z[1] = z[1] * 3.0  # AMBIGUOUS
    return np.sum(y * w)


def ifexp_alias(x):
    y = x.copy()
    w = x * 2.0
    z = y if x[0] > 0.0 else w  # AMBIGUOUS
    z[1] = z[1] * 3.0  # AMBIGUOUS
    return np.sum(y * w)


def loop_alias(x):
    y = x.copy()
    w = x * 2.0
    z = w  # AMBIGUOUS
    for i in range(2):  # AMBIGUOUS
        z[i] = z[i] + x[2]  # AMBIGUOUS
        z = y  # AMBIGUOUS
    return np.sum(y * w)


def _pick(a, b, c):
    if c > 0.0:  # AMBIGUOUS
        return a  # AMBIGUOUS
    return b  # AMBIGUOUS


def helper_alias(x):
    y = x.copy()
    w = x * 2.0
    z = _pick(y, w, x[0])  # AMBIGUOUS
    z[1] = z[1] * 3.0  # AMBIGUOUS
    return np.sum(y * w)


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------
@dataclass
class Case:
    f: Any
    args: Tuple
    argnums: Any = 0
    value: Optional[float] = None  # hand-computed, when given
    grad: Any = None  # hand-computed gradient (a tuple for tuple argnums), when given
    id: str = ""

    def __post_init__(self):
        if not self.id:
            self.id = self.f.__name__


CASES = [
    Case(alias, (X3,), value=38.0, grad=[50.0, 4.0, 6.0]),
    Case(chained, (1.5,), value=6.0, grad=4.0),
    Case(chained_copy, (X3,), value=1.0 + 12.0 + 9.0, grad=[2.0, 12.0, 6.0 + 4.0]),
    # y = x, z = [1, 2 x1, 2 x2]: sum x^2 + x0 + 2 x1^2 + 2 x2^2
    Case(rebound, (X3,), value=14.0 + 1.0 + 8.0 + 18.0, grad=[3.0, 12.0, 18.0]),
    Case(scalar_alias, (X3,), value=2.0, grad=[3.0, 0.0, 0.0]),
    Case(scalar_alias_plain, (2.5,), value=2.5, grad=1.0),
    Case(unpack_array, (X3,), value=11.0, grad=[2.0, 1.0, 6.0]),
    # a x + mid0 mid1 = x y^2 + y (x y) = 2 x y^2
    Case(starred, (1.3, 0.7), argnums=(0, 1), value=2 * 1.3 * 0.49,
         grad=(2 * 0.49, 4 * 1.3 * 0.7), id="starred"),
    # the point of issue 12 (reverse mode gave 2.6 where d/dx = 2 y^2 = 3.38)
    Case(starred, (0.7, 1.3), argnums=(0, 1), value=2 * 0.7 * 1.69, grad=(3.38, 4 * 0.7 * 1.3),
         id="starred_issue_point"),
    Case(starred, (1.3, 0.7), argnums=0, grad=2 * 0.49, id="starred_wrt_x"),
    Case(starred, (1.3, 0.7), argnums=1, grad=4 * 1.3 * 0.7, id="starred_wrt_y"),
    Case(view, (X3,), value=53.0, grad=[2.0, 16.0, 24.0]),
    # y = [x0 + x1, x1, x2 + x1]
    Case(view_step, (X3,), value=9.0 + 4.0 + 25.0, grad=[6.0, 6.0 + 4.0 + 10.0, 10.0]),
    Case(view_T, (X23,)),
    Case(view_reshape, (X4,), value=1.0 + 4.0 + 9.0 + 16.0,
         grad=[2.0 + 2 * (9.0 + 16.0), 4.0, 6.0, 8.0]),
    Case(view_ravel, (X23,)),
    Case(view_asarray, (X3,), value=1.0 + 4.0 + 144.0, grad=[2.0, 4.0, 96.0]),
    Case(view_row, (X23,)),
    # y = [x0, 3 x1, 3 x2]: sum = x0^2 + 9 x1^2 + 9 x2^2, + sum(v) = 3 x1 + 3 x2
    Case(view_of_view, (X3,), value=1.0 + 36.0 + 81.0 + 15.0, grad=[2.0, 39.0, 57.0]),
    Case(base_write_seen_by_view, (X3,), value=58.0, grad=[98.0, 0.0, 6.0]),
    Case(elem_add, (X3,)),
    Case(elem_sub, (X3,)),
    Case(elem_mul, (X3,)),
    Case(elem_div, (X3,)),
    # y = [x0, x1^3, x2]: x0^2 + x1^4 + x2^2
    Case(elem_pow, (X3,), value=1.0 + 16.0 + 9.0, grad=[2.0, 32.0, 6.0]),
    Case(slice_add, (X3,)),
    Case(slice_sub, (X3,)),
    Case(slice_mul, (X3,)),
    Case(slice_div, (X3,)),
    Case(slice_pow, (X3,)),
    Case(elem_in_loop, (X3,)),
    Case(out_kw, (X3,), value=16.0 * 14.0, grad=[32.0, 64.0, 96.0]),
    Case(out_kw_view, (X3,), value=1.0 + 9.0 + 36.0, grad=[2.0 + 18.0, 36.0, 0.0]),
    # a = x + x^2
    Case(out_add_inplace, (X3,), value=4.0 + 36.0 + 144.0,
         grad=[2 * 2.0 * 3.0, 2 * 6.0 * 5.0, 2 * 12.0 * 7.0]),
    # [3.0, 0.5, 1.44] sorted: [x1, x2^2, 2 x0]
    Case(list_sort, (X_SORT,), value=0.5 + 14.4 + 300.0, grad=[200.0, 1.0, 24.0]),
    # reversed: [x2 x0, 2 x1, x0]: 3 x0 x2 + 2 x0 x1
    Case(list_reverse, (X3,), value=9.0 + 4.0, grad=[9.0 + 4.0, 2.0, 3.0]),
    # [2.25, 0.25, 1.44] sorted: [x1^2, x2^2, x0^2]
    Case(ndarray_sort, (X_SORT,), value=0.25 + 14.4 + 225.0, grad=[300.0, 1.0, 24.0]),
    # 2 x0^2 + 2 x0 x1 + x2^2
    Case(ndarray_fill, (X3,), value=2.0 + 4.0 + 9.0, grad=[4.0 + 4.0, 2.0, 6.0]),
    Case(copyto, (X3,), value=36.0, grad=[3.0, 12.0, 27.0]),
    Case(copyto_view, (X3,)),
    # y = [3 x0, x1, 3 x1]: 9 x0^2 + 10 x1^2
    Case(put, (X3,), value=9.0 + 40.0, grad=[18.0, 40.0, 0.0]),
    # y = [x0 + x1, 0, x2]: (x0 + x1)^2 + x2^2 + (x0 + x1) x0
    Case(add_at, (X3,), value=9.0 + 9.0 + 3.0, grad=[6.0 + 4.0, 6.0 + 1.0, 6.0]),
    Case(caller, (1.5,), value=1.5 ** 2 + 1.5 ** 4, grad=2 * 1.5 + 4 * 1.5 ** 3),
    # x^2 + 3 x^3
    Case(push_caller, (1.5,), value=1.5 ** 2 + 3 * 1.5 ** 3, grad=3.0 + 9 * 1.5 ** 2),
    Case(scale_view_caller, (X3,)),
    Case(uses_stack, (1.5,), value=2 * 1.5 ** 3, grad=6 * 1.5 ** 2),
    Case(attr_accumulate, (1.5,), value=2 * (1.5 ** 2 + 4.5), grad=2 * (3.0 + 3.0)),
    Case(attr_array, (X3,), value=1.0 + 36.0 + 9.0, grad=[2.0, 36.0, 6.0]),
    Case(closure_scaled, (X3,), value=1.0 + 36.0 + 9.0, grad=[2.0, 36.0, 6.0],
         id="closure_scaled"),
    # y = [x0^2, x1, x2^2]: x0^4 + x1^2 + x2^4
    Case(inner_closure, (X3,), value=1.0 + 4.0 + 81.0, grad=[4.0, 4.0, 108.0]),
    Case(write_arg, (X3,)),
    # x1 <- x1 x0: x0^2 + x0^2 x1^2 + x2^2
    Case(write_arg_scalar, (X3,), value=1.0 + 4.0 + 9.0, grad=[2.0 + 8.0, 4.0, 6.0]),
]

AMBIGUOUS_CASES = [
    Case(branch_alias, (X3,), id="branch_alias_then"),
    Case(branch_alias, (-X3,), id="branch_alias_else"),
    Case(ifexp_alias, (X3,), id="ifexp_alias_then"),
    Case(ifexp_alias, (-X3,), id="ifexp_alias_else"),
    Case(loop_alias, (X3,)),
    Case(helper_alias, (X3,), id="helper_alias_then"),
    Case(helper_alias, (-X3,), id="helper_alias_else"),
]


# ---------------------------------------------------------------------------
# Finite differences and the check
# ---------------------------------------------------------------------------
def _copy(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    if isinstance(a, list):
        return [_copy(x) for x in a]
    return a


def _copies(args):
    return tuple(_copy(a) for a in args)


def _flat(out):
    if isinstance(out, (tuple, list)):
        parts = [_flat(o) for o in out]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.ravel(np.asarray(out, dtype=np.float64))


def _nums(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _call(f, args):
    """f at fresh copies of args (f may write into them)."""
    return f(*_copies(args))


def fd_jacobian(f, args, i):
    """d flat(f) / d flat(args[i]), central differences extrapolated
    (Richardson: error O(h^4)), each evaluation on fresh copies."""
    a = args[i]
    size = a.size if isinstance(a, np.ndarray) else 1
    cols = []
    for k in range(size):
        scale = float(np.ravel(a)[k]) if isinstance(a, np.ndarray) else float(a)
        h = 1e-3 * max(1.0, abs(scale))

        def at(t):
            moved = list(_copies(args))
            if isinstance(a, np.ndarray):
                b = a.copy()
                b.reshape(-1)[k] += t
                moved[i] = b
            else:
                moved[i] = a + t
            return _flat(f(*moved))

        def central(step):
            return (at(step) - at(-step)) / (2 * step)

        cols.append((4 * central(h / 2) - central(h)) / 3)
    return np.stack(cols, 1)


def _unit_like(out, j):
    """A cotangent shaped like ``out`` with a 1 at flat position j."""
    pos = [0]

    def build(o):
        if isinstance(o, (tuple, list)):
            return type(o)(build(x) for x in o)
        n = int(np.size(o))
        e = np.zeros(n)
        if pos[0] <= j < pos[0] + n:
            e[j - pos[0]] = 1.0
        pos[0] += n
        if isinstance(o, np.ndarray):
            return e.reshape(o.shape)
        return float(e[0])

    return build(out)


def _assert_unchanged(args, saved, what):
    for k, (a, s) in enumerate(zip(args, saved)):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, s), (
                f"{what} wrote into the caller's argument {k}: it is {a!r} afterwards, "
                f"was {s!r}")
        elif isinstance(a, list):
            assert a == s, f"{what} changed the caller's list argument {k}: {a!r}, was {s!r}"


def _assert_gradient_type(g, a, what):
    if isinstance(a, np.ndarray):
        assert isinstance(g, np.ndarray), (
            f"{what}: the gradient with respect to an array of shape {a.shape} is a "
            f"{type(g).__name__}, not an ndarray: {g!r}")
        assert g.shape == a.shape, f"{what}: gradient of shape {g.shape}, argument {a.shape}"
    else:
        assert np.ndim(g) == 0, f"{what}: the gradient of a scalar argument is {g!r}"


def _close(got, expected, what, rtol=1e-6, atol=1e-8):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    assert np.allclose(got, expected, rtol=rtol, atol=atol), (
        f"{what}: got {got.tolist()!r}, expected {expected.tolist()!r}")


def check_case(f, args, argnums, mode):
    """The derivative code of ``f`` at ``args`` in ``mode`` ("rev" or "fwd"):
    its value is f's, its derivative the finite differences', the gradient of
    an array argument an ndarray of its shape, the caller's arrays unchanged."""
    nums = _nums(argnums)
    expected_out = _call(f, args)
    expected_y = _flat(expected_out)
    jac = {i: fd_jacobian(f, args, i) for i in nums}
    saved = _copies(args)
    scalar_out = np.ndim(expected_out) == 0 and not isinstance(expected_out, (tuple, list))
    if mode == "rev":
        if scalar_out:
            what = f"value_and_grad({f.__name__}, {argnums!r})"
            value, g = s2sad.value_and_grad(f, argnums)(*args)
            _assert_unchanged(args, saved, what)
            _close(_flat(value), expected_y, f"{what}: the value")
            grads = (g,) if isinstance(argnums, int) else g
            assert isinstance(grads, tuple) and len(grads) == len(nums), \
                f"{what} returned {g!r}"
            for i, gi in zip(nums, grads):
                _assert_gradient_type(gi, args[i], what)
                _close(np.ravel(gi), jac[i][0], f"{what}: the gradient w.r.t. argument {i}")
        else:
            what = f"vjp({f.__name__})"
            y, fn = s2sad.vjp(f, *args)
            _assert_unchanged(args, saved, what)
            _close(_flat(y), expected_y, f"{what}: the value")
            for j in range(expected_y.size):
                cts = fn(_unit_like(expected_out, j))
                _assert_unchanged(args, saved, what + "'s vjp_fn")
                for i in nums:
                    _assert_gradient_type(cts[i], args[i], what)
                    _close(np.ravel(cts[i]), jac[i][j],
                           f"{what}: row {j} of the Jacobian w.r.t. argument {i}")
    else:
        what = f"jvp({f.__name__})"
        for i in nums:
            a = args[i]
            size = a.size if isinstance(a, np.ndarray) else 1
            for k in range(size):
                tangents = [None] * len(args)
                if isinstance(a, np.ndarray):
                    e = np.zeros(a.size)
                    e[k] = 1.0
                    tangents[i] = e.reshape(a.shape)
                else:
                    tangents[i] = 1.0
                y, t = s2sad.jvp(f, args, tangents)
                _assert_unchanged(args, saved, what)
                _close(_flat(y), expected_y, f"{what}: the value")
                _close(_flat(t), jac[i][:, k],
                       f"{what}: column {k} of the Jacobian w.r.t. argument {i}")


def _ambiguous_lines(f):
    lines, first = inspect.getsourcelines(f)
    found = {first + n for n, text in enumerate(lines) if "# AMBIGUOUS" in text}
    if f is helper_alias:
        found |= _ambiguous_lines(_pick)
    return found


def check_exact_or_refused(f, args, argnums, mode):
    """``check_case``, or an S2sadError that names one of the AMBIGUOUS lines."""
    try:
        check_case(f, args, argnums, mode)
    except S2sadError as e:
        text = str(e)
        lines = _ambiguous_lines(f)
        named = {int(n) for n in re.findall(r":(\d+)(?::\d+)?:", text)} | \
            {int(n) for n in re.findall(r"line (\d+)", text)}
        assert named & lines, (
            f"{f.__name__} was refused, but the error names none of the lines "
            f"{sorted(lines)} where the aliasing is decided:\n{text}")


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reverse(case):
    check_case(case.f, _copies(case.args), case.argnums, "rev")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_forward(case):
    check_case(case.f, _copies(case.args), case.argnums, "fwd")


@pytest.mark.parametrize("case", AMBIGUOUS_CASES, ids=[c.id for c in AMBIGUOUS_CASES])
def test_ambiguous_reverse(case):
    check_exact_or_refused(case.f, _copies(case.args), case.argnums, "rev")


@pytest.mark.parametrize("case", AMBIGUOUS_CASES, ids=[c.id for c in AMBIGUOUS_CASES])
def test_ambiguous_forward(case):
    check_exact_or_refused(case.f, _copies(case.args), case.argnums, "fwd")


HAND = [c for c in CASES if c.value is not None or c.grad is not None]


@pytest.mark.parametrize("case", HAND, ids=[c.id for c in HAND])
def test_hand_values_match_finite_differences(case):
    """The expectations computed by hand are the plain function's (a check of
    this file, not of s2sad: the plain Python function runs)."""
    args = case.args
    if case.value is not None:
        _close(_flat(_call(case.f, args)), [case.value], "the hand-computed value",
               rtol=1e-12, atol=1e-12)
    if case.grad is not None:
        nums = _nums(case.argnums)
        grads = (case.grad,) if isinstance(case.argnums, int) else case.grad
        for i, g in zip(nums, grads):
            _close(fd_jacobian(case.f, args, i)[0], np.ravel(g),
                   "the hand-computed gradient", rtol=1e-8, atol=1e-8)


def test_grad_of_an_array_argument_is_an_ndarray():
    """grad w.r.t. an array that is unpacked, aliased and written: an ndarray
    of the argument's shape."""
    for f in (unpack_array, alias, view):
        g = s2sad.grad(f)(X3.copy())
        _assert_gradient_type(g, X3, f"grad({f.__name__})")


W_JACOBIAN = np.diag([18.0, 4.0, 6.0])  # write_arg at X3: [9 x0^2, x1^2, x2^2]


def test_jacrev_of_a_function_writing_into_its_argument():
    x = X3.copy()
    np.testing.assert_allclose(fd_jacobian(write_arg, (X3,), 0), W_JACOBIAN, rtol=1e-9)
    J = s2sad.jacrev(write_arg)(x)
    _assert_unchanged((x,), (X3,), "jacrev(write_arg)")
    _close(J, W_JACOBIAN, "jacrev(write_arg)")
    J2 = s2sad.jacrev(write_arg)(x)  # again: the first call left nothing behind
    _assert_unchanged((x,), (X3,), "jacrev(write_arg), twice")
    _close(J2, W_JACOBIAN, "jacrev(write_arg), twice")


def test_jacfwd_of_a_function_writing_into_its_argument():
    x = X3.copy()
    J = s2sad.jacfwd(write_arg)(x)
    _assert_unchanged((x,), (X3,), "jacfwd(write_arg)")
    _close(J, W_JACOBIAN, "jacfwd(write_arg)")
    J2 = s2sad.jacfwd(write_arg)(x)
    _assert_unchanged((x,), (X3,), "jacfwd(write_arg), twice")
    _close(J2, W_JACOBIAN, "jacfwd(write_arg), twice")


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("f, x", [(view_T, X23), (view_ravel, X23), (out_kw_view, X3),
                                  (add_at, X3), (write_arg_scalar, X3)],
                         ids=["view_T", "view_ravel", "out_kw_view", "add_at",
                              "write_arg_scalar"])
def test_jacobian_of_scalar_functions_that_write(jac, f, x):
    """jacrev / jacfwd of a scalar function writing through views (or into
    its argument): the gradient, and the caller's array unchanged."""
    arg = x.copy()
    J = getattr(s2sad, jac)(f)(arg)
    _assert_unchanged((arg,), (x,), f"{jac}({f.__name__})")
    _close(np.ravel(J), fd_jacobian(f, (x,), 0)[0], f"{jac}({f.__name__})")


# ---------------------------------------------------------------------------
# Code compiled for arguments of unknown kinds (a transpiled module): views are
# asked for at run time, and the module runs without s2sad installed.
# ---------------------------------------------------------------------------
TRANSPILED = '''
import numpy as np


def f(x):
    y = x * 1.0
    np.put(y, [0, 2], x[:2] ** 2)
    v = y.reshape(3)
    v[1] *= 3.0
    r = y[0]
    r += 1.0
    items = [x[0], x[1] * 2, x[2] * 0.5]
    t = items[2] * 3.0
    last = items.pop()
    items.sort()
    return np.sum(y * y) + items[0] + t * last + r
'''


def test_transpiled_writes_run_alone_and_match_finite_differences(tmp_path):
    import subprocess
    import sys

    from s2sad.transpile import transpile_file

    src = tmp_path / "model.py"
    src.write_text(TRANSPILED)
    (tmp_path / "model_d.py").write_text(transpile_file(str(src)))
    script = ("import sys; sys.modules['s2sad'] = None\n"
              "import numpy as np, model_d\n"
              "x = np.array([1.0, 2.0, 3.0])\n"
              "print(repr(model_d.f_vjp(x, 1.0)[0].tolist()))\n"
              "print(repr([float(model_d.f_jvp(x, e)[1]) for e in np.eye(3)]))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    namespace = {}
    exec(compile(TRANSPILED, str(src), "exec"), namespace)
    x = np.array([1.0, 2.0, 3.0])
    expected = fd_jacobian(namespace["f"], (x,), 0).ravel()
    assert np.allclose(eval(out[0]), expected, atol=1e-6)
    assert np.allclose(eval(out[1]), expected, atol=1e-6)


def _read_then_pop(x):
    items = [x[0] * 2.0, np.exp(np.cos(x[1])), 0.5 - x[2] ** 2]
    t = items[2] * 3.0
    last = items.pop()
    first = items.pop(0)
    return items[0] + t + last * first


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_list_read_before_it_is_popped(mode):
    x = np.array([0.3, 0.7, 1.1])
    expected = fd_jacobian(_read_then_pop, (x,), 0).ravel()
    got = s2sad.grad(_read_then_pop)(x) if mode == "rev" else s2sad.jacfwd(_read_then_pop)(x)
    assert np.allclose(got, expected, atol=1e-6)


def _taped_then_written(x0):
    # b1 / t is kept for the reverse sweep; the write through z5 must not change it
    b1 = np.zeros(4) + x0
    for i2 in range(3):
        if b1[i2] < 0.5:
            b1 /= (1.0 + x0 * x0)
        z5 = b1
        z5[2:] += -0.5
    return np.sum(b1 * b1)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_value_on_the_tape_is_not_written_through_another_name(mode):
    check_case(_taped_then_written, (0.1,), 0, mode)


WEIGHTS = np.array([1.0, 2.0, 3.0])


def _writes_a_global(x):
    y = x * 2.0
    WEIGHTS[0] = y[0]
    return np.sum(WEIGHTS * y)


def test_a_refusal_names_the_line_with_a_caret_under_the_column():
    with pytest.raises(S2sadError) as info:
        s2sad.grad(_writes_a_global)(np.array([1.0, 2.0, 3.0]))
    text = str(info.value)
    line = inspect.getsourcelines(_writes_a_global)[1] + 2
    assert f"test_memory_model.py:{line}:5:" in text
    shown, caret = text.splitlines()[1:3]
    assert shown.strip() == "WEIGHTS[0] = y[0]"
    assert caret.index("^") == shown.index("W")
    assert "copy it first" in text
    assert WEIGHTS[0] == 1.0


def _two_arrays_one_name(x):
    y = x.copy()
    w = x * 2.0
    if x[0] > 0.0:
        z = y
    else:
        z = w
    z[1] = z[1] * 3.0  # y or w, asked at run time with `is`
    return np.sum(y * w)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_name_for_one_of_two_arrays_by_the_path_taken(mode, sign):
    check_case(_two_arrays_one_name, (np.array([sign, 2.0, 3.0]),), 0, mode)


def _fill_from_zeros(a0):
    b9 = np.zeros_like(a0)
    b9 -= np.sum(a0)  # the tangent of b9 is a scalar's, broadcast to b9's shape
    return b9


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_a_scalar_written_into_an_array_of_zeros(mode):
    check_case(_fill_from_zeros, (np.array([0.5, -1.0, 2.0, 0.25]),), 0, mode)


def _rows_written_as_loop_items(A):
    B = A.copy()
    for row in B:
        row *= 2.0
    return np.sum(B * B)


def test_a_loop_item_written_while_its_array_is_read_is_refused():
    with pytest.raises(S2sadError, match=r"(?s)'row' is a part of 'B'.*loop over positions"):
        s2sad.grad(_rows_written_as_loop_items)(np.ones((2, 3)))


def _views_of_one_matrix(x):
    A = np.outer(x, x[:2])
    S = np.swapaxes(A, 0, 1)
    S[0, 1] = x[0] * 5.0
    T = np.transpose(A)
    T[1, 2] *= 2.0
    R = np.reshape(A, (6,))  # still a view: A keeps its memory order through the writes
    R[4] += x[1]
    return np.sum(A ** 2) + np.sum(S) + np.sum(np.sin(R))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_writes_through_a_swapped_a_transposed_and_a_reshaped_view(mode):
    check_case(_views_of_one_matrix, (np.array([0.5, 1.5, -0.7]),), 0, mode)


def _reshape_of_a_fortran_argument(x):
    x[0, 0] = 2.0 * x[0, 0]  # into the private copy, in the caller's memory order
    r = x.reshape(6)  # a copy of a Fortran-ordered array, as in Python
    r[1] = 7.0
    return np.sum(x * x) + np.sum(r)


def check_fortran(f):
    """f at a Fortran-ordered argument in both modes, against Python's own
    semantics on Fortran-ordered copies (check_case copies in C order, where a
    reshape would be a view), and the argument unchanged."""
    x = np.asfortranarray(np.arange(1.0, 7.0).reshape(2, 3))
    keep = x.copy(order="K")
    h = 1e-6
    expected = np.zeros(6)
    for k in range(6):
        e = np.zeros(6)
        e[k] = h
        step = np.asfortranarray(e.reshape(2, 3))
        expected[k] = (f((x + step).copy(order="K")) - f((x - step).copy(order="K"))) / (2 * h)
    value, grad = s2sad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x.copy(order="K")))
    assert np.allclose(grad.ravel(), expected, atol=1e-5)
    assert np.allclose(s2sad.jacfwd(f)(x).ravel(), expected, atol=1e-5)
    assert np.array_equal(x, keep)


def test_a_fortran_ordered_argument_keeps_its_order_in_its_private_copy():
    check_fortran(_reshape_of_a_fortran_argument)


def _set_first(buf, v):
    buf[0] = v


def _chained_names_in_a_loop(x0, a0):
    z2 = z3 = a0 / (1.0 + a0[1] * a0[1])
    for i in range(3):
        if z2[1] * i < 1.0:
            z2[i] *= a0[i]
            _set_first(z2.T, z2[i] - x0)
        else:
            z3[::2] += np.cos(z3[2]) * z3[1::2]
    return np.sum(np.sin(z2)) + np.mean(np.cos(z3))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_two_names_of_one_array_carried_through_a_loop_with_a_branch(mode):
    check_case(_chained_names_in_a_loop, (0.5, np.array([0.28, -1.7, 0.2, 0.5])), (0, 1), mode)


def _alias_written_in_nested_loops(x0):
    b1 = np.zeros(4)
    b1[1:3] = x0
    z2 = z3 = b1.copy()
    for i4 in range(2):
        for i5 in range(2):
            z2 /= (1.0 + b1 * b1)
            v6 = z2.T
            v6[1::2] /= (1.0 + (np.sqrt(v6[::2] * v6[::2] + 1.0) - (z3[i5] + z2[0])) ** 2)
    return np.sum(b1 * b1) + np.sum(z2 * z2) + np.sum(z3 * z3)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_two_names_of_one_array_written_in_nested_loops(mode):
    check_case(_alias_written_in_nested_loops, (0.4,), 0, mode)


def _fortran_written_then_reshaped(x):
    y = x * 1.0  # Fortran order, as x
    s = np.sum(np.sin(y))  # reads y before the write: reverse mode copies y to write it
    y[0, 0] = 3.0 * y[0, 0]
    r = y.reshape(6)  # a copy of a Fortran-ordered array, as in Python
    r[1] = 7.0
    return s + np.sum(y * y) + np.sum(r)


def test_a_copy_made_to_write_keeps_the_memory_order():
    check_fortran(_fortran_written_then_reshaped)
