"""``w * 1.0`` makes a new array: written through a container afterwards
(``ws[0] += ...``, ``t[0][0] = ...``), the derivative code must write into
that new array, never into the caller's ``w``.  The clean-up passes fold
``w * 1.0`` to ``w`` only where no such write can reach it."""
import numpy as np
import pytest

import s2sad


def entry_iadd(w):
    ws = [w * 1.0]
    ws[0] += 1.0
    return np.sum(ws[0] * ws[0])


def dict_entry_iadd(w):
    t = ({"a": w + 0.0},)[0]
    t["a"] += 1.0
    t["a"] *= t["a"]
    return np.sum(t["a"])


def tuple_entry_write(w):
    t = (w / 1.0, 2.0)
    t[0][0] = t[0][1] ** 2
    return np.sum(t[0] * w)


def read_entry_then_write(w):
    ws = (1.0 * w,)
    a = ws[0]
    a[1] = 3.0 * a[0]
    return np.sum(ws[0] ** 2)


CASES = [entry_iadd, dict_entry_iadd, tuple_entry_write, read_entry_then_write]


def _differences(f, w, h=1e-6):
    g = np.zeros_like(w)
    for i in range(w.size):
        e = np.zeros_like(w)
        e[i] = h
        g[i] = (f(w + e) - f(w - e)) / (2 * h)
    return g


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("transform", [s2sad.grad, s2sad.jacfwd], ids=["grad", "jacfwd"])
def test_input_untouched_and_derivative_exact(f, transform):
    w = np.array([0.5, 1.0, -0.25])
    before = w.copy()
    got = transform(f)(w)
    got_again = transform(f)(w)
    assert np.array_equal(w, before), "the derivative wrote into the caller's array"
    expected = _differences(f, before)
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-8)
    assert np.allclose(got_again, got)
