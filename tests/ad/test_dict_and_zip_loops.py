"""Loops over a dict (``.items()``, ``.values()``, ``.keys()``, the dict itself,
``enumerate``) and over ``zip`` of several sequences (``zip(*lists)`` included),
in both modes.

Derivatives with respect to a dict are dicts.  Each is checked against central
finite differences in float64, entry by entry; forward mode gets its tangent
dict with the keys in another order than the primal's, which must not matter.
"""
import sys

import numpy as np
import pytest

import s2sad


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def dict_fd(f, d):
    """The gradient of f at the dict d of floats or arrays, by central differences."""
    out = {}
    for k, v in d.items():
        if isinstance(v, np.ndarray):
            g = np.zeros_like(v)
            for i in np.ndindex(v.shape):
                def at(t, i=i):
                    w = v.copy()
                    w[i] = t
                    return f({**d, k: w})
                g[i] = central(at, v[i])
            out[k] = g
        else:
            out[k] = central(lambda t: f({**d, k: t}), v)
    return out


def items_loop(d):
    s = 0.0
    for k, v in d.items():
        s = s + np.sum(v * v) * len(k)
    return s


def values_loop(d):
    s = 0.0
    for v in d.values():
        s = s + np.sum(np.sin(v))
    return s


def keys_loop(d):
    s = 0.0
    for k in d.keys():
        s = s + np.sum(d[k] ** 3)
    return s


def dict_loop(d):
    s = 1.0
    for k in d:
        s = s * np.sum(d[k])
    return s


def enumerate_dict(d):
    s = 0.0
    for i, k in enumerate(d):
        s = s + (i + 1) * np.sum(d[k] ** 2)
    return s


def items_pair(d):
    s = 0.0
    for pair in d.items():
        s = s + np.sum(pair[1]) * np.sum(pair[1])
    return s


def items_written(d):
    d = {k: v for k, v in d.items()}
    for k, v in d.items():
        d[k] = v * 2.0
        s = 0.0
        for w in d.values():
            s = s + np.sum(w)
        d[k] = d[k] + s
    return np.sum(d["b"] * d["a"])


def literal_dict(x, y):
    d = {"x": x, "y": y * x}
    s = 0.0
    for name, v in d.items():
        s = s + np.exp(v) * (2.0 if name == "x" else 1.0)
    return s


D = {"a": np.array([0.3, -1.2]), "bb": 0.7, "ccc": np.array([1.5, 2.0, -0.4])}


@pytest.mark.parametrize("f", [items_loop, values_loop, keys_loop, dict_loop, enumerate_dict,
                               items_pair], ids=lambda f: f.__name__)
def test_dict_loops_reverse(f):
    g = s2sad.grad(f)(D)
    assert isinstance(g, dict) and list(g) == list(D)
    fd = dict_fd(f, D)
    for k in D:
        np.testing.assert_allclose(g[k], fd[k], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [items_loop, values_loop, keys_loop, dict_loop, enumerate_dict,
                               items_pair], ids=lambda f: f.__name__)
def test_dict_loops_forward(f):
    rng = np.random.default_rng(0)
    t = {k: rng.standard_normal(np.shape(v)) if isinstance(v, np.ndarray) else 0.9
         for k, v in D.items()}
    shuffled = {k: t[k] for k in reversed(list(t))}  # the keys in another order
    out, out_dot = s2sad.jvp(f, (D,), (shuffled,))
    assert np.isclose(out, f(D))
    fd = dict_fd(f, D)
    expected = sum(np.sum(fd[k] * t[k]) for k in D)
    assert np.isclose(out_dot, expected, rtol=1e-6, atol=1e-8)


def test_a_loop_that_writes_the_dict_reads_the_version_it_carries():
    d = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, -0.5])}
    g = s2sad.grad(items_written)(d)
    fd = dict_fd(items_written, d)
    for k in d:
        np.testing.assert_allclose(g[k], fd[k], rtol=1e-6, atol=1e-8)
    t = {"b": np.array([0.3, 0.1]), "a": np.array([-1.0, 2.0])}
    _, out_dot = s2sad.jvp(items_written, (d,), (t,))
    assert np.isclose(out_dot, sum(np.sum(fd[k] * t[k]) for k in d))


def test_a_dict_literal_in_both_modes():
    s2sad.check_grads(literal_dict, (0.3, 1.7), modes=("fwd", "rev"))


def test_the_loop_reads_the_entry_by_its_key():
    src = s2sad.derivative_source(items_loop, "forward", args=(D,))
    assert "for k in d:" in src and "v = d[k]" in src and "v_dot = d_dot[k]" in src, src
    code = [t for t in src.splitlines() if not t.strip().startswith("#")]
    assert not any(".items()" in t for t in code), src
    rev = s2sad.derivative_source(values_loop, "reverse", args=(D,))
    code = [t for t in rev.splitlines() if not t.strip().startswith("#")]
    assert not any(".values()" in t for t in code), rev


def test_items_of_something_that_is_not_known_to_be_a_dict_is_an_error():
    class Table:
        def __init__(self, d):
            self.d = d

        def items(self):
            return self.d.items()

    def f(t):
        s = 0.0
        for k, v in t.items():
            s = s + v
        return s

    with pytest.raises(s2sad.NonDifferentiableError) as info:
        s2sad.derivative_source(f, "forward", args=(Table({"a": 1.0}),))
    assert ".items()" in str(info.value) and info.value.lineno is not None


# -- zip ----------------------------------------------------------------------
def zip_star(lists):
    s = 0.0
    for a, b in zip(*lists):
        s = s + a * b * b
    return s


def zip_star_literal(x, y):
    s = 0.0
    for a, b in zip(*[x, y]):
        s = s + np.sin(a) * b
    return s


def zip_star_tuple(x, y, z):
    s = 0.0
    for a, b, c in zip(*(x, y, z)):
        s = s + a * b - c * a
    return s


def zip_three(x, y, z):
    s = 0.0
    for a, b, c in zip(x, y, z):
        s = s + a * b * c
    return s


C = np.array([1.0, 10.0, 100.0])


def zip_with_constants(x):
    s = 0.0
    for a, c, i in zip(x, C, range(3)):
        s = s + a * c * i + a * a
    return s


X = np.array([0.3, -1.1, 2.0])
Y = np.array([1.2, 0.4, -0.7])
Z = np.array([-0.5, 0.8, 1.9])


@pytest.mark.parametrize("f, args", [
    (zip_star_literal, (X, Y)),
    (zip_star_tuple, (X, Y, Z)),
    (zip_three, (X, Y, Z)),
    (zip_with_constants, (X,)),
], ids=lambda v: getattr(v, "__name__", None))
def test_zip_loops(f, args):
    s2sad.check_grads(f, args, modes=("fwd", "rev"))


def test_zip_of_a_list_of_arrays():
    lists = [np.array([1.0, 2.0, -0.5]), np.array([3.0, 4.0, 0.25])]
    g = s2sad.grad(zip_star)(lists)
    a, b = lists
    np.testing.assert_allclose(g[0], b * b)
    np.testing.assert_allclose(g[1], 2 * a * b)
    t = [np.array([0.1, -0.2, 0.3]), np.array([1.0, 0.5, -2.0])]
    h = 1e-6
    fd = (zip_star([a + h * t[0], b + h * t[1]]) - zip_star([a - h * t[0], b - h * t[1]])) / (2 * h)
    _, out_dot = s2sad.jvp(zip_star, (lists,), (t,))
    assert np.isclose(out_dot, fd, rtol=1e-6)
    # the dot-product test: <J t, 1> = <t, J^T 1>
    assert np.isclose(out_dot, np.sum(g[0] * t[0]) + np.sum(g[1] * t[1]))


def test_zip_star_literal_is_plain_zip():
    src = s2sad.derivative_source(zip_star_literal, "forward", args=(X, Y))
    assert "zip(x, y)" in src and "zip(x_dot, y_dot)" in src, src


def zip_of_floats(x, y):
    return zip_star([x, y]) + zip_star_literal(x, y)


@pytest.mark.parametrize("f, args", [
    (zip_of_floats, (X, Y)),
    (zip_three, (X, Y, Z)),
], ids=lambda v: getattr(v, "__name__", None))
def test_zip_second_order(f, args):
    s2sad.check_grads(f, args, modes=("fwd", "rev"), order=2)


@pytest.mark.parametrize("f", [items_loop, values_loop, keys_loop, dict_loop, enumerate_dict,
                               items_pair], ids=lambda f: f.__name__)
def test_dict_loops_second_order(f):
    """The Hessian of f along a tangent dict t, forward over reverse and reverse
    over reverse, against central differences of the gradient along t."""
    rng = np.random.default_rng(1)
    t = {k: rng.standard_normal(np.shape(v)) if isinstance(v, np.ndarray) else -0.6
         for k, v in D.items()}
    h = 1e-5
    plus = s2sad.grad(f)({k: D[k] + h * t[k] for k in D})
    minus = s2sad.grad(f)({k: D[k] - h * t[k] for k in D})
    fd = {k: (plus[k] - minus[k]) / (2 * h) for k in D}
    _, fwd = s2sad.jvp(s2sad.grad(f), (D,), (t,))
    (rev,) = s2sad.vjp(s2sad.grad(f), D)[1](t)  # the Hessian is symmetric
    for k in D:
        np.testing.assert_allclose(fwd[k], fd[k], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(rev[k], fd[k], rtol=1e-5, atol=1e-7)


# -- views read other than by a loop -------------------------------------------
def sum_of_values(d):
    return sum(d.values()) * d["p"]


def enumerate_items(d):
    s = 0.0
    for i, (k, v) in enumerate(d.items()):
        s = s + (i + 1.0) * np.sum(v * v)
    return s


def zip_keys_values(d):
    s = 0.0
    for k, v in zip(d.keys(), d.values()):
        s = s + np.sum(np.cos(v)) * len(k)
    return s


def list_of_values(d):
    return np.sum(np.concatenate([np.atleast_1d(v) for v in list(d.values())]) ** 3)


F = {"p": 0.7, "q": -1.3, "r": 2.1}


@pytest.mark.parametrize("f, d", [(sum_of_values, F), (enumerate_items, D),
                                  (zip_keys_values, D), (list_of_values, D)],
                         ids=lambda v: getattr(v, "__name__", None))
def test_views_read_other_than_by_a_loop(f, d):
    g = s2sad.grad(f)(d)
    fd = dict_fd(f, d)
    for k in d:
        np.testing.assert_allclose(g[k], fd[k], rtol=1e-6, atol=1e-8)
    t = {k: np.full(np.shape(v), 0.5) if isinstance(v, np.ndarray) else -0.25
         for k, v in reversed(list(d.items()))}
    _, out_dot = s2sad.jvp(f, (d,), (t,))
    assert np.isclose(out_dot, sum(np.sum(fd[k] * t[k]) for k in d), rtol=1e-6, atol=1e-8)


def view_then_write(d):
    vals = d.values()
    d["p"] = d["p"] * 2.0
    return sum(vals)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_a_view_of_a_dict_written_later_is_an_error(mode):
    # the view would see the write: s2sad does not read it as a list
    with pytest.raises(s2sad.NonDifferentiableError) as info:
        s2sad.derivative_source(view_then_write, mode, args=(dict(F),))
    text = str(info.value)
    assert ".values()" in text and "for k in d" in text, text
    assert info.value.lineno == view_then_write.__code__.co_firstlineno + 1


def writes_argument(d):
    d["b"] = d["b"] * d["a"]
    return d["b"] + d["a"]


def items_see_writes(d):
    # the view reads each entry when the iteration reaches it: "b" after the write
    s = 0.0
    for k, v in d.items():
        d["b"] = d["b"] + v
        s = s + v * v
    return s


@pytest.mark.parametrize("f", [writes_argument, items_see_writes], ids=lambda f: f.__name__)
def test_functions_that_write_into_a_dict_argument(f):
    d = {"a": 1.25, "b": -0.5}
    fd = dict_fd(lambda e: f(dict(e)), d)
    g = s2sad.grad(f)(dict(d))
    for k in d:
        assert np.isclose(g[k], fd[k], rtol=1e-6, atol=1e-8), (g, fd)
    out, out_dot = s2sad.jvp(f, (dict(d),), ({"b": 0.75, "a": -2.0},))
    assert np.isclose(out, f(dict(d)))
    assert np.isclose(out_dot, 0.75 * fd["b"] - 2.0 * fd["a"], rtol=1e-6)
    keep = dict(d)
    s2sad.grad(f)(keep)
    assert keep == d  # the caller's dict is left alone


def zip_strict(x, y):
    s = 0.0
    for a, b in zip(x, y, strict=True):
        s = s + np.sin(a) * b * b
    return s


@pytest.mark.skipif(sys.version_info < (3, 10), reason="zip(strict=) needs Python 3.10")
def test_zip_strict():
    s2sad.check_grads(zip_strict, (X, Y), modes=("fwd", "rev"))
    with pytest.raises(ValueError):
        s2sad.grad(zip_strict)(X, Y[:2])
