"""Reductions called with initial= and where=: initial adds to the result, so
its tangent adds and the operand's does not pick it up; where= leaves entries
out. Each checked in both modes against central finite differences."""
import numpy as np
import pytest

import s2sad
from tests.ad.test_probe6_fixes import _check

X = np.array([[0.5, 1.5, -0.3], [0.7, -1.1, 2.0]])
MASK = np.array([True, False, True])


def sum_initial(x):
    return np.sum(x, initial=2.0) * x[0, 0]


def sum_initial_axis(x):
    return np.sum(np.sum(x ** 2, axis=1, initial=1.5) ** 2)


def method_sum_initial(x):
    return x.sum(initial=-1.0) ** 2


def add_reduce_initial(x):
    return np.sum(np.add.reduce(x, axis=0, initial=3.0) ** 2)


def sum_where(x):
    return np.sum(np.sum(x ** 2, axis=1, where=MASK) ** 2)


def sum_where_initial(x):
    return np.sum(x * x, initial=0.5, where=MASK) ** 2


def mean_where(x):
    return np.sum(np.mean(np.sin(x), axis=1, where=MASK) ** 2)


def mean_where_all(x):
    return np.mean(x ** 3, where=X > 0)


@pytest.mark.parametrize("f", [sum_initial, sum_initial_axis, method_sum_initial,
                               add_reduce_initial, sum_where, sum_where_initial,
                               mean_where, mean_where_all])
def test_reduction_keywords(f):
    _check(f, (X.copy(),))


def sum_from(x, s):
    return np.sum(x * x, initial=s) ** 2


@pytest.mark.parametrize("i", [0, 1])
def test_an_active_initial_has_a_derivative(i):
    _check(sum_from, (X.copy(), 0.75), i)


def test_the_trace_table_of_a_sum_with_initial():
    x = np.array([1.0, 2.0])
    table = s2sad.trace(sum_from_plain, x, 0.5, mode="forward",
                        tangents=(np.array([1.0, 0.0]), 1.0))
    assert "sum(v̇₁) + v̇₀" in table.to_text()
    assert table.derivative == pytest.approx(2 * 1.0 + 1.0)


def sum_from_plain(x, s):
    return np.sum(x * x, initial=s)


def initial_then_where_by_position(x):
    return np.sum(x, None, None, None, False, 2.0, True)


def test_an_initial_passed_by_position_before_where_is_refused():
    with pytest.raises(s2sad.NonDifferentiableError, match="pass initial by keyword"):
        s2sad.jacfwd(initial_then_where_by_position)(X.copy())
