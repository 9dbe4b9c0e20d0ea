"""Every np.linalg rule, both modes, against finite differences (see ``checks.py``).

The cases are ``cases.LINALG_CASES``: square and rectangular matrices, stacks
of matrices, vector and matrix right-hand sides, every ``ord`` of the norms.
A rule registered for the ``linalg`` library without a case fails
:func:`test_every_linalg_rule_has_a_case`.
"""
import numpy as np
import pytest

import s2sad
from s2sad.rules import all_rules

from .cases import LINALG_CASES
from .checks import case_id, check_case, uncovered


@pytest.mark.parametrize("case", LINALG_CASES, ids=[case_id(c) for c in LINALG_CASES])
def test_rule(case):
    check_case(case)


def test_every_linalg_rule_has_a_case():
    assert uncovered(LINALG_CASES, ("linalg",)) == []


def test_linalg_rules_have_both_modes():
    rules = [r for r in all_rules() if r.library == "linalg"]
    assert [r.name for r in rules if not (r.has_forward and r.has_reverse)] == []


def log_det_spd(a):
    chol = np.linalg.cholesky(a)
    return 2 * np.sum(np.log(np.diagonal(chol)))


def test_cholesky_log_det_gradient_is_the_inverse_on_symmetric_directions():
    rng = np.random.default_rng(1)
    b = rng.normal(size=(4, 4))
    a = b @ b.T + 4 * np.eye(4)
    g = s2sad.grad(log_det_spd)(a)
    # NumPy reads the lower triangle: the gradient lives there, and its
    # symmetric part is inv(a) (the derivative along symmetric directions)
    assert np.allclose(np.triu(g, 1), 0)
    e = rng.normal(size=(4, 4))
    e = e + e.T
    along = np.sum(g * e)
    np.testing.assert_allclose(along, np.sum(np.linalg.inv(a) * e), rtol=1e-10)


def eigh_values(a):
    return np.sum(np.linalg.eigh(a)[0] * np.array([1.0, 2.0, 3.0]))


def test_eigh_jvp_matches_first_order_perturbation_theory():
    a = np.diag([1.0, 2.0, 4.0])
    e = np.array([[0.3, 0.1, 0.0], [0.1, -0.2, 0.5], [0.0, 0.5, 0.7]])
    _, t = s2sad.jvp(eigh_values, (a,), (e,))
    assert t == pytest.approx(0.3 * 1 + -0.2 * 2 + 0.7 * 3)


def svd_top(a):
    return np.linalg.svd(a, full_matrices=False)[1][0]


def test_generated_linalg_code_is_plain_numpy():
    src = s2sad.derivative_source(svd_top, "reverse", args=(np.ones((3, 2)),))
    assert "np.linalg.svd" in src and "la." not in src
