"""Calls that carry no derivative (``np.int64(x)``, ``x.astype(int)``, ``print``,
``str``, ``len``, ``isinstance``, ``type``) run in both modes, next to the ones
that do (``x.item()``, ``x.astype(float)``, ``np.float64(x)``); and NumPy
reductions of Python lists of active values (a comprehension over an array's
entries, a list built in a loop, a list literal).

Every derivative is checked against central finite differences in float64 in
both modes (``s2sad.check_grads``, which also runs the dot-product test).
"""
import numpy as np
import pytest

import s2sad


def int_scalar(x):
    return np.sum(x) * np.int64(x[0] + 0.5)


def item_scalar(x):
    return np.sum(x) * x[1].item()


def item_flat(x):
    return np.sin(x.item(2)) * x.item(0)


def item_index(x):
    return x.item(1, 0) * np.sum(x * x) + x.item((0, 1))


def item_of_sum(x):
    return np.sum(x * x).item()


def astype_int(x):
    return np.sum(x * x.astype(int))


def astype_float(x):
    return np.sum(x.astype(float) ** 2)


def astype_float32(x):
    return np.sum(x.astype(np.float32).astype(np.float64) * x)


def astype_runtime(x, dtype):
    return np.sum(x.astype(dtype) * x)


def float64_of(x):
    return np.sum(x * np.float64(x[0])) + np.float64(x[1]) * 2.0


def float32_of(x):
    return np.float32(x[1]) * 2.0 + np.sum(x.astype(np.float32) * x)


def text_and_types(x):
    s = str(x[0])
    t = f"{x[1]:.3f} {s} {x!r}"
    r = repr(x)
    n = len(x) + len(t) * 0 + len(r) * 0
    if isinstance(x, np.ndarray) and type(x) is np.ndarray:
        return np.sum(x ** 2) * n
    return 0.0


def prints(x):
    print("the value", x)
    y = np.sum(np.sin(x))
    print(f"y = {y}")
    return y


X = np.array([1.25, 2.5, -0.75])
M = np.array([[0.5, -1.5], [2.0, 0.25]])


@pytest.mark.parametrize("f, args", [
    (int_scalar, (X,)),
    (item_scalar, (X,)),
    (item_flat, (X,)),
    (item_index, (M,)),
    (item_of_sum, (X,)),
    (astype_int, (X,)),
    (astype_float, (X,)),
    (float64_of, (X,)),
    (text_and_types, (X,)),
], ids=lambda v: getattr(v, "__name__", None))
def test_mixed_calls(f, args):
    s2sad.check_grads(f, args, modes=("fwd", "rev"), rtol=1e-4)


def test_float32_casts_pass_the_derivative_through():
    # finite differences cannot see through float32 rounding: the exact derivative
    for f in (astype_float32, float32_of):
        g = s2sad.grad(f)(X)
        _, t = s2sad.jvp(f, (X,), (np.ones(3),))
        expected = 2 * X + (np.array([0.0, 2.0, 0.0]) if f is float32_of else 0.0)
        np.testing.assert_allclose(g, expected, rtol=1e-6)
        assert np.isclose(t, np.sum(expected), rtol=1e-6)


def test_astype_int_has_no_derivative():
    # x * int(x): the derivative is int(x), not 2x
    g = s2sad.grad(astype_int)(X)
    np.testing.assert_array_equal(g, X.astype(int))
    _, t = s2sad.jvp(astype_int, (X,), (np.ones(3),))
    assert t == np.sum(X.astype(int))


@pytest.mark.parametrize("dtype", [float, np.float32, int, bool])
def test_astype_with_a_dtype_known_only_at_run_time(dtype):
    g = s2sad.grad(astype_runtime)(X, dtype)
    expected = X.astype(dtype) + (X if np.issubdtype(dtype, np.inexact) else 0.0)
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    _, t = s2sad.jvp(astype_runtime, (X, dtype), (np.ones(3), None))
    assert np.isclose(t, np.sum(expected), rtol=1e-6)


def test_int_casts_are_inactive_in_the_generated_code():
    src = s2sad.derivative_source(astype_int, "forward", args=(X,))
    assert "astype(int)" in src and "_dot = " in src
    assert not any(".astype(" in t and "_dot" in t for t in src.splitlines()
                   if not t.strip().startswith("#")), src
    assert "x_astype_dot" not in src, src


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_print_prints_the_primal_once(mode, capsys):
    if mode == "forward":
        s2sad.jvp(prints, (X,), (np.ones(3),))
    else:
        s2sad.grad(prints)(X)
    out = capsys.readouterr().out
    assert out.count("the value") == 1 and out.count("y = ") == 1, out
    assert str(X) in out and f"y = {np.sum(np.sin(X))}" in out, out


# -- NumPy reductions of Python lists ------------------------------------------
def comprehension_sum(a):
    return np.sum([i * 3 for i in a]) + np.sum([np.sin(v) * v for v in a])


def comprehension_of_rows(A):
    return np.sum([np.dot(row, row) for row in A])


def list_statistics(a, b):
    return np.mean([a, b, a * b]) + np.std([a, b]) + np.var([a, b, 2.0])


def statistics_of_a_built_list(x):
    vals = []
    for v in x:
        vals.append(v * v)
    return np.mean(vals) * np.std(vals) + np.var(vals)


def concatenate_built(x):
    parts = []
    for i in range(3):
        parts.append(x * (i + 1.0))
    return np.sum(np.concatenate(parts) ** 2)


def array_of_scalars(a, b, c):
    return np.sum(np.array([a, b * a, c]) ** 2)


def elementwise_of_lists(x):
    vals = [np.sin(v) for v in x]
    pair = [x[0], x[1] * x[2]]
    return np.sum(np.square(vals)) + np.prod(vals) + np.max(vals) + \
        np.sum(np.reciprocal(pair) * np.square(pair))


@pytest.mark.parametrize("f, args", [
    (comprehension_sum, (X,)),
    (comprehension_of_rows, (M,)),
    (list_statistics, (1.5, -0.5)),
    (statistics_of_a_built_list, (X,)),
    (concatenate_built, (X,)),
    (array_of_scalars, (1.5, -0.5, 2.0)),
    (elementwise_of_lists, (X,)),
], ids=lambda v: getattr(v, "__name__", None))
def test_reductions_of_lists(f, args):
    s2sad.check_grads(f, args, modes=("fwd", "rev"), rtol=1e-4)


@pytest.mark.parametrize("f, args", [
    (item_scalar, (X,)),
    (item_flat, (X,)),
    (item_index, (M,)),
    (astype_float, (X,)),
    (float64_of, (X,)),
    (comprehension_sum, (X,)),
    (list_statistics, (1.5, -0.5)),
], ids=lambda v: getattr(v, "__name__", None))
def test_second_order(f, args):
    s2sad.check_grads(f, args, modes=("fwd", "rev"), order=2, rtol=1e-4)
