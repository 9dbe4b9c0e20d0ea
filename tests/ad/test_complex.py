"""Complex numbers, with JAX's conventions (s2sad/rules/complex.py).

Each derivative is checked against things computed independently of s2sad:
central finite differences along complex tangents (the JVP), the dot-product
test under the real pairing Re(sum(a * b)) (the VJP is the JVP's transpose),
and, for holomorphic functions, the derivative along a real step.
"""
import cmath
import math

import numpy as np
import pytest

import s2sad
from s2sad.errors import NonDifferentiableError, S2sadError

RNG = np.random.default_rng(13)
H = 1e-6


def crandn(*shape):
    if not shape:
        return complex(RNG.standard_normal(), RNG.standard_normal())
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def like(x):
    """A random tangent for ``x``: complex for a complex ``x``, real for a real one."""
    if np.iscomplexobj(x):
        return crandn(*np.shape(x)) if np.ndim(x) else crandn()
    return RNG.standard_normal(np.shape(x)) if np.ndim(x) else float(RNG.standard_normal())


def fd_jvp(f, args, tangents):
    plus = f(*[a + H * t for a, t in zip(args, tangents)])
    minus = f(*[a - H * t for a, t in zip(args, tangents)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * H)


def pairing(a, b):
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


def check_both_modes(f, *args):
    """JVP against finite differences along random (complex) tangents, and the
    VJP against the JVP by the dot-product test Re<J v, w> = Re<v, J^T w>."""
    tangents = [like(a) for a in args]
    out, out_dot = s2sad.jvp(f, args, tangents)
    np.testing.assert_allclose(out, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out_dot, fd_jvp(f, args, tangents), rtol=1e-6, atol=1e-7)
    w = like(out)
    out2, vjp_fn = s2sad.vjp(f, *args)
    cts = vjp_fn(w)
    for a, ct in zip(args, cts):  # a real argument's cotangent is real
        assert np.iscomplexobj(ct) == np.iscomplexobj(a), (a, ct)
        assert np.shape(ct) == np.shape(a)
    lhs = pairing(out_dot, w)
    rhs = sum(pairing(t, ct) for t, ct in zip(tangents, cts))
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


Z = crandn(4)
ZS = crandn()
X = RNG.standard_normal(4)


# programs: loops, branches, writes, containers, helpers
def iterate(c, n=5):
    z = 0j
    for i in range(n):
        z = z * z + c
    return z


def branches(c):
    z = c
    k = 0
    while k < 4:
        if np.real(z) > 0:
            z = z * c
        else:
            z = z + 1j * c
        k += 1
    return np.real(z) + np.imag(z) ** 2


def writes(x):
    out = np.zeros(3, dtype=complex)
    out[0] = x[0] * 1j
    out[1:] = np.exp(1j * x[1:])
    return np.abs(out + 1) ** 2


def reads(z):
    return np.abs(z[0]) * np.real(z[1]) + np.imag(z[2] * z[0])


def in_a_list(x, y):
    zs = [complex(x, y), x * 1j, y + 0j]
    s = 0.0
    for z in zs:
        s = s + abs(z) ** 2
    return s


def helper(z):
    return z * np.conj(z)


def calls_helper(x, z):
    return np.real(helper(x * (1 + 1j)) + helper(1j * x)) + helper(z) * z


def cast(x):
    z = x.astype(complex) * 1j
    return np.imag(z) ** 2 + (z.reshape(2, 2).T @ z.reshape(2, 2)).ravel()


CASES = {
    # holomorphic
    "exp": (lambda z: np.exp(z), Z),
    "log": (lambda z: np.log(z), Z),
    "sqrt": (lambda z: np.sqrt(z), Z),
    "sin_cos_tan": (lambda z: np.sin(z) * np.cos(z) + np.tan(z), Z),
    "hyperbolic": (lambda z: np.sinh(z) + np.cosh(z) * np.tanh(z), Z),
    "square_reciprocal": (lambda z: np.square(z) + np.reciprocal(z), Z),
    "power": (lambda z: z ** 3 + np.power(z, 2.5) + z ** (1 + 1j), Z),
    "arithmetic": (lambda z, w: (z + w) * (z - w) / (1 + z * w), Z, crandn(4)),
    "scalar_arithmetic": (lambda z: 1 / z + z * z - 2j * z, ZS),
    "matmul": (lambda a, x: a @ x, crandn(3, 4), Z),
    "dot_matmul": (lambda a, x: np.dot(a, x) + np.matmul(a, x), crandn(3, 4), Z),
    "sum_mean": (lambda z: np.sum(z * z) + np.mean(np.exp(z)), Z),
    "cumsum": (lambda z: np.cumsum(z * z), Z),
    "prod": (lambda z: np.prod(z), Z),
    # not holomorphic
    "abs": (lambda z: np.abs(z), Z),
    "builtin_abs": (lambda z: abs(z) * 2.0, ZS),
    "angle": (lambda z: np.angle(z), Z),
    "angle_deg": (lambda z: np.angle(z, deg=True), Z),
    "conj": (lambda z: np.conj(z) * z + np.conjugate(z), Z),
    "conj_method": (lambda z: z.conj() * 2.0, Z),
    "real_imag": (lambda z: np.real(z) * np.imag(z) + np.real(z * z), Z),
    "attributes": (lambda z: z.real ** 2 - 3.0 * z.imag, Z),
    "scalar_attributes": (lambda z: z.real * z.imag + z.conjugate(), ZS),
    "vdot": (lambda a, b: np.vdot(a, b), Z, crandn(4)),
    # real in, complex inside
    "phase": (lambda t: np.real(np.exp(1j * t)) + np.imag(np.exp(2j * t)), X),
    "complex_builtin": (lambda a, b: abs(complex(a, b)) ** 2 + np.angle(complex(a, b)), 0.7, -1.3),
    "real_to_complex": (lambda t: np.exp(1j * t) * t, X),
    "mixed": (lambda t, z: np.abs(t * z) + np.real(t * np.conj(z)), X, Z),
    "complex_constant": (lambda x: np.sum(np.abs(x * np.array([1 + 2j, 3j, -1, 2 - 1j]))), X),
    "cmath": (lambda z: cmath.exp(z) * cmath.sin(z) / cmath.sqrt(z) + cmath.phase(z), ZS),
    "loop": (iterate, ZS),
    "while_if": (branches, 0.3 + 0.2j),
    "writes": (writes, X[:3]),
    "reads": (reads, Z),
    "list": (in_a_list, 0.4, 1.3),
    "helper": (calls_helper, 0.7, ZS),
    "astype_reshape": (cast, X),
    "mean_axis": (lambda z: np.abs(np.mean(z, axis=0) ** 2), crandn(2, 3)),
    "broadcast": (lambda z, x: z * x + x / z, crandn(3, 1), RNG.standard_normal(4)),
    "inv_det": (lambda a: np.linalg.inv(a) * np.linalg.det(a), crandn(3, 3) + 3 * np.eye(3)),
    "solve": (lambda a, b: np.linalg.solve(a, b), crandn(3, 3) + 3 * np.eye(3), crandn(3)),
    "matrix_power": (lambda a, b: np.linalg.multi_dot([np.linalg.matrix_power(a, 3), a, b]),
                     crandn(3, 3), crandn(3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes_against_finite_differences(name):
    f, *args = CASES[name]
    check_both_modes(f, *args)


# -- JAX's conventions, by the numbers of its autodiff cookbook ------------------------
@pytest.mark.parametrize("f", [
    lambda z: np.real(z) ** 2 + np.imag(z) ** 2,
    lambda z: z.real ** 2 + z.imag ** 2,
    lambda z: np.abs(z) ** 2,
    lambda z: abs(z) ** 2,
    lambda z: np.real(z * np.conj(z)),
    lambda z: np.real(z * z.conjugate()),
])
def test_grad_of_a_real_function_is_df_dx_minus_i_df_dy(f):
    assert s2sad.grad(f)(3 + 4j) == pytest.approx(6 - 8j)


def test_grad_of_a_real_function_matches_the_partials():
    def f(z):
        return np.sin(np.real(z)) * np.imag(z) ** 3 + np.abs(z)

    z = 0.4 - 1.1j
    dfdx = (f(z + H) - f(z - H)) / (2 * H)
    dfdy = (f(z + 1j * H) - f(z - 1j * H)) / (2 * H)
    assert s2sad.grad(f)(z) == pytest.approx(dfdx - 1j * dfdy, rel=1e-7)


def test_grad_of_an_array_argument():
    z = crandn(5)
    g = s2sad.grad(lambda z: np.sum(np.abs(z) ** 2))(z)
    np.testing.assert_allclose(g, 2 * np.conj(z))


def test_grad_of_abs_and_angle():
    z = 3 + 4j
    assert s2sad.grad(lambda z: np.abs(z))(z) == pytest.approx(0.6 - 0.8j)
    assert s2sad.grad(lambda z: np.angle(z))(z) == pytest.approx((-4 - 3j) / 25)
    assert s2sad.grad(lambda z: np.abs(z))(0j) == 0  # as JAX: 0 where |z| has no derivative


def sin(z):
    return np.sin(z)


def exp(z):
    return np.exp(z)


def cubic(z):
    return z ** 3 - 2 * z


def rational(z):
    return 1 / (1 + z * z)


def log_sqrt(z):
    return np.log(z) * np.sqrt(z)


@pytest.mark.parametrize("f, df", [
    (sin, np.cos),
    (exp, np.exp),
    (cubic, lambda z: 3 * z ** 2 - 2),
    (rational, lambda z: -2 * z / (1 + z * z) ** 2),
    (log_sqrt, lambda z: np.sqrt(z) / z + np.log(z) / (2 * np.sqrt(z))),
])
def test_holomorphic_grad_is_the_complex_derivative(f, df):
    z = 0.8 + 0.3j
    g = s2sad.grad(f, holomorphic=True)(z)
    assert g == pytest.approx(df(z), rel=1e-12)
    assert g == pytest.approx((f(z + H) - f(z - H)) / (2 * H), rel=1e-7)  # along a real step
    assert g == pytest.approx((f(z + 1j * H) - f(z - 1j * H)) / (2j * H), rel=1e-7)
    value, g2 = s2sad.value_and_grad(f, holomorphic=True)(z)
    assert value == pytest.approx(f(z)) and g2 == pytest.approx(g)


def test_holomorphic_grad_through_a_loop():
    c = 0.3 + 0.2j
    g = s2sad.grad(iterate, holomorphic=True)(c)
    assert g == pytest.approx((iterate(c + H) - iterate(c - H)) / (2 * H), rel=1e-7)


def test_vjp_of_a_holomorphic_function_is_w_times_the_derivative():
    z, w = 0.5 - 0.2j, 0.3 + 1.7j
    _, vjp_fn = s2sad.vjp(sin, z)
    assert vjp_fn(w)[0] == pytest.approx(w * np.cos(z))  # not conj(w) ...


def test_holomorphic_jacobians():
    def f(z):
        return np.exp(z) * z[::-1]

    z = crandn(3)
    expected = np.diag(np.exp(z) * z[::-1]) + np.exp(z)[:, None] * np.eye(3)[::-1]
    np.testing.assert_allclose(s2sad.jacfwd(f, holomorphic=True)(z), expected, rtol=1e-12)
    np.testing.assert_allclose(s2sad.jacrev(f, holomorphic=True)(z), expected, rtol=1e-12)


def test_jacobians_of_real_functions():
    # complex inside, real outside: the ordinary real Jacobian
    def f(t):
        return np.real(np.exp(1j * t) * t[0])

    t = RNG.standard_normal(3)
    jf = s2sad.jacfwd(f)(t)
    jr = s2sad.jacrev(f)(t)
    num = np.stack([fd_jvp(f, (t,), (e,)) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(jf, num, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jr, jf, rtol=1e-12, atol=1e-14)
    assert not np.iscomplexobj(jf) and not np.iscomplexobj(jr)


def test_jacrev_of_a_real_output_of_complex_arguments_is_jax_gradient_per_row():
    z = crandn(3)
    j = s2sad.jacrev(lambda z: np.abs(z) ** 2)(z)
    np.testing.assert_allclose(j, np.diag(2 * np.conj(z)))


def test_jacfwd_of_a_complex_output_of_real_arguments():
    t = RNG.standard_normal(2)
    j = s2sad.jacfwd(lambda t: np.exp(1j * t))(t)
    np.testing.assert_allclose(j, np.diag(1j * np.exp(1j * t)))


# -- real in, complex inside, real out --------------------------------------------------
def test_real_input_complex_intermediate():
    theta = 0.3
    assert s2sad.grad(lambda t: np.real(np.exp(1j * t)))(theta) == pytest.approx(-math.sin(theta))
    assert type(s2sad.grad(lambda t: np.real(np.exp(1j * t)))(theta)) is not complex
    g = s2sad.grad(lambda t: np.sum(np.imag(np.exp(1j * t) ** 2)))(X)
    np.testing.assert_allclose(g, 2 * np.cos(2 * X))
    assert g.dtype == np.float64


def test_complex_builtin():
    f = s2sad.grad(lambda a, b: abs(complex(a, b)) ** 2, argnums=(0, 1))
    assert f(3.0, 4.0) == pytest.approx((6.0, 8.0))
    out, tangent = s2sad.jvp(lambda a, b: complex(a, b) * 1j, (3.0, 4.0), (1.0, 2.0))
    assert out == 3j - 4 and tangent == pytest.approx(1j - 2)


# -- second order -----------------------------------------------------------------------
def test_second_order_through_complex_intermediates():
    def f(t):
        return np.real(np.exp(1j * t)) * t

    t = 0.7
    expected = -2 * math.sin(t) - t * math.cos(t)
    assert s2sad.grad(s2sad.grad(f))(t) == pytest.approx(expected)
    assert s2sad.jvp(s2sad.grad(f), (t,), (1.0,))[1] == pytest.approx(expected)


def test_second_order_holomorphic():
    g2 = s2sad.grad(s2sad.grad(sin, holomorphic=True), holomorphic=True)
    z = 0.4 + 0.9j
    assert g2(z) == pytest.approx(-np.sin(z))


def test_second_order_of_a_real_function_of_complex_numbers():
    # the gradient (a function C -> C, not holomorphic) differentiated forward
    def f(z):
        return np.abs(z) ** 3 + np.real(z) * np.imag(z) ** 2

    g = s2sad.grad(f)
    z, v = 0.6 - 0.8j, 0.3 + 0.5j
    _, tangent = s2sad.jvp(g, (z,), (v,))
    assert tangent == pytest.approx((g(z + H * v) - g(z - H * v)) / (2 * H), rel=1e-6)


# -- errors -----------------------------------------------------------------------------
def test_grad_of_a_complex_output_needs_holomorphic():
    with pytest.raises(S2sadError, match="holomorphic=True"):
        s2sad.grad(lambda x: np.sum(np.sin(x) + 1j))(np.ones(3))
    with pytest.raises(S2sadError, match="holomorphic=True"):
        s2sad.grad(sin)(1j)
    with pytest.raises(S2sadError, match="holomorphic=True"):
        s2sad.value_and_grad(lambda z: z * z)(1 + 1j)


def test_holomorphic_needs_complex_arguments_and_outputs():
    with pytest.raises(S2sadError, match="needs complex arguments"):
        s2sad.grad(sin, holomorphic=True)(1.0)
    with pytest.raises(S2sadError, match="returns complex"):
        s2sad.grad(lambda z: np.abs(z), holomorphic=True)(1j)


def test_jacobians_follow_jax_on_complex_numbers():
    with pytest.raises(S2sadError, match="holomorphic=True"):
        s2sad.jacfwd(exp)(crandn(2))
    with pytest.raises(S2sadError, match="holomorphic=True"):
        s2sad.jacrev(lambda t: np.exp(1j * t))(np.ones(2))


def test_a_real_argument_takes_a_real_tangent():
    with pytest.raises(S2sadError, match="real tangent"):
        s2sad.jvp(sin, (1.0,), (1j,))


@pytest.mark.parametrize("f", [
    lambda z: np.real(np.maximum(z, 0)),
    lambda z: np.real(np.sort(z)[0]),
    lambda z: np.real(np.max(z)),
    lambda z: np.var(z),
    lambda z: np.linalg.norm(z),
    lambda z: np.linalg.slogdet(np.outer(z, z) + np.eye(3))[1],
])
def test_orderings_of_complex_numbers_are_refused(f):
    with pytest.raises(NonDifferentiableError, match="complex") as info:
        s2sad.grad(f)(crandn(3))
    assert "test_complex.py" in str(info.value) and "^" in str(info.value)


# -- code for real numbers is as it was -------------------------------------------------
def test_code_for_real_numbers_has_no_complex_helpers():
    def f(x):
        return np.abs(x) + np.real(x) * np.conj(x)

    for mode in ("forward", "reverse"):
        for args in ((1.5,), (np.ones(3),)):
            src = s2sad.derivative_source(f, mode, args=args)
            assert "np.real(x_dot" not in src and "np.real(y_bar" not in src
            assert "np.sign(x)" in src and "where" not in src


def test_code_for_complex_numbers_reads_as_the_rules():
    src = s2sad.derivative_source(lambda z: np.abs(z) ** 2, "reverse", args=(1j,))
    assert "np.conj(z)" in src and "np.sign" not in src
    src = s2sad.derivative_source(lambda t: np.real(np.exp(1j * t)), "reverse", args=(1.0,))
    assert "t_bar = np.real(" in src
    src = s2sad.derivative_source(lambda z: np.imag(z) * 3, "reverse", args=(1j,))
    assert "z_bar = -1j * np.real(" in src  # not (-0-1j)
