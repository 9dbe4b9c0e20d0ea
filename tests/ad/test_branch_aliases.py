"""Names that are one array on every path, or may be, after an ``if``: a write
through one is seen through the others (Python's semantics), in both modes."""
import numpy as np
import pytest

import s2sad
from tests.ad.corpus import gradient_by_differences


def same_name_both_branches(x, a):
    b = a.copy()
    if x > 0.25:
        z = b
    else:
        b = np.sin(a)  # another array, and z is it again
        z = b
    b[0] = x
    return np.sum(b * b) + np.sum(z * z)


def chained_names_both_branches(x, a):
    if x > 0.25:
        u = v = np.zeros(3)
    else:
        u = v = np.ones(3)
    u[0] = x
    return np.sum(v * v) + x * np.sum(u)


def alias_on_one_path(x, a):
    if x > 0.25:
        b = np.zeros(3)
        z = b
    else:
        b = np.ones(3)
        z = np.ones(3)  # a third array: z is b on one path only
    b[0] = x
    return np.sum(z * z) + np.sum(b)


def alias_of_one_of_two(x, a):
    p = a.copy()
    q = a * 2.0
    if x > 0.25:
        z = p
    else:
        z = q
    if x > 0.5:
        w = z
    else:
        w = np.zeros(4)
    p[1] = x * x  # w may be p, through z
    return np.sum(w * w) + np.sum(z)


CASES = [same_name_both_branches, chained_names_both_branches, alias_on_one_path,
         alias_of_one_of_two]


@pytest.mark.parametrize("x", [1.0, 0.4, 0.1])
@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_writes_through_a_branch_alias_reach_every_name(f, x):
    a = np.array([0.3, -0.7, 1.1, 0.5])
    expected = gradient_by_differences(f, (x, a), 0)
    assert s2sad.grad(f)(x, a) == pytest.approx(expected, rel=1e-6, abs=1e-8)
    _, tangent = s2sad.jvp(f, (x, a), (1.0, np.zeros(4)))
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)
    # the array argument too (its copy is written, never a itself)
    g = s2sad.grad(f, argnums=1)(x, a)
    assert g == pytest.approx(gradient_by_differences(f, (x, a), 1), rel=1e-6, abs=1e-8)
    assert np.array_equal(a, [0.3, -0.7, 1.1, 0.5])
