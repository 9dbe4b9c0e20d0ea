"""The user surface: @differentiate, Jacobians and Hessians, higher order,
containers, user functions, closures, methods, recursion, classes."""
import collections
import math
import threading

import numpy as np
import pytest

import s2sad

RNG = np.random.default_rng(3)


def fd_grad(f, args, i, eps=1e-6):
    x = np.asarray(args[i], dtype=float)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        a, b = list(args), list(args)
        a[i], b[i] = (up if x.shape else float(up)), (down if x.shape else float(down))
        g[k] = (f(*a) - f(*b)) / (2 * eps)
    return g


@s2sad.differentiate(argnums=(0, 1))
def seeds(x1, x2):
    """The seeds' example."""
    return np.log(x1) + x1 * x2 - np.sin(x2)


def test_differentiate_calls_the_original_and_offers_derivatives():
    assert seeds(2.0, 5.0) == pytest.approx(11.652071455223084)
    assert seeds.__doc__ == "The seeds' example."
    assert seeds.__name__ == "seeds" and seeds.__wrapped__(2.0, 5.0) == seeds(2.0, 5.0)
    assert seeds.grad(2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738))
    value, grads = seeds.value_and_grad(2.0, 5.0)
    assert value == pytest.approx(11.652071455223084) and grads[0] == pytest.approx(5.5)
    assert seeds.jvp((2.0, 5.0), (1.0, 0.0))[1] == pytest.approx(5.5)
    out, vjp_fn = seeds.vjp(2.0, 5.0)
    assert vjp_fn(1.0)[1] == pytest.approx(1.7163378145367738)
    assert np.allclose(seeds.jacobian(2.0, 5.0), (5.5, 1.7163378145367738))
    H = np.array(seeds.hessian(2.0, 5.0), dtype=float)
    assert np.allclose(H, [[-0.25, 1.0], [1.0, np.sin(5.0)]])
    assert np.allclose(seeds.hvp((2.0, 5.0), (1.0, 0.0)), (-0.25, 1.0))
    assert "x2_bar" in seeds.source("reverse", args=(2.0, 5.0))
    assert "x1_dot" in seeds.source("forward")


def test_bare_decorator_and_help():
    @s2sad.differentiate
    def square(x):
        """Squares."""
        return x * x

    assert square.grad(3.0) == 6.0
    assert "Squares." in (square.__doc__ or "")


def test_compilation_is_lazy_cached_and_thread_safe():
    def f(x):
        return math.sin(x) * x

    d = s2sad.differentiate(f)
    results = []

    def work():
        results.append(d.grad(0.7))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and results[0] == pytest.approx(math.cos(0.7) * 0.7 + math.sin(0.7))


def vector_fn(x, y):
    return np.sin(x) * y[0], np.sum(x * x) + y[1] ** 2


def test_jacfwd_and_jacrev_agree_with_finite_differences():
    x, y = RNG.normal(size=3), RNG.normal(size=2)
    jf = s2sad.jacfwd(vector_fn, (0, 1))(x, y)
    jr = s2sad.jacrev(vector_fn, (0, 1))(x, y)
    for a, b in zip(jf, jr):
        for u, v in zip(a, b):
            assert np.allclose(u, v)
    # d(out0)/dx is diag(cos(x)) * y0
    assert np.allclose(jf[0][0], np.diag(np.cos(x) * y[0]))
    assert np.allclose(jf[1][1], [0.0, 2 * y[1]])


def looped(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * (i + 1)) * x
    return s


def test_hessian_of_a_function_with_a_loop():
    h = s2sad.hessian(looped)(0.7, 4)
    g = s2sad.grad(looped)
    eps = 1e-5
    assert h == pytest.approx((g(0.7 + eps, 4) - g(0.7 - eps, 4)) / (2 * eps), rel=1e-6)


def test_grad_of_grad_equals_jacfwd_of_jacrev():
    def f(x):
        return math.exp(math.sin(x)) * x ** 3

    gg = s2sad.grad(s2sad.grad(f))(0.4)
    fr = s2sad.jacfwd(s2sad.jacrev(f))(0.4)
    assert gg == pytest.approx(float(fr))
    eps = 1e-5
    g = s2sad.grad(f)
    assert gg == pytest.approx((g(0.4 + eps) - g(0.4 - eps)) / (2 * eps), rel=1e-6)


def test_reverse_over_reverse_through_a_loop():
    def f(x, y, n):
        for i in range(n):
            x = x + 0.01 * (math.sin(x) * y - x * x * 0.1)
        return x

    g = s2sad.grad(f, 0)
    second = s2sad.grad(g, (0, 1))(1.0, 2.0, 10)
    eps = 1e-6
    assert second[0] == pytest.approx((g(1.0 + eps, 2.0, 10) - g(1.0 - eps, 2.0, 10)) / (2 * eps), rel=1e-5)
    assert second[1] == pytest.approx((g(1.0, 2.0 + eps, 10) - g(1.0, 2.0 - eps, 10)) / (2 * eps), rel=1e-5)


Params = collections.namedtuple("Params", "w b")


def dict_loss(params, x):
    h = np.tanh(x @ params["W"] + params["b"])
    return np.sum(h ** 2) + 0.1 * params["scale"] ** 2


def test_dict_of_arrays_in_gradients_out():
    params = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2), "scale": 0.5}
    x = RNG.normal(size=(4, 3))
    g = s2sad.grad(dict_loss)(params, x)
    assert set(g) == {"W", "b", "scale"}
    for key in ("W", "b"):
        def part(v, key=key):
            p = dict(params)
            p[key] = v
            return dict_loss(p, x)
        assert np.allclose(g[key], fd_grad(part, (params[key],), 0), atol=1e-6)
    assert g["scale"] == pytest.approx(0.1)


def tuple_loss(p, x):
    return np.sum((p.w * x + p.b) ** 2)


def list_loss(ws, x):
    total = 0.0
    for w in ws:
        total = total + np.sum(np.sin(w * x))
    return total


def test_namedtuples_and_lists():
    p = Params(w=0.3, b=-0.2)
    x = RNG.normal(size=5)
    g = s2sad.grad(tuple_loss)(p, x)
    assert isinstance(g, Params)
    assert g.w == pytest.approx(np.sum(2 * (p.w * x + p.b) * x))
    ws = [0.1, 0.7, -0.4]
    gl = s2sad.grad(list_loss)(ws, x)
    assert np.allclose(gl, [np.sum(np.cos(w * x) * x) for w in ws])


def test_lists_built_with_append():
    def f(x, n):
        ys = []
        for i in range(n):
            ys.append(x * i + math.sin(x))
        return sum(ys)

    assert s2sad.grad(f)(0.3, 5) == pytest.approx(sum(i + math.cos(0.3) for i in range(5)))


def helper(a, b=2.0):
    return math.sin(a) * b + a * a


def calls_helper(x, y):
    return helper(x, y) + helper(y)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def test_user_functions_and_recursion():
    g = s2sad.grad(calls_helper, (0, 1))(1.0, 2.0)
    assert g[0] == pytest.approx(math.cos(1.0) * 2.0 + 2.0)
    assert g[1] == pytest.approx(math.sin(1.0) + math.cos(2.0) * 2.0 + 4.0)
    assert s2sad.grad(power)(1.5, 4) == pytest.approx(4 * 1.5 ** 3)
    assert s2sad.jvp(power, (1.5, 4), (1.0, None))[1] == pytest.approx(4 * 1.5 ** 3)


def test_closures_and_lambdas():
    scale = 3.0

    def inner(x):
        return math.sin(x) * scale

    assert s2sad.grad(inner)(0.5) == pytest.approx(3.0 * math.cos(0.5))
    assert s2sad.grad(lambda x: x ** 3)(2.0) == pytest.approx(12.0)


class Model:
    def __init__(self, w, b):
        self.w = w
        self.b = b

    def forward(self, x):
        return np.tanh(x @ self.w + self.b)

    def loss(self, x, y):
        return np.sum((self.forward(x) - y) ** 2)


def test_methods_and_a_class_based_model():
    m = Model(RNG.normal(size=(3, 2)), RNG.normal(size=2))
    x, y = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 2))
    gx = s2sad.grad(m.loss)(x, y)   # a bound method: w.r.t. its arguments
    assert np.allclose(gx, fd_grad(lambda xx: m.loss(xx, y), (x,), 0), atol=1e-6)
    gm = s2sad.grad(Model.loss)(m, x, y)   # w.r.t. the model: a dict of its parameters
    assert set(gm) == {"w", "b"}

    def with_w(w):
        return Model(w, m.b).loss(x, y)

    assert np.allclose(gm["w"], fd_grad(with_w, (m.w,), 0), atol=1e-6)


def test_nested_functions_are_inlined_with_late_binding():
    def outer(x, y):
        scale = 2.0

        def inner(z, w=1.0):
            if z > 0:
                return math.sin(z) * scale * w
            return z * y

        a = inner(x)
        scale = 3.0   # the second call sees the new value, as Python's closures do
        b = inner(x * y, w=0.5)
        return a + b

    assert s2sad.ssa_function(outer)(0.7, 1.3) == pytest.approx(outer(0.7, 1.3))
    g = s2sad.grad(outer, (0, 1))(0.7, 1.3)
    eps = 1e-6
    assert g[0] == pytest.approx((outer(0.7 + eps, 1.3) - outer(0.7 - eps, 1.3)) / (2 * eps), rel=1e-6)
    assert g[1] == pytest.approx((outer(0.7, 1.3 + eps) - outer(0.7, 1.3 - eps)) / (2 * eps), rel=1e-6)
    assert s2sad.jvp(outer, (0.7, 1.3), (1.0, 0.0))[1] == pytest.approx(g[0])
