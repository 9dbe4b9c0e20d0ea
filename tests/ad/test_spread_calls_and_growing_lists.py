"""Calls of the user's functions with ``*args`` / ``**kwargs`` spread from a
literal, the clear errors for the calls s2sad cannot bind, and the reverse of
``list.extend`` / ``list.insert`` (and that a VJP leaves the caller's
cotangent lists as they were)."""
import numpy as np
import pytest

import s2sad
from s2sad.errors import NonDifferentiableError


def h(a, b, c):
    return a * b - c * a


def spread_tuple(x):
    args = (x, 2.0, x * x)
    return h(*args)


def spread_tuple_and_positional(x):
    rest = (x * 3.0,)
    return h(x, *rest, 1.5)


def spread_dict(x):
    opts = {"b": x, "c": 1.0}
    return h(x, **opts)


def spread_dict_literal(x):
    return h(x, **{"c": np.sin(x), "b": 2.0})


def spread_list_literal(x):
    return h(*[x, x + 1.0, 0.5])


def h_default(a, b, c=1.0):
    return a * b - c * a


def spread_argument(xs):
    return h_default(*xs)  # how many of xs h_default takes is not known


def keyword_only(t, *, scale=2.0):
    return t * scale


def calls_keyword_only(x):
    return keyword_only(x, scale=x)


def varargs(*ts):
    return sum(t * t for t in ts)


def calls_varargs(x):
    return varargs(x, 2 * x)


def extend_list(xs):
    ys = [xs[0] * 2.0]
    ys.extend(xs)
    ys.extend((xs[1] * xs[2],))
    return ys[0] * ys[2] + ys[-1] ** 2


def extend_with_array(v):
    ys = [v[0] * v[1]]
    ys.extend(np.sin(v))
    return ys[0] * ys[1] + ys[3]


def insert_into_list(xs):
    ys = [xs[0], xs[1]]
    ys.insert(1, xs[2] * 3.0)
    ys.insert(-1, xs[0] * xs[1])
    ys.insert(-10, xs[1] ** 2)
    ys.insert(10, xs[2] - xs[0])
    return ys[0] * ys[1] + ys[2] * 2.0 + ys[3] ** 2 + ys[4] * ys[5]


def grows_in_a_loop(xs, n):
    ys = []
    for i in range(n):
        ys.insert(0, xs[i % 3] * (i + 1.0))
        ys.extend([xs[(i + 1) % 3] ** 2])
    s = 0.0
    for k in range(len(ys)):
        s = s + ys[k] * (k + 1.0)
    return s


def returns_grown(xs):
    ys = list(xs)
    ys.append(xs[0] * 2.0)
    ys.insert(0, xs[1] * 3.0)
    ys.extend([xs[0] * xs[1]])
    return ys


def differences(f, x, h=1e-6):
    """Central differences of the scalar ``f`` at a float, a list or an array."""
    if isinstance(x, float):
        return (f(x + h) - f(x - h)) / (2 * h)
    as_list = not isinstance(x, np.ndarray)
    base = np.asarray(x, dtype=float)
    out = np.zeros_like(base)
    for j in range(base.size):
        up, down = base.copy(), base.copy()
        up[j] += h
        down[j] -= h
        if as_list:
            up, down = [float(u) for u in up], [float(d) for d in down]
        out[j] = (f(up) - f(down)) / (2 * h)
    return out


@pytest.mark.parametrize("f", [spread_tuple, spread_tuple_and_positional, spread_dict,
                               spread_dict_literal, spread_list_literal])
def test_spread_calls_both_modes(f):
    x = 0.7
    expected = differences(f, x)
    assert s2sad.grad(f)(x) == pytest.approx(expected, rel=1e-7)
    value, tangent = s2sad.jvp(f, (x,), (1.0,))
    assert value == pytest.approx(f(x)) and tangent == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("f, message", [
    (spread_argument, "spreads only a tuple, list or dict literal"),
    (calls_keyword_only, "with respect to scale, a keyword-only parameter of keyword_only()"),
    (calls_varargs, "which takes *args"),
])
def test_calls_that_cannot_be_bound_say_why(f, message):
    arg = [1.0, 2.0, 3.0] if f is spread_argument else 0.7
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(f)(arg)
    text = str(info.value)
    assert message in text and "test_spread_calls_and_growing_lists.py" in text


@pytest.mark.parametrize("f, x", [
    (extend_list, [1.0, 2.0, 3.0]),
    (insert_into_list, [1.0, 2.0, 3.0]),
    (extend_with_array, np.array([0.3, -0.4, 1.1])),
])
def test_reverse_of_extend_and_insert(f, x):
    got = s2sad.grad(f)(x)
    assert np.allclose(np.asarray(got, dtype=float), differences(f, x), rtol=1e-6, atol=1e-8)
    assert type(got) is type(x)
    direction = [0.5, -1.0, 2.0]
    x_dir = np.array(direction) if isinstance(x, np.ndarray) else direction
    _, tangent = s2sad.jvp(f, (x,), (x_dir,))
    assert tangent == pytest.approx(float(np.dot(np.asarray(got, dtype=float), direction)))


def test_lists_grown_in_a_loop():
    xs = [0.4, -1.2, 0.9]
    got = s2sad.grad(grows_in_a_loop)(xs, 5)
    assert np.allclose(got, differences(lambda v: grows_in_a_loop(v, 5), xs), rtol=1e-6)


def test_vjp_leaves_the_callers_cotangent_as_it_was():
    xs = [1.0, 2.0]
    out, back = s2sad.vjp(returns_grown, xs)
    cotangent = [1.0, 10.0, 100.0, 1000.0, 10000.0]
    first = back(cotangent)
    assert cotangent == [1.0, 10.0, 100.0, 1000.0, 10000.0]
    assert back(cotangent) == first
    # the dot-product test against the JVP
    _, tangent = s2sad.jvp(returns_grown, (xs,), ([0.3, -0.7],))
    assert np.dot(tangent, cotangent) == pytest.approx(np.dot(first[0], [0.3, -0.7]))


def reads_with_get(p):
    w = p.get("w", 0.0)
    b = p.get("b", 2.0)
    return w * w * b + np.sum(p.get("v", np.zeros(2)) * w)


def gets_in_a_loop(p, keys):
    s = 0.0
    for k in keys:
        s = s + p.get(k, 1.0) * p.get(k) ** 2 if k in p else s + 1.0
    return s


def updates_a_dict(x):
    d = {"a": x}
    d.update({"b": x ** 2})
    return d["a"] * d["b"]


def test_dict_get_both_modes():
    p = {"w": 0.5, "v": np.array([1.0, -2.0])}
    g = s2sad.grad(reads_with_get)(p)
    w, v = p["w"], p["v"]
    assert g["w"] == pytest.approx(2 * w * 2.0 + np.sum(v))
    assert np.allclose(g["v"], [w, w])
    _, tangent = s2sad.jvp(reads_with_get, (p,), ({"w": 1.0, "v": np.array([0.5, 0.25])},))
    assert tangent == pytest.approx(g["w"] * 1.0 + np.dot(g["v"], [0.5, 0.25]))
    q = {"a": 0.3, "b": -0.4}
    g = s2sad.grad(gets_in_a_loop)(q, ["a", "c", "a", "b"])
    assert g["a"] == pytest.approx(2 * 3 * 0.3 ** 2) and g["b"] == pytest.approx(3 * 0.4 ** 2)


def test_a_dict_method_without_rule_says_what_to_write():
    with pytest.raises(NonDifferentiableError, match=r"dict method \.update\(\)") as info:
        s2sad.grad(updates_a_dict)(0.5)
    assert "d[k] = v" in str(info.value)


def sorts_pairs(xs):
    pairs = sorted(zip(xs, range(4)))
    return pairs[0][0] * 3 + pairs[-1][0]


def test_zip_outside_a_loop_is_differentiated():
    # sorted(zip(xs, range(4))): the items of range carry no derivative
    xs = [0.3, 0.1, 0.9, 0.5]
    h = 1e-6
    expected = [(sorts_pairs(xs[:i] + [v + h] + xs[i + 1:]) -
                 sorts_pairs(xs[:i] + [v - h] + xs[i + 1:])) / (2 * h) for i, v in enumerate(xs)]
    assert s2sad.grad(sorts_pairs)(xs) == pytest.approx(expected, abs=1e-8)
    assert s2sad.jacfwd(sorts_pairs)(np.array(xs)) == pytest.approx(expected, abs=1e-8)


def spread_list_argument(xs):
    return h(*xs)  # h takes three, none with a default: xs is unpacked into them


def test_a_spread_list_argument_is_unpacked_into_the_parameters():
    xs = [1.0, 2.0, 3.0]
    expected = differences(spread_list_argument, xs)
    assert np.allclose(s2sad.grad(spread_list_argument)(xs), expected, rtol=1e-7)
    assert np.allclose(s2sad.jacfwd(spread_list_argument)(xs), expected, rtol=1e-7)
