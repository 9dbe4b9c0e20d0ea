"""Loop-heavy workloads written as people write them for Numba: explicit
loops over array entries, in-place updates.  The Numba benchmark
(``numba_bench.py``) and the tests of element writes differentiate them.
"""
import math

import numpy as np


def rosenbrock(x):
    """The Rosenbrock function as a sum over neighbouring entries."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def convolution_energy(x, w):
    """A 1-D valid convolution with explicit loops, then its squared norm."""
    n = x.shape[0]
    k = w.shape[0]
    out = np.zeros(n - k + 1)
    for i in range(n - k + 1):
        acc = 0.0
        for j in range(k):
            acc += w[j] * x[i + j]
        out[i] = acc
    total = 0.0
    for i in range(out.shape[0]):
        total += out[i] * out[i]
    return total


def leapfrog(pos, vel, mass, dt, steps):
    """N bodies in the plane under softened gravity, integrated with a
    kick-drift leapfrog that updates positions and velocities in place; the
    result is the final spread of the bodies around the origin."""
    n = pos.shape[0]
    pos = pos.copy()
    vel = vel.copy()
    for s in range(steps):
        acc = np.zeros_like(pos)
        for i in range(n):
            for j in range(n):
                if i != j:
                    dx = pos[j, 0] - pos[i, 0]
                    dy = pos[j, 1] - pos[i, 1]
                    r2 = dx * dx + dy * dy + 0.01
                    inv = mass[j] / (r2 * math.sqrt(r2))
                    acc[i, 0] += dx * inv
                    acc[i, 1] += dy * inv
        for i in range(n):
            vel[i, 0] += dt * acc[i, 0]
            vel[i, 1] += dt * acc[i, 1]
            pos[i, 0] += dt * vel[i, 0]
            pos[i, 1] += dt * vel[i, 1]
    e = 0.0
    for i in range(n):
        e += pos[i, 0] ** 2 + pos[i, 1] ** 2
    return e
