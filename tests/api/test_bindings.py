"""Free names are read as Python reads them: when the function runs.

A global rebound, a helper redefined (a notebook cell run again), a closure
cell set, a global that comes to shadow a builtin: the next call of a
derivative compiled before recompiles, for ``grad`` (whose fast path checks the
bindings on every call) and for the entry points that go through
``compile_derivative`` (``jvp``, ``jacfwd``...).  Every derivative is checked
against central finite differences of the function as Python runs it now.
"""
import math
import textwrap

import numpy as np
import pytest

import s2sad
from s2sad import compiler
from s2sad.frontend.source import register_source


def fd(f, args, i, eps=1e-6):
    """Central differences of f in its argument i (a float or an array)."""
    x = args[i]
    if isinstance(x, np.ndarray):
        g = np.zeros_like(x, dtype=float)
        for k in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[k] += eps
            down[k] -= eps
            a, b = list(args), list(args)
            a[i], b[i] = up, down
            g[k] = (f(*a) - f(*b)) / (2 * eps)
        return g
    a, b = list(args), list(args)
    a[i], b[i] = x + eps, x - eps
    return (f(*a) - f(*b)) / (2 * eps)


def check_all_modes(f, x):
    """grad (reverse, through the fast path), jvp and jacfwd (forward) at x."""
    want = fd(f, (x,), 0)
    assert np.allclose(s2sad.grad(f)(x), want, rtol=1e-6, atol=1e-6)
    tangent = np.ones_like(x) if isinstance(x, np.ndarray) else 1.0
    y, y_dot = s2sad.jvp(f, (x,), (tangent,))
    assert np.allclose(y, f(x)) and np.allclose(y_dot, np.sum(want), rtol=1e-6, atol=1e-6)
    assert np.allclose(s2sad.jacfwd(f)(x), want, rtol=1e-6, atol=1e-6)


_cells = iter(range(1, 10 ** 6))


def run_cell(source, namespace):
    """Run ``source`` as a notebook runs a cell: under a fake filename whose text
    is registered so that s2sad (and tracebacks) can read it."""
    source = textwrap.dedent(source)
    namespace.setdefault("__name__", "__main__")
    filename = f"<cell-bindings-{next(_cells)}>"
    register_source(filename, source)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


# ---------------------------------------------------------------------------
# A rebound global
# ---------------------------------------------------------------------------
SCALE = 2.0


def scaled(x):
    return SCALE * x * x


def test_a_rebound_global_float_is_read_again():
    global SCALE
    g = s2sad.grad(scaled)
    try:
        assert g(1.5) == pytest.approx(fd(scaled, (1.5,), 0), rel=1e-6)
        check_all_modes(scaled, 1.5)
        SCALE = 5.0
        assert g(1.5) == pytest.approx(fd(scaled, (1.5,), 0), rel=1e-6)
        assert g(1.5) == pytest.approx(15.0)
        check_all_modes(scaled, 1.5)
        # rebound to an equal but distinct float: the same derivative
        SCALE = float("5.0")
        assert g(1.5) == pytest.approx(15.0)
    finally:
        SCALE = 2.0
    assert g(1.5) == pytest.approx(6.0)


def test_rebinding_to_an_equal_object_recompiles_once():
    # 1 == 1.0 == True: bindings are compared by identity, not equality, so a
    # name rebound to an equal but distinct object compiles again (once), and
    # the derivative always follows the object the name holds now
    ns = run_cell("""
        K = 1
        def f(x):
            return K * x * x + K
    """, {})
    f = ns["f"]
    vg = s2sad.value_and_grad(f)
    assert vg(2.0) == (5.0, 4.0)
    for new in (True, 1.0, 3.0):
        stale = compiler.stats["stale"]
        ns["K"] = new
        value, slope = vg(2.0)
        if new == 3.0:  # a float is data, read when the derivative runs: nothing redone
            assert compiler.stats["stale"] == stale
        else:
            assert compiler.stats["stale"] > stale
        assert value == f(2.0) and slope == pytest.approx(fd(f, (2.0,), 0), rel=1e-6)
        stale = compiler.stats["stale"]
        vg(2.0)
        assert compiler.stats["stale"] == stale  # and then it is reused


def test_a_rebound_global_array_is_read_again():
    ns = run_cell("""
        import numpy as np
        W = np.array([1.0, 2.0, 3.0])
        def f(x):
            return np.sum(W * x * x) + np.sum(np.sin(W * x))
    """, {})
    f = ns["f"]
    x = np.array([0.3, -0.7, 1.1])
    g = s2sad.grad(f)
    assert np.allclose(g(x), fd(f, (x,), 0), atol=1e-6)
    ns["W"] = np.array([-2.0, 0.5, 4.0])
    assert np.allclose(g(x), fd(f, (x,), 0), atol=1e-6)
    check_all_modes(f, x)
    # a one-element array equal to the old one but of another shape: equality
    # would say "unchanged" (bool(array([True])) is True); identity does not
    ns["W"] = np.array([2.0])
    assert np.allclose(g(x), fd(f, (x,), 0), atol=1e-6)
    ns["W"] = np.array([[2.0]])
    got = g(x)
    want = fd(f, (x,), 0)
    assert np.shape(got) == np.shape(x) and np.allclose(got, want, atol=1e-6)


# ---------------------------------------------------------------------------
# A redefined helper
# ---------------------------------------------------------------------------
def test_a_redefined_helper_is_called():
    ns = run_cell("""
        import math
        def helper(x):
            return math.sin(x) * x
        def f(x):
            return 2.0 * helper(x) + x
    """, {})
    f = ns["f"]
    g = s2sad.grad(f)
    assert g(0.8) == pytest.approx(fd(f, (0.8,), 0), rel=1e-6)
    run_cell("""
        def helper(x):
            return math.exp(x) * x * x
    """, ns)
    assert g(0.8) == pytest.approx(fd(f, (0.8,), 0), rel=1e-6)
    check_all_modes(f, 0.8)


def test_a_global_of_a_helper_is_checked_transitively():
    ns = run_cell("""
        import math
        RATE = 0.5
        def inner(x):
            return RATE * math.cos(x)
        def middle(x):
            return inner(x) * x
        def f(x):
            return middle(x) + x * x
    """, {})
    f = ns["f"]
    g = s2sad.grad(f)
    assert g(1.3) == pytest.approx(fd(f, (1.3,), 0), rel=1e-6)
    before = compiler.stats["stale"]
    assert g(1.3) == pytest.approx(fd(f, (1.3,), 0), rel=1e-6)
    assert compiler.stats["stale"] == before  # nothing changed: nothing redone
    ns["RATE"] = -3.0  # read by inner, two calls down
    assert g(1.3) == pytest.approx(fd(f, (1.3,), 0), rel=1e-6)
    check_all_modes(f, 1.3)
    # second order goes through the generated gradient: it follows too
    h = s2sad.grad(s2sad.grad(f))
    want = fd(s2sad.grad(f), (1.3,), 0)
    assert h(1.3) == pytest.approx(want, rel=1e-5)
    ns["RATE"] = 4.0
    want = fd(lambda x: fd(f, (x,), 0, 1e-4), (1.3,), 0, 1e-4)
    assert h(1.3) == pytest.approx(want, rel=1e-4)
    assert s2sad.hessian(f)(1.3) == pytest.approx(want, rel=1e-4)


# ---------------------------------------------------------------------------
# A closure cell set again
# ---------------------------------------------------------------------------
def make_closure():
    k = 2.0

    def inner(x):
        return x * x

    def f(x):
        return k * inner(x) + math.sin(k * x)

    def set_k(value):
        nonlocal k
        k = value

    def swap_inner():
        nonlocal inner

        def inner(x):
            return x * x * x

    return f, set_k, swap_inner


def test_a_changed_closure_cell_is_read_again():
    f, set_k, swap_inner = make_closure()
    g = s2sad.grad(f)
    assert g(0.6) == pytest.approx(fd(f, (0.6,), 0), rel=1e-6)
    set_k(-1.5)
    assert g(0.6) == pytest.approx(fd(f, (0.6,), 0), rel=1e-6)
    check_all_modes(f, 0.6)
    swap_inner()  # a function of the enclosing scope, rebound
    assert g(0.6) == pytest.approx(fd(f, (0.6,), 0), rel=1e-6)
    check_all_modes(f, 0.6)


def test_a_closure_cell_set_after_the_first_call():
    def outer():
        def f(x):
            return x * k * x

        g = s2sad.grad(f)
        with pytest.raises(NameError):  # as Python: k is not bound yet
            g(2.0)
        k = 3.0
        assert g(2.0) == pytest.approx(fd(f, (2.0,), 0), rel=1e-6)
        check_all_modes(f, 2.0)
        k = -1.0  # noqa: F841 (read by f)
        assert g(2.0) == pytest.approx(fd(f, (2.0,), 0), rel=1e-6)

    outer()


# ---------------------------------------------------------------------------
# A global that shadows a builtin after the first call
# ---------------------------------------------------------------------------
def test_a_global_defined_later_shadows_the_builtin():
    ns = run_cell("""
        def f(x):
            return abs(x) * x
    """, {})
    f = ns["f"]
    g = s2sad.grad(f)
    assert g(-1.5) == pytest.approx(fd(f, (-1.5,), 0), rel=1e-6)
    check_all_modes(f, -1.5)
    run_cell("""
        def abs(x):
            return x * x * x
    """, ns)
    assert f(-1.5) == (-1.5) ** 4
    assert g(-1.5) == pytest.approx(fd(f, (-1.5,), 0), rel=1e-6)
    check_all_modes(f, -1.5)
    del ns["abs"]  # the builtin again
    assert g(-1.5) == pytest.approx(fd(f, (-1.5,), 0), rel=1e-6)


# ---------------------------------------------------------------------------
# Notebook cells
# ---------------------------------------------------------------------------
def test_notebook_cells_run_again():
    ns = {"__name__": "__main__"}
    run_cell("""
        import math
        import numpy as np
        GAIN = 1.5
        def helper(x, y):
            return GAIN * math.sin(x) * y
        def model(x, y):
            return helper(x, y) + x * y * y
    """, ns)
    model = ns["model"]
    g = s2sad.grad(model, (0, 1))
    args = (0.4, 1.7)
    for got, i in zip(g(*args), (0, 1)):
        assert got == pytest.approx(fd(model, args, i), rel=1e-6)

    run_cell("""
        GAIN = -0.25
        def helper(x, y):
            return GAIN * math.exp(x * y)
    """, ns)
    assert ns["model"] is model  # the function itself was not defined again
    for grad in (g, s2sad.grad(model, (0, 1))):  # the same grad object and a fresh one
        for got, i in zip(grad(*args), (0, 1)):
            assert got == pytest.approx(fd(model, args, i), rel=1e-6)
    _, dot = s2sad.jvp(model, args, (1.0, 0.0))
    assert dot == pytest.approx(fd(model, args, 0), rel=1e-6)
    jac = s2sad.jacfwd(model, (0, 1))(*args)
    assert jac[1] == pytest.approx(fd(model, args, 1), rel=1e-6)


def test_unchanged_bindings_reuse_the_derivative():
    ns = run_cell("""
        import math
        def f(x1, x2):
            return math.log(x1) + x1 * x2 - math.sin(x2)
    """, {})
    g = s2sad.grad(ns["f"], (0, 1))
    g(2.0, 5.0)
    before = dict(compiler.stats)
    for _ in range(3):
        assert g(2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738))
        s2sad.jvp(ns["f"], (2.0, 5.0), (1.0, 0.0))
    s2sad.jvp(ns["f"], (2.0, 5.0), (1.0, 0.0))
    after = dict(compiler.stats)
    assert after.get("reverse_value") == before.get("reverse_value")
    assert after.get("stale") == before.get("stale")
    assert after["forward"] == before.get("forward", 0) + 1  # compiled once, then reused


def test_variant_names_are_stable_across_recompilation():
    ns = run_cell("""
        C = 1.0
        def f(x, y):
            return C * x * y
    """, {})
    f = ns["f"]
    first = s2sad.derivative_source(f, "reverse", argnums=(0,), args=(1.0, 2.0))
    second = s2sad.derivative_source(f, "reverse", argnums=(1,), args=(1.0, 2.0))
    # a name never depends on what was compiled before (issue 17)
    assert "def f_vjp(" in first and "def f_vjp(" in second and "x_bar" in first and \
        "y_bar" in second and "x_bar" not in second
    ns["C"] = 2.0
    again = s2sad.derivative_source(f, "reverse", argnums=(1,), args=(1.0, 2.0))
    assert "def f_vjp(" in again
    assert s2sad.grad(f, 1)(1.0, 2.0) == pytest.approx(fd(f, (1.0, 2.0), 1))


CELL_READS = '''
import numpy as np

def helper(buf, x):
    return x * 2.0

def inner(buf, x):
    return helper(buf, x)

def f(x):
    buf = np.zeros(2)
    t = inner(buf, x)
    return np.sum(buf ** 2) + t
'''

CELL_WRITES = '''
def helper(buf, x):
    buf[0] = x
    return x * 2.0
'''


def test_a_helper_redefined_to_write_into_its_argument_is_followed():
    # what inner does to buf depends on the helper it calls: known again on rebinding
    from s2sad.frontend.source import register_source
    ns = {"__name__": "cells_write"}
    grad = None
    for k, cell in enumerate((CELL_READS, CELL_WRITES)):
        name = f"<bindings-write-cell-{k}>"
        register_source(name, cell)
        exec(compile(cell, name, "exec"), ns)
        grad = grad or s2sad.grad(ns["f"])  # the same grad object in both cells
        h = 1e-6
        expected = (ns["f"](3.0 + h) - ns["f"](3.0 - h)) / (2 * h)
        assert grad(3.0) == pytest.approx(expected, rel=1e-6)
        assert s2sad.jvp(ns["f"], (3.0,), (1.0,))[1] == pytest.approx(expected, rel=1e-6)
