"""The Numba forms of the runtime helpers (s2sad/backend/numba_helpers.py)
compute what the plain helpers compute, or refuse to compile: never another
value.  Skipped without Numba."""
import numpy as np
import pytest

from s2sad import runtime

numba = pytest.importorskip("numba")

from s2sad.backend import numba_helpers  # noqa: E402,F401  registers the forms

rng = np.random.default_rng(0)


def compiled(helper, nargs):
    """An njit function calling ``helper`` on its arguments."""
    names = ", ".join(f"a{k}" for k in range(nargs))
    scope = {"helper": helper}
    exec(f"def call({names}):\n    return helper({names})\n", scope)
    return numba.njit(scope["call"])


def same(a, b):
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-14, atol=1e-15)  # sum order


@pytest.mark.parametrize("g, x", [
    (2.5, 1.0),
    (rng.normal(size=(3, 4)), 1.0),
    (rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
    (rng.normal(size=(3, 4)), rng.normal(size=(1, 4))),
    (rng.normal(size=(3, 4)), rng.normal(size=(3, 1))),
    (rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 1))),
    (rng.normal(size=(2, 3, 4)), rng.normal(size=4)),
])
def test_unbroadcast(g, x):
    assert same(compiled(runtime.unbroadcast, 2)(g, x), runtime.unbroadcast(g, x))


def test_unbroadcast_of_shapes_that_do_not_broadcast_is_an_error():
    with pytest.raises(ValueError):
        compiled(runtime.unbroadcast, 2)(np.ones((3, 4)), np.ones((3, 2)))


@pytest.mark.parametrize("index", [0, 2, -1, -3])
def test_index_adjoint_of_a_tuple_takes_negative_indices(index):
    x = (1.0, 2.0, 3.0)
    assert same(compiled(runtime.index_adjoint, 3)(5.0, x, index),
                runtime.index_adjoint(5.0, x, index))


@pytest.mark.parametrize("index", [3, -4])
def test_index_adjoint_out_of_range_is_an_error(index):
    with pytest.raises(IndexError):
        compiled(runtime.index_adjoint, 3)(5.0, (1.0, 2.0, 3.0), index)


@pytest.mark.parametrize("g, x, index", [
    (1.5, np.zeros(5), 3),
    (1.5, np.zeros(5), -2),
    (np.ones(2), np.zeros(5), slice(1, 3)),
    (2.0, np.zeros((3, 4)), (1, -1)),
    (np.arange(4.0), np.zeros(6), np.array([1, 1, 4, 0])),  # repeated: they add up
])
def test_index_adjoint_of_arrays(g, x, index):
    assert same(compiled(runtime.index_adjoint, 3)(g, x, index),
                runtime.index_adjoint(g, x, index))


def test_index_adjoint_with_a_mask_is_not_compiled():
    with pytest.raises(numba.core.errors.TypingError):
        compiled(runtime.index_adjoint, 3)(np.ones(2), np.zeros(3),
                                           np.array([True, False, True]))


def test_index_adjoint_of_a_list():
    assert same(compiled(runtime.index_adjoint, 3)(2.0, [1.0, 2.0, 3.0], 1),
                runtime.index_adjoint(2.0, [1.0, 2.0, 3.0], 1))


@pytest.mark.parametrize("a, b", [
    (None, 2.0), (2.0, None), (1.5, 2.0), (np.ones(3), np.arange(3.0)),
    ((1.0, np.ones(2)), (2.0, np.arange(2.0))),
])
def test_add_any(a, b):
    assert same(compiled(runtime.add_any, 2)(a, b), runtime.add_any(a, b))


@pytest.mark.parametrize("x", [1.5, np.ones((2, 3)), (1.0, np.ones(2))])
def test_zeros_like_value(x):
    assert same(compiled(runtime.zeros_like_value, 1)(x), runtime.zeros_like_value(x))


@pytest.mark.parametrize("items", [(1.0, 3.0, 3.0, 2.0), np.array([2.0, -1.0, 2.0])])
@pytest.mark.parametrize("largest", [True, False])
def test_extremum_index(items, largest):
    assert compiled(runtime.extremum_index, 2)(items, largest) == \
        runtime.extremum_index(items, largest)


@pytest.mark.parametrize("g, a, axis", [
    (2.0, np.ones((2, 3)), None),
    (np.arange(3.0), np.ones((2, 3)), 0),
    (np.arange(2.0), np.ones((2, 3)), 1),
    (np.arange(2.0), np.ones((2, 3)), -1),
])
def test_spread_and_counts(g, a, axis):
    assert same(compiled(runtime.spread, 3)(g, a, axis), runtime.spread(g, a, axis))
    assert compiled(runtime.reduced_count, 2)(a, axis) == runtime.reduced_count(a, axis)


def test_tie_weights():
    a = np.array([1.0, 3.0, 3.0, 2.0])
    assert same(compiled(runtime.tie_weights, 2)(a, 3.0), runtime.tie_weights(a, 3.0))


def test_broadcast_like():
    for t, like in [(2.0, 1.0), (2.0, np.ones(3)), (np.arange(3.0), np.ones((2, 3)))]:
        assert same(compiled(runtime.broadcast_like, 2)(t, like), runtime.broadcast_like(t, like))
