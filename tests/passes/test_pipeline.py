"""The passes run on derivative code (s2sad/passes/pipeline.py, wired into
s2sad.api._compile): what they change, and what they must not."""
import math

import numpy as np
import pytest

import s2sad
from s2sad.ir.nodes import Const, Value
from s2sad.passes.pipeline import derivative_kinds


def _code(src):
    """The generated source without its comment lines."""
    return "\n".join(line for line in src.splitlines() if not line.strip().startswith("#"))


def textbook(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def loop(x, y, n):
    for i in range(n):
        x = x + 0.01 * (math.sin(x) * y - x * x * 0.1)
    return x


TEXTBOOK_VJP = """\
def textbook_vjp(x1, x2, y_bar=1.0):
    # return np.log(x1) + x1 * x2 - np.sin(x2)
    x2_bar = -y_bar * np.cos(x2)
    x1_bar = y_bar * x2
    x2_bar += y_bar * x1
    x1_bar += y_bar / x1
    return x1_bar, x2_bar
"""

TEXTBOOK_JVP = """\
def textbook_jvp(x1, x2, x1_dot, x2_dot):
    # return np.log(x1) + x1 * x2 - np.sin(x2)
    log_x1 = np.log(x1)
    log_x1_dot = x1_dot / x1
    x1_x2 = x1 * x2
    x1_x2_dot = x1_dot * x2 + x2_dot * x1
    sin_x2 = np.sin(x2)
    sin_x2_dot = x2_dot * np.cos(x2)
    t = log_x1 + x1_x2
    t_dot = log_x1_dot + x1_x2_dot
    y = t - sin_x2
    y_dot = t_dot - sin_x2_dot
    return y, y_dot
"""


def test_the_seeds_example_reads_as_before():
    assert s2sad.derivative_source(textbook, "reverse", args=(2.0, 5.0)) == TEXTBOOK_VJP
    assert s2sad.derivative_source(textbook, "forward", args=(2.0, 5.0)) == TEXTBOOK_JVP


def test_the_loop_example_reads_as_before():
    src = s2sad.derivative_source(loop, "reverse", args=(2.0, 5.0, 3), argnums=(0, 1))
    assert "for i in range(n):" in src
    assert "for sin_x, x in zip(reversed(sin_x_stack), reversed(x_stack)):" in src, src
    assert "range_n" not in src
    assert _code(src).count("math.sin(x)") == 1 and _code(src).count("math.cos(x)") == 1
    g = s2sad.grad(loop, (0, 1))(2.0, 5.0, 3)
    h = 1e-6
    fd = (loop(2.0 + h, 5.0, 3) - loop(2.0 - h, 5.0, 3)) / (2 * h)
    assert g[0] == pytest.approx(fd, rel=1e-6)


def sin_cos(x):
    return np.sin(x) * np.cos(x)


def test_cse_is_wired_in():
    # forward: the tangent of sin reads cos(x), which the primal computes too
    src = s2sad.derivative_source(sin_cos, "forward", args=(0.3,))
    assert _code(src).count("np.cos(x)") == 1, src
    y, t = s2sad.jvp(sin_cos, (0.3,), (1.0,))
    assert t == pytest.approx(np.cos(0.6))


def constants(x):
    c = 2.0 * 3.0
    return c * x * 1.0


def test_fold_is_wired_in():
    src = s2sad.derivative_source(constants, "forward", args=(0.3,))
    assert "2.0 * 3.0" not in _code(src) and "* 1.0" not in _code(src), src
    assert s2sad.grad(constants)(0.3) == 6.0


def test_generic_code_is_simplified_without_kinds():
    src = s2sad.derivative_source(constants, "reverse")
    assert "2.0 * 3.0" not in _code(src)
    assert s2sad.grad(constants)(np.float64(0.3)) == 6.0


def test_derivative_kinds_of_tangents_and_cotangents():
    from s2sad.compiler import CALLEES, ssa_ir
    from s2sad.ad.forward import forward
    from s2sad.ad.reverse import reverse
    fn = ssa_ir(textbook)
    params = [p.value for p in fn.params]
    kind_map = {params[0]: "float", params[1]: "array"}
    out = forward(fn, params[1:], dict(kind_map), CALLEES, name="t_jvp").function
    kinds = derivative_kinds(out, fn, kind_map, params[1:], "forward")
    assert kinds[out.params[2].value] == "array"  # x2_dot
    fn = ssa_ir(textbook)
    params = [p.value for p in fn.params]
    kind_map = {params[0]: "float", params[1]: "float"}
    out = reverse(fn, params, dict(kind_map), CALLEES, name="t_vjp").function
    kinds = derivative_kinds(out, fn, kind_map, params, "reverse")
    assert kinds[out.params[2].value] == "float"  # y_bar


def mlp_loss(W, b, x):
    h = np.tanh(x @ W + b)
    return np.sum(h * h) + np.sum(np.tanh(x @ W + b))


def test_array_code_shares_whole_expressions():
    rng = np.random.default_rng(0)
    W, b, x = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((4, 3))
    src = s2sad.derivative_source(mlp_loss, "reverse", args=(W, b, x), argnums=(0, 1))
    assert _code(src).count("np.tanh(") == 1, src
    s2sad.check_grads(mlp_loss, (W, b, x), argnums=(0, 1))
