"""An early ``return`` inside a loop whose value was computed earlier in the
loop body (found by the fuzzer, issue 14).

CSE makes the return read the value the body computed before the ``if``
(``a[0]`` read for the condition and again for the return); the variable of the
loop's carried return value is then a different one, copied from on the paths
that do not return, before anything set it: the generated code raised
``UnboundLocalError`` (the JVP's ``y_dot = y_dot_1``, the primal's
``y = y_1``).  The emitter now binds such a variable to None where the IR leaves
it undefined and a copy reads it (s2sad/backend/copies.py, and
``parallel_copy`` in s2sad/backend/emit.py).

Every function is checked in both modes against central finite differences:
forward mode as J v, reverse mode by the dot-product test <w, J v> = <J^T w, v>
with J v from finite differences.
"""
import math

import numpy as np
import pytest

import s2sad
from s2sad.compiler import compile_derivative


def reread_never(x, a):
    """The fuzzer's shape, minimised: float early return, array at the end."""
    for i in range(2):
        if a[0] > 100.0:
            return a[0]
    return a * 2.0


def reread_scalar(x, a):
    """Both returns floats; the early one is the condition's left side."""
    for i in range(3):
        if a[0] * x > 100.0:
            return a[0] * x
        x = x + 0.001 * (1.5 + math.sin(a[0] * x))
    return x * a[1]


def early_at(x, a, k):
    """Returns in iteration k (never when k >= 3), a float; else an array."""
    s = 0.0
    for i in range(3):
        s = s + np.sin(a[0] * x)
        if i == k:
            return np.sin(a[0] * x)
        x = x * 1.1 + s
    return a * s


def early_at_same_kind(x, a, k):
    """Both returns arrays."""
    s = 0.0
    for i in range(3):
        s = s + np.sin(a * x)
        if i == k:
            return np.sin(a * x)
        x = x * 1.1 + 0.1 * np.sum(s)
    return a * s


def early_in_range(x, a, n):
    """n = 0: the loop never runs and its result is copied out unset."""
    for i in range(n):
        if a[0] * x > 100.0:
            return a[0] * x
        x = x * 0.9 + 0.1 * math.sin(a[0] * x)
    return x * a[1]


def early_in_while(x, a):
    count = 0
    while count < 3:
        if a[0] * x > 100.0:
            return a[0] * x
        x = x + 0.1 * math.cos(a[0] * x)
        count = count + 1
    return a * x


def fuzzer_program(x0, a0):
    """The program the fuzzer found, as it found it."""
    for i1 in range(2):
        if (a0[0]) ** 2 < 0.05:
            x0 = (np.cos(x0) + (math.sin(2.0)) ** 2); a0 = a0
            x0 = np.dot(((a0) ** 2 * np.arctan(a0)), (a0 * np.log(a0 * a0 + 1.0)))
        else:
            x0 = math.sqrt(1.0 + np.sum(a0) * np.sum(a0))
        if math.exp(math.cos((x0 - x0))) < 0.25:
            return a0[0]
    return ((a0) ** 2 + ((a0) ** 2 / (1.0 + np.arctan(a0) * np.arctan(a0))))


A = np.array([-1.9, -0.333, -0.9])
BIG = np.array([300.0, 2.0, -0.5])  # a[0] large: the early return is taken

CASES = [
    (reread_never, (0.7, A)),
    (reread_never, (0.7, BIG)),            # returns in the first iteration
    (reread_scalar, (0.7, A)),
    (reread_scalar, (0.4, BIG)),           # first iteration
    (reread_scalar, (0.33, np.array([300.0, 2.0, 1.0]))),  # 99, 99.15, 99.3: never
    (reread_scalar, (0.333, np.array([300.0, 2.0, 1.0]))),  # 99.9, then 100.17: second
    (reread_scalar, (0.3325, np.array([300.0, 2.0, 1.0]))),  # 99.75, 99.99, 100.28: third
    (early_at, (0.7, A, 0)),
    (early_at, (0.7, A, 1)),
    (early_at, (0.7, A, 2)),
    (early_at, (0.7, A, 5)),               # never
    (early_at_same_kind, (0.7, A, 1)),
    (early_at_same_kind, (0.7, A, 7)),
    (early_in_range, (0.7, A, 0)),
    (early_in_range, (0.7, A, 3)),
    (early_in_range, (0.4, BIG, 3)),
    (early_in_while, (0.7, A)),
    (early_in_while, (0.4, BIG)),
    (fuzzer_program, (-1.9e-215, A)),
    (fuzzer_program, (0.3, np.array([0.1, 0.2, 0.3]))),  # the first branch
]


def _direction(args, rng):
    return tuple(None if isinstance(a, int) else
                 float(rng.normal()) if isinstance(a, float) else rng.normal(size=np.shape(a))
                 for a in args)


def _fd(f, args, direction, h=1e-6):
    def moved(s):
        return [a if d is None else a + s * h * d for a, d in zip(args, direction)]
    up, down = f(*moved(1.0)), f(*moved(-1.0))
    return (np.asarray(up, dtype=float) - np.asarray(down, dtype=float)) / (2 * h)


def _id(case):
    f, args = case
    return f"{f.__name__}-" + "-".join(str(a) if not isinstance(a, np.ndarray) else "a"
                                        for a in args)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_forward_matches_finite_differences(case):
    f, args = case
    rng = np.random.default_rng(1)
    direction = _direction(args, rng)
    value, tangent = s2sad.jvp(f, args, direction)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=0)
    np.testing.assert_allclose(tangent, _fd(f, args, direction), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_reverse_dot_product_with_finite_differences(case):
    f, args = case
    rng = np.random.default_rng(2)
    direction = _direction(args, rng)
    value, vjp_fn = s2sad.vjp(f, *args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=0)
    w = rng.normal(size=np.shape(value))
    w = float(w) if np.ndim(value) == 0 else w
    cotangents = vjp_fn(w)
    lhs = float(np.sum(w * _fd(f, args, direction)))
    rhs = sum(float(np.sum(np.asarray(c) * d)) for c, d in zip(cotangents, direction)
              if d is not None)
    assert rhs == pytest.approx(lhs, rel=1e-6, abs=1e-7)


def _plain_kinds(args):
    return tuple("int" if isinstance(a, int) else "float" if isinstance(a, float) else "array"
                 for a in args)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_both_modes_compiled_for_unranked_kinds(case):
    """As derivative_source compiles them (arrays of unknown rank): there CSE
    merges the repeated ``a[0] * x``, the shape that failed."""
    f, args = case
    nums = tuple(i for i, a in enumerate(args) if not isinstance(a, int))
    kinds = _plain_kinds(args)
    rng = np.random.default_rng(3)
    direction = _direction(args, rng)
    expected = _fd(f, args, direction)
    jvp_fn = compile_derivative(f, "forward", nums, kinds).fn
    value, tangent = jvp_fn(*args, *[direction[i] for i in nums])
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=0)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-7)
    vjp_fn = compile_derivative(f, "reverse", nums, kinds).fn
    w = rng.normal(size=np.shape(value))
    w = float(w) if np.ndim(value) == 0 else w
    cotangents = vjp_fn(*args, w)
    cotangents = cotangents if isinstance(cotangents, tuple) else (cotangents,)
    rhs = sum(float(np.sum(np.asarray(c) * direction[i])) for c, i in zip(cotangents, nums))
    assert rhs == pytest.approx(float(np.sum(w * expected)), rel=1e-6, abs=1e-7)


def test_the_forward_code_binds_the_carried_return_before_the_loop():
    src = s2sad.derivative_source(reread_never, "forward")
    # the loop's carried return value and its tangent (y = y_1 copied on the
    # iterations that do not return) are bound before the loop, nowhere else
    head, loop = src.split("    for ", 1)
    assert head.count(" = None") == 2 and " = None" not in loop, src
    value, tangent = s2sad.jvp(reread_never, (0.5, A), (1.0, np.ones(3)))
    np.testing.assert_allclose(value, 2.0 * A)
    np.testing.assert_allclose(tangent, 2.0 * np.ones(3))


def test_no_binding_where_no_copy_reads_the_unset_variable():
    def plain(x, a):
        for i in range(2):
            if x > 100.0:
                return x * 3.0
        return x * 2.0

    assert "None" not in s2sad.derivative_source(plain, "forward")
    assert s2sad.jvp(plain, (0.5, A), (1.0, None)) == (1.0, 2.0)
