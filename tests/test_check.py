"""s2sad.check_grads and s2sad.check_rule (s2sad/check.py)."""
import math
import re

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2sadError


def textbook(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def mixed(x, a):
    return np.sum(np.tanh(a * x)), a * x ** 2


def cubic(a):
    return np.sum(a ** 3) + np.sum(np.sin(a)) * np.sum(a)


def with_count(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * i)
    return s


@pytest.mark.parametrize("modes", [("fwd", "rev"), ("fwd",), ("rev",), "reverse"])
def test_correct_functions_pass(modes):
    s2sad.check_grads(textbook, (2.0, 5.0), modes=modes, order=2)
    s2sad.check_grads(mixed, (1.5, np.array([0.5, -1.0, 2.0])), modes=modes)
    s2sad.check_grads(cubic, (np.array([[0.5, -1.0], [2.0, 0.3]]),), modes=modes, order=2)
    s2sad.check_grads(with_count, (0.7, 3), modes=modes, order=2)


def test_large_arguments_are_checked_along_random_directions():
    big = np.linspace(-1.0, 1.0, 200)
    s2sad.check_grads(cubic, (big,), order=2)
    s2sad.check_grads(lambda a: np.sin(a) * 2.0, (big,))


def test_argnums_and_non_float_arguments():
    s2sad.check_grads(textbook, (2.0, 5.0), argnums=1)
    s2sad.check_grads(with_count, (0.7, 3), argnums=(0,))
    with pytest.raises(S2sadError, match="argument 1 is int"):
        s2sad.check_grads(with_count, (0.7, 3), argnums=(0, 1))
    with pytest.raises(S2sadError, match="unknown mode"):
        s2sad.check_grads(textbook, (2.0, 5.0), modes=("sideways",))
    with pytest.raises(S2sadError, match="order=2 needs a function that returns a scalar"):
        s2sad.check_grads(mixed, (1.5, np.ones(2)), order=2)


def test_float32_arguments_are_checked_in_float64():
    s2sad.check_grads(cubic, (np.array([0.5, -1.0], dtype=np.float32),))


# ---------------------------------------------------------------------------
# A deliberately wrong rule is caught, in both modes
# ---------------------------------------------------------------------------
def mycube(x):
    return x ** 3


@s2sad.defpartials(mycube)
def _mycube_partials(x):
    return 2 * x ** 2  # wrong: should be 3 * x ** 2


def uses_mycube(x, y):
    return mycube(x) * y + y


def mymul(x, y):
    return x * y


@s2sad.defpartials(mymul)
def _mymul_partials(x, y):
    return y, y  # wrong in the second argument: d/dy is x


def mysquare(x):
    return x * x


@s2sad.defjvp(mysquare)
def _mysquare_jvp(x, *, ans, x_dot):
    return 2 * x * x_dot


@s2sad.defvjp(mysquare)
def _mysquare_vjp(x, *, ans, ans_bar):
    return (3 * x * ans_bar,)  # wrong: disagrees with the forward rule


MESSAGE = {
    "fwd": r"forward mode \(jvp\) of uses_mycube disagrees with finite differences for "
           r"argument 0 \(x\)",
    "rev": r"reverse mode \(vjp\) of uses_mycube disagrees with finite differences for "
           r"argument 0 \(x\)",
}


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_a_wrong_partial_fails_with_a_helpful_message(mode):
    with pytest.raises(AssertionError) as info:
        s2sad.check_grads(uses_mycube, (1.3, 0.7), modes=(mode,))
    text = str(info.value)
    assert re.search(MESSAGE[mode], text), text
    assert "element: d output / d x" in text
    fd = 3 * 1.3 ** 2 * 0.7
    wrong = 2 * 1.3 ** 2 * 0.7
    got = re.search(r"expected (\S+) \(finite differences\), got (\S+)", text)
    assert float(got.group(1)) == pytest.approx(fd, rel=1e-8)
    assert float(got.group(2)) == pytest.approx(wrong, rel=1e-12)
    assert "tolerance" in text and "rtol=1e-05" in text


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_the_worst_element_of_an_array_is_named(mode):
    def f(a, b):
        return mymul(a, b) + a

    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -4.0, 0.25])
    with pytest.raises(AssertionError) as info:
        s2sad.check_grads(f, (a, b), modes=(mode,))
    text = str(info.value)
    assert "for argument 1 (b)" in text, text
    # d out[1] / d b[1] is a[1] = 2 but the rule says b[1] = -4: the worst element
    assert "worst element: d output[1] / d b[1]" in text, text
    got = re.search(r"expected (\S+) \(finite differences\), got (\S+)", text)
    assert float(got.group(1)) == pytest.approx(2.0) and float(got.group(2)) == -4.0, text
    assert "3 of 9 values are off" in text, text


def test_forward_and_reverse_rules_that_disagree_fail_the_dot_product_test():
    from s2sad import api
    from s2sad.check import _dot_product_test, _Problem

    def f(x):
        return mysquare(x) + x

    s2sad.check_grads(f, (1.2,), modes=("fwd",))
    with pytest.raises(AssertionError, match="reverse mode"):
        s2sad.check_grads(f, (1.2,), modes=("rev",))
    with pytest.raises(AssertionError) as info:
        _dot_product_test(api, _Problem(f, (1.2,), (0,), 1e-3), "f", np.random.default_rng(0),
                          1e-5, 1e-6)
    text = str(info.value)
    assert "forward and reverse mode of f disagree (dot-product test" in text, text
    assert "<J v, w> =" in text and "(forward) but <v, J^T w> =" in text


def stop(x):
    return x


s2sad.nondifferentiable(stop)


def mycube2(x):
    return x ** 3


@s2sad.defjvp(mycube2)
def _mycube2_jvp(x, *, ans, x_dot):
    return 3 * x * x * x_dot


@s2sad.defvjp(mycube2)
def _mycube2_vjp(x, *, ans, ans_bar):
    return (3 * stop(x) * stop(x) * ans_bar,)  # right values, but a wrong derivative


def test_a_wrong_hessian_vector_product_is_caught():
    def f(x):
        return mycube2(x) + x * x

    s2sad.check_grads(f, (1.1,))
    with pytest.raises(AssertionError) as info:
        s2sad.check_grads(f, (1.1,), order=2)
    text = str(info.value)
    assert "Hessian-vector product (forward over reverse) of" in text, text
    got = re.search(r"expected (\S+) \(finite differences\), got (\S+)", text)
    assert float(got.group(1)) == pytest.approx(6 * 1.1 + 2) and float(got.group(2)) == 2.0


def test_tuple_outputs_name_their_part():
    def f(x, y):
        return x * y, mymul(x, y) * 2.0

    with pytest.raises(AssertionError, match=r"d output\[1\] / d y"):
        s2sad.check_grads(f, (1.5, 2.0), modes=("rev",))


# ---------------------------------------------------------------------------
# check_rule
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn,args", [(np.sin, (0.3,)), (np.arctan2, (0.3, -0.5)),
                                      (math.log, (2.0,)), (np.tanh, (np.array([0.1, -2.0]),)),
                                      (mysquare, (1.2,))])
def test_check_rule_passes_registered_rules(fn, args):
    modes = ("fwd",) if fn is mysquare else None
    s2sad.check_rule(fn, *args, modes=modes)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_check_rule_fails_on_a_wrong_rule(mode):
    with pytest.raises(AssertionError) as info:
        s2sad.check_rule(mycube, 1.3, modes=(mode,))
    text = str(info.value)
    assert text.startswith("the rule of user.mycube: check_grads: "), text
    assert ("forward" if mode == "fwd" else "reverse") in text


def test_check_rule_without_a_rule():
    with pytest.raises(S2sadError, match="no derivative rule is registered"):
        s2sad.check_rule(lambda x: x, 1.0)
