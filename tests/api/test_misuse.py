"""API misuse gets s2sad's own error showing the expected call, and one set of
conventions holds everywhere (issue 17).  Derivatives are checked against
central finite differences in float64."""
import inspect
import sys

import numpy as np
import pytest

import s2sad
from s2sad.errors import ArgumentError, S2sadError


def fd(f, args, i, h=1e-6):
    """d f / d args[i] by central differences (a float argument)."""
    lo, hi = list(args), list(args)
    lo[i] -= h
    hi[i] += h
    return (f(*hi) - f(*lo)) / (2 * h)


def f(x, y=3.0):
    return x * y + np.sin(x)


def pair(x):
    return x * x, np.sin(x)


# ---------------------------------------------------------------------------
# Misuse: s2sad's error, a TypeError, with the expected call
# ---------------------------------------------------------------------------
def test_jvp_without_tuples_shows_the_call():
    with pytest.raises(ArgumentError) as info:
        s2sad.jvp(f, 2.0, 1.0)
    err = info.value
    assert isinstance(err, S2sadError) and isinstance(err, TypeError)
    assert "jvp(f, (2.0,), (1.0,))" in str(err)
    assert "primals is float 2.0" in str(err)
    with pytest.raises(ArgumentError, match="tangents is float"):
        s2sad.jvp(f, (2.0,), 1.0)


def test_jvp_does_not_read_an_array_as_the_arguments():
    """An array's rows are not arguments: refused, not read row by row."""
    with pytest.raises(ArgumentError, match=r"tuple of primals"):
        s2sad.jvp(lambda v: np.sum(v * v), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    with pytest.raises(ArgumentError, match=r"hvp\(f, \(2.0,\), \(1.0,\)\)"):
        s2sad.hvp(f, 2.0, 1.0)
    # lists are sequences of arguments, as tuples
    out, t = s2sad.jvp(f, [2.0, 3.0], [1.0, 0.0])
    assert t == pytest.approx(fd(f, (2.0, 3.0), 0))


def test_a_single_cotangent_for_a_tuple_output():
    out, vjp_fn = s2sad.vjp(pair, 0.7)
    with pytest.raises(ArgumentError) as info:
        vjp_fn(1.0)
    text = str(info.value)
    assert "pair returns a tuple of 2, so the cotangent must be a tuple of 2" in text
    assert "vjp_fn((1.0, 0.0))" in text
    with pytest.raises(ArgumentError, match="got a tuple of 3"):
        vjp_fn((1.0, 0.0, 0.0))
    (g,) = vjp_fn((1.0, 0.0))
    assert g == pytest.approx(fd(lambda x: pair(x)[0], (0.7,), 0))
    (g,) = vjp_fn([0.0, 1.0])
    assert g == pytest.approx(fd(lambda x: pair(x)[1], (0.7,), 0))


def test_keyword_arguments_are_bound_to_the_signature():
    expected_x = fd(f, (2.0, 5.0), 0)
    expected_y = fd(f, (2.0, 5.0), 1)
    assert s2sad.grad(f)(x=2.0, y=5.0) == pytest.approx(expected_x)
    assert s2sad.grad(f)(2.0, y=5.0) == pytest.approx(expected_x)
    assert s2sad.grad(f, 1)(y=5.0, x=2.0) == pytest.approx(expected_y)
    assert s2sad.value_and_grad(f)(x=2.0)[1] == pytest.approx(fd(f, (2.0,), 0))
    for jac in (s2sad.jacfwd, s2sad.jacrev):
        assert jac(f)(x=2.0, y=5.0) == pytest.approx(expected_x)
        assert jac(f, 1)(2.0, y=5.0) == pytest.approx(expected_y)
        assert jac(f)(x=2.0) == pytest.approx(fd(f, (2.0,), 0))
    h = 1e-4
    second = (f(2.0 + h, 5.0) - 2 * f(2.0, 5.0) + f(2.0 - h, 5.0)) / h ** 2
    assert s2sad.hessian(f)(x=2.0, y=5.0) == pytest.approx(second, rel=1e-4)
    with pytest.raises(ArgumentError, match="do not match f's parameters"):
        s2sad.jacrev(f)(2.0, z=1.0)


def loss_of_dict(d):
    return d["a"] * d["b"] + np.sin(d["a"]) * d["b"] ** 2


@pytest.mark.parametrize("jac", [s2sad.jacfwd, s2sad.jacrev])
def test_jacobians_of_a_dict_argument(jac):
    d = {"a": 0.4, "b": 1.5}
    got = jac(loss_of_dict)(d)
    assert set(got) == {"a", "b"}
    for k in d:
        def along(t, k=k):
            return loss_of_dict({**d, k: t})
        assert got[k] == pytest.approx(fd(along, (d[k],), 0))


def test_hessian_of_a_dict_argument():
    d = {"a": 0.4, "b": 1.5}
    H = s2sad.hessian(loss_of_dict)(d)
    g = s2sad.grad(loss_of_dict)
    for i in d:
        for j in d:
            def along(t, j=j, i=i):
                return g({**d, j: t})[i]
            assert H[i][j] == pytest.approx(fd(along, (d[j],), 0), rel=1e-5)


def chain(x, n):
    if n == 0:
        return x
    return np.sin(chain(x, n - 1)) + 0.01 * x


def test_recursion_works_to_the_depth_the_function_reaches():
    depth = 900
    assert sys.getrecursionlimit() >= 1000  # pytest's default: the plain function reaches it
    expected = fd(chain, (0.5, depth), 0)
    assert s2sad.grad(chain)(0.5, depth) == pytest.approx(expected, rel=1e-6)
    assert s2sad.jvp(chain, (0.5, depth), (1.0, None))[1] == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------------------
# Conventions
# ---------------------------------------------------------------------------
def test_reverse_is_the_default_mode_everywhere():
    assert inspect.signature(s2sad.derivative_source).parameters["mode"].default == "reverse"
    src = s2sad.derivative_source(f, args=(2.0, 3.0))
    assert "def f_vjp(" in src and "_bar" in src and "_dot" not in src
    t = s2sad.trace(f, 2.0, 3.0)
    assert t.mode == "reverse" and "reverse mode" in str(t).splitlines()[0]
    t = s2sad.trace(f, 2.0, 3.0, tangents=(1.0, 0.0))  # tangents: forward
    assert t.mode == "forward"
    assert s2sad.differentiate(argnums=(0, 1))(f).source(args=(2.0, 3.0)) == src


def test_a_float_argument_gets_a_float_gradient():
    g = s2sad.grad(f)(2.0)
    assert type(g) is float and g == pytest.approx(fd(f, (2.0,), 0))
    value, g = s2sad.value_and_grad(f)(2.0)
    assert type(g) is float and g == pytest.approx(fd(f, (2.0,), 0))
    assert value == f(2.0) and type(value) is type(f(2.0))  # the value: what f returns
    gx, gy = s2sad.grad(f, (0, 1))(2.0, 5.0)
    assert type(gx) is float and type(gy) is float
    assert (gx, gy) == pytest.approx((fd(f, (2.0, 5.0), 0), fd(f, (2.0, 5.0), 1)))
    (g,) = s2sad.vjp(f, 2.0)[1](1.0)
    assert type(g) is float
    for jac in (s2sad.jacfwd, s2sad.jacrev, s2sad.hessian):
        assert type(jac(f)(2.0)) is float
    # NumPy scalars and arrays keep their types
    assert type(s2sad.grad(f)(np.float64(2.0))) is np.float64
    assert s2sad.grad(f)(np.float32(2.0)).dtype == np.float32
    v = np.array([1.0, 2.0], dtype=np.float32)
    assert s2sad.grad(lambda v: np.sum(v * v))(v).dtype == np.float32


def test_generated_names_do_not_depend_on_compile_history():
    text = '''
def helper(x, y):
    return x * np.sin(y)

def model(x, y):
    return helper(x, y) + helper(x, 2.0) * y
'''
    fresh = s2sad.from_source(text, globals={"np": np})
    expected = s2sad.derivative_source(fresh)
    expected_fwd = s2sad.derivative_source(fresh, "forward")

    model = s2sad.from_source(text, globals={"np": np})
    # other variants first: another argnums, other kinds, the other mode
    s2sad.grad(model, 1)(1.0, 2.0)
    s2sad.jvp(model, (1.0, 2.0), (1.0, 0.0))
    s2sad.derivative_source(model, argnums=0, args=(1.0, 2.0))
    src = s2sad.derivative_source(model)
    assert src.replace(model.__code__.co_filename, "") == \
        expected.replace(fresh.__code__.co_filename, "")
    assert "def model_vjp(" in src and "model_vjp_2" not in src
    assert s2sad.derivative_source(model, "forward").startswith("def model_jvp(")
    assert s2sad.derivative_source(model, "forward") == expected_fwd
    assert s2sad.derivative_source(model, argnums=1, args=(1.0, 2.0)).startswith(
        "def model_vjp(")
    # two variants of helper in one derivative: two names, and both right
    calls = {w.split("(")[0] for w in src.split() if w.startswith("helper_")}
    assert len([c for c in calls if c.startswith("helper_fwd")]) == 2, src
    gx, gy = s2sad.grad(model, (0, 1))(1.0, 2.0)
    assert gx == pytest.approx(fd(model, (1.0, 2.0), 0))
    assert gy == pytest.approx(fd(model, (1.0, 2.0), 1))


def test_misuse_errors_are_still_type_errors():
    """Code that caught TypeError keeps working."""
    with pytest.raises(TypeError):
        s2sad.jvp(f, 2.0, 1.0)
