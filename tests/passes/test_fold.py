"""Constant folding and algebraic simplification (s2sad/passes/fold.py)."""
import numpy as np
import pytest

from s2sad.ir.nodes import Const
from s2sad.ir.verify import verify
from s2sad.passes.dce import dce
from s2sad.passes.fold import fold, fold_constants

from .helpers import ir, kinds, prims, run, source


def _fold(src, *args, use_kinds=True, **names):
    fn = ir(src, **names)
    k = kinds(fn, *args) if use_kinds else None
    return verify(dce(fold(fn, k)))


def _returns(fn):
    return fn.body.yields[0]


def test_constant_arithmetic_is_computed():
    fn = _fold("""
def f(x):
    c = 2.0 * 3.0
    d = -(c - 1) ** 2 / 5
    return c * x + d
""", 1.5)
    assert all(not all(isinstance(a, Const) for a in op.args) for op in prims(fn, "binop"))
    assert run(fn, 1.5) == pytest.approx(6.0 * 1.5 - 5.0)
    assert "6.0 * x" in source(fn)


def test_comparisons_and_boolean_operators_of_constants():
    fn = _fold("""
def f(x):
    if 2 < 3 and not (1 == 2):
        return x
    return -x
""", 1.5)
    assert run(fn, 1.5) == 1.5
    assert fold_constants("compare", "<", [2, 3]) is True


@pytest.mark.parametrize("expr", ["1 / 0", "2 ** 100000", "1e308 * 10.0", "5 % 0", "(-8.0) ** 0.5"])
def test_what_would_raise_overflow_or_be_unreadable_is_left(expr):
    fn = _fold(f"""
def f(x):
    return x + {expr}
""", 1.0)
    op = prims(fn, "binop")
    assert len(op) == 2, source(fn)


IDENTITIES = ["x * 1", "1 * x", "x * 1.0", "x + 0", "0.0 + x", "x - 0", "x / 1", "x ** 1",
              "-(-x)", "(x + 0) * 1"]


@pytest.mark.parametrize("expr", IDENTITIES)
def test_identities_of_floats_vanish(expr):
    fn = _fold(f"""
def f(x):
    return {expr}
""", 1.5)
    assert _returns(fn) is fn.params[0].value, source(fn)


@pytest.mark.parametrize("expr", IDENTITIES)
def test_identities_of_arrays_vanish_when_nothing_writes_them(expr):
    fn = _fold(f"""
def f(x):
    return {expr}
""", np.ones(2))
    assert _returns(fn) is fn.params[0].value, source(fn)


@pytest.mark.parametrize("expr", IDENTITIES)
def test_no_identity_without_kinds(expr):
    fn = _fold(f"""
def f(x):
    return {expr}
""", use_kinds=False)
    assert _returns(fn) is not fn.params[0].value


@pytest.mark.parametrize("expr,keeps", [("x * 1.0", float), ("x / 1", float), ("x + 0.0", float),
                                        ("x * 1", int), ("x - 0", int)])
def test_the_type_of_an_int_never_changes(expr, keeps):
    fn = _fold(f"""
def f(x):
    return {expr}
""", 3)
    out = run(fn, 3)
    assert type(out) is keeps and out == 3
    assert (_returns(fn) is fn.params[0].value) == (keeps is int)


def test_zero_times_a_float_is_zero():
    fn = _fold("""
def f(x, y):
    return 0 * x + y * 0.0 + x
""", 1.5, 2.5)
    assert run(fn, 1.5, 2.5) == 1.5
    assert len(prims(fn, "binop")) == 0, source(fn)


def test_zero_times_an_array_stays():
    a = np.ones(3)
    fn = _fold("""
def f(x):
    return 0.0 * x
""", a)
    np.testing.assert_array_equal(run(fn, a), np.zeros(3))
    assert len(prims(fn, "binop")) == 1


def test_an_array_copy_written_in_place_stays_a_copy():
    src = """
def f(x):
    y = x + 0
    y += 1.0
    return y
"""
    fn = _fold(src, np.ones(2))
    x = np.ones(2)
    np.testing.assert_array_equal(run(fn, x), [2.0, 2.0])
    np.testing.assert_array_equal(x, [1.0, 1.0])


def test_an_array_copy_stays_when_its_source_is_written_later():
    src = """
def f(x):
    y = x * 1
    x[0] = 5.0
    return y
"""
    fn = _fold(src, np.ones(2))
    np.testing.assert_array_equal(run(fn, np.ones(2)), [1.0, 1.0])


def test_an_array_copy_through_setitem_stays():
    src = """
def f(x):
    y = x * 1.0
    y[0] = 5.0
    return x
"""
    fn = _fold(src, np.ones(2))
    np.testing.assert_array_equal(run(fn, np.ones(2)), [1.0, 1.0])


def test_a_scalar_accumulator_is_not_replaced():
    # ``t += v`` keeps t's variable: t may not become x's
    fn = _fold("""
def f(x):
    t = x * 1
    t += 2.0
    return x + t
""", 1.0)
    assert run(fn, 1.0) == 4.0


def test_double_negation_of_an_integer_array_is_kept():
    # "intarray" includes boolean arrays, for which -x raises
    for a in (np.array([1, 2]), np.array([True, False])):
        fn = _fold("""
def f(x):
    return -(-x)
""", a)
        assert _returns(fn) is not fn.params[0].value


def test_short_circuit_of_a_constant_left_operand():
    fn = _fold("""
def f(x):
    a = True or x
    b = False and x
    c = False or x
    return a, b, c
""", 1.5)
    assert run(fn, 1.5) == (True, False, 1.5)
    assert len(prims(fn, "binop")) == 0


def test_an_if_with_a_constant_test_is_its_taken_branch():
    fn = _fold("""
def f(x):
    if 1.0 < -1.0:
        y = np.sqrt(x)
    else:
        y = x * 2.0
    return y
""", 1.5)
    assert not [op for op in fn.body.ops if not hasattr(op, "kind")], source(fn)
    assert run(fn, 1.5) == 3.0


def test_an_unbound_variable_read_under_the_same_test_goes_with_it():
    # the forward sweep defines s under a test, the reverse sweep reads it under the same
    fn = _fold("""
def f(x):
    c = 1.0 < -1.0
    if c:
        s = np.sqrt(x)
    if c:
        x = x * s
    return x
""", 1.5)
    assert "sqrt" not in source(fn)
    assert run(fn, 1.5) == 1.5


def test_an_if_stays_when_its_unbound_variable_is_read_elsewhere():
    fn = _fold("""
def f(x, k):
    if 1.0 < -1.0:
        s = np.sqrt(x)
    if k > 1:
        x = x * s
    return x
""", 1.5, 0)
    assert "sqrt" in source(fn)  # verify() would reject a read of nothing
    assert run(fn, 1.5, 0) == 1.5


def test_a_result_both_branches_give_alike():
    from s2sad.passes.copyprop import copyprop
    fn = ir("""
def f(x, c):
    if c > 0:
        k = 2.0
        y = x
    else:
        k = 2.0
        y = x
    return x * k + y
""")
    fn = verify(dce(fold(copyprop(fn), kinds(fn, 1.5, 1.0))))
    assert "x * 2.0" in source(fn)  # k is 2.0 on both branches (y = x stays: the user's)
    assert run(fn, 1.5, -1.0) == 4.5
