"""Copy propagation (s2sad/passes/copyprop.py)."""
import numpy as np

import s2sad
from s2sad.ir.nodes import Block, Const, Function, Param, Prim, Value
from s2sad.ir.verify import verify
from s2sad.passes.copyprop import copyprop
from s2sad.passes.dce import dce

from .helpers import ir, prims, run, source


def _hand_made(inplace_on_source=False):
    """t = x (a copy no user wrote); [x += 1]; return t * 2 (+ x)."""
    x = Value("x", True)
    t = Value("t")
    y = Value("y", True)
    ops = [Prim("copy", [x], [t])]
    if inplace_on_source:
        x2 = Value("x", True)
        ops.append(Prim("binop", [x, Const(1.0)], [x2], {"op": "+", "inplace": True}))
        ops.append(Prim("binop", [t, x2], [y], {"op": "+"}))
    else:
        ops.append(Prim("binop", [t, Const(2.0)], [y], {"op": "*"}))
    return Function("f", [Param(x)], Block(ops, [y]))


def test_a_made_up_copy_is_propagated():
    fn = verify(copyprop(_hand_made()))
    assert not prims(fn, "copy")
    assert prims(fn, "binop")[0].args[0] is fn.params[0].value
    assert run(fn, 1.5) == 3.0


def test_a_copy_is_kept_when_its_source_is_written_in_place():
    fn = verify(copyprop(_hand_made(inplace_on_source=True)))
    assert len(prims(fn, "copy")) == 1
    assert run(fn, 1.5) == 1.5 + 2.5


def test_a_users_copy_is_kept():
    fn = verify(copyprop(ir("""
def f(x):
    y = x
    return y * 2.0
""")))
    assert len(prims(fn, "copy")) == 1
    assert "y = x" in source(fn)


def test_a_users_constant_is_propagated():
    fn = verify(dce(copyprop(ir("""
def f(x):
    c = 2.0
    return c * x
"""))))
    assert not prims(fn, "copy")
    assert "2.0 * x" in source(fn)


def test_a_constant_written_in_place_keeps_its_copy():
    fn = verify(copyprop(ir("""
def f(x):
    s = 0.0
    s += x
    return s
""")))
    assert len(prims(fn, "copy")) == 1
    assert run(fn, 1.5) == 1.5


def test_a_constant_array_accumulator_keeps_its_copy():
    src = """
def f(x):
    acc = z
    acc += x
    return acc
"""
    fn = verify(copyprop(ir(src, z=np.zeros(2))))
    assert len(prims(fn, "copy")) == 1


def test_loop_initial_values_become_constants():
    fn = verify(dce(copyprop(ir("""
def f(x, n):
    s = 0.0
    for i in range(n):
        s = s + x
    return s
"""))))
    loop = [op for op in fn.body.ops if not isinstance(op, Prim)][0]
    assert isinstance(loop.inits[0], Const) and not prims(fn, "copy")
    assert run(fn, 1.5, 3) == 4.5
    assert "s = 0.0" in source(fn)


def test_ssa_source_keeps_every_user_line():
    def f(x):
        c = 2.0
        y = x
        return c * y

    text = s2sad.ssa_source(f)
    assert "c = 2.0" in text and "y = x" in text
