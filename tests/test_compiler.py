"""The driver: lowering once per function, transforms that leave their input alone."""
import itertools
import math

import numpy as np
import pytest

import s2sad
from s2sad import compiler
from s2sad.ad.forward import forward
from s2sad.ad.reverse import reverse
from s2sad.ir.kinds import kind_of_object
from s2sad.ir.printer import format_function

from tests.ad.corpus import CASES, float_positions


def _argnums_subsets(point):
    floats = float_positions(point)
    return [c for r in range(1, len(floats) + 1) for c in itertools.combinations(floats, r)]


def _ops(fn):
    return {id(op) for op in fn.walk()}


def _values(fn):
    out = {id(p.value) for p in fn.params}
    for op in fn.walk():
        out.update(id(r) for r in op.results)
        out.update(id(v) for v in op.defined_here())
    return out


@pytest.mark.parametrize("fn, pts", CASES, ids=[c[0].__name__ for c in CASES])
def test_transforms_leave_the_primal_unchanged(fn, pts):
    primal = compiler.lowered(fn)
    before = format_function(primal)
    kinds = tuple(kind_of_object(a) for a in pts[0])
    params = compiler.positional(primal)
    kind_map = {p.value: k for p, k in zip(params, kinds)}
    for nums in _argnums_subsets(pts[0]):
        active = [params[i].value for i in nums]
        for result in (forward(primal, active, dict(kind_map), compiler.CALLEES),
                       reverse(primal, active, dict(kind_map), compiler.CALLEES),
                       reverse(primal, active, dict(kind_map), compiler.CALLEES,
                               with_value=True)):
            out = result.function
            assert not _ops(out) & _ops(primal), "the derivative shares ops with the primal"
            assert not _values(out) & _values(primal), "the derivative shares values"
        # and through the whole driver, for every mode
        for mode in ("forward", "reverse", "reverse_value"):
            compiler.compile_derivative(fn, mode, nums, kinds)
    assert format_function(primal) == before
    assert compiler.lowered(fn) is primal


def test_the_printer_shows_a_change():
    fn = compiler.ssa_ir(CASES[0][0])  # a private copy: free to change
    before = format_function(fn)
    fn.body.ops[0].attrs["inplace"] = True
    assert format_function(fn) != before
    assert format_function(compiler.lowered(CASES[0][0])) == before


def _helper(x):
    return x * math.sin(x)


def test_lowering_happens_once_per_function(monkeypatch):
    f = s2sad.from_source('''
def f(x, y):
    s = 0.0
    for i in range(3):
        s = s + helper(x) * y
    return s
''', globals={"helper": _helper, "math": math})
    seen = []
    lower = compiler.lower

    def counting(info):
        seen.append((info.filename, info.node.name))
        return lower(info)

    monkeypatch.setattr(compiler, "lower", counting)
    start = compiler.stats["lowered"]
    s2sad.grad(f)(0.3, 2.0)
    s2sad.grad(f, (0, 1))(0.3, 2.0)
    s2sad.value_and_grad(f, 1)(0.3, 2.0)
    s2sad.jvp(f, (0.3, 2.0), (1.0, 0.0))
    s2sad.vjp(f, 0.3, 2.0)[1](1.0)
    s2sad.hessian(f)(0.3, 2.0)
    s2sad.derivative_source(f, "forward")
    s2sad.derivative_source(f, "reverse", args=(0.3, 2.0))
    s2sad.ssa_source(f)
    # f, the helper, and generated code that is differentiated again (the
    # Hessian) or looked into for kinds: each once
    names = [name for _, name in seen]
    assert names.count("f") == 1 and names.count("_helper") == 1, seen
    assert len(seen) == len(set(seen)), seen
    assert compiler.stats["lowered"] - start == len(seen)
    before = len(seen)
    s2sad.grad(f, 1)(0.7, 2.5)
    s2sad.jacfwd(f)(0.7, 2.5)
    s2sad.hessian(f)(0.7, 2.5)
    assert len(seen) == before, seen[before:]


def test_a_rule_change_recompiles():
    def twice(x):
        return 2.0 * x

    def uses(x):
        return my_prim(x) + twice(x)

    def my_prim(x):
        return np.sin(x)

    g = s2sad.grad(uses)
    s2sad.defpartials(my_prim)(lambda x: np.cos(x))
    assert g(0.3) == pytest.approx(np.cos(0.3) + 2.0)
    s2sad.defpartials(my_prim)(lambda x: 3.0 * np.cos(x))  # a (deliberately) new rule
    assert g(0.3) == pytest.approx(3.0 * np.cos(0.3) + 2.0)


def test_optimize_returns_new_ir_and_leaves_its_input():
    from s2sad.passes.pipeline import optimize
    fn = s2sad.from_source("""
def f(x, y):
    c = 2.0 * 3.0
    z = x
    return c * z * 1.0 + np.sin(x) * np.sin(x) * y
""", globals={"np": np})
    primal = compiler.lowered(fn)
    params = compiler.positional(primal)
    kind_map = {p.value: "float" for p in params}
    active = [p.value for p in params]
    out = forward(primal, active, dict(kind_map), compiler.CALLEES)
    before = format_function(out.function)
    optimized, keep = optimize(out.function, primal, kind_map, active, "forward",
                               compiler.lowered, out.keep)
    assert format_function(out.function) == before
    assert format_function(optimized) != before  # folding and CSE did change something
    assert not _ops(optimized) & _ops(out.function)
    # what the emitter keeps apart is carried over to the copy's values
    assert len(keep) == len(out.keep) and not keep & out.keep
