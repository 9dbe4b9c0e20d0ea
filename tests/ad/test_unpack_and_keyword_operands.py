"""Unpacking an array (``a, *rest = x``), rules with keyword operands built
inline (``logsumexp(a, b=np.array([...]))``), integer index functions, and
``np.array(y, copy=False)`` / ``x.tolist()``: against central differences, in
both modes."""
import numpy as np
import pytest
from scipy.special import logsumexp

import s2sad
from tests.ad.corpus import gradient_by_differences

X = np.array([0.5, -1.0, 2.0])
M = np.array([[0.3, -0.7], [1.1, 0.4], [-0.2, 0.9]])


def first_times_rest(x):
    a, *rest = x
    return a * sum(rest)


def last_times_init(x):
    *init, last = x
    return last * sum(init)


def middle_starred(x):
    a, *mid, b = x
    return a * b + np.sum(np.array(mid) ** 2)


def first_row_times_rows(m):
    r0, *rs = m
    return np.sum(r0 * sum(rs)) + np.sum(np.sin(r0))


def lse_inline_weights(a):
    return logsumexp(a, b=np.array([0.5, 1.0, 2.0]))


def lse_inline_weights_axis(m):
    return np.sum(logsumexp(m, axis=1, b=np.array([[0.5, 2.0]])) ** 2)


def lse_argument_weights(a, b):
    return logsumexp(a, b=b)


def shifted_diagonal(g, lam):
    g = g.copy()
    g[np.diag_indices_from(g)] += lam
    g[np.triu_indices_from(g, 1)] *= lam
    g[np.tril_indices(2, -1)] -= lam
    return np.sum(g ** 2)


def array_keywords(x):
    y = x * 2
    z = np.array(y, copy=False)
    w = np.array(y, copy=True, order="C", ndmin=2)
    return np.sum(z ** 2) + np.sum(w * np.arange(3.0)) + np.sum(np.array(y, dtype=float) ** 3)


def through_tolist(x):
    entries = (x * 2).tolist()
    return entries[0] * entries[-1] + sum(entries)


def through_nested_tolist(m):
    rows = m.tolist()
    return rows[0][1] * rows[2][0] ** 2 + rows[1][1]


CASES = [(first_times_rest, X), (last_times_init, X), (middle_starred, X),
         (first_row_times_rows, M), (lse_inline_weights, X), (lse_inline_weights_axis, M),
         (array_keywords, X), (through_tolist, X), (through_nested_tolist, M)]


@pytest.mark.parametrize("f, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_is_an_array_of_the_arguments_shape(f, x):
    expected = gradient_by_differences(f, (x,), 0)
    for g in (s2sad.grad(f)(x), s2sad.value_and_grad(f)(x)[1], s2sad.jacrev(f)(x),
              s2sad.jacfwd(f)(x)):
        assert type(g) is np.ndarray and g.shape == x.shape and g.dtype == x.dtype
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_forward_mode_and_second_derivatives(f, x):
    t = np.linspace(0.3, -0.8, x.size).reshape(x.shape)
    value, tangent = s2sad.jvp(f, (x,), (t,))
    assert value == pytest.approx(f(x))
    assert tangent == pytest.approx(np.sum(gradient_by_differences(f, (x,), 0) * t), rel=1e-6)
    h = s2sad.hessian(f)(x)
    column = gradient_by_differences(lambda v: np.sum(s2sad.grad(f)(v) * t), (x,), 0)
    np.testing.assert_allclose(np.tensordot(h, t, axes=t.ndim), column, rtol=1e-5, atol=1e-6)


def test_inline_weights_match_weights_given_as_an_argument():
    b = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(s2sad.grad(lse_inline_weights)(X),
                               s2sad.grad(lse_argument_weights)(X, b), rtol=1e-12)
    ga, gb = s2sad.grad(lse_argument_weights, argnums=(0, 1))(X, b)
    np.testing.assert_allclose(gb, gradient_by_differences(lse_argument_weights, (X, b), 1),
                               rtol=1e-6)


def test_integer_indices_have_no_derivative_in_either_mode():
    g = np.arange(4.0).reshape(2, 2)
    expected = gradient_by_differences(shifted_diagonal, (g, 0.5), 1)
    assert s2sad.grad(shifted_diagonal, argnums=1)(g, 0.5) == pytest.approx(expected)
    _, tangent = s2sad.jvp(shifted_diagonal, (g, 0.5), (np.zeros((2, 2)), 1.0))
    assert tangent == pytest.approx(expected)
    second = gradient_by_differences(
        lambda lam: s2sad.grad(shifted_diagonal, argnums=1)(g, lam), (0.5,), 0)
    assert s2sad.hessian(shifted_diagonal, argnums=1)(g, 0.5) == pytest.approx(second, rel=1e-5)
    np.testing.assert_allclose(s2sad.jacfwd(shifted_diagonal)(g, 0.5),
                               gradient_by_differences(shifted_diagonal, (g, 0.5), 0), rtol=1e-6)


def sine_times(x):
    return np.sin(x) * x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_of_a_zero_dimensional_array_is_one(dtype):
    x = np.array(0.7, dtype=dtype)
    for g in (s2sad.grad(sine_times)(x), s2sad.value_and_grad(sine_times)(x)[1]):
        assert type(g) is np.ndarray and g.shape == () and g.dtype == dtype
        assert float(g) == pytest.approx(np.cos(0.7) * 0.7 + np.sin(0.7), rel=1e-6)


def sum_of_squares_of_arrays(arrs):
    return sum(np.sum(a ** 2) for a in arrs)


def test_a_list_of_arrays_of_different_shapes():
    # (the caller's check of each argument's precision must not make one array of it)
    arrs = [np.array([0.5, -1.0, 2.0]), np.array([[1.5], [0.25]])]
    got = s2sad.grad(sum_of_squares_of_arrays)(arrs)
    assert all(np.allclose(g, 2 * a) for g, a in zip(got, arrs))
