"""backend="numba": derivatives compiled by Numba agree with the Python ones.

The AD corpus (tests/ad/corpus.py) runs under both backends: every program
Numba can type gives the Python backend's derivative to 1e-12 (which the
forward and reverse suites check against finite differences); the others are
refused with a BackendError at the user's line.  Skipped without Numba.
"""
import math
import os

import numpy as np
import pytest

import s2sad
from s2sad.errors import BackendError, S2sadError

numba = pytest.importorskip("numba")

from tests.ad.corpus import CASES, float_positions, rule_cases  # noqa: E402
from tests.ad.test_notebook_programs import CASES as NOTEBOOK_CASES  # noqa: E402

TOLERANCE = 1e-12


def same(a, b):
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a, dtype=complex), np.asarray(b, dtype=complex)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= TOLERANCE * (1 + np.abs(b))))


def refused_at_its_line(exc):
    text = str(exc)
    return "corpus.py:" in text and 'backend="python"' in text and "^" in text


def _jvp_both(fn, point):
    nums = float_positions(point)
    tangents = [1.0 if i in nums else None for i in range(len(point))]
    want = s2sad.jvp(fn, point, tangents)
    got = s2sad.jvp(fn, point, tangents, backend="numba")
    return got, want


def _vjp_both(fn, point):
    nums = tuple(float_positions(point))
    out = fn(*point)
    ct = tuple(1.0 for _ in out) if isinstance(out, tuple) else 1.0
    _, back = s2sad.vjp(fn, *point)
    _, back_numba = s2sad.vjp(fn, *point, backend="numba")
    want, got = back(ct), back_numba(ct)
    return [got[i] for i in nums], [want[i] for i in nums]



@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("fn, pts", CASES, ids=[c[0].__name__ for c in CASES])
def test_corpus_under_numba(fn, pts, mode):
    for point in pts:
        try:
            got, want = (_jvp_both if mode == "forward" else _vjp_both)(fn, point)
        except BackendError as exc:
            assert refused_at_its_line(exc), str(exc)
            return
        assert same(got, want), (fn.__name__, mode, point, got, want)


@pytest.mark.parametrize("case", NOTEBOOK_CASES, ids=[c[0] for c in NOTEBOOK_CASES])
def test_notebook_programs_under_numba(case):
    name, f, *args = case
    argnums = args.pop()["argnums"] if isinstance(args[-1], dict) else 0
    want = s2sad.grad(f, argnums)(*args)
    try:
        got = s2sad.grad(f, argnums, backend="numba")(*args)
    except BackendError as exc:
        assert 'backend="python"' in str(exc) and "^" in str(exc), str(exc)
        return
    assert same(got, want), (name, got, want)


# one rule case in five (S2SAD_NUMBA_RULES=all: every one), to keep CI's time
RULE_CASES = rule_cases()
if os.environ.get("S2SAD_NUMBA_RULES") != "all":
    RULE_CASES = RULE_CASES[::5]


@pytest.mark.parametrize("name, fn, pts, rule", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rule_cases_under_numba(name, fn, pts, rule):
    point = pts[0]
    for mode in ("forward", "reverse"):
        try:
            if mode == "forward":
                want = s2sad.jvp(fn, point, (1.0, 0.5))
                got = s2sad.jvp(fn, point, (1.0, 0.5), backend="numba")
            else:
                want = s2sad.grad(fn, (0, 1))(*point)
                got = s2sad.grad(fn, (0, 1), backend="numba")(*point)
        except BackendError as exc:
            assert 'backend="python"' in str(exc), str(exc)
            continue
        g, w = np.asarray(got, dtype=complex), np.asarray(want, dtype=complex)
        finite = np.isfinite(w)
        assert np.array_equal(finite, np.isfinite(g)), (name, mode, got, want)
        assert np.all(np.abs(g - w)[finite] <= TOLERANCE * (1 + np.abs(w[finite]))), \
            (name, mode, got, want)


# ---------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------
def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def scaled_sines(x, c):
    return np.sin(x) * c + x[0] * x


X = np.array([0.3, -1.2, 0.8, 1.7])


def runs_numba(g):
    """Whether the generated caller ``g`` calls a Numba dispatcher."""
    return any(getattr(v, "py_func", None) is not None for v in g.__globals__.values())


def test_grad_and_value_and_grad():
    g = s2sad.grad(rosenbrock, backend="numba")
    assert same(g(X), s2sad.grad(rosenbrock)(X))
    assert runs_numba(g)
    v, gv = s2sad.value_and_grad(rosenbrock, backend="numba")(X)
    assert same(v, rosenbrock(X)) and same(gv, s2sad.grad(rosenbrock)(X))


def test_jvp_vjp_and_jacobians():
    t = np.array([1.0, 0.5, -2.0, 0.25])
    assert same(s2sad.jvp(scaled_sines, (X, 2.0), (t, 1.0), backend="numba"),
                s2sad.jvp(scaled_sines, (X, 2.0), (t, 1.0)))
    out, back = s2sad.vjp(scaled_sines, X, 2.0, backend="numba")
    assert same(back(t), s2sad.vjp(scaled_sines, X, 2.0)[1](t))
    for jac in (s2sad.jacfwd, s2sad.jacrev):
        assert same(jac(scaled_sines, backend="numba")(X, 2.0), jac(scaled_sines)(X, 2.0))
    assert same(s2sad.hessian(rosenbrock, backend="numba")(X), s2sad.hessian(rosenbrock)(X))
    assert same(s2sad.hvp(rosenbrock, (X,), (t,), backend="numba"),
                s2sad.hvp(rosenbrock, (X,), (t,)))


def test_the_decorator_takes_a_backend():
    f = s2sad.differentiate(rosenbrock, backend="numba")
    assert f.backend == "numba"
    assert same(f.grad(X), s2sad.grad(rosenbrock)(X))


def test_closure_data_are_arguments_of_the_compiled_code():
    w = np.array([1.0, 2.0, 3.0, 4.0])
    g = s2sad.grad(lambda x: np.sum(w * np.sin(x)), backend="numba")
    assert same(g(X), w * np.cos(X))
    w[:] = 0.5  # read when called, as Python does
    assert same(g(X), 0.5 * np.cos(X))


def test_a_finite_difference_agrees():
    g = s2sad.grad(rosenbrock, backend="numba")(X)
    h = 1e-6
    fd = [(rosenbrock(X + h * e) - rosenbrock(X - h * e)) / (2 * h) for e in np.eye(4)]
    assert np.allclose(g, fd, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------
# @njit functions
# ---------------------------------------------------------------------------
jitted = numba.njit(rosenbrock)
fast = numba.njit(fastmath=True)(rosenbrock)


def test_an_njit_function_is_differentiated_by_numba():
    g = s2sad.grad(jitted)
    assert same(g(X), s2sad.grad(rosenbrock)(X))
    assert runs_numba(g)
    plain = s2sad.grad(jitted, backend="python")
    assert same(plain(X), g(X)) and not runs_numba(plain)


def test_an_njit_functions_options_are_kept():
    g = s2sad.grad(fast)
    assert np.allclose(g(X), s2sad.grad(rosenbrock)(X), rtol=1e-10)
    dispatchers = [v for v in g.__globals__.values() if getattr(v, "py_func", None) is not None]
    assert dispatchers and all(d.targetoptions.get("fastmath") for d in dispatchers)


@numba.njit
def _inner(x):
    return math.sin(x) * x


def calls_an_njit_helper(x, n):
    s = 0.0
    for i in range(n):
        s = s + _inner(x + i)
    return s


def test_a_call_of_an_njit_function_is_differentiated_through():
    got = s2sad.grad(calls_an_njit_helper, backend="numba")(0.7, 5)
    want = sum(math.cos(0.7 + i) * (0.7 + i) + math.sin(0.7 + i) for i in range(5))
    assert abs(got - want) < 1e-12


# ---------------------------------------------------------------------------
# What Numba cannot compile
# ---------------------------------------------------------------------------
def log_base_two(x):
    return math.log(x, 2.0) * x


def test_a_call_numba_lacks_is_refused_at_its_line():
    with pytest.raises(BackendError) as info:
        s2sad.grad(log_base_two, backend="numba")(3.0)
    text = str(info.value)
    assert "test_numba.py:" in text and "math.log(x, 2.0)" in text and "^" in text
    assert 'backend="python"' in text and "log(float64, float64)" in text
    assert s2sad.grad(log_base_two)(3.0) == pytest.approx(1 / (3.0 * math.log(2)) * 3.0 +
                                                        math.log(3.0, 2.0))


def dict_parameters(params, x):
    return params["a"] * x * x


def test_a_dict_argument_is_refused():
    with pytest.raises(BackendError, match="Numba cannot take"):
        s2sad.grad(dict_parameters, argnums=1, backend="numba")({"a": 2.0}, 3.0)


def test_an_unknown_backend():
    with pytest.raises(S2sadError, match="unknown backend 'cuda'"):
        s2sad.grad(rosenbrock, backend="cuda")


def recurrence(x):
    y = np.zeros_like(x)
    for i in range(1, len(x)):
        y[i] = y[i - 1] * 0.5 + x[i] ** 2
    return np.sum(y)


def test_an_array_written_entry_by_entry_compiles():
    # the adjoint buffer is copied with np.copy, which Numba has (np.array of an array it has not)
    x = np.linspace(-1.0, 1.0, 7)
    got = s2sad.grad(recurrence, backend="numba")(x)
    want = s2sad.grad(recurrence)(x)
    h = 1e-6
    fd = np.array([(recurrence(x + h * e) - recurrence(x - h * e)) / (2 * h) for e in np.eye(7)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-9)
