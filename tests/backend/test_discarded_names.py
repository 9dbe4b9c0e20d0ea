"""The emitter writes ``_`` for results nobody reads: a value the user named
``_`` that derivative code reads gets a name of its own."""
import numpy as np

import s2sad


def least_squares_norm(m, v):
    x, *_ = np.linalg.lstsq(m, v, rcond=None)
    return np.sum(x ** 2)


def test_a_read_underscore_is_not_overwritten():
    rng = np.random.default_rng(0)
    m, v = rng.normal(size=(4, 3)), rng.normal(size=4)
    source = s2sad.derivative_source(least_squares_norm, args=(m, v))
    assert "zeros_like_value(_)" not in source
    got = s2sad.grad(least_squares_norm)(m, v)
    expected = np.zeros_like(m)
    for j in np.ndindex(m.shape):
        step = np.zeros_like(m)
        step[j] = 1e-6
        expected[j] = (least_squares_norm(m + step, v) - least_squares_norm(m - step, v)) / 2e-6
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-9)
