"""The operator module and the builtins (min/max of several arguments and of
sequences, sum with start, sorted, list/tuple, dict(...), divmod...), in both
modes and at second order, against central finite differences."""
import math
import operator

import numpy as np
import pytest

import s2sad

from .test_math_rules import check_scalar


def op_arith(x, y):
    return (operator.add(x, y) * operator.mul(x, x) - operator.sub(y, x) +
            operator.truediv(x, y) + operator.pow(x, 2.0) + operator.neg(y) * operator.pos(x) +
            operator.abs(y) + operator.mod(x * 5.0, 1.3))


def op_floordiv(x, y):
    return x * operator.floordiv(x * 10.0, y) + float(operator.lt(x, y))


def op_getitem(x, y):
    xs = [x, y, x * y]
    return operator.getitem(xs, 2) + operator.getitem((x, y), 0) * y


def op_getitem_array(a):
    return np.sum(operator.getitem(a, 1) ** 2) + operator.getitem(a, (0, 1))


def op_matmul(a):
    return np.sum(operator.matmul(a, a) ** 2)


def min_list(x, y):
    return min([x, 5.0]) + max([x * y, y, 0.5])


def min_max_many(x, y):
    return max(x, 0.25, y * y) * min(x, y, -3.0, x * y)


def max_tuple_of_generator(x, y):
    return max(v * v for v in (x, y, x + y))


def max_default(x, y):
    return max([x, y], default=0.0) + min([], default=x * y)


def sum_start(x, y):
    return sum([x, x * y], y * y) + sum((x, y))


def abs_array(a):
    return np.sum(abs(a) ** 3)


def sorted_(x, y):
    s = sorted([x, y * y, 1.0, x * y])
    r = sorted([x, y], reverse=True)
    return s[0] * s[1] + s[3] + r[0] * 2.0


def sorted_dict(x, y):
    d = {"b": x, "a": y}
    keys = sorted(d)
    pairs = sorted(d.items())
    return d[keys[0]] * x + d[keys[1]] * y + pairs[0][1] * pairs[1][1] * x


def tuple_list(x, y):
    t = tuple([x, y * y])
    xs = list((x * y, y))
    return t[1] * xs[0] + t[0] * xs[1]


def list_of_array(a):
    rows = list(a)
    return np.sum(rows[0] * rows[1])


def list_reversed(x, y):
    xs = list(reversed([x, y * y, 1.0]))
    return xs[0] * xs[1] + xs[2]


def dict_call(x, y):
    d = dict(a=x, b=y * y)
    return d["a"] * d["b"]


def float_of_array(a):
    return float(a[1]) * float(np.sum(a * a)) + float(a[0])


def divmod_(x, y):
    q, r = divmod(x * 7.0, y)
    return r * r + q


def round_pow(x, y):
    return x * round(x, 1) + pow(x, y) + x * pow(3, 4, 5)


SCALAR = [op_arith, op_floordiv, op_getitem, min_list, min_max_many, max_tuple_of_generator,
          max_default, sum_start, sorted_, tuple_list, list_reversed, divmod_,
          round_pow]


@pytest.mark.parametrize("f", SCALAR, ids=[f.__name__ for f in SCALAR])
def test_scalar_function(f):
    check_scalar(f, 0.7, 1.6)


ARRAY = [(op_getitem_array, np.array([[0.3, -1.2], [0.5, 2.0]])),
         (op_matmul, np.array([[0.3, -1.2], [0.5, 2.0]])),
         (abs_array, np.array([0.3, -1.2, 0.5])),
         (list_of_array, np.array([[0.3, -1.2], [0.5, 2.0]])),
         (float_of_array, np.array([1.7, -0.4]))]


@pytest.mark.parametrize("f, a", ARRAY, ids=[f.__name__ for f, _ in ARRAY])
def test_array_function(f, a):
    check_scalar(f, a)


def test_dicts_first_order():
    # second order through dict adjoints is not there yet (their .get())
    check_scalar(dict_call, 0.7, 1.6, second=False)
    check_scalar(sorted_dict, 0.7, 1.6, second=False)  # sorted(d) is d's keys


def test_ties_go_to_the_entry_python_returns():
    # max(a, b, ...) returns the first of equal entries: the derivative is its
    assert s2sad.grad(lambda_free_tie, argnums=(0, 1))(1.0, 1.0) == (1.0, 0.0)
    assert s2sad.grad(lambda_free_tie_list, argnums=(0, 1))(1.0, 1.0) == (0.0, 1.0)


def lambda_free_tie(x, y):
    return max(x, y, 0.5)


def lambda_free_tie_list(x, y):
    return min([y, x])


def test_the_generated_code_keeps_the_call():
    src = s2sad.derivative_source(min_max_many, "reverse", args=(0.7, 1.6))
    assert "max(x, 0.25, *rest)" in src and "if rest" not in src
    src = s2sad.derivative_source(op_getitem, "forward", args=(0.7, 1.6))
    assert "xs[2]" in src and "= operator.getitem" not in src  # operator.getitem(xs, 2) is xs[2]


def test_in_place_operators_have_no_rule():
    with pytest.raises(s2sad.NonDifferentiableError, match="operator.iadd"):
        s2sad.grad(iadd)(0.7)


def iadd(x):
    return operator.iadd(x, x)


def test_sum_start_tangent_counts_start():
    # sum(xs, start): the start's tangent is part of the result's
    assert s2sad.jvp(sum_start, (0.7, 1.6), (0.0, 1.0))[1] == pytest.approx(
        0.7 + 2 * 1.6 + 1.0)
    assert math.isclose(s2sad.grad(sum_start, argnums=1)(0.7, 1.6), 0.7 + 2 * 1.6 + 1.0)
