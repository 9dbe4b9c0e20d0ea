"""The adjoint of a list's entry read in a loop is added into that entry, in
O(1): the derivative of a loop over a list of n numbers costs O(n), not O(n²).
Each case is checked against central differences in both modes."""
import math

import numpy as np
import pytest

import s2sad


def _flat(x):
    if isinstance(x, (list, tuple)):
        return np.concatenate([_flat(e) for e in x]) if x else np.zeros(0)
    return np.ravel(np.asarray(x, dtype=float))


def _rebuild(like, flat):
    out, k = [], 0
    for e in like:
        n = np.size(e)
        part = flat[k:k + n]
        out.append(float(part[0]) if np.ndim(e) == 0 else part.reshape(np.shape(e)))
        k += n
    return out


def _fd_grad(f, xs, *rest, h=1e-6):
    flat = _flat(xs)
    g = np.zeros_like(flat)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += h
        down[i] -= h
        g[i] = (f(_rebuild(xs, up), *rest) - f(_rebuild(xs, down), *rest)) / (2 * h)
    return g


def zip_sum(xs, ys):
    s = 0.0
    for a, b in zip(xs, ys):
        s = s + math.sin(a) * b
    return s


def indexed(xs):
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * xs[i] + xs[len(xs) - 1 - i] * 0.5
    return s


def nested(xs):
    s = 0.0
    for j in range(3):
        for i in range(len(xs)):
            s = s + math.cos(xs[i]) * (j + 1)
    return s


def arrays_in_list(xs):
    s = 0.0
    for a in xs:
        s = s + np.sum(np.tanh(a) * a)
    return s


def read_twice(xs):
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * 2.0
    for x in xs:
        s = s + x * x
    return s + xs[0] * xs[1]


CASES = [
    (zip_sum, ([0.1, 0.7, -0.3, 1.2], [1.0, 2.0, 0.5, -1.0]), 0),
    (indexed, ([0.1, 0.7, -0.3, 1.2, 2.0],), 0),
    (nested, ([0.1, 0.7, -0.3],), 0),
    (arrays_in_list, ([np.array([0.1, 0.4]), np.array([[0.3, -0.2], [0.5, 0.9]])],), 0),
    (read_twice, ([0.1, 0.7, -0.3, 1.2],), 0),
]


@pytest.mark.parametrize("f, args, argnum", CASES, ids=[c[0].__name__ for c in CASES])
def test_reverse_matches_differences(f, args, argnum):
    got = s2sad.grad(f, argnum)(*args)
    assert isinstance(got, list) and len(got) == len(args[argnum])
    expected = _fd_grad(lambda xs, *rest: f(xs, *rest), args[0], *args[1:])
    assert np.allclose(_flat(got), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, args, argnum", CASES[:3], ids=[c[0].__name__ for c in CASES[:3]])
def test_forward_agrees(f, args, argnum):
    xs = args[0]
    v = [0.3 * (i + 1) for i in range(len(xs))]
    _, tangent = s2sad.jvp(f, args, (v,) + tuple([0.0] * len(x) for x in args[1:]))
    assert np.isclose(tangent, np.dot(_flat(s2sad.grad(f)(*args)), v))


def test_the_callers_cotangent_list_is_left_alone():
    def f(xs):
        out = [0.0] * len(xs)
        for i in range(len(xs)):
            out[i] = xs[i] * xs[i]
        return out

    xs = [0.5, -1.0, 2.0]
    cot = [1.0, 2.0, 3.0]
    _, back = s2sad.vjp(f, xs)
    (g,) = back(cot)
    assert cot == [1.0, 2.0, 3.0]
    assert np.allclose(g, [2 * x * c for x, c in zip(xs, cot)])


def test_the_adjoint_is_written_entry_by_entry():
    src = s2sad.derivative_source(zip_sum, args=([1.0, 2.0], [3.0, 4.0]))
    assert "xs_bar[k] = add_any(xs_bar[k], a_bar)" in src
    assert "index_adjoint" not in src
