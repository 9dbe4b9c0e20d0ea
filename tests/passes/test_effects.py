"""The side-effect and alias facts the passes rely on (s2sad/passes/effects.py)."""
import numpy as np

from s2sad.ir.nodes import Prim
from s2sad.passes.effects import Effects, is_clean_global, is_literal

from .helpers import ir, kinds


def _values(fn):
    """name -> the last value of that user name."""
    out = {p.value.hint: p.value for p in fn.params}
    for op in fn.walk():
        for r in op.results:
            out[r.hint] = r
    return out


def _effects(src, *args, **names):
    fn = ir(src, **names)
    return fn, Effects(fn, kinds(fn, *args) if args else None)


def test_in_place_bases():
    fn, eff = _effects("""
def f(x):
    y = x * 2.0
    y += 1.0
    return y
""", 1.0)
    first = [op for op in fn.walk() if isinstance(op, Prim) and op.attrs.get("op") == "*"][0]
    assert eff.is_base(first.results[0])
    assert eff.effect([op for op in fn.walk() if op.attrs.get("inplace")][0]) is None  # a number


def test_views_share_writes_and_numbers_never_change():
    fn, eff = _effects("""
def f(a, x):
    v = a[0:2]
    w = np.sin(a)
    s = x * 2.0
    a[0] = s
    return v, w
""", np.ones(3), 1.0)
    vals = _values(fn)
    assert eff.dirty(vals["v"]) and eff.dirty(vals["a"])
    assert not eff.dirty(vals["w"])  # a fresh array
    assert not eff.dirty(vals["s"]) and eff.immutable(vals["s"])


def test_a_list_append_changes_the_list_not_its_entries():
    fn, eff = _effects("""
def f(a, b):
    xs = [a]
    xs.append(b)
    c = np.sin(b)
    return xs, c
""", np.ones(2), np.ones(2))
    vals = _values(fn)
    assert eff.deep_dirty(vals["xs"])
    assert not eff.dirty(vals["b"])
    assert not eff.dirty(vals["c"])


def _g(d):
    d.append(1)


def test_unknown_calls_escape_their_operands_and_what_they_hold():
    fn, eff = _effects("""
def f(a, b):
    t = (a, b)
    g(t)
    return np.sin(a)
""", np.ones(2), np.ones(2), g=_g)
    vals = _values(fn)
    call = [op for op in fn.walk() if isinstance(op, Prim) and op.kind == "call"
            and getattr(op.args[0], "obj", None) is _g][0]
    assert eff.effect(call) == "opaque"
    assert eff.dirty(vals["a"]) and eff.dirty(vals["b"])


def test_a_loop_effect_is_the_worst_inside():
    fn, eff = _effects("""
def f(x, n):
    xs = []
    for i in range(n):
        xs.append(x)
    return xs
""", 1.0, 3)
    loop = [op for op in fn.body.ops if not isinstance(op, Prim)][0]
    assert eff.effect(loop) == "local"


def test_literals_and_clean_globals():
    assert is_literal((1, 2.0, "a", None)) and not is_literal([1])
    assert is_clean_global(np) and is_clean_global(np.sin) and is_clean_global(len)
    assert not is_clean_global(np.zeros(2)) and not is_clean_global({})
