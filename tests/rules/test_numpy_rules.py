"""Every NumPy rule, both modes, against finite differences (see ``checks.py``).

The cases are in ``cases.py``; a rule registered for the ``numpy`` library
without a case there fails :func:`test_every_numpy_rule_has_a_case`.
"""
import numpy as np
import pytest

import s2sad
from s2sad.rules import all_rules

from .cases import CASES
from .checks import case_id, check_case, uncovered


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_rule(case):
    check_case(case)


def test_every_numpy_rule_has_a_case():
    assert uncovered(CASES, ("numpy",)) == []


def test_numpy_rules_have_both_modes():
    rules = [r for r in all_rules() if r.library == "numpy"]
    assert len(rules) > 150
    assert [r.name for r in rules if not (r.has_forward and r.has_reverse)] == []


# ---------------------------------------------------------------------------
# Ties and kinks: where finite differences cannot decide, the rules' convention
# ---------------------------------------------------------------------------
def max_of(x):
    return np.max(x)


def max_axis(x):
    return np.max(x, axis=1)


def maximum_of(x, y):
    return np.maximum(x, y)


def clip_of(x):
    return np.clip(x, 0.0, 1.0)


def test_max_splits_ties_evenly():
    x = np.array([1.0, 3.0, 3.0, 2.0])
    _, t = s2sad.jvp(max_of, (x,), (np.array([0.0, 1.0, 0.0, 0.0]),))
    assert t == pytest.approx(0.5)
    assert s2sad.grad(max_of)(x) == pytest.approx([0.0, 0.5, 0.5, 0.0])
    x2 = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 1.0]])
    _, vjp_fn = s2sad.vjp(max_axis, x2)
    np.testing.assert_allclose(vjp_fn(np.array([3.0, 1.0]))[0],
                               [[1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])


def test_maximum_and_clip_split_ties_evenly():
    x, y = np.array([1.0, 2.0, 0.0]), np.array([1.0, 1.0, 3.0])
    _, vjp_fn = s2sad.vjp(maximum_of, x, y)
    gx, gy = vjp_fn(np.ones(3))
    assert gx == pytest.approx([0.5, 1.0, 0.0]) and gy == pytest.approx([0.5, 0.0, 1.0])
    assert s2sad.grad(lambda_free_clip_sum)(np.array([0.0, 0.5, 1.0, 2.0])) == \
        pytest.approx([0.5, 1.0, 0.5, 0.0])


def lambda_free_clip_sum(x):
    return np.sum(np.clip(x, 0.0, 1.0))


def prod_all(x):
    return np.prod(x)


def test_prod_with_zeros():
    x = np.array([2.0, 0.0, 3.0])
    assert s2sad.grad(prod_all)(x) == pytest.approx([0.0, 6.0, 0.0])
    x = np.array([0.0, 0.0, 3.0])
    assert s2sad.grad(prod_all)(x) == pytest.approx([0.0, 0.0, 0.0])


def sum_broadcast(x):
    return np.sum(x + np.ones((2, 3)), axis=0)


def test_tangent_of_an_inactively_broadcast_sum_has_the_result_shape():
    out, t = s2sad.jvp(sum_broadcast, (np.zeros(3),), (np.ones(3),))
    assert t.shape == (3,) and t == pytest.approx([2.0, 2.0, 2.0])


def sort_first(x):
    return np.sort(x)[0]


def test_generated_code_reads_like_numpy():
    src = s2sad.derivative_source(max_axis, "reverse", args=(np.ones((2, 3)),))
    assert "tie_weights" in src and "expand_reduced" in src
    src = s2sad.derivative_source(sort_first, "forward", args=(np.ones(3),))
    assert "np.take_along_axis" in src and "np.argsort" in src
