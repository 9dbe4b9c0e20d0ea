"""``x ** n`` for an integer ``n >= 0`` at ``x = 0``: its derivative
``n * x ** (n - 1)`` is exact there (0 for ``n = 0``, 1 for ``n = 1``), for
Python floats, ``np.float64``, 0-d and n-d arrays, ``np.power``, ``pow`` and
``math.pow``, with a constant or a computed exponent, in both modes and to
second order, with no NumPy warning.  A non-integer or negative exponent at 0
keeps NumPy's inf/nan.  Every value is checked against the analytic derivative
and against central differences in float64 (which reach x = 0 for these
polynomials).
"""
import math
import warnings

import numpy as np
import pytest

import s2sad
from tests.ad.corpus import gradient_by_differences


def power_0(x):
    return np.sum(x ** 0)


def power_0_float(x):
    return np.sum(x ** 0.0)


def power_1(x):
    return np.sum(x ** 1)


def power_2(x):
    return np.sum(x ** 2)


def power_3(x):
    return np.sum(x ** 3)


def np_power_0(x):
    return np.sum(np.power(x, 0))


def np_power_2(x):
    return np.sum(np.power(x, 2))


def power_n(x, n):
    return np.sum(x ** n)


def np_power_n(x, n):
    return np.sum(np.power(x, n))


def float_power_n(x, n):
    return np.sum(np.float_power(x, n))


def builtin_pow_n(x, n):
    return np.sum(pow(x, n))


def scalar_power_n(x, n):
    return x ** n


def math_pow_n(x, n):
    return math.pow(x, n)


def polynomial_features(t):
    return np.sum(sum(t ** i for i in range(3)))


def weighted_features(t, w):
    s = 0.0
    for i in range(4):
        s = s + w[i] * np.sum(t ** i)
    return s


def power_both(x, y):
    return np.sum(x ** y)


def root(x):
    return np.sum(x ** 0.5)


def reciprocal(x):
    return np.sum(x ** -1)


CONSTANT = [(power_0, 0), (power_0_float, 0), (power_1, 1), (power_2, 2), (power_3, 3),
            (np_power_0, 0), (np_power_2, 2)]
COMPUTED = [power_n, np_power_n, float_power_n, builtin_pow_n]
POINTS = [0.0, np.float64(0.0), np.array(0.0), np.array([0.0, 0.5, -1.5]), np.zeros((2, 2))]


def slope(x, n):
    """d/dx of sum(x ** n), exactly: 0 for n = 0 (x ** 0 is 1 everywhere)."""
    return n * np.asarray(x, dtype=float) ** (n - 1) if n else np.zeros(np.shape(x))


def curvature(x, n):
    """The second derivative of x ** n, entry by entry."""
    return n * (n - 1) * np.asarray(x, dtype=float) ** (n - 2) if n > 1 else np.zeros(np.shape(x))


def check_gradient(got, f, args, n):
    x = args[0]
    assert np.shape(got) == np.shape(x)
    if isinstance(x, np.ndarray) and x.ndim:
        assert isinstance(got, np.ndarray) and got.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(got, dtype=float), slope(x, n))
    np.testing.assert_allclose(np.asarray(got, dtype=float),
                               gradient_by_differences(f, list(args), 0), atol=1e-8)


@pytest.mark.parametrize("x", POINTS, ids=lambda x: f"{type(x).__name__}{np.shape(x)}")
@pytest.mark.parametrize("f, n", CONSTANT, ids=lambda v: getattr(v, "__name__", str(v)))
def test_constant_exponent(f, n, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reverse = s2sad.grad(f)(x)
        forward = s2sad.jacfwd(f)(x)
        _, tangent = s2sad.jvp(f, (x,), (np.ones_like(x) if np.ndim(x) else 1.0,))
    check_gradient(reverse, f, (x,), n)
    check_gradient(forward, f, (x,), n)
    assert float(tangent) == float(np.sum(slope(x, n)))


@pytest.mark.parametrize("x", POINTS, ids=lambda x: f"{type(x).__name__}{np.shape(x)}")
@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("f", COMPUTED, ids=lambda f: f.__name__)
def test_computed_exponent(f, n, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reverse = s2sad.grad(f)(x, n)
        forward = s2sad.jacfwd(f)(x, n)
    check_gradient(reverse, f, (x, n), n)
    check_gradient(forward, f, (x, n), n)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_math_pow(n):
    for mode in (s2sad.grad, s2sad.jacfwd):
        got = mode(math_pow_n)(0.0, n)
        assert got == float(n == 1)
        assert got == pytest.approx(gradient_by_differences(math_pow_n, [0.0, n], 0), abs=1e-8)


@pytest.mark.parametrize("x", [0.0, np.array(0.0), np.array([0.0, 0.5, -1.5])],
                         ids=lambda x: f"{type(x).__name__}{np.shape(x)}")
@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_second_order(n, x):
    f = power_n
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = s2sad.hessian(f)(x, n)
        h_fwd = s2sad.jacfwd(s2sad.jacfwd(f))(x, n)
    want = np.diag(np.atleast_1d(curvature(x, n))).reshape(np.shape(x) * 2)
    np.testing.assert_array_equal(np.asarray(h, dtype=float), want)
    np.testing.assert_array_equal(np.asarray(h_fwd, dtype=float), want)

    def gradient(v, n):  # d/dx by the derivative under test, differenced once more
        return s2sad.grad(f)(v, n)
    if np.ndim(x):
        fd = np.array([gradient_by_differences(lambda v, n: gradient(v, n)[i], [x, n], 0)
                       for i in range(x.size)])
    else:
        fd = gradient_by_differences(gradient, [x, n], 0)
    np.testing.assert_allclose(np.asarray(h, dtype=float), fd, atol=1e-6)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_second_order_constant(n):
    f = {1: power_1, 2: power_2, 3: power_3}[n]
    x = np.array([0.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = s2sad.hessian(f)(x)
        h0 = s2sad.hessian(f)(0.0)
    np.testing.assert_array_equal(h, np.diag(curvature(x, n)))
    assert h0 == float(n == 2) * 2.0


def test_polynomial_features_on_a_grid_with_zero():
    t = np.linspace(0.0, 1.0, 5)
    want = 1.0 + 2 * t
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reverse = s2sad.grad(polynomial_features)(t)
        forward = s2sad.jacfwd(polynomial_features)(t)
        h = s2sad.hessian(polynomial_features)(t)
    for got in (reverse, forward):
        np.testing.assert_allclose(got, want, rtol=1e-15)
        np.testing.assert_allclose(got, gradient_by_differences(polynomial_features, [t], 0),
                                   atol=1e-8)
    np.testing.assert_allclose(h, 2 * np.eye(5), rtol=1e-15)


def test_weighted_features_both_arguments():
    t, w = np.array([0.0, 0.3]), np.array([1.0, 2.0, 3.0, 4.0])
    gt, gw = s2sad.grad(weighted_features, argnums=(0, 1))(t, w)
    np.testing.assert_allclose(gt, 2.0 + 6 * t + 12 * t ** 2, rtol=1e-14)
    np.testing.assert_allclose(gt, gradient_by_differences(weighted_features, [t, w], 0),
                               atol=1e-8)
    np.testing.assert_allclose(gw, gradient_by_differences(weighted_features, [t, w], 1),
                               atol=1e-8)


def test_exponent_partial_at_zero_base():
    # d/dy x ** y = x ** y log x: 0 at x = 0 for y > 0
    for x, y in [(0.0, 2.0), (np.array([0.0, 0.5]), 2.0), (np.array([0.0, 0.5]), np.array(3.0))]:
        for rule in (s2sad.grad, s2sad.jacfwd):
            gx, gy = rule(power_both, argnums=(0, 1))(x, y)
            np.testing.assert_allclose(gx, gradient_by_differences(power_both, [x, y], 0),
                                       atol=1e-8)
            np.testing.assert_allclose(gy, gradient_by_differences(power_both, [x, y], 1),
                                       atol=1e-8)


def test_non_integer_and_negative_exponents_stay_ieee():
    # (a forward column of another entry is nan there: 0 * inf, as NumPy computes it)
    x = np.array([0.0, 4.0])
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(s2sad.grad(root)(x), [np.inf, 0.25])
        np.testing.assert_array_equal(s2sad.grad(reciprocal)(x), [-np.inf, -1 / 16])
        np.testing.assert_array_equal(s2sad.jacfwd(root)(x[:1]), [np.inf])
        np.testing.assert_array_equal(s2sad.jacfwd(reciprocal)(x[:1]), [-np.inf])


def test_constant_exponent_code_reads_as_written():
    src = s2sad.derivative_source(power_2, args=(np.zeros(3),))
    assert "2 * x" in src and "scaled_power" not in src
    src = s2sad.derivative_source(power_0, args=(np.zeros(3),))
    assert "**" not in src.split("return")[-1] and "scaled_power" not in src


def test_trace_at_zero():
    t = s2sad.trace(power_n, 0.0, 0)
    assert t.derivative == pytest.approx((0.0,))
    t = s2sad.trace(power_n, 0.0, 1, mode="forward")
    assert t.derivative == pytest.approx(1.0)
    t = s2sad.trace(polynomial_features, np.array([0.0, 1.0]), mode="forward")
    assert np.allclose(t.derivative, 1.0 + 3.0)  # tangent [1, 1] of sum(1 + 2 t)
    assert "scaled_power" not in str(t)


def test_numba_backend_at_zero():
    pytest.importorskip("numba")
    x = np.array([0.0, 0.5, -1.5])
    for n in range(4):
        got = s2sad.grad(power_n, backend="numba")(x, n)
        np.testing.assert_array_equal(got, slope(x, n))
        assert s2sad.grad(scalar_power_n, backend="numba")(0.0, n) == float(n == 1)
        h = s2sad.hessian(power_n, backend="numba")(x, n)
        np.testing.assert_array_equal(h, np.diag(curvature(x, n)))
    np.testing.assert_array_equal(s2sad.grad(power_0, backend="numba")(x), np.zeros(3))
    w = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(s2sad.grad(weighted_features, backend="numba")(x, w),
                               2.0 + 6 * x + 12 * x ** 2, rtol=1e-14)
