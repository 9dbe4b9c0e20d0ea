"""Iterators made by ``enumerate``, ``zip``, ``reversed`` and ``iter``, read by
a for loop or by something else (``list``, ``tuple``, ``sorted``, ``min``,
``max``, ``sum``, ``max(..., key=)``), with their keyword forms
(``enumerate(xs, start=1)``, ``zip(..., strict=True)``), in both modes.

The count of ``enumerate`` and the items of a ``range`` are ints: they carry
no derivative, wherever they go.  An iterator is read once: the derivative
code reads its items in step with it, or from a list made of them once.  Each
derivative is checked against central finite differences in float64; the
Hessians against differences of the gradient.
"""
import math
import sys

import numpy as np
import pytest

import s2sad
from s2sad.errors import NonDifferentiableError
from tests.ad.corpus import gradient_by_differences

X = np.array([0.5, 1.2, -0.3, 2.1])
Y = X ** 2 + 1


def loop_enumerate_start_keyword(x):
    total = 0.0
    for i, v in enumerate(x, start=1):
        total += i * v
    return total


def loop_enumerate_iterable_keyword(x):
    total = 0.0
    for i, v in enumerate(iterable=x, start=2):
        total += i * v * v
    return total


def list_of_enumerate(x):
    return sum(i * v for i, v in list(enumerate(x)))


def tuple_of_enumerate_start(x):
    return sum(i * v * v for i, v in tuple(enumerate(x, start=2)))


def list_of_zip_with_range(x):
    return sum(i * v for i, v in list(zip(range(4), x)))


def loop_zip_with_range(x):
    s = 0.0
    for i, v in zip(range(1, 5), x):
        s += i * v * v
    return s


def sorted_enumerate_by_value(x):
    pairs = sorted(enumerate(x), key=lambda p: p[1])
    return sum(k * i * v for k, (i, v) in enumerate(pairs))


def argmax_idiom(x):
    i, v = max(enumerate(x), key=lambda p: p[1])
    return i * v


def sorted_zip(x, y):
    pairs = sorted(zip(x, y))
    return sum(i * a * b for i, (a, b) in enumerate(pairs))


def sorted_zip_reversed_order(x, y):
    pairs = sorted(zip(x, y), reverse=True)
    return pairs[0][0] * pairs[1][1] + pairs[3][1]


def min_of_zip(x, y):
    a, b = min(zip(x, y))
    return a * b


def max_of_zip(x, y):
    a, b = max(zip(x, y))
    return a * b * b


def loop_zip_reversed(a, b):
    s = 0.0
    for u, v in zip(reversed(a), b):
        s += u * v
    return s


def list_zip_reversed_shorter(a, b):
    # zip stops after two items: the first entries of a are never read
    s = 0.0
    for u, v in list(zip(reversed(a), b[:2])):
        s += u * v * u
    return s


def list_zip_uneven_lists(x, y):
    xs = [x[0], x[1]]
    ys = [y[0], y[1], y[2]]
    return sum(a * b * b for a, b in list(zip(xs, ys)))


def zip_strict(x, y):
    return sum(a * b for a, b in list(zip(x, y, strict=True)))


def list_of_enumerate_of_zip(x, y):
    return sum(i * a * b for i, (a, b) in list(enumerate(zip(x, y))))


def list_of_three_way_zip(x, y):
    return sum(a * b * c for a, b, c in list(zip(x, y, x)))


def loop_zip_with_names(x):
    s = 0.0
    for name, v in zip(["a", "bb", "c", "dd"], x):
        s += len(name) * v * v
    return s


def reversed_list_of_zip(x, y):
    pairs = list(reversed(list(zip(x, y))))
    return pairs[0][0] * pairs[1][1]


def loop_iter(x):
    s = 0.0
    for v in iter(x):
        s += v * v
    return s


def list_of_iter(x):
    return sum(v * v * v for v in list(iter(x)))


def sum_of_reversed(x):
    return sum(reversed(x * x))


def fsum_of_reversed(x):
    return math.fsum(reversed([x[0] * x[1], x[2]]))


def prod_of_iter(x):
    return math.prod(iter([x[0], x[1] * x[2]]))


ONE_ARGUMENT = [loop_enumerate_start_keyword, loop_enumerate_iterable_keyword, list_of_enumerate,
                tuple_of_enumerate_start, list_of_zip_with_range, loop_zip_with_range,
                sorted_enumerate_by_value, argmax_idiom, loop_zip_with_names, loop_iter,
                list_of_iter, sum_of_reversed, fsum_of_reversed, prod_of_iter]
TWO_ARGUMENTS = [sorted_zip, sorted_zip_reversed_order, min_of_zip, max_of_zip, loop_zip_reversed,
                 list_zip_reversed_shorter, list_zip_uneven_lists, list_of_enumerate_of_zip,
                 list_of_three_way_zip, reversed_list_of_zip]
if sys.version_info >= (3, 10):
    TWO_ARGUMENTS.append(zip_strict)

CASES = [(f, (X,), 0) for f in ONE_ARGUMENT] + \
    [(f, (X, Y), i) for f in TWO_ARGUMENTS for i in (0, 1)]
IDS = [f"{f.__name__}-{i}" for f, _, i in CASES]


@pytest.mark.parametrize("f, args, i", CASES, ids=IDS)
def test_forward_mode(f, args, i):
    expected = gradient_by_differences(f, args, i)
    np.testing.assert_allclose(s2sad.jacfwd(f, argnums=i)(*args), expected, atol=1e-6)
    direction = np.linspace(-1.0, 1.0, 4)
    tangents = [np.zeros(4) for _ in args]
    tangents[i] = direction
    out, t = s2sad.jvp(f, args, tuple(tangents))
    assert out == pytest.approx(f(*args))
    assert t == pytest.approx(expected @ direction, abs=1e-6)


@pytest.mark.parametrize("f, args, i", CASES, ids=IDS)
def test_reverse_mode(f, args, i):
    expected = gradient_by_differences(f, args, i)
    np.testing.assert_allclose(s2sad.grad(f, argnums=i)(*args), expected, atol=1e-6)
    out, pullback = s2sad.vjp(f, *args)
    assert out == pytest.approx(f(*args))
    np.testing.assert_allclose(pullback(2.0)[i], 2.0 * expected, atol=1e-6)


@pytest.mark.parametrize("f", [loop_enumerate_start_keyword, tuple_of_enumerate_start,
                               list_of_zip_with_range, sorted_enumerate_by_value, list_of_iter,
                               sum_of_reversed, sorted_zip, min_of_zip, loop_zip_reversed,
                               list_zip_reversed_shorter, list_of_enumerate_of_zip],
                         ids=lambda f: f.__name__)
def test_hessian(f):
    args = (X,) if f in ONE_ARGUMENT else (X, Y)
    gradient = s2sad.grad(f)
    h = 1e-5
    expected = np.array([(gradient(X + h * e, *args[1:]) - gradient(X - h * e, *args[1:])) / (2 * h)
                         for e in np.eye(4)])
    np.testing.assert_allclose(s2sad.hessian(f)(*args), expected, atol=1e-5)


@pytest.mark.parametrize("f", [sorted_zip, min_of_zip, list_zip_uneven_lists,
                               list_of_enumerate_of_zip, list_of_three_way_zip],
                         ids=lambda f: f.__name__)
def test_reverse_over_reverse(f):
    # both sequences at once: the adjoint list of the zip gets two contributions
    gradient = s2sad.grad(f, (0, 1))
    u, w = np.array([0.3, 1.0, -0.7, 0.2]), np.array([-0.2, 0.5, 0.8, 1.1])

    def along(x, y):
        gx, gy = gradient(x, y)
        return gx @ u + gy @ w
    _, pullback = s2sad.vjp(gradient, X, Y)
    got = pullback((u, w))
    for i in (0, 1):
        np.testing.assert_allclose(got[i], gradient_by_differences(along, (X, Y), i), atol=1e-5)


def test_the_count_of_enumerate_has_no_tangent_in_the_code():
    src = s2sad.derivative_source(list_of_enumerate, "forward", args=(X,))
    assert "enumerated_tangents(x_dot)" in src
    assert "enumerate(x_dot" not in src


def test_a_read_iterator_becomes_a_list_once():
    src = s2sad.derivative_source(min_of_zip, "forward", args=(X, Y))
    assert "items = list(zip_x_y)" in src
    assert "extremum_index(items, False)" in src


# ---------------------------------------------------------------------------
# An iterator read in two places
# ---------------------------------------------------------------------------
def rest_after_break(x):
    it = iter(x)
    s = 0.0
    for v in it:
        s += v
        if v > 1.0:
            break
    return s + sum(w * w for w in list(it))


def zip_after_next(a, b):
    r = reversed(a)
    first = next(r)
    s = 0.0
    for u, v in zip(r, b):
        s += u * v
    return s + first


def test_an_iterator_read_twice_in_step_is_exact_in_forward_mode():
    np.testing.assert_allclose(s2sad.jacfwd(rest_after_break)(X),
                               gradient_by_differences(rest_after_break, (X,), 0), atol=1e-6)


def test_an_iterator_read_twice_is_refused_in_reverse_mode():
    with pytest.raises(NonDifferentiableError) as e:
        s2sad.grad(rest_after_break)(X)
    message = str(e.value)
    assert "this iter(...) is read in more than one place" in message
    assert "it = iter(x)" in message and "^" in message
    assert "items = list(iter(...))" in message


def test_zeros_for_an_iterator_read_elsewhere_are_refused():
    with pytest.raises(NonDifferentiableError) as e:
        s2sad.jacfwd(zip_after_next, argnums=1)(X, Y)
    message = str(e.value)
    assert "this reversed(...) is iterated over in more than one place" in message
    assert "r = reversed(a)" in message
    # reverse mode sends b's adjoints by position in the zip, which is exact here
    np.testing.assert_allclose(s2sad.grad(zip_after_next, argnums=1)(X, Y),
                               gradient_by_differences(zip_after_next, (X, Y), 1), atol=1e-6)


def sorted_of_parameter(pairs):
    return sorted(pairs)[0][1]


def calls_with_an_iterator(x, y):
    return sorted_of_parameter(zip(x, y))


def loop_over_parameter(pairs):
    s = 0.0
    for a, b in pairs:
        s += a * b
    return s


def loops_over_an_iterator(x, y):
    return loop_over_parameter(zip(x, y))


@pytest.mark.parametrize("f", [calls_with_an_iterator, loops_over_an_iterator],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("transform", [s2sad.jacfwd, s2sad.grad], ids=["forward", "reverse"])
def test_an_iterator_passed_to_a_function_is_refused(f, transform):
    # the callee sees a parameter it knows nothing of, read once
    with pytest.raises(NonDifferentiableError) as e:
        transform(f)(X, Y)
    message = str(e.value)
    assert "() is given an iterator (zip(...)), which it can read only once" in message
    assert "(zip(x, y))" in message and "^" in message
    assert "pass a list: list(zip(...))" in message


def test_rules_that_read_an_iterator_again_say_so_when_they_run():
    # a runtime guard behind the refusal: the items of an exhausted iterator are none
    with pytest.raises(TypeError, match="iterate twice over an iterator"):
        s2sad.runtime.items_again(iter([1.0, 2.0]))
    with pytest.raises(TypeError, match="items of an iterator"):
        s2sad.runtime.item_zeros(reversed([1.0, 2.0]))


def test_trace_tables_of_zip_with_range_and_enumerate_start():
    t = s2sad.trace(loop_zip_with_range, X, mode="forward")
    assert t.derivative == pytest.approx(gradient_by_differences(loop_zip_with_range, (X,), 0)
                                         @ np.ones(4), abs=1e-6)
    t = s2sad.trace(loop_enumerate_start_keyword, [1.0, 2.0, 3.0], mode="forward")
    assert t.derivative == pytest.approx(6.0)
