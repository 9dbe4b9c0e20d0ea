"""The Numba backend against the Python one, a hand-written adjoint and JAX.

Run ``python tests/benchmarks/numba_bench.py`` (Numba installed; JAX too for
its row).  Every number of a row is measured in the same run; times are
medians (run.py's ``median_time``).  "build" is the first call of the
gradient: s2sad's transforms and Numba's compile together (Numba imported
before, its import time printed apart).  Nothing here is a test.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loops  # noqa: E402
import run  # noqa: E402
from run import median_time  # noqa: E402
from scaling import timed_rounds  # noqa: E402

import s2sad  # noqa: E402


scalar_loop_math = run.scalar_loop  # math.sin
scalar_loop_np = run.scalar_loop_numpy  # np.sin


def agree(a, b, tol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= tol * (1 + np.abs(b))))


def bench_scalar_loops(rows):
    args = (0.5, 2.0, 1000)
    hand = median_time(lambda: run.scalar_loop_hand(*args))
    for label, f in (("math.sin", scalar_loop_math), ("np.sin", scalar_loop_np)):
        t0 = time.perf_counter()
        compiled = s2sad.grad(f, (0, 1), backend="numba")
        got = compiled(*args)
        build = time.perf_counter() - t0
        python = s2sad.grad(f, (0, 1))
        assert agree(got, python(*args)) and agree(got, run.scalar_loop_hand(*args))
        # timed in alternation: the ratios are per round, then the median
        (t_numba, t_hand, t_python), (numba_hand, numba_python) = timed_rounds(
            [lambda: compiled(*args), lambda: run.scalar_loop_hand(*args),
             lambda: python(*args)], rounds=11)
        rows.append({"workload": f"scalar loop ({label}), 1,000 steps",
                     "hand (Python)": t_hand, "s2sad python": t_python, "s2sad numba": t_numba,
                     "numba / hand": numba_hand, "python / numba": 1 / numba_python,
                     "build": build})
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
    except ImportError:
        return
    jg = jax.jit(jax.grad(lambda x, y: run.scalar_loop_np(x, y, 1000, jnp), (0, 1)))
    t0 = time.perf_counter()
    jax.block_until_ready(jg(0.5, 2.0))
    build = time.perf_counter() - t0
    t = median_time(lambda: jax.block_until_ready(jg(0.5, 2.0)))
    rows.append({"workload": "scalar loop (jnp.sin), JAX jit", "hand (Python)": hand,
                 "s2sad numba": t, "numba / hand": t / hand, "build": build})


def _leapfrog_args(bodies, steps):
    rng = np.random.default_rng(1)
    return (rng.normal(size=(bodies, 2)), 0.1 * rng.normal(size=(bodies, 2)),
            rng.uniform(0.5, 1.5, bodies), 0.01, steps)


WORKLOADS = [
    ("Rosenbrock sum, n = 10,000", loops.rosenbrock,
     lambda: (np.random.default_rng(2).normal(size=10_000),), 0),
    ("1-D convolution, n = 10,000, kernel 5", loops.convolution_energy,
     lambda: (np.random.default_rng(3).normal(size=10_000),
              np.random.default_rng(4).normal(size=5)), (0, 1)),
    ("N-body leapfrog, 10 bodies x 100 steps (10,000 pair-steps)", loops.leapfrog,
     lambda: _leapfrog_args(10, 100), (0, 1)),
]


def bench_workloads(rows):
    for label, f, make, argnums in WORKLOADS:
        args = make()
        python = s2sad.grad(f, argnums)
        t0 = time.perf_counter()
        compiled = s2sad.grad(f, argnums, backend="numba")
        got = compiled(*args)
        build = time.perf_counter() - t0
        want = python(*args)
        ok = all(agree(a, b) for a, b in zip(got if argnums else (got,),
                                              want if argnums else (want,)))
        (t_numba, t_python, t_primal), (numba_python, _) = timed_rounds(
            [lambda: compiled(*args), lambda: python(*args), lambda: f(*args)], rounds=5)
        rows.append({"workload": label, "primal (Python)": t_primal, "s2sad python": t_python,
                     "s2sad numba": t_numba, "python / numba": 1 / numba_python,
                     "agree to 1e-12": ok, "build": build})


def _fmt(v):
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, str):
        return v
    if v is None:
        return "–"
    return run.fmt_time(v) if v < 100 and not isinstance(v, int) else f"{v}"


def main():
    t0 = time.perf_counter()
    import numba
    print(f"numba {numba.__version__}, imported in {time.perf_counter() - t0:.2f} s; "
          f"Python {sys.version.split()[0]}, NumPy {np.__version__}")
    rows = []
    bench_scalar_loops(rows)
    bench_workloads(rows)
    ratio_keys = ("numba / hand", "python / numba")
    for row in rows:
        parts = []
        for k, v in row.items():
            if k in ratio_keys:
                parts.append(f"{k} {v:.3f}x" if v < 1 else f"{k} {v:.1f}x")
            elif k == "workload":
                parts.append(v)
            else:
                parts.append(f"{k} {_fmt(v)}")
        print(" | ".join(parts))


if __name__ == "__main__":
    main()
