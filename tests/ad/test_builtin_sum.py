"""Python's ``sum`` over an ndarray iterates its first axis (``sum(x)`` of a
2-D ``x`` is the sum of its rows) from ``start`` (0 by default): the gradient
of the array is an array of its shape and dtype, in both modes, in a loop
over the rows, for ``sum`` of a generator, of a list of arrays and with a
``start``.  Every gradient is checked against central differences in float64.
"""
import numpy as np
import pytest

import s2sad
from tests.ad.corpus import gradient_by_differences


def total(v):
    return sum(v)


def row_sum(x):
    return np.sum(sum(x) * np.arange(1.0, 1.0 + x.shape[-1]))


def rows_in_a_loop(x):
    s = 0.0
    for row in x:
        s = s + sum(row)
    return s


def squares_of_rows(x):
    return sum(np.sin(row) * row for row in x) @ np.ones(x.shape[-1])


def generator_of_entries(v):
    return sum(v[i] ** 2 for i in range(v.shape[0]))


def list_of_arrays(a, b):
    return np.sum(sum([a, b, a * b]))


def with_start(v, s):
    return sum(v, s) * s


def with_array_start(x, w):
    return np.sum(sum(x, w) ** 2)


def squared_total(v):
    return sum(v) ** 2


X = np.array([[0.3, -1.2, 2.0], [1.5, 0.7, -0.4]])
V = np.array([0.5, -2.0, 1.25])
CASES = [
    (total, (V,)),
    (row_sum, (X,)),
    (row_sum, (np.ones((3, 2, 2)),)),
    (rows_in_a_loop, (X,)),
    (squares_of_rows, (X,)),
    (generator_of_entries, (V,)),
    (list_of_arrays, (V, 2 * V)),
    (with_start, (V, 1.5)),
    (with_array_start, (X, np.array([1.0, -1.0, 0.5]))),
    (with_array_start, (X, np.ones((2, 3)))),
    (squared_total, (V,)),
]


def ids(case):
    f, args = case
    return f"{f.__name__}{[np.shape(a) for a in args]}"


@pytest.mark.parametrize("f, args", CASES, ids=[ids(c) for c in CASES])
@pytest.mark.parametrize("mode", [s2sad.jacrev, s2sad.jacfwd], ids=["reverse", "forward"])
def test_gradient_has_the_arguments_shape(mode, f, args):
    nums = tuple(range(len(args)))
    got = mode(f, argnums=nums)(*args)
    assert s2sad.grad(f, argnums=nums)(*args) is not None
    for i, (g, a) in enumerate(zip(got, args)):
        if isinstance(a, np.ndarray):
            assert isinstance(g, np.ndarray) and g.shape == a.shape and g.dtype == a.dtype
        else:
            assert type(g) in (float, np.float64)
        np.testing.assert_allclose(g, gradient_by_differences(f, list(args), i),
                                   rtol=1e-7, atol=1e-8)


def test_grad_of_total_is_an_array():
    g = s2sad.grad(total)(np.array([1.0, 2.0]))
    assert isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g, [1.0, 1.0])
    g = s2sad.grad(total)(np.array([]))  # sum of nothing: the start, 0
    assert isinstance(g, np.ndarray) and g.shape == (0,)
    g = s2sad.grad(rows_in_a_loop)(np.ones((2, 3)))
    assert isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g, np.ones((2, 3)))


def test_float32_keeps_its_dtype():
    v = np.array([1.0, 2.0], dtype=np.float32)
    for mode in (s2sad.grad, s2sad.jacfwd):
        g = mode(total)(v)
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, [1.0, 1.0])


def test_second_order():
    h = s2sad.hessian(squared_total)(V)
    np.testing.assert_allclose(h, 2 * np.ones((3, 3)), rtol=1e-14)

    def gradient(v):
        return s2sad.grad(squared_total)(v)
    fd = np.array([gradient_by_differences(lambda v: gradient(v)[i], [V], 0) for i in range(3)])
    np.testing.assert_allclose(h, fd, atol=1e-6)


def test_numba_backend():
    pytest.importorskip("numba")
    for f, args in [(rows_in_a_loop, (X,)), (total, (V,))]:
        want = s2sad.grad(f)(*args)
        got = s2sad.grad(f, backend="numba")(*args)
        assert isinstance(got, np.ndarray) and got.shape == args[0].shape
        np.testing.assert_allclose(got, want, rtol=1e-14)
