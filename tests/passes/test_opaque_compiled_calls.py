"""A compiled function with no rule and no source (C or Cython code) that is
given an array: s2sad cannot see whether it changes it, so the call is an
error at the user's line (scipy's expm hands its array to C code that
rewrites it in place, and its gradient came out as if the result were the
input)."""
import numpy as np
import pytest

import s2sad
from s2sad.errors import NonDifferentiableError

sla = pytest.importorskip("scipy.linalg")


def uses_expm(m):
    return np.sum(sla.expm(m))


def test_scipy_expm_is_refused_at_the_users_call():
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(uses_expm)(np.array([[0.3, 1.0], [-0.5, 0.2]]))
    text = str(info.value)
    assert "test_opaque_compiled_calls.py:" in text.splitlines()[0]
    assert "expm" in text and "compiled code" in text
