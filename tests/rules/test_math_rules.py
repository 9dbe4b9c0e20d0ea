"""The :mod:`math` module's rules, in both modes and at second order, each
checked against central finite differences in float64 (``check_scalar``)."""
import math

import numpy as np
import pytest

import s2sad

H = 1e-6


def _fd_grad(f, args, i):
    """The finite-difference derivative of ``f`` (a number or an array) with
    respect to argument ``i``: of shape ``f``'s + the argument's."""
    x = args[i]

    def at(v):
        return np.asarray(f(*args[:i], v, *args[i + 1:]), dtype=float)

    if not isinstance(x, np.ndarray):
        d = (at(x + H) - at(x - H)) / (2 * H)
        return d[()] if d.ndim == 0 else d
    cols = []
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = H
        cols.append((at(x + e) - at(x - e)) / (2 * H))
    out = np.stack(cols, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


def _close(a, b, tol):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=tol, atol=tol)


def check_scalar(f, *args, second=True, tol=1e-5):
    """``f(*args)`` is a float: its gradient (reverse mode), its tangent along a
    random direction (forward mode) and its Hessian (``s2sad.hessian``, forward
    over reverse) match central finite differences."""
    nums = tuple(range(len(args)))
    rng = np.random.default_rng(1)
    grads = s2sad.grad(f, argnums=nums)(*args)
    fd = [_fd_grad(f, args, i) for i in nums]
    for g, d in zip(grads, fd):
        assert _close(g, d, tol), (g, d)
    v = tuple(rng.normal(size=np.shape(a)) if isinstance(a, np.ndarray) else float(rng.normal())
              for a in args)
    value, tangent = s2sad.jvp(f, args, v)
    assert _close(value, f(*args), 1e-12)
    assert _close(tangent, sum(np.sum(d * t) for d, t in zip(fd, v)), tol)
    if second:
        hess = s2sad.hessian(f, argnums=nums)(*args)
        grad_fns = [lambda *a, i=i: s2sad.grad(f, argnums=nums)(*a)[i] for i in nums]
        for i in nums:
            for j in nums:
                fd2 = _fd_grad(grad_fns[i], args, j)
                assert _close(hess[i][j], fd2, 1e-4), (i, j, hess[i][j], fd2)
    return grads


def erf_(x):
    return math.erf(x) * math.erfc(x * 0.5)


def gamma_(x):
    return math.gamma(x) + math.lgamma(x * x + 0.5)


def lgamma_negative(x):
    return math.lgamma(x)


def hypot2(x, y):
    return math.hypot(x, y * y)


def hypot3(x, y):
    return math.hypot(x, 2.0, x * y) + math.hypot(y)


def atan2_(x, y):
    return math.atan2(y, x) * math.atan2(x, 1.5)


def fsum_(x, y):
    return math.fsum([x, x * y, math.sin(y)])


def fsum_generator(x, y):
    return math.fsum(v * v for v in [x, y, x * y])


def prod_(x, y):
    return math.prod([x, y, x * y])


def prod_start(x, y):
    return math.prod([x, 2.0], start=y)


def dist_(x, y):
    return math.dist([x, y, 1.0], [y * y, 0.5, x])


def log_base(x, y):
    return math.log(x, y) + math.log(x)


def logs(x):
    return math.log1p(x) + math.log2(x) + math.log10(x) + math.expm1(x)


def powers(x, y):
    return math.pow(x, y) + math.sqrt(x * y) + x ** y


def signs(x, y):
    return math.fabs(x) * math.copysign(y, x) + math.copysign(x, -1.0)


def remainders(x, y):
    return math.fmod(x, y) + math.remainder(x * 3.0, y)


def angles(x):
    return math.degrees(x) * math.radians(x)


def ldexp_(x):
    return math.ldexp(x, 3) + math.ldexp(x * x, -1)


def frexp_(x):
    m, e = math.frexp(x * 3.0)
    return m * m + e


def modf_(x):
    frac, whole = math.modf(x * 3.0)
    return frac * frac + whole


def rounding(x):
    return x * (math.floor(x) + math.ceil(x) + math.trunc(x) + math.isqrt(7))


SMOOTH = [
    (erf_, (0.3,)), (gamma_, (1.3,)), (gamma_, (3.7,)), (lgamma_negative, (-2.5,)),
    (hypot2, (0.7, -1.1)), (hypot3, (0.7, -1.1)), (atan2_, (0.7, -1.1)),
    (fsum_, (0.7, -1.1)), (fsum_generator, (0.7, -1.1)), (dist_, (0.7, -1.1)),
    (log_base, (2.5, 3.5)), (logs, (1.7,)), (powers, (1.3, 2.2)), (signs, (0.7, -1.1)),
    (remainders, (2.9, 0.8)), (angles, (0.7,)), (ldexp_, (0.7,)), (frexp_, (0.7,)),
    (modf_, (0.7,)), (rounding, (2.3,)),
]


@pytest.mark.parametrize("f, args", SMOOTH, ids=[f.__name__ + str(a) for f, a in SMOOTH])
def test_math_function(f, args):
    check_scalar(f, *args)


@pytest.mark.parametrize("f", [prod_, prod_start])
def test_math_prod(f):
    check_scalar(f, 0.7, -1.1)
    check_scalar(f, 0.0, -1.1)  # a zero entry: no division


def test_gamma_at_negative_arguments():
    # lgamma is log|gamma|: its derivative is digamma there too
    check_scalar(negative_gamma, -1.3)


def negative_gamma(x):
    return math.gamma(x) * 0.5


@pytest.mark.skipif(not hasattr(math, "exp2"), reason="math.exp2 and math.cbrt: Python 3.11")
def test_exp2_cbrt():
    check_scalar(exp2_cbrt, 0.7)


def exp2_cbrt(x):
    return math.exp2(x) * math.cbrt(x + 2.0)


@pytest.mark.skipif(not hasattr(math, "sumprod"), reason="math.sumprod: Python 3.12")
def test_sumprod():
    check_scalar(sumprod_, 0.7, -1.1)


def sumprod_(x, y):
    return math.sumprod([x, y, 2.0], [y, x * x, x])


def test_polygamma_helper_matches_the_series():
    from s2sad.runtime import polygamma
    # psi(1) = -Euler's gamma, psi'(1) = pi^2 / 6, psi''(1) = -2 zeta(3)
    assert abs(polygamma(0, 1.0) + 0.5772156649015329) < 1e-14
    assert abs(polygamma(1, 1.0) - math.pi ** 2 / 6) < 1e-14
    assert abs(polygamma(2, 1.0) + 2 * 1.2020569031595942) < 1e-13
    # the recurrence psi(x + 1) = psi(x) + 1 / x, also below zero
    for x in (-2.5, -0.3, 0.2, 4.0, 30.0):
        assert abs(polygamma(0, x + 1) - polygamma(0, x) - 1 / x) < 1e-12 * max(1, abs(1 / x))
    xs = np.array([0.5, 3.0, -1.5])
    assert np.allclose(polygamma(1, xs), [polygamma(1, v) for v in xs], rtol=1e-15)


def test_generated_code_reads_like_the_math():
    src = s2sad.derivative_source(hypot2, "reverse", args=(0.7, -1.1))
    assert "math.hypot(x, y * y)" in src and "unbroadcast" not in src
    src = s2sad.derivative_source(gamma_, "forward", args=(1.3,))
    assert "polygamma(0, x)" in src


def test_nondifferentiable_math_results_carry_no_derivative():
    assert s2sad.grad(rounding)(2.3) == math.floor(2.3) + math.ceil(2.3) + 2 + 2


def hypot_of_a_list(x):
    return math.hypot(*[x, 2.0])


def test_star_arguments_are_refused_with_a_hint():
    with pytest.raises(s2sad.NonDifferentiableError, match="pass the arguments one by one"):
        s2sad.grad(hypot_of_a_list)(0.7)
