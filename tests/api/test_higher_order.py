"""Higher order, Jacobians and the API's entry points (issue 13).

Every derivative is checked against central finite differences of a derivative
written here by hand (or of the function itself), never against s2sad alone.
"""
import functools
import math
import re

import numpy as np
import pytest

import s2sad

H = 1e-6
X = np.array([0.3, -0.5, 0.8])
V = np.array([1.0, 2.0, -0.5])


def fd_jacobian(f, x, h=H):
    """d f / d x by central differences: shape out + in (x a float or an array)."""
    x = np.asarray(x, dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = h
        e = e.reshape(x.shape)
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    jac = np.array(cols).reshape(x.shape + np.shape(cols[0]))
    return np.moveaxis(jac, tuple(range(x.ndim)), tuple(range(-x.ndim, 0))) if x.ndim else jac


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=rtol, atol=atol)


# f: a scalar of an array, with its gradient and Hessian by hand
def f(x):
    return np.sum(np.sin(x) ** 2) * x[0]


def f_grad(x):
    g = x[0] * np.sin(2 * x)
    g[0] += np.sum(np.sin(x) ** 2)
    return g


def f_hess(x):
    s2 = np.sin(2 * x)
    h = np.diag(2 * x[0] * np.cos(2 * x))
    h[0, :] += s2
    h[:, 0] += s2
    return h


# F: a vector of an array, with its Jacobian by hand
def F(x):
    return np.sin(x) * x[0]


def F_jac(x):
    j = np.diag(np.cos(x) * x[0])
    j[:, 0] += np.sin(x)
    return j


# s: a scalar of a scalar
def s(x):
    return math.sin(x) * x ** 3


def s_1(x):
    return math.cos(x) * x ** 3 + 3 * x ** 2 * math.sin(x)


def s_2(x):
    return -math.sin(x) * x ** 3 + 6 * x ** 2 * math.cos(x) + 6 * x * math.sin(x)


def test_the_hand_written_derivatives_are_right():  # what the tests below rely on
    close(f_grad(X), fd_jacobian(f, X))
    close(f_hess(X), fd_jacobian(f_grad, X))
    close(F_jac(X), fd_jacobian(F, X))
    close(s_1(0.7), fd_jacobian(s, 0.7))
    close(s_2(0.7), fd_jacobian(s_1, 0.7))


COMPOSITIONS = [(s2sad.jacfwd, s2sad.jacrev), (s2sad.jacrev, s2sad.jacrev),
                (s2sad.jacfwd, s2sad.jacfwd), (s2sad.jacrev, s2sad.jacfwd)]
IDS = ["fwd_rev", "rev_rev", "fwd_fwd", "rev_fwd"]


@pytest.mark.parametrize("outer, inner", COMPOSITIONS, ids=IDS)
def test_jacobian_of_a_jacobian_of_a_scalar_function(outer, inner):
    close(outer(inner(f))(X), f_hess(X))


@pytest.mark.parametrize("outer, inner", COMPOSITIONS, ids=IDS)
def test_jacobian_of_a_jacobian_of_a_vector_function(outer, inner):
    got = outer(inner(F))(X)
    assert got.shape == (3, 3, 3)
    close(got, fd_jacobian(F_jac, X))


def test_third_order():
    got = s2sad.jacfwd(s2sad.jacrev(s2sad.jacfwd(f)))(X)
    assert got.shape == (3, 3, 3)
    close(got, fd_jacobian(f_hess, X))
    close(s2sad.grad(s2sad.grad(s2sad.grad(s)))(0.7), fd_jacobian(s_2, 0.7))


def test_grad_of_grad_of_a_scalar_function():
    assert np.isclose(s2sad.grad(s2sad.grad(s))(0.7), s_2(0.7))


@pytest.mark.parametrize("jac", [s2sad.jacfwd, s2sad.jacrev])
def test_a_scalar_jacobian_differentiated_by_grad(jac):
    close(s2sad.grad(jac(s))(0.7), s_2(0.7))


@pytest.mark.parametrize("jac", [s2sad.jacfwd, s2sad.jacrev])
def test_a_jacobian_differentiated_by_jvp_and_vjp(jac):
    jf = jac(F)
    out, tangent = s2sad.jvp(jf, (X,), (V,))
    close(out, F_jac(X))
    close(tangent, fd_jacobian(F_jac, X) @ V)
    w = np.random.default_rng(0).normal(size=(3, 3))
    out, vjp_fn = s2sad.vjp(jf, X)
    close(vjp_fn(w)[0], np.einsum("ijk,ij->k", fd_jacobian(F_jac, X), w))


def test_hessian_of_a_non_scalar_function_is_a_tensor():
    got = s2sad.hessian(F)(X)
    assert got.shape == (3, 3, 3)  # out + in + in, as JAX
    close(got, fd_jacobian(F_jac, X))


def test_hessian_with_tuple_argnums_nests_as_jax():
    def g(a, b):
        return np.sum(a ** 2 * b) + a[0] * b[1] ** 3

    a, b = np.array([0.5, -1.0]), np.array([2.0, 0.3])
    (haa, hab), (hba, hbb) = s2sad.hessian(g, (0, 1))(a, b)

    def grad_a(a, b):
        return 2 * a * b + np.array([b[1] ** 3, 0.0])

    def grad_b(a, b):
        return a ** 2 + np.array([0.0, 3 * a[0] * b[1] ** 2])

    close(haa, fd_jacobian(lambda t: grad_a(t, b), a))
    close(hab, fd_jacobian(lambda t: grad_a(a, t), b))
    close(hba, fd_jacobian(lambda t: grad_b(t, b), a))
    close(hbb, fd_jacobian(lambda t: grad_b(a, t), b))


def P(a, b):
    return {"u": a * b[0], "v": (np.sum(a ** 2), b * 2.0)}


@pytest.mark.parametrize("jac", [s2sad.jacfwd, s2sad.jacrev])
def test_pytree_jacobians_nest_the_output_outside(jac):
    a, b = X, np.array([1.5, -0.4])
    got = jac(P, (0, 1))(a, b)
    assert set(got) == {"u", "v"} and isinstance(got["v"], tuple)
    parts = {"u": lambda a, b: P(a, b)["u"], "v0": lambda a, b: P(a, b)["v"][0],
             "v1": lambda a, b: P(a, b)["v"][1]}
    leaves = {"u": got["u"], "v0": got["v"][0], "v1": got["v"][1]}
    for name, part in parts.items():
        da, db = leaves[name]  # one entry per argument, inside
        close(da, fd_jacobian(lambda t: part(t, b), a))
        close(db, fd_jacobian(lambda t: part(a, t), b))


def Q(d):
    return [d["w"] @ d["x"], np.sum(d["w"] ** 2)]


@pytest.mark.parametrize("jac", [s2sad.jacfwd, s2sad.jacrev])
def test_jacobian_of_a_dict_argument(jac):
    d = {"w": np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]]), "x": X}
    got = jac(Q)(d)
    assert isinstance(got, list) and set(got[0]) == {"w", "x"}
    assert got[0]["w"].shape == (2, 2, 3) and got[1]["x"].shape == (3,)
    for k in range(2):
        close(got[k]["w"], fd_jacobian(lambda t: Q({"w": t, "x": d["x"]})[k], d["w"]))
        close(got[k]["x"], fd_jacobian(lambda t: Q({"w": d["w"], "x": t})[k], d["x"]))


def test_hessian_of_a_function_of_a_dict():
    def g(d):
        return d["a"] ** 2 * d["b"] + np.sin(d["a"])

    got = s2sad.hessian(g)({"a": 1.0, "b": 2.0})
    # by hand: g_aa = 2b - sin a, g_ab = 2a, g_bb = 0
    close([[got["a"]["a"], got["a"]["b"]], [got["b"]["a"], got["b"]["b"]]],
          [[4.0 - math.sin(1.0), 2.0], [2.0, 0.0]])


def test_hvp_of_a_function_of_a_tuple():
    def g(t):
        return t[0] * np.sum(t[1] ** 2)

    p, a = 1.5, np.array([1.0, 2.0])
    vp, va = 1.0, np.array([0.3, 2.0])
    hp, ha = s2sad.hvp(g, ((p, a),), ((vp, va),))
    # by hand: g_pp = 0, g_pa = 2a, g_aa = 2p I
    close(hp, 2 * a @ va)
    close(ha, 2 * a * vp + 2 * p * va)


def test_jacobians_do_not_write_into_arguments():
    def g(x):
        x[0] = x[0] * 2.0
        return x * x

    x = X.copy()
    got = s2sad.jacrev(g)(x)
    np.testing.assert_array_equal(x, X)
    close(got, fd_jacobian(lambda t: g(t.copy()), X))


def test_jacobian_of_an_integer_argument_is_an_error():
    with pytest.raises(s2sad.S2sadError, match="not differentiable"):
        s2sad.jacfwd(lambda x, n: x * n, (0, 1))(1.0, 2)


# ---------------------------------------------------------------------------
# functools.partial, functions with rules passed directly, nested derivatives
# ---------------------------------------------------------------------------
def h3(c, x, y):
    return c * x * y ** 2


def test_grad_of_a_partial_with_keywords():
    g = functools.partial(h3, y=3.0)
    assert np.isclose(s2sad.grad(g, 1)(2.0, 5.0), 2.0 * 9.0)  # d/dx of c x y^2 at c=2
    assert np.isclose(s2sad.grad(functools.partial(h3, 2.0, y=3.0))(5.0), 18.0)


def test_argnums_of_a_partial_count_its_remaining_parameters():
    g = functools.partial(h3, 2.0)
    gx, gy = s2sad.grad(g, (0, 1))(5.0, 3.0)
    assert np.isclose(gx, 2.0 * 9.0) and np.isclose(gy, 2.0 * 5.0 * 2 * 3.0)
    out, tangent = s2sad.jvp(g, (5.0, 3.0), (1.0, 0.0))
    assert np.isclose(out, 90.0) and np.isclose(tangent, 18.0)
    close(s2sad.jacfwd(functools.partial(F))(X), F_jac(X))


@pytest.mark.parametrize("fn, x, expected", [
    (np.tanh, 0.3, 1 - np.tanh(0.3) ** 2),
    (np.sin, 0.3, math.cos(0.3)),
    (math.sin, 0.3, math.cos(0.3)),
    (np.exp, 0.3, math.exp(0.3)),
])
def test_grad_of_a_function_with_a_rule(fn, x, expected):
    assert np.isclose(s2sad.grad(fn)(x), expected)
    out, tangent = s2sad.jvp(fn, (x,), (1.0,))
    assert np.isclose(out, fn(x)) and np.isclose(tangent, expected)
    assert np.isclose(s2sad.hessian(fn)(x), fd_jacobian(lambda t: s2sad.grad(fn)(float(t)), x),
                      rtol=1e-5)


def test_a_binary_ufunc_and_a_reduction_passed_directly():
    gx, gy = s2sad.grad(np.arctan2, (0, 1))(0.3, 0.7)
    assert np.isclose(gx, 0.7 / (0.3 ** 2 + 0.7 ** 2)) and np.isclose(gy, -0.3 / 0.58)
    close(s2sad.grad(np.sum)(X), np.ones(3))


def sx(x):
    return s2sad.grad(s)(x) * x


def test_grad_called_inside_a_function_being_differentiated():
    expected = s_2(0.7) * 0.7 + s_1(0.7)
    assert np.isclose(s2sad.grad(sx)(0.7), expected)
    out, tangent = s2sad.jvp(sx, (0.7,), (1.0,))
    assert np.isclose(out, s_1(0.7) * 0.7) and np.isclose(tangent, expected)


def jacobian_norm(x):
    return np.sum(s2sad.jacfwd(F)(x) ** 2)


def test_a_jacobian_called_inside_a_function_being_differentiated():
    close(s2sad.grad(jacobian_norm)(X), fd_jacobian(lambda t: np.sum(F_jac(t) ** 2), X))


def fact(x, n):
    if n == 0:
        return 1.0
    return x * fact(x, n - 1)


def test_second_derivative_of_a_recursive_function():
    assert np.isclose(s2sad.grad(s2sad.grad(fact))(1.3, 4), 12 * 1.3 ** 2)
    assert np.isclose(s2sad.hessian(fact)(1.3, 4), 12 * 1.3 ** 2)


def loop_sub(x):
    y = np.sin(x)
    total = 0.0
    for i in range(len(x) - 1):
        total = total + y[i] * y[i + 1]
    return total


def test_second_derivative_through_subscripts_in_a_loop():
    def grad_by_hand(x):
        c, sn = np.cos(x), np.sin(x)
        g = np.zeros_like(x)
        g[:-1] += c[:-1] * sn[1:]
        g[1:] += sn[:-1] * c[1:]
        return g

    close(s2sad.hessian(loop_sub)(X), fd_jacobian(grad_by_hand, X))
    close(s2sad.hvp(loop_sub, (X,), (V,)), fd_jacobian(grad_by_hand, X) @ V)


@pytest.mark.parametrize("jac", [s2sad.jacfwd, s2sad.jacrev])
def test_a_one_tuple_of_argnums_gives_a_one_tuple(jac):
    got = jac(F, (0,))(X)
    assert isinstance(got, tuple) and len(got) == 1
    close(got[0], F_jac(X))


class Scaled:
    def __init__(self):
        self.w = np.array([1.0, 2.0, 3.0])

    def value(self, x):
        return np.sum(np.sin(x * self.w) ** 2)


def test_jacobians_and_hessians_of_methods():
    m = Scaled()
    # by hand: d/dx_i sin(w_i x_i)^2 = w_i sin(2 w_i x_i); the Hessian is diagonal
    close(s2sad.jacrev(m.value)(X), m.w * np.sin(2 * m.w * X))
    close(s2sad.hessian(m.value)(X), np.diag(2 * m.w ** 2 * np.cos(2 * m.w * X)))
    close(s2sad.jacfwd(s2sad.jacfwd(m.value))(X), np.diag(2 * m.w ** 2 * np.cos(2 * m.w * X)))


def test_the_generated_jacobian_is_plain_code():
    from s2sad.ir.kinds import kind_of_object
    source = s2sad.jacrev(F).__s2sad_specialize__((kind_of_object(X),)).__s2sad_source__
    expected = ("def jacrev_F(x):\n"
                "    y = F(detached(x))\n"
                "    rows = []\n"
                "    for e in jacobian_basis(y):\n"
                "        rows.append(F_vjp(x, e))\n"
                "    return jacobian_rows(rows, y, x)\n")
    assert re.sub(r"F_vjp_\d+", "F_vjp", source) == expected  # F's vjp, whatever variant


# Reverse over reverse through loops: the second reverse pass replays the first
# one's loop over its trip count, which the emitter once reset before the loop
# header read it (every loop form below came out as a zero Hessian)
def loop_over_array(x):
    s = 0.0
    for v in x:
        s = s + np.sin(v) * v
    return s


def loop_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + (i + 1.0) * np.sin(v)
    return s


def loop_reversed(x):
    s = 0.0
    for v in reversed(x):
        s = s + np.sin(v) ** 2
    return s


def loop_zip(x):
    s = 0.0
    for a, b in zip(x, x * x):
        s = s + a * np.sin(b)
    return s


def loop_list(x):
    s = 0.0
    for v in [x[0], x[1] * x[2]]:
        s = s + np.sin(v)
    return s


def loop_zip_star(x):
    s = 0.0
    for a, b in zip(*x):
        s = s + a * np.sin(b)
    return s


def loop_while(x):
    s, i = 0.0, 0
    while i < len(x):
        s = s + np.cos(x[i]) * x[i]
        i += 1
    return s


def _zip_star_grad(m):
    return np.stack([np.sin(m[1]), m[0] * np.cos(m[1])])


M = np.array([[0.3, -0.5, 0.8], [0.2, 0.9, -0.4]])
LOOPS = [
    (loop_over_array, lambda x: np.cos(x) * x + np.sin(x), X),
    (loop_enumerate, lambda x: np.arange(1.0, len(x) + 1) * np.cos(x), X),
    (loop_reversed, lambda x: np.sin(2 * x), X),
    (loop_zip, lambda x: np.sin(x * x) + 2 * x * x * np.cos(x * x), X),
    (loop_list, lambda x: np.array([np.cos(x[0]), np.cos(x[1] * x[2]) * x[2],
                                    np.cos(x[1] * x[2]) * x[1]]), X),
    (loop_zip_star, _zip_star_grad, M),
    (loop_while, lambda x: np.cos(x) - x * np.sin(x), X),
]


@pytest.mark.parametrize("fn, grad_by_hand, x", LOOPS, ids=[c[0].__name__ for c in LOOPS])
def test_reverse_over_reverse_through_loops(fn, grad_by_hand, x):
    close(s2sad.grad(fn)(x), grad_by_hand(x))
    hess = fd_jacobian(grad_by_hand, x)  # shape x.shape + x.shape, symmetric
    w = np.linspace(-1.0, 1.5, x.size).reshape(x.shape)
    want = np.tensordot(hess, w, axes=x.ndim)
    close(s2sad.vjp(s2sad.grad(fn), x)[1](w)[0], want)  # reverse over reverse
    close(s2sad.hvp(fn, (x,), (w,)), want)  # forward over reverse
    close(s2sad.jacrev(s2sad.grad(fn))(x), hess)


def carried_loop(x):
    s = 0.5
    for v in x:
        s = np.sin(s * v + v)
    return s


def test_reverse_over_reverse_through_a_loop_that_carries_its_state():
    g = s2sad.grad(carried_loop)
    close(g(X), fd_jacobian(carried_loop, X))
    hess = fd_jacobian(g, X)
    close(s2sad.vjp(g, X)[1](V)[0], hess.T @ V)
    close(s2sad.jacrev(g)(X), hess)


# A function returning a tuple (np.modf, np.divmod, math.modf) indexed twice: its
# adjoint is a tuple, whose two parts add entry by entry (``+`` concatenated them,
# and the gradient came out zero)
W3 = np.array([0.3, -0.5, 0.7])


def modf_twice(x):
    r = np.modf(x)
    return np.sum(W3 * np.sin(r[0])) + np.sum(r[1] * np.sin(r[0]))


def test_a_tuple_result_indexed_twice_in_both_reverse_orders():
    x = np.array([1.3, -2.7, 3.2])

    def grad_by_hand(x):
        frac, whole = np.modf(x)
        return (W3 + whole) * np.cos(frac)

    close(s2sad.grad(modf_twice)(x), grad_by_hand(x))
    hess = fd_jacobian(grad_by_hand, x)
    close(s2sad.vjp(s2sad.grad(modf_twice), x)[1](V)[0], hess.T @ V)

    def math_modf(y):
        a, b = math.modf(y)
        r = math.modf(y * y)
        return np.sin(a) * b + r[0] * r[1] + np.sin(r[0])

    def math_grad(y):
        a, b = math.modf(y)
        f2, w2 = math.modf(y * y)
        return np.cos(a) * b + 2 * y * (w2 + np.cos(f2))

    y = 1.7
    close(s2sad.grad(math_modf)(y), math_grad(y))
    close(s2sad.vjp(s2sad.grad(math_modf), y)[1](1.0)[0], fd_jacobian(math_grad, y))


def nested_tuples(x):
    t = ((x, 2.0 * x), x)
    a, b = t
    c, d = a
    e = t[0]
    return c * d + e[0] * b + np.sin(e[1])


def test_adjoints_of_nested_tuples_add_entry_by_entry():
    def grad_by_hand(x):
        return 4 * x + 2 * x + 2 * np.cos(2 * x)

    close(s2sad.grad(nested_tuples)(0.3), grad_by_hand(0.3))
    close(s2sad.vjp(s2sad.grad(nested_tuples), 0.3)[1](1.0)[0], fd_jacobian(grad_by_hand, 0.3))


# A loop that rebinds the sequence it iterates over: the sequence's adjoint has
# two parts, the items' (index by index) and the carried value's from before the
# loop (the second once replaced the first: first derivatives came out wrong)
def rebinds_array(x):
    for v in x:
        x = x * np.sin(v)
    return np.sum(x)


def rebinds_alias(x):
    y = x
    for v in y:
        y = y + np.sin(v) * x
    return np.sum(y * y)


def rebinds_enumerate(x):
    for i, v in enumerate(x):
        x = x + v * np.cos(x[i])
    return np.sum(np.sin(x))


def rebinds_after_use(x):
    s = 0.0
    for v in x:
        s = s + np.sin(v)
        x = x * 2.0
    return s + np.sum(x)


def rebinds_array_by_hand(x):
    p = np.prod(np.sin(x))  # sum(x * p): p plus sum(x) * d p
    return p + np.sum(x) * p * np.cos(x) / np.sin(x)


@pytest.mark.parametrize("fn", [rebinds_array, rebinds_alias, rebinds_enumerate,
                                rebinds_after_use])
def test_a_loop_that_rebinds_its_sequence(fn):
    g = s2sad.grad(fn)
    close(g(X), fd_jacobian(fn, X))
    hess = fd_jacobian(g, X)
    close(s2sad.vjp(g, X)[1](V)[0], hess.T @ V)
    close(s2sad.hvp(fn, (X,), (V,)), hess @ V)


def test_a_loop_that_rebinds_its_sequence_by_hand():
    x = np.array([0.3, 0.5, 0.8])
    close(s2sad.grad(rebinds_array)(x), rebinds_array_by_hand(x))
    close(s2sad.hessian(rebinds_array)(x), fd_jacobian(rebinds_array_by_hand, x))
