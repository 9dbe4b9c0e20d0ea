"""The conventions of the API, chosen once (README, "Conventions"): the output
seed defaults to 1.0 for a scalar output, integers are never differentiated,
and calls that do not match the function's parameters are s2sad's own errors."""
import re

import numpy as np
import pytest

import s2sad
from s2sad.frontend.source import from_source
from tests.ad.corpus import gradient_by_differences

RNG = np.random.default_rng(7)


def generated(func, args):
    """The reverse derivative code of ``func`` for ``args``, as a function."""
    src = s2sad.derivative_source(func, args=args)
    name = src.split("def ", 1)[1].split("(", 1)[0]
    ns = {}
    exec(compile(src, f"<{name}>", "exec"), {**func.__globals__, **s2sad.runtime.__dict__}, ns)
    return src, ns[name]


# --- the seed: y_bar=1.0 for every scalar output -------------------------------------
SCALAR_OUTPUTS = {
    "np.dot(x, x)": (lambda x: np.dot(x, x), (4,)),
    "x @ x": (lambda x: x @ x, (4,)),
    "np.inner(x, x)": (lambda x: np.inner(x, x), (3,)),
    "np.vdot(x, x)": (lambda x: np.vdot(x, x), (2, 2)),
    "x.sum()": (lambda x: (x * x).sum(), (2, 3)),
    "x.max()": (lambda x: (x * x).max(), (5,)),
    "np.linalg.norm(x)": (lambda x: np.linalg.norm(x), (4,)),
    "np.trace(x)": (lambda x: np.trace(x @ x), (3, 3)),
    "x @ A @ x": (lambda x: x @ ((np.ones((3, 3)) + np.outer(x, x)) @ x), (3,)),
    "np.linalg.det(x)": (lambda x: np.linalg.det(x), (3, 3)),
}


@pytest.mark.parametrize("case", sorted(SCALAR_OUTPUTS))
def test_a_scalar_output_of_array_arguments_has_a_seed_of_one(case):
    func, shape = SCALAR_OUTPUTS[case]
    x = RNG.standard_normal(shape) + 2.0 * np.eye(*shape) if len(shape) == 2 else \
        RNG.standard_normal(shape)
    src, vjp = generated(func, (x,))
    assert "y_bar=1.0)" in src.splitlines()[0], src
    (got,) = vjp(x)  # no seed given: 1.0
    np.testing.assert_allclose(got, gradient_by_differences(func, (x,), 0), rtol=1e-6, atol=1e-8)


PRODUCTS = [  # (expression, shapes): the product's rank is inferred from the operands'
    ("np.dot(a, b)", [(3,), (3,)]), ("np.dot(a, b)", [(2, 3), (3,)]),
    ("np.dot(a, b)", [(3,), (3, 2)]), ("np.dot(a, b)", [(2, 3), (3, 4)]),
    ("np.dot(a, b)", [(2, 2, 3), (4, 3, 2)]), ("np.dot(a, b)", [(), (3,)]),
    ("a @ b", [(2, 3), (3,)]), ("a @ b", [(3,), (3, 2)]), ("a @ b", [(5, 2, 3), (3, 2)]),
    ("a @ b", [(3,), (4, 3, 2)]), ("np.matmul(a, b)", [(2, 3), (3, 4)]),
    ("np.inner(a, b)", [(2, 3), (4, 3)]), ("np.outer(a, b)", [(2,), (3,)]),
    ("a.dot(b)", [(2, 3), (3,)]), ("np.vdot(a, b)", [(2, 3), (2, 3)]),
]


@pytest.mark.parametrize("expr,shapes", PRODUCTS)
def test_products_of_known_ranks_differentiate_exactly(expr, shapes):
    a, b = (RNG.standard_normal(s) if s else 1.5 for s in shapes)
    f = from_source(f"def f(a, b):\n    return np.sum(np.sin({expr}))\n", globals={"np": np})
    for num in (0, 1):
        grad = s2sad.grad(f, argnums=num)(a, b)
        np.testing.assert_allclose(grad, gradient_by_differences(f, (a, b), num),
                                   rtol=1e-6, atol=1e-8)


def test_the_seed_defaults_with_keyword_only_parameters_too():
    f = from_source("def f(x, *, w=2.0):\n    return np.sum(x) * 3.0\n", globals={"np": np})
    x = np.ones(3)
    src, vjp = generated(f, (x,))
    assert src.splitlines()[0] == "def f_vjp(x, y_bar=1.0, *, w=2.0):", src
    np.testing.assert_allclose(vjp(x)[0], 3.0 * np.ones(3))


def test_an_array_output_has_no_default_seed():
    f = from_source("def f(x):\n    return x @ np.ones((3, 2))\n", globals={"np": np})
    src, vjp = generated(f, (np.ones(3),))
    assert "y_bar)" in src.splitlines()[0] and "=1.0" not in src.splitlines()[0], src
    with pytest.raises(TypeError):
        vjp(np.ones(3))


# --- integers are never differentiated ---------------------------------------------------
def xy(xs):
    return xs[0] * xs[1]


def weighted(d):
    return d["a"] * d["b"][0]


@pytest.mark.parametrize("arg,where", [
    ([3, 2.0], "[0]"), ((3.0, 2), "[1]"), ([np.arange(2), 1.0], "[0]"),
    ([True, 2.0], "[0]"), ([np.int64(3), 2.0], "[0]"),
])
@pytest.mark.parametrize("api", ["grad", "value_and_grad", "jacrev", "jacfwd", "hessian", "vjp"])
def test_an_integer_inside_a_container_is_refused_as_an_integer_argument_is(api, arg, where):
    with pytest.raises(s2sad.S2sadError, match=r"argument 0 holds .* at " + re
                       .escape(where) + r", which is not differentiable"):
        if api == "vjp":
            s2sad.vjp(xy, arg)
        else:
            getattr(s2sad, api)(xy)(arg)
    with pytest.raises(s2sad.S2sadError, match="argument 0 is int 3, which is not differentiable"):
        s2sad.grad(lambda x: x * 2.0)(3)


def test_the_path_to_a_nested_integer_is_named():
    with pytest.raises(s2sad.S2sadError, match=r"holds int 4 at \['b'\]\[0\]"):
        s2sad.grad(weighted)({"a": 2.0, "b": [4, 1.0]})
    assert s2sad.grad(weighted)({"a": 2.0, "b": [4.0, 1.0]}) == {"a": 4.0, "b": [2.0, 0.0]}


def test_a_compiled_call_still_refuses_integers():
    g = s2sad.grad(xy)
    assert g([3.0, 2.0]) == [2.0, 3.0]
    assert g([5.0, 2.0]) == [2.0, 5.0]  # the generated caller's fast path
    with pytest.raises(s2sad.S2sadError, match=r"holds int 3 at \[0\]"):
        g([3, 2.0])


def test_integers_outside_the_differentiated_arguments_are_fine():
    f = from_source("def f(x, config):\n    return x * config[0]\n", globals={})
    assert s2sad.grad(f)(2.0, (3, "name")) == 3.0
    g = from_source("def g(x, n):\n    return x * n\n", globals={})
    out, vjp_fn = s2sad.vjp(g, 2.0, 3)  # vjp: an integer argument gets no cotangent
    assert out == 6.0 and vjp_fn(1.0) == (3.0, None)


def test_jacobians_of_lists_of_python_floats_are_python_floats():
    got = s2sad.jacrev(xy)([3.0, 2.0])
    assert got == [2.0, 3.0] and all(type(g) is float for g in got)


# --- calls that do not match the parameters ---------------------------------------------
def two(x, y=2.0):
    return x * y


@pytest.mark.parametrize("call,message", [
    (lambda g: g(1.0, 2.0, 3.0), r"two\(x, y=2.0\) takes 2 positional arguments, but 3 were given"),
    (lambda g: g(), r"two\(x, y=2.0\) is missing arguments: x"),
    (lambda g: g(1.0, z=3.0), r"unexpected keyword argument 'z'"),
])
def test_a_call_that_does_not_match_says_what_the_function_takes(call, message):
    with pytest.raises(s2sad.ArgumentError, match=message):
        call(s2sad.grad(two))
    assert s2sad.grad(two)(1.0, y=3.0) == 3.0


# --- the type of the input, inside containers and objects too -----------------------------
class Affine:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def loss(self, x):
        return np.sum(self.w * x) * self.b + self.b ** 2


def mixed(d):
    return d["a"] * np.sum(d["v"]) + d["a"] ** 2 + d["pair"][0] * d["pair"][1]


def test_python_floats_inside_containers_and_objects_get_python_floats():
    d = {"a": 2.0, "v": np.ones(2), "pair": (1.5, np.float64(3.0))}
    g = s2sad.grad(mixed)(d)
    assert type(g["a"]) is float and g["a"] == 2 * 2.0 + 2.0
    assert type(g["pair"][0]) is float and g["pair"] == (3.0, 1.5)
    np.testing.assert_allclose(g["v"], [2.0, 2.0])
    g = s2sad.grad(Affine.loss)(Affine(np.ones(2), 0.5), np.array([1.0, 3.0]))
    assert type(g["b"]) is float and g["b"] == 4.0 + 1.0
    np.testing.assert_allclose(g["w"], [0.5, 1.5])
