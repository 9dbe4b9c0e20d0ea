"""Writes into array entries inside loops: exact derivatives in both modes, and
derivative code whose cost per entry is O(1) (no copy of the whole array per
iteration, no whole arrays on the tape, no None pushed on it)."""
import ast
import math
import os
import sys

import numpy as np
import pytest

import s2sad

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
import loops  # noqa: E402


def _fd_grad(f, args, i, h=1e-6):
    """Central finite differences of f w.r.t. argument i (a float or an array)."""
    x = np.asarray(args[i], dtype=np.float64)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        ap, am = list(args), list(args)
        ap[i] = xp if x.ndim else float(xp)
        am[i] = xm if x.ndim else float(xm)
        g[k] = (f(*ap) - f(*am)) / (2 * h)
    return g


def _check(f, args, argnums, rtol=1e-5, atol=1e-6):
    """Reverse (grad) and forward (jvp along random directions) against
    central differences."""
    rng = np.random.default_rng(0)
    grads = s2sad.grad(f, argnums=argnums)(*[a.copy() if isinstance(a, np.ndarray) else a
                                             for a in args])
    if not isinstance(grads, tuple):
        grads = (grads,)
    for i, g in zip(argnums, grads):
        np.testing.assert_allclose(g, _fd_grad(f, args, i), rtol=rtol, atol=atol)
    tangents = []
    for i, a in enumerate(args):
        if isinstance(a, int):
            tangents.append(None)  # carries no tangent
        elif i not in argnums:
            tangents.append(np.zeros_like(a) if np.ndim(a) else 0.0)
        else:
            tangents.append(rng.standard_normal(np.shape(a)) if np.ndim(a) else 0.7)

    def along(t):
        return f(*[a if d is None else a + t * d for a, d in zip(args, tangents)])

    h = 1e-6
    expected = (along(h) - along(-h)) / (2 * h)
    value, dot = s2sad.jvp(f, tuple(args), tuple(tangents))
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dot, expected, rtol=rtol, atol=atol)


# -- small programs --------------------------------------------------------------
def write_entries(x):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = x[i] * x[i]
    return np.sum(out * out)


def add_entries(x, w):
    acc = np.zeros_like(x)
    for i in range(x.shape[0]):
        acc[i] += w * x[i]
        acc[i] += x[i] ** 3
    return np.sum(acc * x)


def scale_entries_2d(a, v):
    b = a.copy()
    for i in range(b.shape[0]):
        for j in range(b.shape[1]):
            b[i, j] *= v * a[i, j]
    return np.sum(b * b)


def old_value_read_again(a):
    s = 0.0
    a = a.copy()
    for i in range(a.shape[0]):
        y = a[i]
        a[i] = 0.0
        s += y * y + a.sum()
    return s


def write_argument_after_copy(a):
    b = a.copy()
    for i in range(1, b.shape[0]):
        b[i] = b[i - 1] * 0.5 + b[i] ** 2
    return np.sum(b) + np.sum(a * b)


def alias_in_loop(a):
    a = a.copy()
    t = 0.0
    for i in range(a.shape[0]):
        b = a
        b[i] = a[i] * 2.0 + 1.0
        t += a.sum()
    return t


def write_in_branch(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            d = x[i] * 3.0
            out[i] = d * d
        else:
            out[i] += math.sin(x[i])
    return np.sum(out * x)


def int_entries(x):
    idx = np.zeros(x.shape[0], dtype=int)
    for i in range(x.shape[0]):
        idx[i] = x.shape[0] - 1 - i
    s = 0.0
    for i in range(x.shape[0]):
        s += x[idx[i]] * x[i]
    return s


def recurrence(x):
    out = np.zeros_like(x)
    out[0] = x[0]
    for i in range(1, x.shape[0]):
        out[i] = out[i - 1] * x[i] + math.cos(out[i - 1])
    return np.sum(out) + np.sum(out * out)


def write_argument_in_place(a):
    for i in range(a.shape[0]):
        a[i] = a[i] ** 2 + 1.0
    return a.sum() + a[0] * a[-1]


def nested_carried(x):
    a = np.zeros((3, x.shape[0]))
    for s in range(3):
        for i in range(x.shape[0]):
            a[s, i] += x[i] * (s + 1.0)
            if i > 0:
                a[s, i] *= a[s, i - 1] + 0.5
    return np.sum(a * a)


def fill(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        out[i] = x[i] * 2.0 + x[0]
    return out


def view_of_written_view(x0, a0):
    # v1[0] += x0 is seen by nothing else when it is made, but v3, a view of
    # v1 made later, is written back through a0: a0 must have both writes
    a0 = np.sin(a0)
    v1 = a0[1:]
    v1[0] += x0
    v3 = v1[1:]
    v3[0] = 0.5 * x0
    return np.sum(v1 * v1) + x0 * a0[1]


def ravel_of_written_view(x0, a0):
    a0 = np.sin(a0)
    v3 = a0[1:]
    v3[0] -= x0
    v4 = v3.ravel()
    v5 = v3[1:]
    v5[0] = 0.5
    return np.sum(v4 * v4) + x0


def nested_branches(x):
    # values of inner branches go on the tape inside them, popped in the same
    # branches of the reverse sweep
    s = 0.0
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            y = x[i] * 2.0
            if y > 0.5:
                z = y * y
                out[i] = z * x[i]
            else:
                out[i] += y
        else:
            s -= x[i] ** 3
    return s + np.sum(out * out)


X = np.array([0.3, -1.2, 0.8, 1.5, -0.4])
A = np.array([[0.3, -1.2, 0.5], [0.8, 1.5, -0.7]])

SMALL = [
    (write_entries, (X,), (0,)),
    (add_entries, (X, 0.7), (0, 1)),
    (scale_entries_2d, (A, 1.3), (0, 1)),
    (old_value_read_again, (X,), (0,)),
    (write_argument_after_copy, (X,), (0,)),
    (alias_in_loop, (X,), (0,)),
    (write_in_branch, (X,), (0,)),
    (int_entries, (X,), (0,)),
    (recurrence, (0.5 * X,), (0,)),
    (write_argument_in_place, (X,), (0,)),
    (nested_carried, (X,), (0,)),
    (nested_branches, (X,), (0,)),
    (view_of_written_view, (0.4, X), (0, 1)),
    (ravel_of_written_view, (0.4, X), (0, 1)),
]


@pytest.mark.parametrize("f, args, argnums", SMALL, ids=[c[0].__name__ for c in SMALL])
def test_small_programs(f, args, argnums):
    _check(f, args, argnums)


def test_argument_left_alone():
    x = X.copy()
    s2sad.grad(write_argument_after_copy)(x)
    s2sad.jvp(write_argument_after_copy, (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(x, X)


def test_caller_arrays_left_alone():
    """Written in place, the derivative still leaves the caller's arrays (the
    argument, its tangent, the output's cotangent) as they were."""
    x, dx, ct = X.copy(), np.ones_like(X), np.arange(5.0)
    _, back = s2sad.vjp(fill, x)
    (g,) = back(ct)
    np.testing.assert_allclose(g, 2.0 * ct + np.eye(5)[0] * ct.sum())
    np.testing.assert_array_equal(ct, np.arange(5.0))
    s2sad.jvp(write_argument_in_place, (x,), (dx,))
    s2sad.grad(write_argument_in_place)(x)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(dx, np.ones_like(X))


# -- the three workloads of tests/benchmarks/loops.py -------------------------------
rng = np.random.default_rng(1)
POS = rng.standard_normal((4, 2))
VEL = 0.1 * rng.standard_normal((4, 2))
MASS = rng.uniform(0.5, 1.5, 4)

WORKLOADS = [
    ("rosenbrock", loops.rosenbrock, (rng.standard_normal(12),), (0,)),
    ("convolution_energy", loops.convolution_energy,
     (rng.standard_normal(15), rng.standard_normal(4)), (0, 1)),
    ("leapfrog", loops.leapfrog, (POS, VEL, MASS, 0.01, 5), (0, 1, 2)),
]


@pytest.mark.parametrize("name, f, args, argnums", WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_workloads(name, f, args, argnums):
    _check(f, args, argnums, rtol=1e-5, atol=1e-6)


def test_branch_values_pushed_in_their_branch():
    src = s2sad.derivative_source(nested_branches, mode="reverse", args=(X,))
    assert " = None" not in src
    tree = ast.parse(src)
    loop = next(n for n in ast.walk(tree) if isinstance(n, ast.For))
    top = "\n".join(ast.unparse(s) for s in loop.body if not isinstance(s, ast.If))
    assert "z_stack" not in top and "y_stack" not in top  # pushed inside the branches


def _loop_bodies(src):
    """The statements inside for/while loops of a generated function's source."""
    tree = ast.parse(src)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)):
            out.extend(ast.unparse(s) for s in node.body)
    return "\n".join(out)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name, f, args, argnums", WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_no_copies_in_loops(name, f, args, argnums, mode):
    src = s2sad.derivative_source(f, mode=mode, argnums=argnums, args=args)
    inside = _loop_bodies(src)
    for bad in (".copy(", "np.copy(", "np.array(", "unbroadcast", "index_adjoint", "add_any"):
        assert bad not in inside, f"{bad} inside a loop of\n{src}"
    assert " = None" not in inside, f"None pushed on the tape in\n{src}"
