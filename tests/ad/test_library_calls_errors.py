"""A library function s2sad cannot differentiate is an error at the user's
call of it, naming the function and, where NumPy has one with a rule, the
NumPy function to call instead; never a message about the library's own code."""
import numpy as np
import pytest

import s2sad
from s2sad.errors import NonDifferentiableError

sla = pytest.importorskip("scipy.linalg")


def uses_scipy_solve(a, b):
    return np.sum(sla.solve(a, b))


def uses_scipy_inv(a):
    return np.sum(sla.inv(a))


def uses_scipy_det(a):
    return sla.det(a)


A = np.array([[2.0, 0.3], [0.3, 1.0]])


@pytest.mark.parametrize("f, args, instead", [
    (uses_scipy_solve, (A, np.array([1.0, 2.0])), "np.linalg.solve"),
    (uses_scipy_inv, (A,), "np.linalg.inv"),
    (uses_scipy_det, (A,), "np.linalg.det"),
])
def test_at_the_users_call_with_what_to_call_instead(f, args, instead):
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(f)(*args)
    text = str(info.value)
    assert "test_library_calls_errors.py:" in text.splitlines()[0]
    assert instead in text and "scipy.linalg" in text
    assert "make them ordinary parameters" not in text and "__wrapped__" not in text
