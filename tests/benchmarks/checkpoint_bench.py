"""Checkpointing: peak memory and time of a gradient against the snapshot count.

The workload of issue 16: 10,000 explicit Euler steps of a 100-element state,
``x = x + 0.001 * (np.sin(x) * k - x ** 3)``, differentiated with respect to
the initial state ``x`` and the parameters ``k``.  Each row is one gradient:
``tape`` keeps every step (the default), ``K`` checkpoints the loop with ``K``
snapshots (``s2sad.grad(f, checkpoint=K)``).  Peak memory is tracemalloc's
peak during the call; time is the best of a few calls; steps run counts the
calls of the loop's step function (the forward sweep's and the recomputed
ones: revolve's optimum plus one), besides the steps the step adjoints run.

    python tests/benchmarks/checkpoint_bench.py [steps] [size]
"""
import sys
import time
import tracemalloc

import numpy as np

import s2sad
from s2sad.runtime.checkpoint import forward_steps


def euler(x, k, n):
    for i in range(n):
        x = x + 0.001 * (np.sin(x) * k - x ** 3)
    return np.sum(x * x)


def measure(g, args, repeat=3):
    """(gradient, peak bytes, best seconds) of ``g(*args)``, compiled first."""
    g(*args)
    tracemalloc.start()
    out = g(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        g(*args)
        best = min(best, time.perf_counter() - t0)
    return out, peak, best


def main(steps=10_000, size=100, snapshots=(5, 10, 20, 30, 50, 100, 200)):
    x = np.linspace(0.1, 1.0, size)
    k = np.linspace(1.0, 2.0, size)
    args = (x, k, steps)
    ref, peak0, t0 = measure(s2sad.grad(euler, argnums=(0, 1)), args)
    print(f"{steps} steps of a {size}-element state; gradient with respect to x and k")
    print()
    print("| snapshots | peak memory | of the tape's | time | of the tape's | steps run |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| tape | {peak0 / 1e6:.2f} MB | 100 % | {t0 * 1e3:.0f} ms | 1.0x | {steps} |")
    for s in snapshots:
        got, peak, t = measure(s2sad.grad(euler, argnums=(0, 1), checkpoint=s), args)
        err = max(float(np.max(np.abs(a - b))) for a, b in zip(got, ref))
        assert err <= 1e-10 * max(1.0, float(np.max(np.abs(ref[0])))), err
        fwd = steps + forward_steps(steps, s) - (steps - 1)
        print(f"| {s} | {peak / 1e6:.3f} MB | {100 * peak / peak0:.2f} % | {t * 1e3:.0f} ms | "
              f"{t / t0:.1f}x | {fwd} |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
