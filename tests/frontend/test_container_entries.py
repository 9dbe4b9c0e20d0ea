"""Replacing a list or dict entry (``c[k] = w``) puts another object there: a
value read from it before keeps the old one.  ``c[k] *= w`` with an array there
changes that array in place, which every name of it sees.  Checked against
Python's own result and central differences, both modes."""
import numpy as np
import pytest

import s2sad


def dict_replaced(x):
    d = {"a": x, "b": 2.0 * x}
    v = d["b"]
    d["b"] = v * 3
    return v * d["b"]


def dict_replaced_then_other_key(x):
    d = {"a": x, "b": 2.0 * x}
    v = d["b"]
    d["b"] = v * 3
    d["a"] = x * x
    return v * d["b"] + d["a"]


def list_replaced(x):
    xs = [x, 2.0 * x]
    v = xs[1]
    xs[1] = v * 3
    return v * xs[1]


def list_array_scaled_in_place(x):
    xs = [x, 2.0 * x]
    v = xs[1]
    xs[1] *= 3
    return v * xs[1]


def list_array_added_in_place(x):
    xs = [x, 2.0 * x]
    v = xs[1]
    xs[1] += 3
    return v * xs[1]


def replaced_in_one_branch(x, c):
    d = {"a": x, "b": 2.0 * x}
    v = d["b"]
    if c > 0:
        d["b"] = v * 3
    return v * d["b"]


FUNCTIONS = [dict_replaced, dict_replaced_then_other_key, list_replaced,
             list_array_scaled_in_place, list_array_added_in_place]


def _sum(f):
    return lambda x: float(np.sum(f(x)))


@pytest.mark.parametrize("x", [1.5, np.array([1.5, -0.5])], ids=["float", "array"])
@pytest.mark.parametrize("f", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_entries_follow_python(f, x):
    want = f(np.copy(x) if isinstance(x, np.ndarray) else x)
    v = np.ones_like(x) if isinstance(x, np.ndarray) else 1.0
    out, t = s2sad.jvp(f, (x,), (v,))
    np.testing.assert_allclose(out, want)
    h = 1e-6
    fd = (f(x + h * v) - f(x - h * v)) / (2 * h)
    np.testing.assert_allclose(t, fd, rtol=1e-6, atol=1e-8)
    w = np.full(np.shape(want), 0.7) if np.ndim(want) else 0.7
    _, vjp_fn = s2sad.vjp(f, x)
    (g,) = vjp_fn(w)
    assert np.sum(g * v) == pytest.approx(np.sum(w * t))  # <J v, w> = <v, J^T w>


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_entry_replaced_on_one_path(c):
    out, t = s2sad.jvp(replaced_in_one_branch, (1.5, c), (1.0, 0.0))
    assert out == pytest.approx(replaced_in_one_branch(1.5, c))
    h = 1e-6
    fd = (replaced_in_one_branch(1.5 + h, c) - replaced_in_one_branch(1.5 - h, c)) / (2 * h)
    assert t == pytest.approx(fd, rel=1e-6)


def dict_entry_scaled(x):
    d = {"a": x, "b": 2.0 * x}
    v = d["b"]
    d["b"] *= 3
    return v * d["b"]


def test_augmented_write_of_an_entry_of_unknown_kind_is_refused():
    # an array there is changed in place (v sees it), a number is replaced (v does not)
    with pytest.raises(s2sad.NonDifferentiableError) as err:
        s2sad.grad(dict_entry_scaled)(1.5)
    text = str(err.value)
    assert "'v' was read from 'd'" in text and "d['b'] *=" not in text
    assert "test_container_entries.py" in text and "instead" in text
