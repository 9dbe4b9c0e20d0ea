"""What a call of ``grad(f)`` costs, and what its caches keep.

* The derivative of a closure is cached per code object and closure layout:
  the closure's data (numbers, arrays, containers of them; in cells or
  globals) are parameters of the generated code, read when it runs, so a
  training loop that makes ``grad(lambda w: loss(w, batch))`` at every step
  with a fresh ``batch`` compiles once, and no cache keeps a batch (or a
  lambda) alive.
* Python semantics stay the spec: a cell or global rebound between calls is
  read again; a helper rebound recompiles; float32 stays float32; a function
  that does not return a scalar is refused with the same message as before.

Counts, not seconds: speed is measured in tests/benchmarks/run.py.
"""
import gc
import math
import re
import textwrap
import weakref

import numpy as np
import pytest

import s2sad
from s2sad import compiler
from s2sad.errors import S2sadError
from s2sad.frontend.source import register_source


def fd(f, x, eps=1e-6):
    """Central differences of a scalar f at x (a float or a float64 array)."""
    if not isinstance(x, np.ndarray):
        return (f(x + eps) - f(x - eps)) / (2 * eps)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        g[k] = (f(up) - f(down)) / (2 * eps)
    return g


def loss(w, batch):
    return np.sum(np.tanh(batch @ w) ** 2) + 0.1 * np.sum(w * w)


def compiles():
    """How many derivatives and lowerings this process made so far."""
    s = compiler.stats
    return s["lowered"] + s["reverse"] + s["reverse_value"] + s["forward"] + s["stale"]


def training_loop(steps, rng, check_at=()):
    """The issue's loop: a fresh batch and a fresh lambda at every step."""
    w = 0.1 * rng.normal(size=3)
    refs = []
    alive = []
    for step in range(steps):
        batch = rng.normal(size=(8, 3))
        refs.append(weakref.ref(batch))
        g = s2sad.grad(lambda w: loss(w, batch))
        slope = g(w)
        if step in check_at:
            want = fd(lambda v: loss(v, batch), w)
            assert np.allclose(slope, want, rtol=1e-6, atol=1e-8), step
        w = w - 0.1 * slope
        alive.append(sum(r() is not None for r in refs))
    return w, refs, alive


def test_a_training_loop_with_a_fresh_lambda_compiles_once():
    rng = np.random.default_rng(0)
    training_loop(1, rng)  # the first step compiles
    before = compiles()
    _, refs, alive = training_loop(1000, rng, check_at=(0, 1, 499, 999))
    assert compiles() == before  # 1,000 fresh lambdas and batches: nothing compiled
    # memory stays flat: at most this step's batch (and the last one) alive...
    assert max(alive) <= 2
    del alive
    gc.collect()
    assert all(r() is None for r in refs)  # ...and none once the loop is done


def test_the_caches_keep_no_lambda_and_no_batch():
    rng = np.random.default_rng(1)
    batch = rng.normal(size=(4, 3))
    f = lambda w: loss(w, batch)  # noqa: E731
    g = s2sad.grad(f)
    g(np.ones(3))
    s2sad.value_and_grad(f)(np.ones(3))
    s2sad.jvp(f, (np.ones(3),), (np.ones(3),))
    refs = [weakref.ref(f), weakref.ref(batch), weakref.ref(g)]
    del f, g, batch
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


def test_the_same_values_give_the_same_gradients_as_a_fresh_compile():
    # the loop's result equals that of a loop that names its data explicitly
    rng = np.random.default_rng(2)
    w_loop, _, _ = training_loop(20, rng)
    rng = np.random.default_rng(2)
    w = 0.1 * rng.normal(size=3)
    g = s2sad.grad(loss)
    for _ in range(20):
        batch = rng.normal(size=(8, 3))
        w = w - 0.1 * g(w, batch)
    assert np.allclose(w_loop, w, rtol=1e-12, atol=1e-14)


_cells = iter(range(10 ** 6))


def run_cell(source, namespace):
    source = textwrap.dedent(source)
    namespace.setdefault("__name__", "__main__")
    filename = f"<cell-call-cache-{next(_cells)}>"
    register_source(filename, source)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_a_module_level_loop_reads_its_global_batch_when_it_runs():
    # at module level batch is a global, rebound at every step
    ns = run_cell("""
        import numpy as np
        import s2sad

        def loss(w, batch):
            return np.sum(np.sin(batch @ w)) + np.sum(w ** 2)

        rng = np.random.default_rng(3)
        w = np.ones(3)
        slopes = []
        for step in range(200):
            batch = rng.normal(size=(5, 3))
            g = s2sad.grad(lambda w: loss(w, batch))
            slopes.append((g(w), batch))
            if step == 0:
                import s2sad.compiler as c
                first = dict(c.stats)
            w = w - 0.01 * slopes[-1][0]
    """, {})
    first = ns["first"]
    now = compiler.stats
    for key in ("lowered", "reverse", "reverse_value", "stale"):
        assert now[key] == first.get(key, 0), key
    slope, batch = ns["slopes"][-1]
    # (w has moved on one step since; the slope was taken before)
    w_before = ns["w"] + 0.01 * slope
    want = fd(lambda v: ns["loss"](v, batch), w_before)
    assert np.allclose(slope, want, rtol=1e-6, atol=1e-8)


def test_a_closure_cell_rebound_between_calls_gives_the_new_gradient():
    def make():
        scale = 2.0
        W = np.array([1.0, -2.0, 0.5])

        def f(x):
            return scale * np.sum(np.sin(W * x))

        def set_(s, w):
            nonlocal scale, W
            scale, W = s, w

        return f, set_

    f, set_ = make()
    g = s2sad.grad(f)
    x = np.array([0.3, -0.4, 1.2])
    assert np.allclose(g(x), fd(f, x), atol=1e-8)
    before = compiles()
    for s, w in ((-1.5, np.array([0.2, 0.1, 3.0])), (4.0, np.array([2.0, 2.0, -1.0]))):
        set_(s, w)
        assert np.allclose(g(x), fd(f, x), atol=1e-8)
    assert compiles() == before  # data: read when it runs, nothing compiled again
    # the data's kind changes (an array becomes a float): compiled for it, right
    set_(0.5, 3.0)
    assert np.allclose(g(x), fd(f, x), atol=1e-8)
    set_(0.5, np.array([[1.0, 2.0, 3.0]]))  # another rank
    assert np.allclose(g(x), fd(f, x), atol=1e-8)


def test_a_rebound_helper_still_recompiles():
    ns = run_cell("""
        import numpy as np
        DATA = np.array([1.0, 2.0])
        def helper(x):
            return np.sin(x)
        def f(x):
            return np.sum(helper(x) * DATA)
    """, {})
    f = ns["f"]
    g = s2sad.grad(f)
    x = np.array([0.4, -0.9])
    assert np.allclose(g(x), fd(f, x), atol=1e-8)
    stale = compiler.stats["stale"]
    run_cell("""
        def helper(x):
            return x ** 3
    """, ns)
    assert np.allclose(g(x), fd(f, x), atol=1e-8)
    assert compiler.stats["stale"] > stale
    # a data global rebound: read when it runs, nothing is stale
    stale = compiler.stats["stale"]
    ns["DATA"] = np.array([-3.0, 0.25])
    assert np.allclose(g(x), fd(f, x), atol=1e-8)
    assert compiler.stats["stale"] == stale
    del ns["DATA"]  # as Python: the name is not defined
    with pytest.raises(NameError):
        g(x)
    ns["DATA"] = np.array([1.0, 1.0])
    assert np.allclose(g(x), fd(f, x), atol=1e-8)


def test_float32_stays_float32_through_a_fresh_closure():
    rng = np.random.default_rng(4)
    w = np.ones(3, dtype=np.float32)
    for _ in range(3):
        batch = rng.normal(size=(4, 3)).astype(np.float32)
        slope = s2sad.grad(lambda w: loss(w, batch))(w)
        assert slope.dtype == np.float32
        want = fd(lambda v: loss(v, batch.astype(float)), w.astype(float))
        assert np.allclose(slope, want, rtol=1e-4, atol=1e-5)
        value, slope = s2sad.value_and_grad(lambda w: loss(w, batch))(w)
        assert slope.dtype == np.float32


def test_a_non_scalar_output_is_refused_as_before():
    batch = np.ones((2, 3))
    with pytest.raises(S2sadError, match="needs a function that returns a scalar"):
        s2sad.grad(lambda w: batch @ w)(np.ones(3))
    with pytest.raises(S2sadError, match="needs a function that returns a scalar"):
        s2sad.value_and_grad(lambda w: (batch @ w, 1.0))(np.ones(3))


def test_grad_of_a_float_function_compiles_the_vjp_without_the_value():
    def seeds(x1, x2):
        return np.log(x1) + x1 * x2 - np.sin(x2)

    before = dict(compiler.stats)
    g = s2sad.grad(seeds, (0, 1))
    got = g(2.0, 5.0)
    assert got == pytest.approx((5.5, 1.7163378145367738))
    assert compiler.stats["reverse"] == before.get("reverse", 0) + 1
    assert compiler.stats["reverse_value"] == before.get("reverse_value", 0)
    value, got = s2sad.value_and_grad(seeds, (0, 1))(2.0, 5.0)
    assert value == seeds(2.0, 5.0) and got == pytest.approx((5.5, 1.7163378145367738))


def test_grad_returns_a_function_that_keeps_python_call_semantics():
    def f(x, y):
        return x * y * y

    g = s2sad.grad(f, 1)
    assert g.__name__ == "grad_f" and g(2.0, 3.0) == pytest.approx(12.0)
    with pytest.raises(TypeError):
        g(2.0)  # as f(2.0) would
    # argument types change: compiled for them, the earlier ones still served
    assert g(2.0, np.float64(3.0)) == pytest.approx(12.0)
    assert g(2.0, 3.0) == pytest.approx(12.0)
    # differentiated again, and called inside a function being differentiated
    assert s2sad.grad(g, 1)(2.0, 3.0) == pytest.approx(4.0)
    h = lambda x: g(x, 3.0) * x  # noqa: E731
    assert s2sad.grad(h)(2.0) == pytest.approx(fd(h, 2.0), rel=1e-6)


def test_defaults_holding_data_are_passed_not_kept():
    rng = np.random.default_rng(5)
    w = np.ones(3)
    refs = []
    for step in range(51):
        batch = rng.normal(size=(4, 3))
        refs.append(weakref.ref(batch))
        f = lambda w, b=batch: loss(w, b)  # noqa: E731 (the loop-variable idiom)
        assert np.allclose(s2sad.grad(f)(w), fd(lambda v: loss(v, batch), w), atol=1e-8)
        if step == 0:
            before = compiles()
    assert compiles() == before
    del f, batch
    gc.collect()
    assert all(r() is None for r in refs)


def test_ordinary_functions_keep_their_derivative_source():
    # no data among the free names: no parameter added
    src = s2sad.derivative_source(loss, "reverse", args=(np.ones(3), np.ones((2, 3))))
    assert re.match(r"def loss_vjp(_[0-9]+)?\(w, batch, y_bar(=1.0)?\):", src), src
    # derivative_source of a closure binds its data, as before
    batch = np.ones((2, 3))
    f = lambda w: loss(w, batch)  # noqa: E731
    src = s2sad.derivative_source(f, "reverse", args=(np.ones(3),))
    assert "*," not in src.splitlines()[0]
    # what grad runs takes them as keyword-only parameters named after them
    kinds = (s2sad.compiler._kinds.kind_of_object(np.ones(3)),)
    opened = compiler.compile_derivative(f, "reverse", (0,), kinds, free=True)
    assert opened.source.splitlines()[0].endswith("*, batch):")
    assert [kw for kw, _, _ in opened.free] == ["batch"]


def test_closed_caches_forget_a_function_that_died():
    # derivative_source (and a function called by another) compile a closure
    # with its data as constants; those entries go when the closure dies (at
    # the next compile).  (Jacobians and Hessians still keep it: the generated
    # Jacobian code calls the function itself.)
    batch = np.random.default_rng(6).normal(size=(4, 3))
    f = lambda w: loss(w, batch)  # noqa: E731
    w = np.ones(3)
    src = s2sad.derivative_source(f, "reverse", args=(w,))
    assert src.startswith("def lambda_vjp(w, y_bar")
    refs = [weakref.ref(f), weakref.ref(batch)]
    del f, batch
    gc.collect()
    s2sad.grad(lambda x: x * x)(1.0)  # any compile purges the dead entries
    gc.collect()
    assert [r() for r in refs] == [None, None]
    s2sad.grad(lambda x: x * x * x)(1.0)
    assert not any(compiler._is_dead(k) for k in compiler._derivatives)
    assert not any(compiler._is_dead(k) for k in compiler._lowered)


def test_what_the_open_compile_cannot_do_is_compiled_closed(monkeypatch):
    # a safety net: if the data as parameters fail, the data as constants (as
    # before); here the open transform is made to fail
    batch = np.array([[1.0, 2.0], [0.5, -1.0]])
    f = lambda w: np.sum(np.sin(batch @ w))  # noqa: E731
    real = compiler._compile

    def refusing(func, *args):
        if isinstance(func, compiler.OpenFunction):
            raise S2sadError("no open compile here")
        return real(func, *args)

    monkeypatch.setattr(compiler, "_compile", refusing)
    w = np.array([0.3, 0.7])
    assert np.allclose(s2sad.grad(f)(w), fd(f, w), atol=1e-8)
    assert np.allclose(s2sad.value_and_grad(f)(w)[1], fd(f, w), atol=1e-8)
    batch = np.array([[2.0, 0.0], [0.0, 3.0]])  # a cell rebound: compiled again
    assert np.allclose(s2sad.grad(f)(w), fd(f, w), atol=1e-8)


def test_a_write_into_a_closure_array_is_refused_as_before():
    buf = np.zeros(3)

    def f(w):
        buf[0] = w[0]
        return np.sum(buf * w)

    with pytest.raises(S2sadError, match="copy it first"):
        s2sad.grad(f)(np.ones(3))
    assert buf[0] == 0.0


def test_the_callers_fast_path_tests_inline_and_calls_the_derivative():
    # after the first call, grad's caller runs the derivative itself: the slow
    # path (tables, compile_derivative, Bindings.fresh) is not taken
    ns = run_cell("""
        import math
        def seeds_math(x1, x2):
            return math.log(x1) + x1 * x2 - math.sin(x2)
    """, {})
    g = s2sad.grad(ns["seeds_math"], (0, 1))
    assert g(2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738))
    derived = g.__s2sad_derived__
    calls = []
    slow = derived._slow
    derived._slow = lambda args: calls.append(args) or slow(args)
    g.__globals__["_k_slow"] = derived._slow
    for _ in range(100):
        assert g(2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738))
    assert calls == []
    assert "fresh" not in g.__code__.co_names
    # what it tests still holds it to Python: math rebound, the slow path
    ns["math"] = np
    got = g(2.0, 5.0)
    assert len(calls) == 1 and compiler.stats["stale"] > 0
    assert got == pytest.approx((5.5, 2.0 - math.cos(5.0)))
    g(2.0, 5.0)
    assert len(calls) == 1  # and the new derivative is on the fast path again
