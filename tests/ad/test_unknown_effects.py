"""A call s2sad has no rule for, given an active value, that may change what it
is given: refused in both modes (its result unread says nothing of what it
wrote), never dropped."""
import bisect
import heapq
import operator

import numpy as np
import pytest

import s2sad


def pushed(x):
    h = [5.0]
    heapq.heappush(h, x ** 2)
    return h[0] * 3.0


def inserted(x):
    xs = [0.0, 10.0]
    bisect.insort(xs, x ** 2)
    return xs[1] * 3.0


def set_by_operator(x):
    a = np.ones(2)
    operator.setitem(a, 0, x ** 2)
    return np.sum(a * x)


def set_by_dunder(x):
    a = np.ones(2)
    a.__setitem__(0, x ** 2)
    return np.sum(a * x)


def updated_in_an_expression(x):
    q = {"a": 1.0}
    _ = [q.update(a=x ** 2)]
    return q["a"] * x


@pytest.mark.parametrize("f, name", [
    (pushed, "heapq.heappush"), (inserted, "bisect.insort"),
    (set_by_operator, "operator.setitem"), (set_by_dunder, "__setitem__"),
    (updated_in_an_expression, "update")])
@pytest.mark.parametrize("mode", ["grad", "jacfwd"])
def test_a_call_that_may_write_an_active_value_is_refused(f, name, mode):
    with pytest.raises(s2sad.NonDifferentiableError) as info:
        getattr(s2sad, mode)(f)(0.7)
    assert name in str(info.value) and "no derivative rule" in str(info.value)
    assert f"{f.__code__.co_filename}:" in str(info.value)  # names the line


def printed(x):
    print("x is", x)
    return x * 2.0


def test_print_of_an_active_value_is_not_a_write(capsys):
    assert s2sad.grad(printed)(0.7) == 2.0
    assert s2sad.jvp(printed, (0.7,), (1.0,)) == (1.4, 2.0)
    assert "x is 0.7" in capsys.readouterr().out
