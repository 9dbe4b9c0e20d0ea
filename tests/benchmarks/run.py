"""Benchmarks: s2sad against the primal, a hand-written adjoint, autograd and JAX.

Run ``python tests/benchmarks/run.py`` (``pip install ".[bench]"`` for the
peers); the scaling curves of ``scaling.py`` follow the table (``--quick``:
fewer sizes, ``--no-scaling``: none).  Every number of a row is measured in
the same run, on the same machine; the table shows medians and ratios.
Nothing here is a test: pytest does not collect this folder.
"""
from __future__ import annotations

import gc
import math
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

import s2sad
from s2sad.compiler import compile_derivative

try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # the bench extra is not installed
    autograd = None
try:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:
    jax = None


def median_time(fn, repeat=7, min_time=0.2):
    """Median seconds per call over ``repeat`` rounds of enough calls each."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt > min_time / repeat or n > 1 << 20:
            break
        n *= 2
    samples = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


# ---------------------------------------------------------------------------
# 1. scalar loop: 1,000 steps, gradient w.r.t. two inputs
# ---------------------------------------------------------------------------
def scalar_loop(x, y, n):
    for i in range(n):
        x = x + 0.01 * (math.sin(x) * y - x * x * 0.1)
    return x


def scalar_loop_hand(x, y, n, m=math):
    """A straightforward adjoint: save what the reverse sweep needs in lists
    (``m``: the module whose sin and cos the loop calls)."""
    xs, sins = [], []
    for i in range(n):
        s = m.sin(x)
        xs.append(x)
        sins.append(s)
        x = x + 0.01 * (s * y - x * x * 0.1)
    x_bar, y_bar = 1.0, 0.0
    for i in range(n - 1, -1, -1):
        x, s = xs[i], sins[i]
        d = 0.01 * x_bar
        y_bar += d * s
        x_bar = x_bar + d * (y * m.cos(x) - 0.2 * x)
    return x_bar, y_bar


def scalar_loop_np(x, y, n, np_=np):
    for i in range(n):
        x = x + 0.01 * (np_.sin(x) * y - x * x * 0.1)
    return x


def scalar_loop_numpy(x, y, n):
    for i in range(n):
        x = x + 0.01 * (np.sin(x) * y - x * x * 0.1)
    return x


def scalar_loop_numpy_hand(x, y, n):
    return scalar_loop_hand(x, y, n, np)


def bench_scalar_loop_numpy(rows):
    args = (0.5, 2.0, 1000)
    grad = s2sad.grad(scalar_loop_numpy, (0, 1))
    assert np.allclose(grad(*args), scalar_loop_numpy_hand(*args))
    rows.append({"workload": "scalar loop with np.sin, 1,000 steps",
                 "primal": median_time(lambda: scalar_loop_numpy(*args)),
                 "hand": median_time(lambda: scalar_loop_numpy_hand(*args)),
                 "s2sad": median_time(lambda: grad(*args))})


def bench_scalar_loop(rows):
    args = (0.5, 2.0, 1000)
    grad = s2sad.grad(scalar_loop, (0, 1))
    expected = scalar_loop_hand(*args)
    assert np.allclose(grad(*args), expected)
    row = {"workload": "scalar loop, 1,000 steps",
           "primal": median_time(lambda: scalar_loop(*args)),
           "hand": median_time(lambda: scalar_loop_hand(*args)),
           "s2sad": median_time(lambda: grad(*args))}
    if autograd is not None:
        ag = autograd.grad(lambda x, y: scalar_loop_np(x, y, 1000, anp), (0, 1))
        assert np.allclose(ag(0.5, 2.0), expected)
        row["autograd"] = median_time(lambda: ag(0.5, 2.0), repeat=3)
    if jax is not None:
        jg = jax.grad(lambda x, y: scalar_loop_np(x, y, 1000, jnp), (0, 1))
        row["jax eager"] = median_time(lambda: jg(0.5, 2.0), repeat=3, min_time=0.05)
    rows.append(row)


# ---------------------------------------------------------------------------
# 2. MLP 784 -> 256 -> 10, tanh, batch 256, gradient w.r.t. four arrays
# ---------------------------------------------------------------------------
def mlp_loss(W1, b1, W2, b2, X, Y, np_=np):
    h = np_.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np_.max(logits, axis=1, keepdims=True)
    lse = m + np_.log(np_.sum(np_.exp(logits - m), axis=1, keepdims=True))
    return -np_.sum((logits - lse) * Y) / X.shape[0]


def mlp_loss_plain(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.sum((logits - lse) * Y) / X.shape[0]


def mlp_hand(W1, b1, W2, b2, X, Y):
    a = X @ W1 + b1
    h = np.tanh(a)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    e = np.exp(logits - m)
    p = e / np.sum(e, axis=1, keepdims=True)
    n = X.shape[0]
    g_logits = (p * np.sum(Y, axis=1, keepdims=True) - Y) / n
    g_W2 = h.T @ g_logits
    g_b2 = g_logits.sum(axis=0)
    g_a = (g_logits @ W2.T) * (1 - h * h)
    return X.T @ g_a, g_a.sum(axis=0), g_W2, g_b2


def bench_mlp(rows):
    rng = np.random.default_rng(0)
    W1, b1 = 0.05 * rng.normal(size=(784, 256)), np.zeros(256)
    W2, b2 = 0.05 * rng.normal(size=(256, 10)), np.zeros(10)
    X = rng.normal(size=(256, 784))
    Y = np.eye(10)[rng.integers(0, 10, 256)]
    args = (W1, b1, W2, b2, X, Y)
    grad = s2sad.grad(mlp_loss_plain, (0, 1, 2, 3))
    for a, b in zip(grad(*args), mlp_hand(*args)):
        assert np.allclose(a, b), "s2sad and the hand-written MLP gradient differ"
    row = {"workload": "MLP 784-256-10, batch 256",
           "primal": median_time(lambda: mlp_loss_plain(*args)),
           "hand": median_time(lambda: mlp_hand(*args)),
           "s2sad": median_time(lambda: grad(*args))}
    if autograd is not None:
        ag = autograd.grad(lambda *p: mlp_loss(*p, X, Y, anp), (0, 1, 2, 3))
        row["autograd"] = median_time(lambda: ag(W1, b1, W2, b2))
    if jax is not None:
        jf = lambda *p: mlp_loss(*p, X, Y, jnp)
        jg = jax.grad(jf, (0, 1, 2, 3))
        row["jax eager"] = median_time(lambda: jax.block_until_ready(jg(W1, b1, W2, b2)))
        jj = jax.jit(jg)
        jax.block_until_ready(jj(W1, b1, W2, b2))
        row["jax jit"] = median_time(lambda: jax.block_until_ready(jj(W1, b1, W2, b2)))
    rows.append(row)
    # grad is as fast as value_and_grad: the same VJP, or for a float-valued
    # function the VJP without the value
    value_and_grad = s2sad.value_and_grad(mlp_loss_plain, (0, 1, 2, 3))
    rows.append({"workload": "MLP 784-256-10, batch 256, value_and_grad",
                 "hand": row["hand"], "s2sad": median_time(lambda: value_and_grad(*args))})


# ---------------------------------------------------------------------------
# 3. the seeds' example: latency of one gradient call
# ---------------------------------------------------------------------------
def seeds(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def seeds_math(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def seeds_hand(x1, x2):
    return 1.0 / x1 + x2, x1 - math.cos(x2)


def bench_seeds(rows):
    grad = s2sad.grad(seeds_math, (0, 1))
    assert np.allclose(grad(2.0, 5.0), (5.5, 1.7163378145367738))
    raw = compile_derivative(seeds_math, "reverse", (0, 1), ("float", "float")).fn
    rows.append({"workload": "seeds' example, generated f_vjp called directly",
                 "primal": median_time(lambda: seeds_math(2.0, 5.0)),
                 "hand": median_time(lambda: seeds_hand(2.0, 5.0)),
                 "s2sad": median_time(lambda: raw(2.0, 5.0))})
    row = {"workload": "seeds' example, through s2sad.grad",
           "primal": median_time(lambda: seeds_math(2.0, 5.0)),
           "hand": median_time(lambda: seeds_hand(2.0, 5.0)),
           "s2sad": median_time(lambda: grad(2.0, 5.0))}
    if autograd is not None:
        ag = autograd.grad(lambda a, b: anp.log(a) + a * b - anp.sin(b), (0, 1))
        row["autograd"] = median_time(lambda: ag(2.0, 5.0))
    if jax is not None:
        jg = jax.grad(lambda a, b: jnp.log(a) + a * b - jnp.sin(b), (0, 1))
        row["jax eager"] = median_time(lambda: jg(2.0, 5.0), repeat=3)
        jj = jax.jit(jg)
        jj(2.0, 5.0)
        row["jax jit"] = median_time(lambda: jj(2.0, 5.0))
    rows.append(row)
    # What grad adds per call to the function it runs (the VJP without the
    # value: seeds_math returns a float): its generated caller's test of the
    # argument types, of the rule generation and of the free names (here
    # ``math``) being bound as when it was compiled, inline.
    rows.append({"workload": "seeds' example, grad's per-call overhead over its f_vjp",
                 "s2sad": row["s2sad"] - median_time(lambda: raw(2.0, 5.0))})


# ---------------------------------------------------------------------------
# 4. compile time: the reverse derivative of a 60-line function and of the MLP
# ---------------------------------------------------------------------------
def sixty_lines(x, y, z, n):
    a = x * y + math.sin(z)
    b = math.exp(-a * a) + y / (1.0 + z * z)
    c = a * b - math.cos(x + y)
    if c > 0:
        d = math.sqrt(c + 1.0)
    else:
        d = math.tanh(c)
    e = d * x + a
    total = 0.0
    for i in range(n):
        w = 0.5 + 0.01 * i
        f = math.sin(w * e) + math.cos(w * d)
        g = f * f - a * w
        if g > 1.0:
            g = math.log(g)
        total = total + g * b
        e = e * 0.99 + 0.01 * f
    h = total / (1.0 + abs(e))
    k = math.atan2(h, 1.0 + d * d)
    m = k * a + h * b
    p = m ** 2 + math.hypot(a, b)
    q = p / (1.0 + math.exp(-m))
    r = q * math.sin(p) + math.cos(q)
    s = r * r + q * p
    t = math.sqrt(s + 1.0)
    u = t * math.tanh(r) - s * 0.001
    v = u + math.log1p(t * t)
    count = 0
    while v > 1.0 and count < 50:
        v = v * 0.9 - 0.01 * math.sin(v)
        count = count + 1
    w2 = v * u + t
    xx = w2 * w2 * 0.5
    yy = xx + math.expm1(-abs(w2))
    zz = yy * a - xx * b
    aa = zz + math.atan(yy)
    bb = aa * aa + zz
    cc = math.sinh(bb * 0.001) + math.cosh(aa * 0.001)
    dd = cc * bb - aa
    ee = dd / (1.0 + cc * cc)
    ff = ee * math.erf(dd * 0.01)
    gg = ff + ee * d
    hh = gg * gg
    ii = hh + gg * e
    jj = math.sqrt(ii * ii + 1.0)
    kk = jj * a
    ll = kk + jj * b
    mm = ll * c
    nn = mm + ll
    oo = nn * 0.5 + mm * 0.25
    pp = oo * oo
    qq = pp + oo
    return qq * x + pp * y + nn * z


def bench_sixty_lines(rows):
    """The 58-line function (branches, a for and a while loop) against its
    hand-written adjoint (hand_adjoints.py), timed in interleaved rounds."""
    from hand_adjoints import sixty_lines_hand  # next to this file
    from scaling import timed_rounds
    args = (0.55, 0.45, 0.56, 28)
    grad = s2sad.grad(sixty_lines, (0, 1, 2))
    assert np.allclose(grad(*args), sixty_lines_hand(*args), rtol=1e-12)
    (t_grad, t_hand, t_primal), _ = timed_rounds(
        [lambda: grad(*args), lambda: sixty_lines_hand(*args), lambda: sixty_lines(*args)],
        rounds=15)
    rows.append({"workload": "58-line function, n = 28", "primal": t_primal, "hand": t_hand,
                 "s2sad": t_grad})


def bench_compile(rows):
    def fresh_compile(f, kinds, nums):
        s2sad.rules.registry._invalidate()
        t0 = time.perf_counter()
        compile_derivative(f, "reverse", nums, kinds)
        return time.perf_counter() - t0

    kinds = ("float", "float", "float", "int")
    t60 = statistics.median(fresh_compile(sixty_lines, kinds, (0, 1, 2)) for _ in range(5))
    array = ("array",) * 6
    tmlp = statistics.median(fresh_compile(mlp_loss_plain, array, (0, 1, 2, 3)) for _ in range(5))
    rows.append({"workload": "compile: 60-line function", "s2sad": t60})
    rows.append({"workload": "compile: MLP loss", "s2sad": tmlp})


# ---------------------------------------------------------------------------
# 5. tape memory of a 10,000-step loop
# ---------------------------------------------------------------------------
def peak_bytes(fn):
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def bench_tape(rows):
    args = (0.5, 2.0, 10000)
    raw = compile_derivative(scalar_loop, "reverse", (0, 1), ("float", "float", "int")).fn
    row = {"workload": "tape memory, 10,000 steps (bytes)",
           "hand": peak_bytes(lambda: scalar_loop_hand(*args)),
           "s2sad": peak_bytes(lambda: raw(*args, 1.0))}
    if autograd is not None:
        ag = autograd.grad(lambda x, y: scalar_loop_np(x, y, 10000, anp), (0, 1))
        row["autograd"] = peak_bytes(lambda: ag(0.5, 2.0))
    rows.append(row)


# ---------------------------------------------------------------------------
# 6. a training loop that makes grad(lambda w: loss(w, batch)) at every step
# ---------------------------------------------------------------------------
def train_loss(w, batch):
    return np.sum(np.tanh(batch @ w) ** 2) / batch.shape[0] + 0.01 * np.sum(w * w)


def bench_training_loop(rows, steps=1000):
    """A fresh batch (128 KiB) and a fresh lambda at every step: how many
    derivatives it compiles, a step's time against the same loop with the batch
    passed as an argument of one grad object, and the memory the loop leaves
    behind (what the caches keep of 1,000 batches)."""
    rng = np.random.default_rng(0)
    batches = [rng.normal(size=(64, 256)) for _ in range(8)]
    named = s2sad.grad(train_loss)

    def fresh_lambda_loop(n):
        w = np.zeros(256)
        for step in range(n):
            batch = batches[step % 8].copy()  # a new array each step
            g = s2sad.grad(lambda w: train_loss(w, batch))
            w = w - 0.1 * g(w)
        return w

    def named_loop(n):
        w = np.zeros(256)
        for step in range(n):
            batch = batches[step % 8].copy()
            w = w - 0.1 * named(w, batch)
        return w

    assert np.allclose(fresh_lambda_loop(3), named_loop(3))
    stats = s2sad.compiler.stats
    before = stats["reverse"] + stats["reverse_value"] + stats["lowered"]
    t0 = time.perf_counter()
    fresh_lambda_loop(steps)
    elapsed = time.perf_counter() - t0
    compiled = stats["reverse"] + stats["reverse_value"] + stats["lowered"] - before
    gc.collect()
    tracemalloc.start()  # (it slows the loop down: timed apart)
    start = tracemalloc.get_traced_memory()[0]
    fresh_lambda_loop(steps)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    rows.append({"workload": f"training loop, fresh lambda each step: step time "
                             f"({compiled} compiles in {steps:,} steps)",
                 "hand": median_time(lambda: named_loop(20), repeat=3) / 20,
                 "s2sad": elapsed / steps})
    rows.append({"workload": f"training loop, fresh lambda each step: memory kept after "
                             f"{steps:,} steps (bytes)", "s2sad": max(kept, 0)})


def fmt_time(t):
    if t < 1e-5:  # the per-call rows: tens of nanoseconds count
        return f"{t * 1e6:.2f} µs"
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def main():
    rows = []
    for bench in (bench_scalar_loop, bench_scalar_loop_numpy, bench_mlp, bench_seeds,
                  bench_sixty_lines, bench_compile, bench_tape, bench_training_loop):
        try:
            bench(rows)
        except Exception as exc:  # report and go on: the table says what failed
            rows.append({"workload": bench.__name__, "error": f"{type(exc).__name__}: {exc}"})
    cols = ["primal", "hand", "s2sad", "autograd", "jax eager", "jax jit"]
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"NumPy {np.__version__}" + (f", JAX {jax.__version__}" if jax else "") +
          (", autograd" if autograd else ""))
    print()
    print("| workload | " + " | ".join(cols) + " | s2sad / hand | s2sad / primal |")
    print("|---" * (len(cols) + 3) + "|")
    for r in rows:
        if "error" in r:
            print(f"| {r['workload']} | error: {r['error']} |")
            continue
        memory = "bytes" in r["workload"]
        cells = []
        for c in cols:
            v = r.get(c)
            if v is None:
                cells.append("–")
            elif memory:
                cells.append(f"{v / 1024:.0f} KiB")
            else:
                cells.append(fmt_time(v))
        vs_hand = f"{r['s2sad'] / r['hand']:.2f}×" if "hand" in r else "–"
        vs_primal = f"{r['s2sad'] / r['primal']:.2f}×" if "primal" in r else "–"
        print(f"| {r['workload']} | " + " | ".join(cells) + f" | {vs_hand} | {vs_primal} |")
    if "--no-scaling" not in sys.argv[1:]:  # the curves of scaling.py (--quick: fewer sizes)
        import scaling  # next to this file
        print()
        scaling.main(quick="--quick" in sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
