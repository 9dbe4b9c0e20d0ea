"""Fixes from the fifth probe: Jacobians of object and named tuple arguments,
two lambdas on one line of a statement over several lines, the adjoint of an
array unpacked by a helper called on another helper's result (RK4), and a
while loop whose body reads again what its condition computed.  Each against
central differences in float64, in both modes."""
import dataclasses
import sys
from collections import namedtuple

import numpy as np
import pytest

import s2sad
from tests.ad.corpus import gradient_by_differences


class Model:
    def __init__(self, m, x):
        self.m = m
        self.x = x
        self.steps = 3  # an int attribute: never differentiated
        self.label = "model"


def model_loss(p):
    return p.m * np.sum(p.x ** 2) + np.sin(p.m) * p.x[0]


def model_output(p):
    return np.array([p.m * p.x[0], p.x[1] ** 2, p.m ** 2])


def _model_differences(f, m, x):
    """d f / d m and d f / d x (a row per output entry when f returns an array)."""
    def of_m(v):
        return f(Model(v, x))

    def of_x(v):
        return f(Model(m, v))
    return gradient_by_differences(of_m, [m], 0), _differences_array(of_x, x)


def _differences_array(f, x, h=1e-6):
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = h
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.moveaxis(np.array(cols), 0, -1)


@pytest.mark.parametrize("transform", [s2sad.jacfwd, s2sad.jacrev])
def test_jacobian_of_an_object_is_a_dict_of_its_attributes(transform):
    p = Model(2.0, np.array([1.0, 2.0]))
    dm, dx = _model_differences(model_loss, 2.0, np.array([1.0, 2.0]))
    jac = transform(model_loss)(p)
    assert set(jac) == {"m", "x"}  # the int and the string attribute are not differentiated
    np.testing.assert_allclose(jac["m"], dm, rtol=1e-7)
    np.testing.assert_allclose(jac["x"], dx, rtol=1e-7)
    grad = s2sad.grad(model_loss)(p)
    np.testing.assert_allclose(jac["m"], grad["m"], rtol=1e-12)
    np.testing.assert_allclose(jac["x"], grad["x"], rtol=1e-12)


@pytest.mark.parametrize("transform", [s2sad.jacfwd, s2sad.jacrev])
def test_jacobian_of_an_object_with_a_vector_output(transform):
    x = np.array([1.0, 2.0])
    jac = transform(model_output)(Model(2.0, x))
    dm = (model_output(Model(2.0 + 1e-6, x)) - model_output(Model(2.0 - 1e-6, x))) / 2e-6
    dx = _differences_array(lambda v: model_output(Model(2.0, v)), x)
    assert jac["m"].shape == (3,) and jac["x"].shape == (3, 2)
    np.testing.assert_allclose(jac["m"], dm, rtol=1e-7)
    np.testing.assert_allclose(jac["x"], dx, rtol=1e-7, atol=1e-9)


def test_jacobian_of_an_object_with_another_argument():
    def f(p, s):
        return p.m * np.sum(p.x) * s ** 2

    p = Model(2.0, np.array([1.0, 2.0]))
    for transform in (s2sad.jacfwd, s2sad.jacrev):
        jp, js = transform(f, argnums=(0, 1))(p, 1.5)
        np.testing.assert_allclose(js, 2 * 2.0 * 3.0 * 1.5, rtol=1e-12)
        np.testing.assert_allclose(jp["m"], 3.0 * 2.25, rtol=1e-12)
        np.testing.assert_allclose(jp["x"], [2.0 * 2.25] * 2, rtol=1e-12)


def test_hessian_of_an_object():
    p = Model(2.0, np.array([1.0, 2.0]))
    hess = s2sad.hessian(model_loss)(p)
    g = s2sad.grad(model_loss)

    def grad_m(v):
        return g(Model(v, p.x))

    def grad_x(v):
        return g(Model(p.m, v))
    h = 1e-5
    up, down = grad_m(p.m + h), grad_m(p.m - h)
    np.testing.assert_allclose(hess["m"]["m"], (up["m"] - down["m"]) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(hess["x"]["m"], (up["x"] - down["x"]) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(hess["x"]["x"],
                               _differences_array(lambda v: grad_x(v)["x"], p.x, h), rtol=1e-6)
    np.testing.assert_allclose(hess["m"]["x"], hess["x"]["m"], rtol=1e-10)


@dataclasses.dataclass
class Point:
    a: float
    b: np.ndarray


def point_value(p):
    return p.a * np.sum(p.b ** 3)


def test_dataclass_jacobians_and_tangent_of_the_class():
    p = Point(0.5, np.array([1.0, -2.0]))
    da = gradient_by_differences(lambda v: point_value(Point(v, p.b)), [p.a], 0)
    db = gradient_by_differences(lambda v: point_value(Point(p.a, v)), [p.b], 0)
    for transform in (s2sad.jacfwd, s2sad.jacrev):
        jac = transform(point_value)(p)
        np.testing.assert_allclose(jac["a"], da, rtol=1e-7)
        np.testing.assert_allclose(jac["b"], db, rtol=1e-7)
    # a tangent given as an object of the argument's class, as one given as a dict
    v = Point(0.3, np.array([0.2, -1.0]))
    out, tangent = s2sad.jvp(point_value, (p,), (v,))
    assert out == pytest.approx(point_value(p))
    assert tangent == pytest.approx(da * v.a + db @ v.b, rel=1e-7)
    assert s2sad.jvp(point_value, (p,), ({"a": v.a, "b": v.b},))[1] == pytest.approx(tangent)


Params = namedtuple("Params", ["a", "b"])


def params_value(p):
    return p.a * p.b ** 2 + np.sin(p.a)


def test_named_tuple_in_forward_mode():
    p = Params(0.5, 2.0)
    da = gradient_by_differences(lambda v: params_value(Params(v, p.b)), [p.a], 0)
    db = gradient_by_differences(lambda v: params_value(Params(p.a, v)), [p.b], 0)
    jac = s2sad.jacfwd(params_value)(p)
    assert type(jac) is Params and type(jac.a) is float
    assert jac == pytest.approx(Params(da, db), rel=1e-7)
    assert s2sad.grad(params_value)(p) == pytest.approx(jac, rel=1e-12)
    _, tangent = s2sad.jvp(params_value, (p,), (Params(1.0, -0.5),))
    assert tangent == pytest.approx(da - 0.5 * db, rel=1e-7)


def test_named_tuple_hessian():
    NT = namedtuple("NT", "w b")

    def f(p):
        return np.sum(p.w ** 2) + p.b * p.w[0] + p.b ** 3

    p = NT(np.array([0.5, 1.0]), 0.3)
    hess = s2sad.hessian(f)(p)
    np.testing.assert_allclose(hess.w.w, 2 * np.eye(2))
    np.testing.assert_allclose(hess.w.b, [1.0, 0.0])
    np.testing.assert_allclose(hess.b.w, [1.0, 0.0])
    np.testing.assert_allclose(hess.b.b, 6 * 0.3)
    g = s2sad.grad(f)
    h = 1e-5
    np.testing.assert_allclose(hess.b.b, (g(NT(p.w, p.b + h)).b - g(NT(p.w, p.b - h)).b) / (2 * h),
                               rtol=1e-6)


def test_two_lambdas_on_one_line_of_a_statement_over_several_lines():
    for power, f in [(2, lambda x: x ** 2), (3, lambda x: x ** 3),
                     (4, lambda x: x ** 4)]:
        expected = gradient_by_differences(f, [2.0], 0)
        assert expected == pytest.approx(power * 2.0 ** (power - 1), rel=1e-6)
        assert s2sad.grad(f)(2.0) == pytest.approx(expected, rel=1e-7)
        assert s2sad.jacfwd(f)(2.0) == pytest.approx(expected, rel=1e-7)
    acts = {"sq": lambda x: x ** 2,
            "cube": lambda x: x ** 3, "sin": lambda x: np.sin(x)}
    for name, f in acts.items():
        expected = gradient_by_differences(f, [2.0], 0)
        assert s2sad.grad(f)(2.0) == pytest.approx(expected, rel=1e-7), name
        assert s2sad.jacfwd(f)(2.0) == pytest.approx(expected, rel=1e-7), name


@pytest.mark.skipif(sys.version_info < (3, 10),
                    reason="on Python 3.9 lambdas of one line that read a closure are refused "
                           "(their code compiled alone differs): test_two_lambdas_that_"
                           "compile_alike_on_one_line_are_refused covers the refusal")
def test_two_lambdas_of_one_line_told_apart_by_their_closures_and_constants():
    def make(a):
        return [lambda x: a * x ** 2, lambda x: np.sin(a * x) + sum([x * k for k in range(3)]),
                lambda x: x]

    for f in make(3.0):
        expected = gradient_by_differences(f, [2.0], 0)
        assert s2sad.grad(f)(2.0) == pytest.approx(expected, rel=1e-7)
        assert s2sad.jacfwd(f)(2.0) == pytest.approx(expected, rel=1e-7)


def test_two_lambdas_that_compile_alike_on_one_line_are_refused():
    fs = [lambda x: x * 2, lambda x: x * 2]
    with pytest.raises(s2sad.S2sadError, match="cannot tell which lambda"):
        s2sad.grad(fs[1])(1.0)


def rhs(t, y, L):
    theta, omega = y
    return np.array([omega, -9.81 / L * np.sin(theta)])


def rk4(L):
    y = np.array([0.3, 0.0])
    h, t = 0.01, 0.0
    for _ in range(20):
        k1 = rhs(t, y, L)
        k2 = rhs(t + h / 2, y + h / 2 * k1, L)
        k3 = rhs(t + h / 2, y + h / 2 * k2, L)
        k4 = rhs(t + h, y + h * k3, L)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return y[0]


def scale_first(z, q):
    x, y = z
    return np.array([q * x, y])


def unpack_twice(p):
    return scale_first(0.5 * scale_first(np.array([1.0, 0.5]), p), 1.0)[0] + \
        scale_first((p, 2.0 * p), p)[1]


@pytest.mark.parametrize("f", [rk4, unpack_twice])
def test_helper_unpacking_its_array_argument_called_on_a_helper_result(f):
    expected = gradient_by_differences(f, [1.2], 0)
    assert s2sad.grad(f)(1.2) == pytest.approx(expected, rel=1e-7)
    assert s2sad.jacfwd(f)(1.2) == pytest.approx(expected, rel=1e-7)


def unpack_of_a_tuple_argument(pair, w):
    def g(z):
        a, b = z
        return a * b + w * a
    return g(pair) + g((w, w * w))


def test_helper_unpacking_a_tuple_keeps_a_tuple_adjoint():
    pair = (0.7, 1.3)
    g = s2sad.grad(unpack_of_a_tuple_argument, argnums=(0, 1))(pair, 0.4)
    assert type(g[0]) is tuple
    d_pair = [gradient_by_differences(lambda v: unpack_of_a_tuple_argument(
        (v, pair[1]), 0.4), [pair[0]], 0), gradient_by_differences(
        lambda v: unpack_of_a_tuple_argument((pair[0], v), 0.4), [pair[1]], 0)]
    d_w = gradient_by_differences(lambda v: unpack_of_a_tuple_argument(pair, v), [0.4], 0)
    assert list(g[0]) == pytest.approx(d_pair, rel=1e-7)
    assert g[1] == pytest.approx(d_w, rel=1e-7)
    assert s2sad.jacfwd(unpack_of_a_tuple_argument, argnums=1)(pair, 0.4) == \
        pytest.approx(d_w, rel=1e-7)


def while_len_with_conditional_expression(x):
    seq = [x]
    while len(seq) < 5:
        seq.append(seq[-2] * x if len(seq) > 1 else seq[-1] + x)
    return sum(seq)


def while_condition_value_in_body(x):
    total, k = x, 0
    while (k2 := k * k) < 20:
        total = total * np.sin(x) + k2 * x
        k += 1
    return total


@pytest.mark.parametrize("f", [while_len_with_conditional_expression,
                               while_condition_value_in_body])
def test_while_body_reading_what_its_condition_computed(f):
    expected = gradient_by_differences(f, [0.7], 0)
    assert s2sad.grad(f)(0.7) == pytest.approx(expected, rel=1e-7)
    assert s2sad.jacfwd(f)(0.7) == pytest.approx(expected, rel=1e-7)


def scaled(x, *, scale=1.0, power=2):
    return scale * x ** power


def calls_keyword_only_helper(x):
    return scaled(x, scale=3.0) + scaled(np.sin(x), power=3) + scaled(x * x)


@s2sad.checkpoint
def damped(x, *, rate=0.1):
    return x - rate * np.sin(x)


def calls_checkpointed_keyword_only_helper(x):
    for _ in range(4):
        x = damped(x, rate=0.2)
    return x


def calls_keyword_only_helper_with_array(x):
    return np.sum(scaled(x, scale=np.array([1.0, 2.0])))


@pytest.mark.parametrize("f", [calls_keyword_only_helper, calls_checkpointed_keyword_only_helper,
                               calls_keyword_only_helper_with_array])
def test_helper_with_keyword_only_parameters(f):
    expected = gradient_by_differences(f, [0.9], 0)
    assert s2sad.grad(f)(0.9) == pytest.approx(expected, rel=1e-7)
    assert s2sad.jacfwd(f)(0.9) == pytest.approx(expected, rel=1e-7)
    assert s2sad.hessian(f)(0.9) == pytest.approx(
        gradient_by_differences(s2sad.grad(f), [0.9], 0, h=1e-5), rel=1e-6)


def test_differentiating_a_keyword_only_parameter_is_refused():
    def f(x, s):
        return scaled(x, scale=s)

    for transform in (s2sad.grad, s2sad.jacfwd):
        with pytest.raises(s2sad.S2sadError, match="(?s)with respect to scale, a keyword-only "
                           "parameter of scaled.*make scale an ordinary parameter"):
            transform(f, argnums=(0, 1))(1.5, 2.0)
    assert s2sad.grad(f)(1.5, 2.0) == pytest.approx(6.0)  # s a constant: as Python calls it


def test_keyword_only_parameter_left_out_is_refused():
    def needs(x, *, k):
        return k * x

    def f(x):
        return needs(x)

    with pytest.raises(s2sad.S2sadError, match="missing a required (keyword-only )?argument: 'k'"):
        s2sad.grad(f)(1.0)


Weights = namedtuple("Weights", "w b")


class Layer:
    def __init__(self, w, b):
        self.w, self.b = w, b


def weighted(p):
    return np.sum(p.w ** 2) * p.b + p.b ** 3


@pytest.mark.parametrize("make", [Weights, Layer])
@pytest.mark.parametrize("outer, inner", [(s2sad.jacrev, s2sad.jacrev),
                                          (s2sad.jacrev, s2sad.jacfwd),
                                          (s2sad.jacfwd, s2sad.jacfwd),
                                          (s2sad.jacfwd, s2sad.jacrev)])
def test_second_order_of_named_tuples_and_objects_in_every_mode(make, outer, inner):
    w, b = np.array([0.5, 1.0]), 0.3
    hess = outer(inner(weighted))(make(w, b))

    def part(h, name):
        return getattr(h, name) if make is Weights else h[name]
    # the second derivatives of sum(w**2) * b + b**3, checked against differences of grad
    g = s2sad.grad(weighted)
    step = 1e-5
    up, down = g(make(w, b + step)), g(make(w, b - step))
    np.testing.assert_allclose(part(part(hess, "b"), "b"),
                               (part(up, "b") - part(down, "b")) / (2 * step), rtol=1e-6)
    np.testing.assert_allclose(part(part(hess, "w"), "b"),
                               (part(up, "w") - part(down, "w")) / (2 * step), rtol=1e-6)
    np.testing.assert_allclose(part(part(hess, "b"), "w"), 2 * w, rtol=1e-12)
    np.testing.assert_allclose(part(part(hess, "w"), "w"), 2 * b * np.eye(2), rtol=1e-12)


@pytest.mark.parametrize("transform", [s2sad.jacfwd, s2sad.jacrev])
def test_jacobian_of_an_object_of_python_floats_holds_python_floats(transform):
    def f(p):
        return p.w * p.b ** 2

    jac = transform(f)(Layer(1.0, 2.0))
    assert jac == {"w": 4.0, "b": 4.0} and all(type(v) is float for v in jac.values())
