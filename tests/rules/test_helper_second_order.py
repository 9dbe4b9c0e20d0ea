"""The rules of the runtime helpers that first-order derivative code of
np.linalg.matrix_power, np.linalg.multi_dot, np.linalg.lstsq, builtin sum, starred
unpacking and dict literals calls (s2sad/rules/helpers.py): each helper called
directly, its forward and reverse rules checked against finite differences; and
the constructs themselves at second order, in both second-order modes (the sweep
of tests/rules/test_combo.py runs a few configurations of each)."""
import numpy as np
import pytest

import s2sad
from s2sad import runtime

from .checks import close

H = 1e-5


def _function(body, params):
    name = "helper_" + params.replace(", ", "_")
    lines = body.split("\n")
    if not lines[-1].startswith("return "):
        lines[-1] = "return " + lines[-1]
    source = f"def {name}({params}):\n" + "".join(f"    {ln}\n" for ln in lines)
    return s2sad.from_source(source, globals={"np": np, "rt": runtime})


def _matrix(rng, *shape, shift=0.0):
    x = rng.uniform(-1, 1, shape)
    if shift:
        x = x + shift * np.eye(shape[-1])
    return x


def _args(makers, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(m(rng) for m in makers)


def check_all_modes(f, args, argnums):
    """fwd, rev, the dot-product test and forward over reverse (check_grads), and
    reverse over reverse: vjp of the gradient along v against a central
    difference of the gradient."""
    s2sad.check_grads(f, args, modes=("fwd", "rev"), order=2, argnums=argnums)
    rng = np.random.default_rng(7)
    v = [rng.normal(size=np.shape(args[i])) for i in argnums]
    grad = s2sad.grad(f, argnums)

    def moved(t):
        out = list(args)
        for i, vi in zip(argnums, v):
            out[i] = args[i] + t * vi
        return out

    gp, gm = grad(*moved(H)), grad(*moved(-H))
    _, vjp_fn = s2sad.vjp(grad, *args)
    hv = vjp_fn(tuple(v))
    for k, i in enumerate(argnums):
        assert close(hv[i], (np.asarray(gp[k]) - np.asarray(gm[k])) / (2 * H),
                     rtol=1e-5, atol=1e-6), (k, hv[i])


M33 = lambda r: _matrix(r, 3, 3, shift=2.0)  # noqa: E731
R33 = lambda r: _matrix(r, 3, 3)  # noqa: E731

HELPERS = [
    # (id, body, parameters, makers, argnums)
    ("matrix_power_tangent", "np.sum(np.sin(rt.matrix_power_tangent(a, t, 3)))", "a, t",
     [M33, R33], (0, 1)),
    ("matrix_power_tangent n<0", "np.sum(np.sin(rt.matrix_power_tangent(a, t, -2)))", "a, t",
     [M33, R33], (0, 1)),
    ("matrix_power_tangent batch", "np.sum(np.sin(rt.matrix_power_tangent(a, t, 2)))", "a, t",
     [lambda r: _matrix(r, 2, 3, 3, shift=2.0), lambda r: _matrix(r, 2, 3, 3)], (0, 1)),
    ("matrix_power_adjoint", "np.sum(np.sin(rt.matrix_power_adjoint(g, a, 3)))", "g, a",
     [R33, M33], (0, 1)),
    ("matrix_power_adjoint n<0", "np.sum(np.sin(rt.matrix_power_adjoint(g, a, -1)))", "g, a",
     [R33, M33], (0, 1)),
    # (third order of matrix_power: the matrix is a constant, its derivative an error)
    ("matrix_power_second",
     "np.sum(np.sin(rt.matrix_power_second(2.0 * np.eye(3) + 0.1 * np.ones((3, 3)), u, v, 3)))",
     "u, v", [R33, R33], (0, 1)),
    ("matrix_power_second n<0",
     "np.sum(np.sin(rt.matrix_power_second(2.0 * np.eye(3) + 0.1 * np.ones((3, 3)), u, v, -2)))",
     "u, v", [R33, R33], (0, 1)),
    ("multi_dot_tangent",
     "np.sum(np.sin(rt.multi_dot_tangent([a, b, c], [t, s, r])))", "a, b, c, t, s, r",
     [lambda r: _matrix(r, 2, 3), lambda r: _matrix(r, 3, 4), lambda r: _matrix(r, 4, 2),
      lambda r: _matrix(r, 2, 3), lambda r: _matrix(r, 3, 4), lambda r: _matrix(r, 4, 2)],
     (0, 1, 2, 3, 4, 5)),
    ("multi_dot_adjoint",
     "p, q, s = rt.multi_dot_adjoint(g, [a, b, c])\n"
     "np.sum(np.sin(p)) + np.sum(np.cos(q) * b) + np.sum(s ** 3)", "g, a, b, c",
     [lambda r: _matrix(r, 3), lambda r: _matrix(r, 4), lambda r: _matrix(r, 4, 2),
      lambda r: _matrix(r, 2, 3)], (0, 1, 2, 3)),
    ("residual_adjoint", "np.sum(np.sin(rt.residual_adjoint(res, r)))", "res, r",
     [lambda r: _matrix(r, 2), lambda r: _matrix(r, 5, 2)], (0, 1)),
    ("residual_adjoint vector", "np.sum(np.sin(rt.residual_adjoint(res, r)))", "res, r",
     [lambda r: _matrix(r, 1), lambda r: _matrix(r, 5)], (0, 1)),
    ("residuals_like", "np.sum(np.sin(rt.residuals_like(t, res)) * res)", "t, res",
     [lambda r: _matrix(r, 2), lambda r: _matrix(r, 2)], (0,)),
    ("residuals_like empty", "np.sum(np.sin(rt.residuals_like(t, np.zeros(0)))) + np.sum(t ** 3)",
     "t", [lambda r: _matrix(r, 2)], (0,)),
    ("outer_columns", "np.sum(np.sin(rt.outer_columns(p, q)))", "p, q",
     [lambda r: _matrix(r, 5, 2), lambda r: _matrix(r, 3, 2)], (0, 1)),
    ("outer_columns vectors", "np.sum(np.sin(rt.outer_columns(p, q)))", "p, q",
     [lambda r: _matrix(r, 5), lambda r: _matrix(r, 3)], (0, 1)),
    ("starred_adjoint",
     "p = rt.starred_adjoint((a,), [b, c], (d,))\n"
     "np.sum(np.sin(p[0] * p[1])) + np.sum(p[2] * p[3] ** 2)", "a, b, c, d",
     [lambda r: _matrix(r, 3), lambda r: _matrix(r, 3), lambda r: _matrix(r, 2),
      lambda r: _matrix(r, 2)], (0, 1, 2, 3)),
    ("dict_entry",
     "d = {'a': a, 'b': b * a}\nnp.sum(np.sin(rt.dict_entry(d, 'a') * rt.dict_entry(d, 'b')))",
     "a, b", [lambda r: _matrix(r, 3), lambda r: _matrix(r, 3)], (0, 1)),
    ("repeat_like",
     "p, q, s = rt.repeat_like(g, [a, b, c])\nnp.sum(np.sin(p) * a) + np.sum(q ** 3) + s ** 2",
     "g, a, b, c", [lambda r: _matrix(r, 2, 3), lambda r: _matrix(r, 3),
                    lambda r: _matrix(r, 2, 1), lambda r: float(r.uniform(-1, 1))], (0, 1, 2, 3)),
]


@pytest.mark.parametrize("body, params, makers, argnums",
                         [pytest.param(*h[1:], id=h[0]) for h in HELPERS])
def test_helper_rules(body, params, makers, argnums):
    """The helper's own rules (what second derivatives of the constructs run),
    forward and reverse, against finite differences and each other.  (Second
    order here would be third order of the construct.)"""
    f = _function(body, params)
    s2sad.check_grads(f, _args(makers), modes=("fwd", "rev"), argnums=argnums)


def test_repeat_like_sums_back_to_each_shape():
    g = np.arange(6.0).reshape(2, 3)
    parts = runtime.repeat_like(g, [np.zeros(3), 0.5, np.zeros((2, 1)), g])
    assert close(parts[0], g.sum(axis=0)) and close(parts[1], g.sum())
    assert close(parts[2], g.sum(axis=1, keepdims=True)) and close(parts[3], g)


# ---------------------------------------------------------------------------
# The constructs
# ---------------------------------------------------------------------------
U = lambda *shape: (lambda r: _matrix(r, *shape) if shape else float(r.uniform(-1, 1)))  # noqa

CONSTRUCTS = [
    # builtin sum of arrays of different shapes: each adjoint summed back to its shape
    ("sum of shapes", "np.sum(np.sin(sum([x, y, x * y])))", "x, y", [U(2, 3), U()]),
    ("sum of shapes 2", "np.sum(np.sin(sum([x, y, x * y])))", "x, y", [U(3), U(2, 3)]),
    ("sum with start", "np.sum(np.sin(sum([x, x * y], y)))", "x, y", [U(2, 3), U(1, 3)]),
    ("sum start array", "np.sum(np.sin(sum([x, y * x], y)))", "x, y", [U(), U(2, 2)]),
    ("sum of rows", "np.sum(np.sin(sum(x, y) * x[0]))", "x, y", [U(3, 2), U()]),
    ("starred", "a, *b = x\na * np.sum(np.sin(b))", "x", [U(4)]),
    ("starred middle", "a, *b, c = x\nnp.sum(np.sin(a * c + b[0] * b[1]))", "x", [U(4, 2)]),
    ("starred tuple", "a, *b = (x, y, x * y)\nnp.sum(np.sin(a * b[0] + b[1]))", "x, y",
     [U(3), U(3)]),
    ("dict literal", "d = {'a': x, 'b': y}\nd['a'] = d['a'] * y\nnp.sin(d['a'] + d['b'])",
     "x, y", [U(), U()]),
    ("dict(a=x)", "d = dict(a=x, b=x * y)\nnp.sum(np.sin(d['a'] * d['b']))", "x, y",
     [U(3), U(3)]),
    ("d.copy()", "d = {'a': x}\ne = d.copy()\ne['a'] = x * y\nnp.sum(np.sin(d['a'] * e['a']))",
     "x, y", [U(3), U()]),
    ("sorted(d)", "d = {'b': x, 'a': y * x}\ns = 0.0\nfor k in sorted(d):\n"
     "    s = s + np.sum(np.sin(d[k]) * d[k])\ns", "x, y", [U(3), U()]),
    ("sorted(d) keys",
     "d = dict(a=x, b=x * y)\nks = sorted(d)\nnp.sum(np.sin(d[ks[0]] * d[ks[1]]))", "x, y",
     [U(3), U()]),
]


@pytest.mark.parametrize("body, params, makers",
                         [pytest.param(*c[1:], id=c[0]) for c in CONSTRUCTS])
def test_construct_at_second_order(body, params, makers):
    f = _function(body, params)
    args = _args(makers, seed=3)
    check_all_modes(f, args, tuple(range(len(args))))


def test_sum_of_a_float_and_arrays_gives_the_float_a_float_adjoint():
    """The repro of the bug: y's adjoint was (2, 3), summing to the wrong number."""
    f = _function("np.sum(np.sin(sum([x, y, x * y])))", "x, y")
    x, y = np.linspace(-1.0, 1.0, 6).reshape(2, 3), 0.4
    gx, gy = s2sad.grad(f, (0, 1))(x, y)
    assert np.shape(gy) == () and np.shape(gx) == (2, 3)
    fd = (f(x, y + 1e-6) - f(x, y - 1e-6)) / 2e-6
    assert abs(gy - fd) < 1e-6 * max(1.0, abs(fd))
