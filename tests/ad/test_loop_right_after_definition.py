"""A loop that starts right after the op defining a container it changes (no
op between them): the loop carries the container like any other.  Each checked
in both modes against central finite differences."""
import numpy as np
import pytest

from tests.ad.test_probe6_fixes import _check


def _square_into(acc, v):
    acc.append(v * v)


def helper_appends_over_array(x):
    acc = []
    for v in x:
        _square_into(acc, v)
    return sum(acc)


def closure_appends_over_array(x):
    acc = []

    def push(v):
        acc.append(np.sin(v))
    for v in x:
        push(v)
    return acc[0] + acc[1] * acc[2]


def closure_updates_dict(x):
    d = {"a": 0.0}

    def bump(k, v):
        d[k] = d[k] + v * v
    for v in x:
        bump("a", v)
    return d["a"]


def helper_writes_array_rows(x):
    out = np.zeros(3)
    for i, v in enumerate(x):
        _fill(out, i, v)
    return np.sum(out * out)


def _fill(out, i, v):
    out[i] = np.cos(v) * v


def same_array_stored_each_run(x):
    scale = x * 2.0
    kept = []
    for v in x:
        kept.append(scale * v)
    return kept[0][1] + kept[2][0] * kept[1][2]


@pytest.mark.parametrize("f", [helper_appends_over_array, closure_appends_over_array,
                               closure_updates_dict, helper_writes_array_rows,
                               same_array_stored_each_run])
def test_loop_right_after_the_container_is_made_carries_it(f):
    _check(f, (np.array([0.7, -1.3, 2.1]),))


def test_helper_appending_over_a_list_of_floats():
    def f(xs):
        acc = []
        for v in xs:
            _square_into(acc, v)
        return sum(acc)

    import s2sad
    assert s2sad.grad(f)([1.0, 2.0, 3.0]) == pytest.approx([2.0, 4.0, 6.0])
