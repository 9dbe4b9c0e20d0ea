"""NumPy calls whose derivatives were silently wrong (issue 13), and the errors
for what s2sad does not differentiate.  Each derivative is checked against
finite differences in both modes (``checks.check_case``) or against a value
known by hand."""
import math

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2sadError

from .cases import U, P
from .checks import check_case, make_function

RANGES = [  # np.r_ / np.c_: lowered to r_([...]) / c_([...]) (s2sad/frontend/numpy_forms.py)
    ("np.r_[x, x ** 2]", [U(3)]),
    ("np.r_[0.0, x]", [U(3)]),
    ("np.r_[x]", [U(2, 3)]),
    ("np.r_[x, y]", [U(2, 3), U(1, 3)]),
    ("np.c_[x, y]", [U(3), U(3)]),
    ("np.c_[x, y, y * y]", [U(3, 2), U(3)]),
    ("np.r_[1:4, x]", [U(2)]),
    ("np.r_[x, 0.0:1.0:3j] * y", [U(2), U()]),
    ("np.r_[x:2.0:0.5]", [U(lo=0.1, hi=0.4)]),
    ("np.r_[0.0:x:4j]", [P()]),
    ("np.r_[0.0:1.0:y] * x", [U(), U(lo=0.3, hi=0.45)]),
    ("np.c_[x, 1.0:4.0]", [U(3)]),
]


@pytest.mark.parametrize("expr, makers", RANGES, ids=[r[0] for r in RANGES])
def test_index_tricks(expr, makers):
    check_case((None, expr, makers))


def r_of(x):
    return np.sum(np.r_[x, x ** 2])


def test_index_trick_gradient_and_code():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(s2sad.grad(r_of)(x), [3.0, 5.0])
    src = s2sad.derivative_source(r_of, "forward", args=(x,))
    assert "r_(" in src and "np.r_" not in src.split("\n", 2)[2]


def test_index_trick_string_directive_is_refused():
    f = make_function("np.r_['0,2', x, y]", 2, "directive")
    with pytest.raises(S2sadError) as info:
        s2sad.jvp(f, (np.ones(3), np.ones(3)), (np.ones(3), np.ones(3)))
    text = str(info.value)
    assert "string directive" in text and "np.concatenate" in text and "^" in text


def test_einsum_sublist_form_needs_written_out_sublists():
    f = s2sad.from_source("def f(x, s):\n    return np.einsum(x, s, [0])\n", globals={"np": np})
    with pytest.raises(TypeError) as info:
        s2sad.jvp(f, (np.ones((2, 2)), [0, 0]), (np.ones((2, 2)), None))
    assert "sublist" in str(info.value) and "np.einsum('ij,jk->ik'" in str(info.value)
    g = make_function("np.einsum(x, [0, 1], [y])", 2, "sub_expr")
    with pytest.raises(S2sadError, match="sublist"):
        s2sad.jvp(g, (np.ones((2, 2)), 1), (np.ones((2, 2)), None))
    spec = s2sad.from_source("def spec(x, s):\n    return np.einsum(s, x)\n", globals={"np": np})
    assert s2sad.jvp(spec, (np.eye(2), "ii"), (np.ones((2, 2)), None))[1] == 2.0


def test_einsum_sublist_gradient():
    f = make_function("np.sum(np.einsum(x, [0, 1], y, [1, 2], [0, 2]))", 2, "sub_grad")
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    ga, gb = s2sad.grad(f, (0, 1))(a, b)
    np.testing.assert_allclose(ga, np.ones((2, 4)) @ b.T)
    np.testing.assert_allclose(gb, a.T @ np.ones((2, 4)))


# ---------------------------------------------------------------------------
# Ranges and fills depend on their float arguments
# ---------------------------------------------------------------------------
def test_linspace_full_full_like():
    f = make_function("np.sum(np.linspace(0, x, 11))", 1, "lin_T")
    assert s2sad.grad(f)(2.0) == pytest.approx(5.5)
    assert s2sad.jvp(f, (2.0,), (1.0,))[1] == pytest.approx(5.5)
    g = make_function("np.sum(np.full(3, x) * np.arange(3.0))", 1, "full_v")
    assert s2sad.grad(g)(1.5) == pytest.approx(3.0)
    h = make_function("np.sum(np.full_like(y, x) * y)", 2, "full_like_v")
    gx, gy = s2sad.grad(h, (0, 1))(2.0, np.array([1.0, 2.0]))
    assert gx == pytest.approx(3.0) and gy == pytest.approx([2.0, 2.0])  # not a's values


# ---------------------------------------------------------------------------
# Where a derivative exists, it is not NaN
# ---------------------------------------------------------------------------
POWERS = ["np.power(0.0, x)", "0.0 ** x", "pow(0.0, x)", "math.pow(0.0, x)",
          "np.float_power(0.0, x)"]


@pytest.mark.parametrize("expr", POWERS)
def test_power_of_zero(expr):
    f = s2sad.from_source(f"def f(x):\n    return {expr}\n", globals={"np": np, "math": math})
    with np.errstate(all="raise"):
        assert s2sad.grad(f)(2.0) == 0.0
        assert s2sad.jvp(f, (2.0,), (1.0,))[1] == 0.0
    assert s2sad.hessian(f)(2.0) == 0.0


def test_power_of_negative_base_with_constant_exponent():
    f = make_function("np.sum(x ** 3 + np.power(x, 2.0))", 1, "neg_base")
    x = np.array([-2.0, -0.5])
    np.testing.assert_allclose(s2sad.grad(f)(x), 3 * x ** 2 + 2 * x)
    np.testing.assert_allclose(s2sad.hessian(f)(x), np.diag(6 * x + 2))


STDS = [("np.std(x)", (1,)), ("np.std(x, axis=1)", (3, 1)), ("np.var(x, axis=0)", (1, 3)),
        ("np.std(x, axis=0, keepdims=True)", (1, 2)), ("np.std(x * 0.0 + 1.0)", (3,))]


@pytest.mark.parametrize("expr, shape", STDS)
def test_std_of_one_entry_is_flat(expr, shape):
    f = make_function(f"np.sum({expr})", 1, "std_one_" + expr)
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    with np.errstate(all="raise"):
        assert np.all(s2sad.grad(f)(x) == 0.0)
        assert s2sad.jvp(f, (x,), (np.ones(shape),))[1] == 0.0


def test_std_with_ddof_and_norm_at_zero():
    check_case((None, "np.std(x, ddof=1) + np.std(x, axis=1, ddof=1)", [U(2, 3)]))
    f = make_function("np.linalg.norm(x)", 1, "norm_zero")
    assert np.all(s2sad.grad(f)(np.zeros(3)) == 0.0)  # JAX's convention: 0 at 0


# ---------------------------------------------------------------------------
# Adjoints have the structure of their arguments
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["vstack", "hstack", "column_stack", "dstack"])
def test_stack_of_one_array(fn):
    f = make_function(f"np.sum(np.{fn}(x) ** 2 * np.arange(6.0).reshape(np.{fn}(x).shape))",
                      1, "one_array_" + fn)
    x = np.arange(1.0, 7.0).reshape(2, 3)
    g = s2sad.grad(f)(x)
    assert isinstance(g, np.ndarray) and g.shape == x.shape
    check_case((None, f"np.{fn}(x)", [U(2, 3)]))


def append_list(xs, c):
    return np.sum(np.append(xs, c) ** 2)


def test_append_to_a_list_argument():
    gx, gc = s2sad.grad(append_list, (0, 1))([1.0, 2.0], np.array([3.0]))
    assert isinstance(gx, list) and gx == pytest.approx([2.0, 4.0])
    assert gc == pytest.approx([6.0])


# ---------------------------------------------------------------------------
# What has no derivative rule: errors, not wrong numbers
# ---------------------------------------------------------------------------
def test_eig_with_complex_eigenvalues_is_an_error():
    f = make_function("np.sum(np.real(np.linalg.eig(x)[0]))", 1, "eig_complex")
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises((ValueError, S2sadError), match="eig"):
        s2sad.grad(f)(rotation)
    assert s2sad.grad(f)(np.diag([1.0, 2.0])) == pytest.approx(np.eye(2))  # the trace


def test_gradient_spacing_and_interp_period_are_errors():
    f = make_function("np.sum(np.gradient(x, y) ** 2)", 2, "gradient_spacing")
    x = np.array([0.0, 1.0, 4.0])
    assert s2sad.grad(f)(x, 0.5) == pytest.approx(s2sad.grad(f)(x, 0.5))
    with pytest.raises(ValueError, match="spacing of np.gradient"):
        s2sad.grad(f, (0, 1))(x, 0.5)
    with pytest.raises(ValueError, match="spacing of np.gradient"):
        s2sad.jvp(f, (x, 0.5), (np.zeros(3), 1.0))
    g = make_function("np.interp(x, np.array([0.0, 1.0]), np.array([0.0, 2.0]), period=3.0)", 1,
                      "interp_period")
    with pytest.raises(ValueError, match="period"):
        s2sad.grad(g)(0.5)


def test_ufunc_method_without_a_rule():
    f = make_function("np.sum(np.maximum.accumulate(x))", 1, "max_accumulate")
    with pytest.raises(S2sadError, match="accumulate"):
        s2sad.grad(f)(np.ones(3))


# ---------------------------------------------------------------------------
# np.piecewise: each piece written where its mask holds, functions applied to
# those entries only (as NumPy does)
# ---------------------------------------------------------------------------
def piecewise_two_functions(x):
    y = np.piecewise(x, [x < 0, x >= 0], [lambda t: t * t, lambda t: np.sin(t)])
    return np.sum(y ** 2)


def piecewise_otherwise(x, a):
    return np.sum(np.piecewise(x, [x < 0.2], [np.exp, lambda t: a * t]))


def piecewise_constants_and_a_function(x):
    return np.sum(np.piecewise(x, [x < 0, x > 0.5], [-1.0, 1.0, np.cos]) * x)


PIECEWISE = [(piecewise_two_functions, 1), (piecewise_otherwise, 2),
             (piecewise_constants_and_a_function, 1)]


@pytest.mark.parametrize("f, nargs", PIECEWISE, ids=[f.__name__ for f, _ in PIECEWISE])
def test_piecewise(f, nargs):
    x = np.array([-0.7, -0.1, 0.3, 0.6, 0.9])
    args = (x, 1.3)[:nargs]
    h = 1e-6
    fd = np.array([(f(x + h * e, *args[1:]) - f(x - h * e, *args[1:])) / (2 * h)
                   for e in np.eye(x.size)])
    np.testing.assert_allclose(s2sad.grad(f)(*args), fd, rtol=1e-6, atol=1e-8)
    v = np.linspace(-1, 1, x.size)
    _, t = s2sad.jvp(f, args, (v,) + (0.0,) * (nargs - 1))
    assert t == pytest.approx(fd @ v, rel=1e-6)
    hv = s2sad.hvp(f, args, (v,) + (0.0,) * (nargs - 1))
    hv = hv[0] if nargs > 1 else hv
    grad = s2sad.grad(f)
    fd2 = (grad(x + h * v, *args[1:]) - grad(x - h * v, *args[1:])) / (2 * h)
    np.testing.assert_allclose(hv, fd2, rtol=1e-5, atol=1e-6)


def piecewise_of_a_variable_list(x, pieces):
    return np.sum(np.piecewise(x, [x < 0], pieces))


def test_piecewise_needs_its_pieces_written_out():
    with pytest.raises(s2sad.S2sadError, match="list of pieces written out"):
        s2sad.grad(piecewise_of_a_variable_list)(np.ones(3), [1.0, 2.0])
