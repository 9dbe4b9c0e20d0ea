"""Reverse mode through calls of the user's functions keeps each call's tape
(issue 14): ``y, g_tape = g_fwd(x)`` in the forward sweep, ``g_bwd(g_tape,
y_bar)`` in the reverse one, so nothing is computed twice and recursion costs
time linear in its depth.  Gradients are checked against finite differences.
"""
import math
import sys

import numpy as np
import pytest

import s2sad
from s2sad.compiler import compile_derivative


def rec(x, n):
    if n == 0:
        return x
    return math.sin(rec(x, n - 1)) + 0.5 * x


def helper(a, b):
    return a * np.exp(b)


def calls_in_a_loop(x, y):
    s = 0.0
    for i in range(4):
        s = s + helper(x, y * i)
    return s


def scale(v, c):
    return v * c


def mutates_after_the_call(v):
    w = v * 1.0
    y = scale(w, 2.0)  # g's tape holds w (the adjoint of c reads it)
    w[0] = 100.0  # written after the call: the tape must keep the old w
    y[1] = -5.0
    return np.sum(y * y) + np.sum(w)


def branches(x, k):
    if k > 1:
        return helper(x, 0.5) + helper(x * x, x)
    return helper(x, x)


def nested(x):
    return helper(helper(x, x), calls_in_a_loop(x, 0.1))


def _code(src):
    """Generated source without its comments (which quote the user's lines)."""
    return "\n".join(line for line in src.splitlines() if not line.strip().startswith("#"))


def _fd(f, x, *rest, h=1e-6):
    return (f(x + h, *rest) - f(x - h, *rest)) / (2 * h)


@pytest.mark.parametrize("depth", [0, 1, 5, 50])
def test_recursion(depth):
    g = s2sad.grad(rec)
    assert abs(g(0.3, depth) - _fd(rec, 0.3, depth)) < 1e-7


def test_deep_recursion_works_where_the_primal_does():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 5000))
    try:
        rec(0.3, 1000)
        g = s2sad.grad(rec)
        assert abs(g(0.3, 1000) - _fd(rec, 0.3, 1000)) < 1e-6
    finally:
        sys.setrecursionlimit(old)


def test_the_recursive_derivative_calls_its_split_self():
    src = _code(compile_derivative(rec, "reverse", (0,), ("float", "int")).source)
    assert "rec_fwd(x, n - 1)" in src
    assert "rec(" not in src.replace("rec_fwd(", "").replace("rec_bwd(", "")
    split = compile_derivative(rec, "reverse_split", (0,), ("float", "int"))
    assert "rec_fwd(x, n - 1)" in split.source and "rec_bwd(rec_tape" in split.source
    value, tape = split.fn(0.3, 3)
    assert value == rec(0.3, 3)
    assert abs(split.back(tape, 1.0)[0] - _fd(rec, 0.3, 3)) < 1e-7


@pytest.mark.parametrize("f,args", [
    (calls_in_a_loop, (0.7, 0.3)),
    (mutates_after_the_call, (np.array([0.5, -1.0, 2.0]),)),
    (branches, (0.4, 2)),
    (branches, (0.4, 0)),
    (nested, (0.6,)),
])
def test_calls_are_exact(f, args):
    s2sad.check_grads(f, args)


def test_a_call_in_a_loop_keeps_one_tape_per_iteration():
    src = _code(compile_derivative(calls_in_a_loop, "reverse", (0, 1), ("float", "float")).source)
    assert "helper_fwd(x, y * i)" in src and "helper_tape_stack.append" in src
    assert "helper(" not in src.replace("helper_fwd(", "").replace("helper_bwd(", "")


RECURSIVE_FILE = '''\
import math


def rec(x, n):
    if n == 0:
        return x
    return math.sin(rec(x, n - 1)) + 0.5 * x


def helper(a, b):
    return a * math.exp(b)


def main(x, y):
    s = 0.0
    for i in range(3):
        s = s + helper(x, y * i)
    return s + rec(x, 4)
'''


@pytest.mark.parametrize("scalar", [True, False])
def test_a_transpiled_recursive_derivative_runs_without_s2sad(tmp_path, scalar):
    import subprocess
    import textwrap
    from s2sad.transpile import transpile_file
    (tmp_path / "prog.py").write_text(RECURSIVE_FILE)
    (tmp_path / "prog_d.py").write_text(
        transpile_file(str(tmp_path / "prog.py"), ["main"], "reverse", scalar=scalar))
    script = textwrap.dedent("""
        import sys
        sys.modules["s2sad"] = None  # the module must not need it
        import prog, prog_d
        h = 1e-6
        gx, gy = prog_d.main_vjp(0.3, 0.7, 1.0)
        fx = (prog.main(0.3 + h, 0.7) - prog.main(0.3 - h, 0.7)) / (2 * h)
        fy = (prog.main(0.3, 0.7 + h) - prog.main(0.3, 0.7 - h)) / (2 * h)
        assert abs(gx - fx) < 1e-6 and abs(gy - fy) < 1e-6, (gx, fx, gy, fy)
    """)
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True)
