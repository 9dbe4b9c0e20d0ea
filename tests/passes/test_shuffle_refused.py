"""Shuffling an array in place (rng.shuffle(y), np.random.shuffle(y)) is an
error that says what to write instead: the derivative cannot follow the
permutation (it gave the gradient of the unshuffled array)."""
import numpy as np
import pytest

import s2sad
from s2sad.errors import S2sadError


def generator_shuffle(x):
    y = x.copy()
    np.random.default_rng(0).shuffle(y)
    return y[0]


def global_shuffle(x):
    y = x.copy()
    np.random.shuffle(y)
    return y[0]


def drawn_order(x):
    order = np.random.default_rng(0).permutation(len(x))
    return x[order][0] * 2.0


@pytest.mark.parametrize("f", [generator_shuffle, global_shuffle])
def test_in_place_shuffles_are_refused(f):
    with pytest.raises(S2sadError, match="shuffle") as info:
        s2sad.grad(f)(np.arange(1.0, 5.0))
    assert "test_shuffle_refused.py:" in str(info.value) and "permutation" in str(info.value)


def test_what_the_error_suggests_works():
    x = np.arange(1.0, 5.0)
    expected = np.zeros(4)
    expected[np.random.default_rng(0).permutation(4)[0]] = 2.0
    assert np.allclose(s2sad.grad(drawn_order)(x), expected)
