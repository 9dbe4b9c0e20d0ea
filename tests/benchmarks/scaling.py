"""Scaling benchmarks (issue 14): how s2sad's cost grows with the work.

Run ``python tests/benchmarks/scaling.py`` (``--quick`` for fewer sizes);
``tests/benchmarks/run.py`` prints these tables after its own.  Four curves,
each a markdown table with the log-log slope of s2sad's time against the size
(the least-squares fit of log t on log n: 1 is linear, 2 quadratic) and of its
ratio to the reference (0 is flat):

1. an element loop ``s = s + np.sin(v[i]) * v[i]``: the gradient against a
   hand-written adjoint and against the primal, n = 10^3 ... 10^5;
2. a recursion ``rec(x, n) = sin(rec(x, n - 1)) + 0.5 x``: the gradient against
   the primal, depth 10 ... 1,000;
3. building the reverse derivative of a generated straight-line function of
   50 ... 3,200 lines, compiled afresh each time;
4. a training loop building ``grad(lambda w: loss(w, batch))`` every step with a
   fresh 1 MiB batch: compiles, time per step against a precompiled gradient,
   memory after 100 and 1,000 steps.

Every reference is measured in the same run, and every s2sad gradient is
checked against the hand-written or finite-difference one before it is timed
(a wrong derivative stops the benchmark).  Nothing here is a test: pytest does
not collect this folder.
"""
from __future__ import annotations

import gc
import importlib.util
import math
import os
import random
import statistics
import sys
import tempfile
import time
import weakref

import numpy as np

import s2sad
import s2sad.rules.registry
from s2sad import compiler
from s2sad.compiler import compile_derivative

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import fmt_time, median_time  # noqa: E402  (run.py sits next to this file)

#: a size whose s2sad call (build) is expected to take longer than this is skipped
SLOW_CALL = 4.0
SLOW_BUILD = 60.0


def timed_rounds(fns, rounds=7, min_batch=0.02):
    """Median seconds per call of each of ``fns`` and the median per-round
    ratio of the first to each other one.

    The functions are timed in interleaved rounds (every round runs each one
    for a batch of calls, sized as ``median_time`` sizes them), so that load
    from other processes on this shared machine weighs on all alike; a call of
    over a quarter second makes three rounds.  One function alone is timed by
    ``median_time``."""
    if len(fns) == 1:
        return [median_time(fns[0], repeat=rounds, min_time=0.1)], []
    counts = []
    for fn in fns:
        t0 = time.perf_counter()
        fn()
        if time.perf_counter() - t0 > 0.25:
            rounds = min(rounds, 3)
        n = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            if time.perf_counter() - t0 >= min_batch or n > 1 << 20:
                break
            n *= 2
        counts.append(n)
    per = [[] for _ in fns]
    for _ in range(rounds):
        for fn, n, out in zip(fns, counts, per):
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            out.append((time.perf_counter() - t0) / n)
    return ([statistics.median(p) for p in per],
            [statistics.median(a / b for a, b in zip(per[0], p)) for p in per[1:]])


def measure(row, s2sad_fn, refs):
    """Fill ``row`` with the times of s2sad_fn (None: not run) and of the
    references (name -> function), and the per-round ratios."""
    names = list(refs)
    fns = ([s2sad_fn] if s2sad_fn is not None else []) + [refs[k] for k in names]
    times, ratios = timed_rounds(fns)
    if s2sad_fn is not None:
        row["s2sad"] = times.pop(0)
        row["ratios"] = dict(zip(names, ratios))
    row.update(zip(names, times))


def slope(sizes, values):
    """The least-squares slope of log(value) on log(size); None under 2 points."""
    pts = [(math.log(n), math.log(v)) for n, v in zip(sizes, values) if v and v > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den


def fmt_slope(s):
    return "–" if s is None else f"{s:.2f}"


def estimate(sizes, times, n):
    """The time at size n extrapolated from the last two measured sizes."""
    done = [(m, t) for m, t in zip(sizes, times) if t is not None]
    if not done:
        return 0.0
    if len(done) == 1:
        (m, t), = done
        return t * (n / m) ** 2  # assume the worst until there are two points
    (m1, t1), (m2, t2) = done[-2:]
    k = max(1.0, math.log(t2 / t1) / math.log(m2 / m1))
    return t2 * (n / m2) ** k


def ratio(row, ref):
    """s2sad's time over ref's: the median of the per-round ratios when they
    were timed together."""
    if ref in row.get("ratios", {}):
        return row["ratios"][ref]
    a, b = row.get("s2sad"), row.get(ref)
    return a / b if isinstance(a, float) and isinstance(b, float) else None


def print_curve(title, size_name, rows, refs):
    """rows: dicts with "n", "s2sad" and the reference columns (None: not run;
    a string: an error or why it was skipped)."""
    print(f"### {title}")
    print()
    head = [size_name, "s2sad"] + list(refs) + [f"s2sad / {r}" for r in refs]
    print("| " + " | ".join(head) + " |")
    print("|---" * len(head) + "|")
    for r in rows:
        cells = [f"{r['n']:,}"]
        for c in ["s2sad"] + list(refs):
            v = r.get(c)
            cells.append(v if isinstance(v, str) else "–" if v is None else fmt_time(v))
        for c in refs:
            q = ratio(r, c)
            cells.append("–" if q is None else f"{q:.2f}×")
        print("| " + " | ".join(cells) + " |")
    ok = [r for r in rows if isinstance(r.get("s2sad"), float)]
    sizes = [r["n"] for r in ok]
    parts = [f"slope of s2sad's time: {fmt_slope(slope(sizes, [r['s2sad'] for r in ok]))}"]
    for c in refs:
        both = [r for r in ok if isinstance(r.get(c), float)]
        parts.append(f"of {c}'s: {fmt_slope(slope([r['n'] for r in both], [r[c] for r in both]))}")
        parts.append(f"of s2sad / {c}: "
                     f"{fmt_slope(slope([r['n'] for r in both], [ratio(r, c) for r in both]))}")
    print()
    print("log-log " + ", ".join(parts))


# ---------------------------------------------------------------------------
# 1. element loop over a 1-D array
# ---------------------------------------------------------------------------
def elem(v):
    s = 0.0
    for i in range(v.shape[0]):
        s = s + np.sin(v[i]) * v[i]
    return s


def elem_hand(v):
    """A straightforward adjoint: the forward sweep saves v[i] and sin(v[i]),
    the reverse sweep adds into one gradient buffer."""
    xs, sins = [], []
    s = 0.0
    for i in range(v.shape[0]):
        x = v[i]
        sn = np.sin(x)
        xs.append(x)
        sins.append(sn)
        s = s + sn * x
    g = np.zeros_like(v)
    s_bar = 1.0
    for i in range(v.shape[0] - 1, -1, -1):
        x, sn = xs[i], sins[i]
        g[i] += s_bar * (np.cos(x) * x + sn)
    return g


def bench_element_loop(quick):
    sizes = [1_000, 10_000, 20_000] if quick else \
        [1_000, 3_000, 10_000, 20_000, 30_000, 100_000]
    grad = s2sad.grad(elem)
    rng = np.random.default_rng(0)
    rows, done = [], []
    for n in sizes:
        v = rng.normal(size=n)
        row = {"n": n}
        refs = {"hand": lambda: elem_hand(v), "primal": lambda: elem(v)}
        guess = estimate([r["n"] for r in done], [r["s2sad"] for r in done], n)
        run = None
        if guess > SLOW_CALL:
            row["s2sad"] = f"skipped (~{guess:.0f} s a call)"
        else:
            try:
                g = grad(v)
                run = lambda: grad(v)  # noqa: E731
            except Exception as exc:  # report and go on
                row["s2sad"] = f"error: {type(exc).__name__}: {exc}"
            else:
                assert np.allclose(g, elem_hand(v), rtol=1e-10, atol=1e-12), \
                    f"element loop, n = {n}: s2sad's gradient differs from the hand-written one"
        measure(row, run, refs)
        if run is not None:
            done.append(row)
        rows.append(row)
    print_curve("Element loop `s = s + np.sin(v[i]) * v[i]`: gradient", "n", rows,
                ["hand", "primal"])
    ratios = [ratio(r, "hand") for r in done]
    at = [r for r in done if r["n"] == 20_000]
    print("target: ≤ 1.3× hand at n = 20,000: "
          + (f"{ratio(at[0], 'hand'):.2f}×" if at else "not measured")
          + "; ratio flat within 20 % over the sizes: "
          + (f"max / min = {max(ratios) / min(ratios):.2f}" if ratios else "not measured"))
    return rows


# ---------------------------------------------------------------------------
# 2. recursion
# ---------------------------------------------------------------------------
def rec(x, n):
    if n == 0:
        return x
    return math.sin(rec(x, n - 1)) + 0.5 * x


def rec_derivative(x, n):
    """d rec(x, n) / dx by the chain rule, iteratively."""
    r, d = x, 1.0
    for _ in range(n):
        r, d = math.sin(r) + 0.5 * x, math.cos(r) * d + 0.5
    return d


def bench_recursion(quick):
    depths = [10, 100, 500] if quick else [10, 50, 100, 200, 500, 800, 1000]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20 * max(depths) + 1000))
    grad = s2sad.grad(rec)
    x = 0.7
    rows, done = [], []
    try:
        for n in depths:
            row = {"n": n}
            try:
                rec(x, n)
                refs = {"primal": lambda: rec(x, n)}
            except RecursionError as exc:
                row["primal"] = f"error: RecursionError: {str(exc)[:60]}"
                refs = {}
            guess = estimate([r["n"] for r in done], [r["s2sad"] for r in done], n)
            run = None
            if guess > SLOW_CALL:
                row["s2sad"] = f"skipped (~{guess:.0f} s a call)"
            else:
                try:
                    g = grad(x, n)
                    run = lambda: grad(x, n)  # noqa: E731
                except Exception as exc:  # RecursionError and the like: report it
                    row["s2sad"] = f"error: {type(exc).__name__}: {str(exc)[:80]}"
                else:
                    assert math.isclose(g, rec_derivative(x, n), rel_tol=1e-10,
                                        abs_tol=1e-12), \
                        f"recursion, depth {n}: s2sad's gradient is wrong"
            if run is not None or refs:
                measure(row, run, refs)
            if run is not None:
                done.append(row)
            rows.append(row)
    finally:
        sys.setrecursionlimit(old)
    print_curve("Recursion `rec(x, n) = sin(rec(x, n - 1)) + 0.5 x`: gradient", "depth", rows,
                ["primal"])
    at = [r for r in done if r["n"] == 500]
    deepest = rows[-1]
    print("target: ≤ 5× the primal at depth 500: "
          + (f"{ratio(at[0], 'primal'):.1f}×" if at and ratio(at[0], 'primal') else
             "not measured")
          + f"; depth {deepest['n']:,} works: "
          + ("yes" if isinstance(deepest.get("s2sad"), float) else "no"))
    return rows


# ---------------------------------------------------------------------------
# 3. build time of a long straight-line function
# ---------------------------------------------------------------------------
N_ARGS = 4


def straight_line_source(lines, seed=0):
    """``f(a0, ..., a3)`` of ``lines`` assignments like
    ``a17 = math.sin(a12) * a16 + 0.5 * a3``: line k reads a(k-1) (so none is
    dead), one of the eight variables before it and one argument, as code
    written by hand reads mostly what it just computed; every value stays
    bounded."""
    rnd = random.Random(seed)
    out = [f"def long_{lines}(" + ", ".join(f"a{i}" for i in range(N_ARGS)) + "):"]
    for k in range(N_ARGS, N_ARGS + lines):
        j, m = rnd.randrange(max(0, k - 9), k - 1), rnd.randrange(N_ARGS)
        if k % 3 == 0:
            out.append(f"    a{k} = math.sin(a{j}) * math.tanh(a{k - 1}) + 0.5 * a{m}")
        elif k % 3 == 1:
            out.append(f"    a{k} = math.cos(a{j}) * a{k - 1} * 0.5 + 0.25 * a{m}")
        else:
            out.append(f"    a{k} = math.sin(a{j}) * a{k - 1} + 0.5 * math.tanh(a{m})")
    out.append(f"    return a{N_ARGS + lines - 1}")
    return "import math\n\n\n" + "\n".join(out) + "\n"


def load_function(folder, lines):
    path = os.path.join(folder, f"s2sad_long_{lines}.py")
    with open(path, "w") as fh:
        fh.write(straight_line_source(lines))
    spec = importlib.util.spec_from_file_location(f"s2sad_long_{lines}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, f"long_{lines}")


def fd_gradient(f, args, h=1e-6):
    out = []
    for i in range(len(args)):
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        out.append((f(*up) - f(*down)) / (2 * h))
    return np.array(out)


def bench_build(quick):
    sizes = [50, 200, 800] if quick else [50, 100, 200, 400, 800, 1600, 3200]
    kinds = ("float",) * N_ARGS
    nums = tuple(range(N_ARGS))
    args = (0.3, -0.7, 1.1, 0.5)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for lines in sizes:
            f = load_function(folder, lines)

            def fresh():
                s2sad.rules.registry._invalidate()  # lowered afresh, not from the cache
                t0 = time.perf_counter()
                compiled = compile_derivative(f, "reverse", nums, kinds)
                return time.perf_counter() - t0, compiled

            row = {"n": lines}
            done = [r for r in rows if isinstance(r["s2sad"], float)]
            guess = estimate([r["n"] for r in done], [r["s2sad"] for r in done], lines)
            if guess > SLOW_BUILD:
                row["s2sad"] = f"skipped (~{guess:.0f} s a build)"
                rows.append(row)
                continue
            try:
                lowered = compiler.stats["lowered"]
                first, compiled = fresh()
                assert compiler.stats["lowered"] > lowered, "the build did not lower afresh"
                g = np.array(compiled.fn(*args, 1.0))
                assert np.allclose(g, fd_gradient(f, args), rtol=1e-5, atol=1e-7), \
                    f"{lines}-line function: s2sad's gradient differs from finite differences"
                times = [first] + ([fresh()[0] for _ in range(2)] if first < 2.0 else [])
                row["s2sad"] = statistics.median(times)
            except AssertionError:
                raise
            except Exception as exc:
                row["s2sad"] = f"error: {type(exc).__name__}: {str(exc)[:80]}"
            rows.append(row)
    print_curve("Build time: reverse derivative of a straight-line function (first call)",
                "lines", rows, [])
    by = {r["n"]: r["s2sad"] for r in rows if isinstance(r["s2sad"], float)}
    if 3200 in by and 800 in by:
        print(f"target: 3,200 lines ≤ 1.5 s: {by[3200]:.2f} s; ≤ 5× the 800-line time: "
              f"{by[3200] / by[800]:.1f}×")
    return rows


# ---------------------------------------------------------------------------
# 4. a training loop that builds its gradient every step
# ---------------------------------------------------------------------------
def loss(w, batch):
    r = batch @ w - 1.0
    return np.sum(r * r) / batch.shape[0]


def loss_hand_grad(w, batch):
    return 2.0 * (batch.T @ (batch @ w - 1.0)) / batch.shape[0]


def rss_mib():
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError, IndexError):
        return None


def compiles():
    return sum(compiler.stats[k] for k in ("forward", "reverse", "reverse_value"))


#: the fresh-lambda loop stops when more batches than this stay alive
MAX_ALIVE = 300


def bench_training(quick):
    steps = 100 if quick else 1000
    rows_, cols = 1024, 128  # 1 MiB of float64 per batch
    rng = np.random.default_rng(0)
    base = rng.normal(size=(rows_, cols)) / math.sqrt(cols)
    scales = 1.0 + 0.01 * rng.random(steps)
    w0 = np.zeros(cols)

    batch = base * scales[0]
    assert np.allclose(s2sad.grad(lambda w: loss(w, batch))(w0 + 0.1),
                       loss_hand_grad(w0 + 0.1, batch)), "training loop: wrong gradient"

    # the same loop with one gradient built before it
    pre = s2sad.grad(loss)
    pre(w0, batch)
    w = w0
    gc.collect()
    t0 = time.perf_counter()
    for step in range(steps):
        batch = base * scales[step]
        w = w - 0.1 * pre(w, batch)
    t_pre = (time.perf_counter() - t0) / steps
    w_pre = w

    gc.collect()
    alive = []
    marks = {}
    before = compiles(), compiler.stats["lowered"]
    rss0 = rss_mib()
    w = w0
    stopped = None
    spent = 0.0  # the steps' time, without the collections that count what is alive
    for step in range(steps):
        t0 = time.perf_counter()
        batch = base * scales[step]
        g = s2sad.grad(lambda w: loss(w, batch))
        w = w - 0.1 * g(w)
        spent += time.perf_counter() - t0
        alive.append(weakref.ref(batch))
        if step + 1 in (100, steps) or (step + 1) % 100 == 0:
            gc.collect()
            kept = sum(1 for r in alive if r() is not None)
            marks[step + 1] = (rss_mib(), kept)
            if kept > MAX_ALIVE:
                stopped = step + 1
                break
    done = stopped or steps
    t_fresh = spent / done
    g = batch = None  # what the loop leaves alive is counted above, not this
    assert stopped or np.allclose(w, w_pre), "training loop: the two loops disagree"
    n_compiles = compiles() - before[0]
    n_lowered = compiler.stats["lowered"] - before[1]

    print("### Training loop: `grad(lambda w: loss(w, batch))` built every step, 1 MiB batches")
    print()
    print("| steps | compiles | lowered | ms / step | precompiled ms / step | ratio |")
    print("|---|---|---|---|---|---|")
    print(f"| {done:,}{' (stopped)' if stopped else ''} | {n_compiles} | {n_lowered} | "
          f"{t_fresh * 1e3:.2f} | {t_pre * 1e3:.2f} | {t_fresh / t_pre:.1f}× |")
    print()
    print("| after steps | RSS (MiB, from the loop's start) | batches still alive |")
    print("|---|---|---|")
    for k in sorted(marks):
        rss, kept = marks[k]
        grown = f"{rss - rss0:+.0f}" if rss is not None and rss0 is not None else "–"
        print(f"| {k:,} | {grown} | {kept} |")
    if stopped:
        print(f"(stopped after {stopped} steps: more than {MAX_ALIVE} batches stayed alive)")
    print(f"target: compiles once ({n_compiles} compiles in {done:,} steps); memory flat "
          f"(batches alive at the end: {marks[max(marks)][1]})")
    return {"steps": done, "compiles": n_compiles, "fresh": t_fresh, "pre": t_pre, "marks": marks}


BENCHES = (bench_element_loop, bench_recursion, bench_build, bench_training)


def main(quick=False):
    print(f"## Scaling{' (quick)' if quick else ''}")
    print()
    t0 = time.perf_counter()
    for bench in BENCHES:
        try:
            bench(quick)
        except AssertionError:
            raise  # a wrong derivative fails loudly
        except Exception as exc:  # report and go on
            print(f"### {bench.__name__}: error: {type(exc).__name__}: {exc}")
        print()
    print(f"(scaling run: {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
