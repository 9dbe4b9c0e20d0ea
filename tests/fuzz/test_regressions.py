"""Counterexamples the fuzzer (test_fuzz.py) found, reduced to a few lines.

Each is a regular test.  Those whose bug lies outside the passes and
``check.py`` are marked ``xfail(strict=True)`` with the file at fault: they
start failing the day the bug is fixed, so the mark is removed with the fix.
"""
import numpy as np
import pytest

import s2sad

from .programs import Assign, ForStmt, IfStmt, Program, Return, Test
from .test_fuzz import check_program


def _program(body, scalars=("x0",), arrays=()):
    return Program(list(scalars), list(arrays), body)


# found by the fuzzer: hvp/hessian (forward over reverse) of a function indexing an
# array raised NonDifferentiableError (the vjp wrote np.add.at, which forward mode could
# not differentiate); fixed in s2sad/ad/reverse.py (a pure runtime index_adjoint)
def test_hvp_of_an_array_subscript():
    def f(a):
        return a[0] * a[1]

    hv = s2sad.hvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    np.testing.assert_allclose(hv, [0.0, 1.0])


def test_fuzz_hvp_of_an_array_subscript():
    prog = _program([Assign("x0", "0.5"), Return("a0[0]")], arrays=("a0",))
    check_program(prog, (0.0, np.zeros(3)), order=2)


# fixed in s2sad/ad/reverse.py (zeros of possibly unbound values read no variable):
UNBOUND_RETURN = (
    "s2sad/ad/reverse.py: the zero cotangent of an early `return` of a value that is not "
    "known to be a float (an array, a tuple, np.sum(...) whose kind is unknown) is built from "
    "the return variable (np.zeros_like(y) / zeros_like_value(y)); when the return sits two "
    "statements deep (if in if, if in for in for, for in if) and is not taken, y is unbound "
    "(UnboundLocalError in the generated f_vjp); one level deep initializes y = None or "
    "needs no zero")


def test_early_array_return_from_a_nested_if():
    src = """
def f(x, a):
    if x > 0.25:
        if x > 0.5:
            return np.sin(a)
    return a * 2.0
"""
    f = s2sad.from_source(src, globals={"np": np})
    out, fn = s2sad.vjp(f, 0.0, np.ones(3))
    np.testing.assert_array_equal(fn(np.ones(3))[1], [2.0, 2.0, 2.0])


def test_fuzz_early_array_return_from_a_nested_if():
    # (as found it returned a0 itself under constant tests, which fold now removes)
    prog = _program([IfStmt(Test("x0", 0.25), [Assign("x0", "0.5")], [
        IfStmt(Test("x0", -0.25), [Return("np.sin(a0)")], [])]), Return("a0")],
        arrays=("a0", "a1"))
    check_program(prog, (-1.0, np.zeros(3), np.zeros(3)))


def test_early_array_return_one_statement_deep():
    for src in ("""
def f(x, a):
    for i in range(2):
        if x > 0.5:
            return a
    return a * 2.0
""", """
def f(x, a):
    if x > 0.5:
        return a
    return a * 2.0
"""):
        f = s2sad.from_source(src)
        for x in (0.0, 1.0):
            s2sad.check_grads(f, (x, np.array([0.5, 1.0, -2.0])))


def test_early_tuple_return_from_a_nested_loop():
    src = """
def f(x):
    for i in range(2):
        for j in range(2):
            if x > 0.25:
                return x, x
    return x, x
"""
    f = s2sad.from_source(src)
    out, fn = s2sad.vjp(f, 1.0)
    assert fn((1.0, 1.0)) == (2.0,)


def test_early_tuple_return_from_one_loop():
    src = """
def f(x):
    for i in range(2):
        if x > 0.25:
            return x, x * x
    return x, x
"""
    f = s2sad.from_source(src)
    out, fn = s2sad.vjp(f, 1.0)
    assert fn((1.0, 1.0)) == (3.0,)
    s2sad.check_grads(f, (1.0,))


def test_fuzz_early_array_return_from_a_nested_loop():
    prog = _program([ForStmt("i1", 1, [ForStmt("i2", 1, [
        IfStmt(Test("0.5", 0.25), [Return("a0")], [])])]), Return("a0")], arrays=("a0",))
    check_program(prog, (0.0, np.ones(3)))


def test_check_grads_of_a_program_returning_an_int():
    # found by the fuzzer: s2sad/check.py stacked an empty list of Jacobian rows (fixed)
    prog = _program([ForStmt("i1", 2, [Assign("x0", "(i1) ** 2")]), Return("((x0) ** 2) ** 2")])
    check_program(prog, (0.42364683361105415,), order=2)
    s2sad.check_grads(lambda x: 3, (1.0,))


def test_hvp_through_a_branch_that_is_never_taken():
    # found by the fuzzer: fold turned `1.0 < -1.0` into False but left `if False:` in the
    # vjp, and the reverse sweep's `if c_1: ... sqrt ...`; differentiating that vjp again
    # (hvp) the front end rejected `sqrt` as never assigned.  Fixed in s2sad/passes/fold.py:
    # an if with a constant test is replaced by its branch, a result alike on both
    # branches is a constant.
    prog = _program([IfStmt(Test("((x0) ** 2 + x0)", 1.5, "<"), [
        IfStmt(Test("1.0", -1.0, "<"), [Assign("x0", "(np.sqrt(x0 * x0 + 1.0)) ** 2")], [])],
        []), Return("(np.tanh((x0 / (1.0 + x0 * x0))) / (1.0 + np.tanh(x0) * np.tanh(x0)))")],
        arrays=("a0",))
    check_program(prog, (-4.648031065742453e-253, np.array([-0.99999, -0.40467252, -0.14719139])),
                  order=2)


@pytest.mark.xfail(strict=True, reason=(
    "s2sad/frontend/lower.py rejects a read of a variable whose only assignment is in dead "
    "code (`if False:`) even where the read is guarded and never runs (Python raises "
    "nothing): SourceError 'local variable s is read before it is assigned'"))
def test_guarded_read_of_a_variable_assigned_only_in_dead_code():
    src = """
def f(x):
    if False:
        s = x * 2.0
    if x > 10.0:
        return s
    return x
"""
    f = s2sad.from_source(src)
    assert f(1.0) == 1.0
    assert s2sad.grad(f)(1.0) == 1.0


def test_fuzz_early_return_of_an_unknown_kind_three_statements_deep():
    prog = _program([IfStmt(Test("(np.sin(x0)) ** 2", 0.5, "<"), [
        Assign("x0", "np.sum((np.exp(np.tanh(a0)) / (1.0 + (a0 * a0) * (a0 * a0))))"),
        ForStmt("i1", 3, [Assign("a0", "(a0 + ((a0) ** 2) ** 2)"),
                          Assign("x0", "np.sum(np.arctan(a0))"),
                          IfStmt(Test("x0", 100.0, ">"), [Return("x0")], [])])], []),
        Return("x0")], arrays=("a0",))
    check_program(prog, (-2.0, np.array([1.01438352, 0.648724887, 0.1])))


def test_finite_differences_of_a_fast_oscillation():
    # found by the fuzzer: cos(a0) with a0 in the hundreds; finite differences at the
    # first steps (1e-3, then 6 halvings) had not converged: s2sad/check.py now halves
    # until two extrapolations agree and adds their difference to the tolerance (fixed)
    prog = Program(["x0"], ["a0", "a1"], [
        Assign("a1", "np.exp(np.sin(((x0 / (1.0 + x0 * x0)) + np.tanh(a1))))"),
        ForStmt("i1", 2, [Assign("a0", "((np.exp(np.tanh(a1)) + (a0) ** 2)) ** 2")]),
        Return("((np.tanh(a1)) ** 2 + (np.cos(a0) + np.arctan(a1)))")])
    check_program(prog, (-0.15552009977766845, np.array([-1.26682919, 0.1295271, -1.19369363]),
                         np.array([-1.64305804e-001, 1.93347043e+000, -1.11253693e-308])))


def test_finite_differences_of_a_steep_tanh():
    # found by the fuzzer: the hessian of sin(tanh(v)) with v ~ 176 x: the first steps of
    # finite differences of the gradient were too coarse (fixed in s2sad/check.py)
    src = """
def f(x0, a0):
    v1 = x0
    for i2 in range(2):
        v1 = np.dot(((a0 - 3.0) - (a0) ** 2), ((a0 + v1) + (a0 - a0)))
    return np.sin(np.tanh(v1))
"""
    f = s2sad.from_source(src, globals={"np": np})
    s2sad.check_grads(f, (-1.5752123365914865e-217, np.array([1.79192337, -1.26108058, 0.0])),
                      order=2)


# found by the fuzzer: with a tuple output, the cotangent of an entry became a variable's
# adjoint and was updated in place (y_bar -= y_bar) while still read: a wrong gradient.
# Fixed in s2sad/backend/emit.py (a scalar x_bar += t whose old value is read again gets a
# new variable).
def test_cotangent_of_a_tuple_entry_updated_in_place():
    src = """
def f(x):
    y = x * 2.0
    return y - (y - np.sin(y)), 1.0
"""
    f = s2sad.from_source(src, globals={"np": np})
    out, fn = s2sad.vjp(f, 0.5)
    assert fn((1.0, 0.0))[0] == pytest.approx(2 * np.cos(1.0))


def test_fuzz_cotangent_of_a_tuple_entry_updated_in_place():
    prog = _program([
        ForStmt("i1", 2, [
            Assign("x0", "np.sqrt(np.sin(np.exp(np.sin(x0))) * np.sin(np.exp(np.sin(x0))) + 1.0)"),
            Assign("x0", "math.exp(math.cos(np.arctan((x0) ** 2)))")]),
        Assign("x0", "(x0 + np.arctan(np.arctan(x0)))"),
        Return("(x0 - (x0 - math.exp(math.cos(x0)))), np.log(np.log(np.sin(x0) * np.sin(x0) "
               "+ 1.0) * np.log(np.sin(x0) * np.sin(x0) + 1.0) + 1.0)")])
    check_program(prog, (0.0,))


def test_the_same_expression_with_a_scalar_output():
    src = """
def f(x):
    y = x * 2.0
    return y - (y - np.sin(y))
"""
    f = s2sad.from_source(src, globals={"np": np})
    s2sad.check_grads(f, (0.5,))


# fixed in s2sad/backend/emit.py: negative constants are written as -(c)
def test_negative_constant_base_of_a_power():
    def f(x, n):
        return x * (-2.0) ** n

    assert s2sad.ssa_function(f)(1.0, 2) == 4.0
    assert s2sad.grad(f)(1.0, 2) == 4.0


def test_negative_constant_base_of_a_constant_power():
    # found by the fuzzer's comparison of the code with and without the passes: fold
    # computes (-2.0) ** 2 = 4.0, so derivatives are right with the passes (the bug above)
    src = """
def f(x0):
    v1 = (((-2.0) ** 2 - math.log(1.0 + 0.5 * 0.5)) / (1.0 + x0 * x0))
    return v1
"""
    import math
    f = s2sad.from_source(src, globals={"math": math})
    s2sad.check_grads(f, (-1.9620703019752819,))


# a loop-carried array read by subscript (a = a[1] * a) gets kind None, so reverse mode
# accumulates its adjoint with runtime.add_any, which had no forward rule: hvp/hessian
# raised NonDifferentiableError; fixed in s2sad/rules/helpers.py (add_any's rules)
def test_hvp_of_a_loop_carried_array_read_by_subscript():
    def f(a):
        for i in range(2):
            a = a[1] * a
        return np.sum(a)

    s2sad.check_grads(f, (np.array([0.5, 1.5, 2.0]),), order=2)
