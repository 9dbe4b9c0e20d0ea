"""Indexing and in-place writes: scatter-add adjoints, repeated indices, and the
caller's arrays left alone by derivative code; dtypes."""
import numpy as np
import pytest

import s2sad

RNG = np.random.default_rng(7)


def central(f, x, v, eps=1e-6):
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


def overwrite_slice_of_argument(x):
    x[1:3] = x[1:3] ** 2
    return np.sum(x * x)


def accumulate_into_zeros(x):
    out = np.zeros(3)
    for i in range(len(x)):
        out[i % 3] += x[i] * x[i]
    return np.sum(out * np.arange(1.0, 4.0))


def read_repeated_indices(x):
    idx = np.array([0, 2, 2, 1, 2])
    return np.sum(x[idx] ** 2)


def write_repeated_indices(x):
    y = np.zeros(4)
    y[np.array([0, 1, 1])] += x[:3]   # NumPy keeps only the last write to y[1]
    return np.sum(y * y * np.arange(1.0, 5.0))


def assign_repeated_indices(x):
    y = np.ones(4)
    y[np.array([3, 3, 0])] = x[1:] * 2.0
    return np.sum(np.sin(y))


def boolean_mask(x):
    return np.sum(x[x > 0.0] ** 3)


def rows_columns_newaxis(A):
    return np.sum(A[1] * A[:, 0]) + A[0, 1] * A[..., 2].sum() + np.sum(A[None, 1:, ::2])


def write_row_of_matrix(A, v):
    B = A.copy()
    B[1, :] = v * 3.0
    B[:, 0] -= v[0]
    return np.sum(B @ B)


CASES = [
    (overwrite_slice_of_argument, (5,)),
    (accumulate_into_zeros, (7,)),
    (read_repeated_indices, (3,)),
    (write_repeated_indices, (4,)),
    (assign_repeated_indices, (4,)),
    (boolean_mask, (6,)),
    (rows_columns_newaxis, (3, 3)),
]


@pytest.mark.parametrize("f,shape", CASES, ids=[c[0].__name__ for c in CASES])
def test_both_modes_match_finite_differences(f, shape):
    x = RNG.normal(size=shape)
    v = RNG.normal(size=shape)
    expected = central(lambda z: f(z.copy()), x, v)
    g = s2sad.grad(f)(x.copy())
    assert np.allclose(np.sum(g * v), expected, atol=1e-6)
    _, t = s2sad.jvp(f, (x.copy(),), (v,))
    assert np.allclose(t, expected, atol=1e-6)


@pytest.mark.parametrize("f,shape", CASES, ids=[c[0].__name__ for c in CASES])
def test_reverse_mode_leaves_the_callers_array_alone(f, shape):
    x = RNG.normal(size=shape)
    before = x.copy()
    s2sad.grad(f)(x)
    assert np.array_equal(x, before)
    out, vjp_fn = s2sad.vjp(f, x.copy())
    vjp_fn(1.0)


def test_forward_mode_leaves_the_callers_arrays_alone():
    # the original squares x[1:3] in place; its derivative works on a private copy
    x = RNG.normal(size=5)
    z = x.copy()
    v = np.ones(5)
    y, _ = s2sad.jvp(overwrite_slice_of_argument, (z,), (v,))
    assert y == overwrite_slice_of_argument(x.copy())
    assert np.array_equal(z, x)
    assert np.array_equal(v, np.ones(5))   # nor the caller's tangent
    w = x.copy()
    s2sad.jvp(accumulate_into_zeros, (w,), (np.ones(5),))
    assert np.array_equal(w, x)


def test_two_arguments_with_writes():
    A, v = RNG.normal(size=(3, 3)), RNG.normal(size=3)
    gA, gv = s2sad.grad(write_row_of_matrix, (0, 1))(A, v)
    dA, dv = RNG.normal(size=(3, 3)), RNG.normal(size=3)
    expected = central(lambda s: write_row_of_matrix(A + s * dA, v + s * dv), 0.0, 1.0)
    assert np.allclose(np.sum(gA * dA) + np.sum(gv * dv), expected, atol=1e-6)


def test_float32_stays_float32():
    x = RNG.normal(size=4).astype(np.float32)
    g = s2sad.grad(lambda z: np.sum(z * z))(x)
    assert g.dtype == np.float32
    _, t = s2sad.jvp(lambda z: np.sum(np.sin(z)), (x,), (np.ones(4, np.float32),))
    assert np.asarray(t).dtype == np.float32


def test_integer_arrays_carry_no_derivative():
    def f(x, idx):
        return np.sum(x[idx] * 2.0)
    x = RNG.normal(size=4)
    idx = np.array([1, 3])
    assert np.allclose(s2sad.grad(f)(x, idx), [0, 2, 0, 2])
    with pytest.raises(s2sad.S2sadError, match="not differentiable"):
        s2sad.grad(f, 1)(x, idx)


def test_complex_is_rejected_clearly():
    with pytest.raises(s2sad.S2sadError, match="complex"):
        s2sad.grad(lambda z: np.sum(z * z))(np.ones(3, dtype=complex))
