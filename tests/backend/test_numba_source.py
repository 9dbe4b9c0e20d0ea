"""The Numba target's rewrite of generated source, and its refusal without
Numba: plain Python, run whether Numba is installed or not."""
import itertools
import sys

import numpy as np
import pytest

import s2sad
from s2sad.backend.numba import check_backend, numba_source
from s2sad.errors import S2sadError


def _run(source, name, *args, **kwargs):
    scope = {}
    exec(source, scope)
    return scope[name](*args, **kwargs)


@pytest.mark.parametrize("start, stop, step", [
    (a, b, s) for a, b, s in itertools.product((-3, 0, 2), (-4, 0, 1, 7), (1, 2, 3, -1, -2))])
def test_counted_ranges_run_as_reversed_ones(start, stop, step):
    source = ("def f(a, b, s):\n"
              "    out = []\n"
              "    for i in reversed(range(a, b, s)):\n"
              "        out.append(i)\n"
              "    for i in reversed(range(a, b)):\n"
              "        out.append(-i)\n"
              "    for i in reversed(range(b)):\n"
              "        out.append(i * 10)\n"
              "    return out\n")
    literal = source.replace("range(a, b, s)", f"range(a, b, {step})")
    rewritten = numba_source(source)
    assert "reversed" not in rewritten
    want = _run(source, "f", start, stop, step)
    assert _run(rewritten, "f", start, stop, step) == want
    assert _run(numba_source(literal), "f", start, stop, step) == want


def test_lines_and_comments_stay_where_they_are():
    source = ("def f_vjp(x, out_bar=1.0, *, data, scale=2.0):\n"
              "    # s = s + x[i]\n"
              "    for i in reversed(range(3)):\n"
              "        out_bar = out_bar * data[i] * scale\n"
              "    return out_bar\n")
    rewritten = numba_source(source)
    assert rewritten.splitlines()[1] == "    # s = s + x[i]"
    assert len(rewritten.splitlines()) == len(source.splitlines())
    assert rewritten.splitlines()[0] == "def f_vjp(x, out_bar=1.0, data=None, scale=2.0):"
    assert _run(rewritten, "f_vjp", 0.0, 1.0, data=[1.0, 2.0, 3.0]) == 48.0


def test_without_numba_the_backend_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # as if not installed
    with pytest.raises(S2sadError, match=r'pip install "s2sad\[numba\]"'):
        check_backend("numba")
    with pytest.raises(S2sadError, match="needs Numba"):
        s2sad.grad(lambda x: x * x, backend="numba")
    assert check_backend("python") == "python"
    assert s2sad.grad(lambda x: x * x)(3.0) == 6.0


def test_a_tape_a_counted_loop_fills_becomes_an_array():
    source = ("def f_vjp(x, n, x_bar=1.0):\n"
              "    x_stack = []\n"
              "    other = []\n"
              "    for i in range(n):\n"
              "        x_stack.append(x)\n"
              "        if x > 0.0:\n"
              "            other.append(x)\n"
              "        x = x * 0.5\n"
              "    for i in reversed(range(n)):\n"
              "        x = x_stack.pop()\n"
              "        x_bar = x_bar * 0.5\n"
              "    return x_bar, other\n")
    rewritten = numba_source(source, {"x_stack": "float", "other": "float"}, "np")
    assert "x_stack = np.empty(len(range(n)), np.float64)" in rewritten
    assert "other = []" in rewritten and "other.append(x)" in rewritten  # pushed in an if
    scope = {"np": np}
    exec(rewritten, scope)
    want = {}
    exec(source, want)
    assert scope["f_vjp"](3.0, 4) == want["f_vjp"](3.0, 4)
