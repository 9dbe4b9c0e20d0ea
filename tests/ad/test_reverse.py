"""Reverse mode (issue 4): ``s2sad.grad`` / ``value_and_grad`` / ``vjp`` and the
generated adjoint code.

* the seeds' example: the gradient and the order of the adjoint lines;
* gradients against central finite differences on the corpus shared with the
  forward suite (``corpus.CASES``) and on one function per rule;
* the dot-product test <J v, w> = <v, J^T w> between ``jvp`` and ``vjp`` on every
  function of the corpus, vector-valued ones included;
* the tape: it holds only what the reverse sweep reads;
* errors: ``grad`` of a function that does not return a scalar.
"""
import ast
import math
import re
import zlib

import numpy as np
import pytest

import s2sad
from s2sad.ir.kinds import kind_of_object
from s2sad.compiler import compile_derivative

from . import corpus
from .corpus import (CASES, SCALAR_OUTPUT, VECTOR_OUTPUT, as_vector, central_difference,
                     close, float_positions, point_id, points, random_direction, rule_cases)


def _rng(fn, point):
    return np.random.default_rng(zlib.crc32(point_id(fn, point).encode()))


def _fd_gradient(fn, point):
    out = []
    for i in float_positions(point):
        e = [1.0 if j == i else 0.0 for j in range(len(point))]
        out.append(central_difference(fn, point, e))
    return out


# ---------------------------------------------------------------------------
# The seeds' example
# ---------------------------------------------------------------------------
def test_textbook_gradient():
    g1, g2 = s2sad.grad(corpus.textbook, argnums=(0, 1))(2.0, 5.0)
    assert g1 == pytest.approx(5.5, abs=1e-12)
    assert g2 == pytest.approx(2.0 - math.cos(5.0), abs=1e-12)
    assert round(g2, 4) == 1.7163


def test_textbook_value_and_grad_single_argnum():
    value, g = s2sad.value_and_grad(corpus.textbook)(2.0, 5.0)
    assert value == pytest.approx(math.log(2.0) + 10.0 - math.sin(5.0))
    assert g == pytest.approx(5.5)


def _adjoint_lines(source):
    """(target, '=' or '+=', right-hand side) of each assignment to an adjoint."""
    fn = ast.parse(source).body[0]
    out = []
    for node in fn.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id.endswith("_bar"):
            out.append((node.targets[0].id, "=", ast.unparse(node.value)))
        elif isinstance(node, ast.AugAssign) and node.target.id.endswith("_bar"):
            out.append((node.target.id, "+=" if isinstance(node.op, ast.Add) else "?",
                        ast.unparse(node.value)))
    return out


def test_textbook_reverse_source_follows_the_seeds_table():
    src = s2sad.derivative_source(corpus.textbook, "reverse", args=(2.0, 5.0))
    lines = _adjoint_lines(src)
    assert [(t, op) for t, op, _ in lines] == [
        ("x2_bar", "="), ("x1_bar", "="), ("x2_bar", "+="), ("x1_bar", "+=")], src
    (_, _, from_sin), (_, _, x1_from_product), (_, _, x2_from_product), (_, _, from_log) = lines
    assert "cos(x2)" in from_sin
    assert x1_from_product == "y_bar * x2"
    assert x2_from_product == "y_bar * x1"
    assert from_log == "y_bar / x1"
    assert "tape" not in src and "_stack" not in src  # straight-line code needs no tape
    assert src.rstrip().endswith("return x1_bar, x2_bar")


def test_seeds_two_outputs_vjp():
    out, vjp_fn = s2sad.vjp(corpus.two_outputs, 2.0, 3.0)
    assert out == pytest.approx((5.5838531634528575, 24.693147180559945))
    # the rows of the Jacobian
    assert vjp_fn((1.0, 0.0)) == pytest.approx((3.0 - math.sin(2.0), 2.0))
    assert vjp_fn((0.0, 1.0)) == pytest.approx((0.5, 26.0))


# ---------------------------------------------------------------------------
# Gradients against finite differences
# ---------------------------------------------------------------------------
def test_corpus_shapes():
    assert len(SCALAR_OUTPUT) >= 55
    names = {fn.__name__ for fn, _ in SCALAR_OUTPUT}
    for shape in ("newton_sqrt", "while_growth", "halving", "overwrite_many", "logistic",
                  "break_loop", "continue_loop", "return_in_loop", "for_else",
                  "while_break", "return_in_while", "nested_if", "swap_loop", "min_max_loop"):
        assert shape in names


@pytest.mark.parametrize("fn, point", points(SCALAR_OUTPUT),
                         ids=[point_id(f, p) for f, p in points(SCALAR_OUTPUT)])
def test_gradient_matches_finite_differences(fn, point):
    nums = tuple(float_positions(point))
    value, g = s2sad.value_and_grad(fn, argnums=nums)(*point)
    assert close(value, fn(*point), rtol=1e-12, atol=1e-12), "primal value changed"
    expected = _fd_gradient(fn, point)
    assert close(g, expected), f"{fn.__name__}{point}: {g} != {expected}"
    # one argnum at a time gives the same numbers (a separate compilation)
    g0 = s2sad.grad(fn, argnums=nums[0])(*point)
    assert close(g0, g[0], rtol=1e-12, atol=1e-12)


RULE_CASES = rule_cases()


@pytest.mark.parametrize("name, fn, pts, rule", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_every_rule_gradient(name, fn, pts, rule):
    for point in pts:
        g = s2sad.grad(fn, argnums=(0, 1))(*point)
        expected = _fd_gradient(fn, point)
        assert close(g, expected), f"{name} at {point}: {g} != {expected}"


# ---------------------------------------------------------------------------
# <J v, w> = <v, J^T w>
# ---------------------------------------------------------------------------
def _inner(a, b):
    return float(np.dot(as_vector(a), as_vector(b)))


@pytest.mark.parametrize("fn, point", points(), ids=[point_id(f, p) for f, p in points()])
def test_dot_product_jvp_vjp(fn, point):
    rng = _rng(fn, point)
    v = random_direction(point, rng)
    out, jv = s2sad.jvp(fn, point, v)
    if isinstance(out, tuple):
        w = tuple(float(x) for x in rng.normal(size=len(out)))
    else:
        w = float(rng.normal())
    out2, vjp_fn = s2sad.vjp(fn, *point)
    assert close(out2, out, rtol=1e-12, atol=1e-12)
    jtw = vjp_fn(w)
    assert len(jtw) == len(point)
    for a, g in zip(point, jtw):
        assert (g is None) == (not isinstance(a, float))
    lhs = _inner(jv, w)
    rhs = sum(vi * gi for vi, gi in zip(v, jtw) if vi is not None)
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("fn, point", points(VECTOR_OUTPUT),
                         ids=[point_id(f, p) for f, p in points(VECTOR_OUTPUT)])
def test_vector_output_vjp_rows_match_finite_differences(fn, point):
    out, vjp_fn = s2sad.vjp(fn, *point)
    cols = _fd_gradient(fn, point)  # one column (a tuple over outputs) per float argument
    floats = float_positions(point)
    for k in range(len(out)):
        w = tuple(1.0 if j == k else 0.0 for j in range(len(out)))
        row = vjp_fn(w)
        assert close([row[i] for i in floats], [col[k] for col in cols])


# ---------------------------------------------------------------------------
# The tape
# ---------------------------------------------------------------------------
def long_loop(x, n):
    s = x
    for i in range(n):
        s = math.sin(s) * 0.5 + x
    return s


def constant_step(y, c, n):
    s = 0.0
    for i in range(n):
        s = s + c * y
    return s


def constant_step_while(y, c, n):
    s = 0.0
    i = 0
    while i < n:
        s = s + c * y
        i += 1
    return s


# The tape is made of plain lists that the generated code creates empty at its
# start: one ``tape`` of tuples, or one ``<value>_stack`` per taped value.
TAPE_NAME = re.compile(r"^(tape|\w+_stack)(_\d+)?$")


def _tape_names(source):
    fn = ast.parse(source).body[0]
    return [stmt.targets[0].id for stmt in fn.body
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and TAPE_NAME.match(stmt.targets[0].id)
            and isinstance(stmt.value, ast.List) and not stmt.value.elts]


def _tape_calls(source, method):
    """The ``<tape>.<method>(...)`` calls of the generated code."""
    names = set(_tape_names(source))
    return [node for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == method and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names]


def _tape_reads(source):
    """Where the generated code reads a tape back: ``<tape>.pop()`` calls, and
    ``reversed(<tape>)`` in the header of a reverse loop that runs once."""
    names = set(_tape_names(source))
    return _tape_calls(source, "pop") + [
        node for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id == "reversed" and len(node.args) == 1
        and isinstance(node.args[0], ast.Name) and node.args[0].id in names]


def _pushed_values(source):
    """How many values each push site of the generated code pushes."""
    out = []
    for call in _tape_calls(source, "append"):
        arg = call.args[0]
        out.append(len(arg.elts) if isinstance(arg, ast.Tuple) else 1)
    return out


class CountingTape(list):
    """A list that counts what is pushed on it."""

    made = []

    def __init__(self):
        super().__init__()
        self.pushes = 0
        self.longest = 0
        CountingTape.made.append(self)

    def append(self, v):
        super().append(v)
        self.pushes += 1
        self.longest = max(self.longest, len(self))

    def pop(self):
        self.read += 1
        return super().pop()

    def __reversed__(self):
        for v in super().__reversed__():
            self.read += 1
            yield v

    read = 0


def _run_with_counting_tape(func, argnums, args):
    """Run the generated reverse code of ``func`` with its tape lists replaced by
    CountingTapes; returns (gradients, tapes made)."""
    kinds = tuple(kind_of_object(a) for a in args)
    compiled = compile_derivative(func, "reverse", argnums, kinds)
    src = compiled.source
    for name in _tape_names(src):
        src = re.sub(rf"^(\s*){name} = \[\]$", rf"\1{name} = CountingTape()", src,
                     flags=re.M)
    namespace = dict(compiled.fn.__globals__)
    namespace["CountingTape"] = CountingTape
    exec(compile(src, "<counted>", "exec"), namespace)
    CountingTape.made = []
    grads = namespace[compiled.ir.name](*args, 1.0)
    return grads, CountingTape.made


def test_long_loop_tapes_one_float_per_iteration():
    n = 10_000
    src = s2sad.derivative_source(long_loop, "reverse", argnums=0, args=(0.3, n))
    # s is read by cos(s) in the reverse sweep and overwritten every iteration:
    # it is the one thing on the tape
    assert _pushed_values(src) == [1], src
    assert len(_tape_reads(src)) == 1, src
    # the reverse loop, which runs once, reads the stack backwards (no pops)
    assert "for s in reversed(s_stack):" in src, src
    (g,), tapes = _run_with_counting_tape(long_loop, (0,), (0.3, n))
    assert len(tapes) == 1
    assert tapes[0].pushes == n and tapes[0].longest == n
    assert tapes[0].read == n  # the reverse sweep read every entry once
    expected = (long_loop(0.3 + 1e-6, n) - long_loop(0.3 - 1e-6, n)) / 2e-6
    assert g == pytest.approx(expected, rel=1e-5)


def branches_and_nested_loops(x, n):
    s = x
    if x > 0:
        for i in range(n):
            s = math.sin(s) * x
    else:
        j = 0
        while j < n:
            s = s * s + x
            j += 1
    for k in range(3):
        for m in range(n):
            s = math.cos(s) + 0.1 * x
    return s


def test_reverse_loops_that_run_once_read_their_stacks_backwards():
    src = s2sad.derivative_source(branches_and_nested_loops, "reverse", args=(0.7, 4))
    # in a branch, a for and a while loop: no pops, no trip count
    assert "for sin_s, s in zip(reversed(sin_s_stack), reversed(s_stack_1)):" in src, src
    assert "for s in reversed(s_stack_2):" in src and "trips" not in src, src
    # a loop in a loop pops: its stack holds the entries of every outer iteration
    assert len(_tape_calls(src, "pop")) == 1, src
    for x in (0.7, -0.3):
        for n in (0, 1, 4):
            h = 1e-6
            expected = (branches_and_nested_loops(x + h, n) -
                        branches_and_nested_loops(x - h, n)) / (2 * h)
            assert s2sad.grad(branches_and_nested_loops)(x, n) == pytest.approx(expected,
                                                                               rel=1e-7)


def test_loop_without_overwritten_values_has_no_tape():
    src = s2sad.derivative_source(constant_step, "reverse", argnums=0, args=(1.3, 0.4, 5))
    assert _tape_names(src) == [] and ".append(" not in src, src
    assert "reversed(range(n))" in src  # a range loop needs no trip count either
    assert s2sad.grad(constant_step)(1.3, 0.4, 5) == pytest.approx(0.4 * 5)
    _, tapes = _run_with_counting_tape(constant_step, (0,), (1.3, 0.4, 5))
    assert tapes == []


def test_while_loop_without_overwritten_values_only_counts_trips():
    src = s2sad.derivative_source(constant_step_while, "reverse", argnums=0,
                                  args=(1.3, 0.4, 5))
    assert _tape_names(src) == [] and ".append(" not in src, src
    assert "trips" in src
    assert s2sad.grad(constant_step_while)(1.3, 0.4, 7) == pytest.approx(0.4 * 7)


def test_while_with_data_dependent_trip_count_tapes_per_trip():
    a = 7.5
    trips, x = 0, a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
        trips += 1
    src = s2sad.derivative_source(corpus.newton_sqrt, "reverse", args=(a,))
    # x and a / x, read by the partials of a / x (-ans / x); nothing else
    assert 1 <= sum(_pushed_values(src)) <= 2, src
    (g,), tapes = _run_with_counting_tape(corpus.newton_sqrt, (0,), (a,))
    assert tapes and all(t.pushes == trips == t.read for t in tapes) and trips > 3
    assert g == pytest.approx(0.5 / math.sqrt(a), rel=1e-9)


def test_while_whose_reverse_reads_nothing_has_no_tape():
    # s = s * 1.7 + 1.0 has a constant partial: the reverse loop only needs the
    # number of trips
    src = s2sad.derivative_source(corpus.while_growth, "reverse", args=(0.2,))
    assert _tape_names(src) == [] and "trips" in src, src


def _popped_but_unread(source):
    """Names popped off the tape that the rest of their reverse loop body never reads."""
    unread = []
    for loop in ast.walk(ast.parse(source)):
        if not isinstance(loop, ast.For):
            continue
        # ``for a, b in zip(reversed(a_stack), reversed(b_stack))``: all of them
        read = {n.id for stmt in loop.body for n in ast.walk(stmt)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        if any(isinstance(c, ast.Call) and getattr(c.func, "id", None) == "reversed" and
               TAPE_NAME.match(getattr(c.args[0], "id", "")) for c in ast.walk(loop.iter)):
            unread += [n.id for n in ast.walk(loop.target)
                       if isinstance(n, ast.Name) and n.id not in read and n.id != "_"]
        for i, stmt in enumerate(loop.body):
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and \
                    isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "pop" \
                    and TAPE_NAME.match(getattr(stmt.value.func.value, "id", "")):
                popped = [n.id for n in ast.walk(stmt.targets[0]) if isinstance(n, ast.Name)]
                rest = ast.Module(body=loop.body[i + 1:], type_ignores=[])
                read = {n.id for n in ast.walk(rest)
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                unread += [name for name in popped if name not in read]
    return unread


def test_tape_holds_only_what_the_reverse_sweep_reads():
    taped = 0
    for fn, pts in CASES:
        kinds = tuple(kind_of_object(a) for a in pts[0])
        compiled = compile_derivative(fn, "reverse", tuple(float_positions(pts[0])), kinds)
        src = compiled.source
        pushes = _tape_calls(src, "append")
        reads = _tape_reads(src)
        assert len(reads) == len(pushes), src  # one read per push site
        for call in pushes:
            arg = call.args[0]
            items = [ast.unparse(e) for e in arg.elts] if isinstance(arg, ast.Tuple) else [arg]
            assert len(items) == len(set(map(str, items))), src  # nothing twice
        assert _popped_but_unread(src) == [], src
        taped += bool(pushes)
    assert taped >= 20  # the corpus does exercise the tape


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
def test_grad_of_tuple_output_suggests_vjp_and_jacrev():
    with pytest.raises(s2sad.S2sadError) as info:
        s2sad.grad(corpus.tuple_return, argnums=(0, 1))(1.3, 0.4)
    message = str(info.value)
    assert "scalar" in message and "vjp" in message and "jacrev" in message


def array_output(x):
    return x * 2.0


def test_grad_of_array_output_suggests_vjp_and_jacrev():
    with pytest.raises(s2sad.S2sadError) as info:
        s2sad.grad(array_output)(np.array([1.0, 2.0]))
    message = str(info.value)
    assert "shape (2,)" in message and "vjp" in message and "jacrev" in message


def test_value_and_grad_of_tuple_output_suggests_vjp_and_jacrev():
    with pytest.raises(s2sad.S2sadError) as info:
        s2sad.value_and_grad(corpus.tuple_return, argnums=(0, 1))(1.3, 0.4)
    message = str(info.value)
    assert "scalar" in message and "vjp" in message and "jacrev" in message


def test_grad_of_int_argument_is_an_error():
    with pytest.raises(s2sad.S2sadError) as info:
        s2sad.grad(corpus.power_loop, argnums=1)(1.3, 7)
    assert "not differentiable" in str(info.value)
