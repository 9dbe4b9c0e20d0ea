"""An entry of a list or dict IS an object (``d["a"] = a``, ``xs = [a] * 3``,
``M = [[0.0] * 2] * 2``): a write through one name of it is seen through every
other.  Where s2sad follows which entry is which, derivatives are exact (both
modes against central differences); where it cannot, compilation is refused
with a message that says why.  A for loop over a list or array that the loop
changes is refused too (Python's loop sees the changes, s2sad's iterates what
the sequence was when the loop began)."""
import math

import numpy as np
import pytest

import s2sad
from tests.ad.corpus import gradient_by_differences

W = np.array([0.5, 1.0])
X = np.array([0.5, 1.2])


def list_entry_added_in_place(w):
    ws = [w.copy()]
    ws[0] += 0.5 * ws[0] ** 2
    return np.sum(ws[0])


def list_entry_added_seen_by_its_name(w):
    a = w.copy()
    ws = [a]
    ws[0] += 0.5 * ws[0] ** 2
    ws[0] -= w
    return np.sum(a * w)


def momentum_with_lists(w0):
    w = [w0.copy()]
    v = [np.zeros(2)]
    for _ in range(3):
        g = 2 * w[0] + np.sin(w[0])
        v[0] *= 0.9
        v[0] += g
        w[0] -= 0.1 * v[0]
    return np.sum(w[0] ** 2)


def stored_in_dict_and_read(x):
    a = x * 2.0
    d = {}
    d["a"] = a
    return np.sum(d["a"] * a)


def nested_list_arrays_constant_index(x):
    grid = [[x, x], [x, x]]
    grid[1][0] = grid[1][0] ** 2
    return np.sum(grid[1][0] * grid[0][1])


class Box:
    def __init__(self, x):
        self.x = x

    def bump(self, v):
        self.x = self.x + v


def object_second_name(x):
    o = Box(x * 1.0)
    o2 = o
    o2.x = o2.x ** 2
    o2.bump(x)
    return np.sum(o.x * o2.x)


def enumerate_writes_the_current_entry(x):
    y = x.copy()
    for i, v in enumerate(y):
        y[i] = v * v + y[i]
    return np.sum(y * x)


def loop_over_a_copy_of_a_growing_list(x):
    ys = [x, 2.0 * x]
    for v in list(ys):
        ys.append(v * v)
    return np.sum(ys[2] + ys[3] * ys[0])


ARRAY_FUNCTIONS = [list_entry_added_in_place, list_entry_added_seen_by_its_name,
                   momentum_with_lists, stored_in_dict_and_read,
                   nested_list_arrays_constant_index, object_second_name,
                   enumerate_writes_the_current_entry, loop_over_a_copy_of_a_growing_list]


@pytest.mark.parametrize("f", ARRAY_FUNCTIONS, ids=lambda f: f.__name__)
def test_array_entries_exact_in_both_modes(f):
    fd = gradient_by_differences(f, [X], 0)
    assert np.allclose(s2sad.grad(f)(X.copy()), fd, rtol=1e-6, atol=1e-8)
    assert np.allclose(s2sad.jacfwd(f)(X.copy()), fd, rtol=1e-6, atol=1e-8)
    value, _ = s2sad.value_and_grad(f)(X.copy())
    assert np.isclose(value, f(X.copy()))


def list_of_lists(x):
    M = [[0.0] * 2 for _ in range(2)]
    for i in range(2):
        M[i][0] = x * (i + 1)
    return M[1][0] * M[0][0]


def dict_of_lists(x):
    d = {"a": [0.0, 0.0], "b": [1.0]}
    d["a"][0] = x ** 2
    d["b"].append(x)
    return d["a"][0] + sum(d["b"]) * x


def list_of_dicts(x):
    ls = [{"w": 0.0}, {"w": 1.0}]
    ls[0]["w"] = x ** 2
    ls[1]["w"] *= x
    return ls[0]["w"] * ls[1]["w"]


def list_of_dicts_loop(x):
    ls = [{"w": 0.0} for _ in range(3)]
    for i in range(3):
        ls[i]["w"] = x * (i + 1)
    return sum(d["w"] ** 2 for d in ls)


def romberg(k):
    f = lambda t: math.exp(-k * t) * math.cos(t)  # noqa: E731
    R = [[0.0] * 4 for _ in range(4)]
    R[0][0] = f(0.0) + f(2.0)
    for i in range(1, 4):
        h = 2.0 / 2 ** i
        R[i][0] = 0.5 * R[i - 1][0] + h * sum(f((2 * m - 1) * h) for m in range(1, 2 ** (i - 1) + 1))
        for j in range(1, i + 1):
            R[i][j] = R[i][j - 1] + (R[i][j - 1] - R[i - 1][j - 1]) / (4 ** j - 1)
    return R[3][3]


def nested_literal_variable_index(x):
    M = [[0.0, 0.0], [0.0, 0.0]]
    i = 1
    M[i][1] = x
    M[0][i] = x * x
    return M[1][1] * 3.0 + M[0][1] * M[1][1]


def gauss_elimination(a):
    A = [[2.0, 1.0, a], [1.0, 3.0, 1.0], [a, 1.0, 4.0]]
    b = [1.0, 2.0, 3.0]
    n = 3
    for k in range(n):
        for i in range(k + 1, n):
            m = A[i][k] / A[k][k]
            for j in range(k, n):
                A[i][j] -= m * A[k][j]
            b[i] -= m * b[k]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - sum(A[i][j] * x[j] for j in range(i + 1, n))) / A[i][i]
    return x[0] + 2 * x[1] + 3 * x[2]


NESTED_FUNCTIONS = [list_of_lists, dict_of_lists, list_of_dicts, list_of_dicts_loop, romberg,
                    nested_literal_variable_index, gauss_elimination]


@pytest.mark.parametrize("f", NESTED_FUNCTIONS, ids=lambda f: f.__name__)
def test_writes_into_nested_containers_exact_in_both_modes(f):
    x = 0.7
    fd = gradient_by_differences(f, [x], 0)
    assert np.isclose(s2sad.grad(f)(x), fd, rtol=1e-6, atol=1e-8)
    assert np.isclose(s2sad.jacfwd(f)(x), fd, rtol=1e-6, atol=1e-8)


def rows_copied_then_written(M):
    M = [row[:] for row in M]
    for i in range(2):
        M[i][i] = M[i][i] ** 2
    return M[0][0] + M[1][1] * M[0][1]


def test_rows_of_a_list_argument_copied_then_written():
    M = [[0.5, 1.2], [-0.3, 2.1]]
    flat = np.array(M).ravel()
    fd = gradient_by_differences(lambda v: rows_copied_then_written(v.reshape(2, 2).tolist()),
                                 [flat], 0)
    for mode in (s2sad.grad, s2sad.jacfwd):
        got = mode(rows_copied_then_written)([row[:] for row in M])
        assert np.allclose(np.array(got).ravel(), fd, rtol=1e-6, atol=1e-8), mode
    kept = [row[:] for row in M]
    s2sad.grad(rows_copied_then_written)(kept)
    assert kept == M


# -- one object at several places: refused where s2sad cannot tell who sees a write --
def name_written_while_in_dict(x):
    d = {}
    a = x * 2.0
    d["a"] = a
    a *= 3.0
    return np.sum(d["a"])


def dict_entry_written_while_named(x):
    d = {}
    a = x * 2.0
    d["a"] = a
    d["a"] *= 3.0
    return np.sum(a)


def dict_entry_element_written_while_named(x):
    a = x * 2.0
    d = {}
    d["a"] = a
    d["a"][0] = 5.0
    return np.sum(a)


def entry_copied_to_another_key(x):
    d = {"a": x * 2.0}
    d["b"] = d["a"]
    d["b"] *= 3.0
    return np.sum(d["a"])


def stored_twice_in_a_list(x):
    a = x * 2.0
    lst = [None, None]
    lst[0] = a
    lst[1] = a
    lst[0] *= 3.0
    return np.sum(lst[1])


def stored_twice_element_written(x):
    a = x * 2.0
    lst = [None, None]
    lst[0] = a
    lst[1] = a
    lst[0][0] = 3.0
    return np.sum(lst[1])


def stored_in_two_dicts(x):
    a = x * 2.0
    d, e = {}, {}
    d["a"] = a
    e["a"] = a
    d["a"] += 1.0
    return np.sum(e["a"])


def list_repeated(x):
    a = x * 1.0
    xs = [a] * 3
    xs[0] *= 2.0
    return sum(np.sum(t * np.arange(2)) for t in xs)


def rows_repeated(x):
    M = [[0.0] * 2] * 2
    M[0][0] = x[0]
    M[1][1] = x[1] ** 2
    return M[0][0] * 3 + M[1][0] + M[0][1] * 5


def literal_holding_one_array_twice(x):
    a = x * 2.0
    lst = [a, a]
    i = 0
    lst[i] *= 3.0
    return np.sum(lst[1])


REFUSED = [
    (name_written_while_in_dict, "is also held in a list, tuple or dict ('d')"),
    (dict_entry_written_while_named, "may be an array that is also 'a'"),
    (dict_entry_element_written_while_named, "may be an array that is also 'a'"),
    (entry_copied_to_another_key, "may be one and the same object"),
    (stored_twice_in_a_list, "may be one and the same object"),
    (stored_twice_element_written, "may be one and the same object"),
    (stored_in_two_dicts, "may be one and the same object"),
    (list_repeated, "may be one and the same object"),
    (rows_repeated, "may be one and the same object"),
    (literal_holding_one_array_twice, "may be one and the same object"),
]


@pytest.mark.parametrize("f, message", REFUSED, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("mode", ["grad", "jacfwd"])
def test_one_object_at_several_places_is_refused(f, message, mode):
    with pytest.raises(s2sad.NonDifferentiableError) as info:
        getattr(s2sad, mode)(f)(X.copy())
    assert message in str(info.value), str(info.value)
    assert info.value.lineno is not None


def modified_while_iterating(x):
    y = x.copy()
    for i, v in enumerate(y):
        if i + 1 < len(y):
            y[i + 1] += v * 0.5
    return np.sum(y ** 2)


def rows_modified_while_iterating(A):
    B = A.copy()
    for i, row in enumerate(B):
        if i + 1 < len(B):
            B[i + 1] += 0.5 * row
    return np.sum(B ** 2)


def iterate_growing_list(x):
    ys = [x[0], x[1]]
    out = 0.0
    for v in ys:
        out += v
        if len(ys) < 5:
            ys.append(v * 2)
    return out


@pytest.mark.parametrize("f, arg, hint", [
    (modified_while_iterating, X, "for i in range(len(y))"),
    (rows_modified_while_iterating, np.arange(1.0, 7.0).reshape(3, 2), "for i in range(len(B))"),
    (iterate_growing_list, X, "while i < len(ys)"),
], ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("mode", ["grad", "jacfwd"])
def test_changing_the_sequence_a_loop_goes_over_is_refused(f, arg, hint, mode):
    with pytest.raises(s2sad.NonDifferentiableError) as info:
        getattr(s2sad, mode)(f)(arg.copy())
    text = str(info.value)
    assert "while a for loop goes over it" in text and hint in text, text


def positions_instead(x):
    y = x.copy()
    for i in range(len(y)):
        v = y[i]
        if i + 1 < len(y):
            y[i + 1] += v * 0.5
    return np.sum(y ** 2)


def test_the_suggested_loop_over_positions_is_exact():
    x = np.array([0.5, 1.2, 2.0])
    fd = gradient_by_differences(modified_while_iterating, [x], 0)
    assert np.allclose(gradient_by_differences(positions_instead, [x], 0), fd)
    assert np.allclose(s2sad.grad(positions_instead)(x), fd, rtol=1e-6)
    assert np.allclose(s2sad.jacfwd(positions_instead)(x), fd, rtol=1e-6)
