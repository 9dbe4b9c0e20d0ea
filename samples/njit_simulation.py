"""A damped spring-mass chain written for Numba, differentiated end to end.

Four unit masses sit in a row next to a wall, each joined to the one before
(the first to the wall) by a spring of stiffness k[i], and slowed by a damper
of coefficient c.  ``simulate`` is Numba code as it is usually written:
explicit loops, arrays updated in place, semi-implicit Euler steps, a scalar
loss at the end (how far the chain ends from where we want it).

``s2sad.grad`` of an ``@numba.njit`` function is compiled with Numba too, with
the function's own options (fastmath here); central finite differences check
it.  ``samples/generated/njit_simulation_derivatives.py`` holds the same
derivative as a module that needs only NumPy and Numba:

    s2sad transpile samples/njit_simulation.py --mode reverse --argnums 0 \\
        --backend numba -o samples/generated/njit_simulation_derivatives.py
"""
import numpy as np
import numba


@numba.njit(fastmath=True)
def simulate(k, c, x0, steps, dt):
    n = x0.shape[0]
    x = x0.copy()
    v = np.zeros(n)
    f = np.zeros(n)
    for _ in range(steps):
        for i in range(n):
            left = x[i - 1] if i > 0 else 0.0
            f[i] = -k[i] * (x[i] - left) - c * v[i]
        for i in range(n - 1):
            f[i] += k[i + 1] * (x[i + 1] - x[i])
        for i in range(n):
            v[i] += dt * f[i]
            x[i] += dt * v[i]
    loss = 0.0
    for i in range(n):
        loss += (x[i] - (i + 1.0)) ** 2
    return loss


if __name__ == "__main__":
    import s2sad

    k = np.array([4.0, 3.0, 2.5, 2.0])
    x0 = np.array([1.2, 2.1, 2.7, 4.3])
    rest = (0.3, x0, 200, 0.01)
    dk = s2sad.grad(simulate)(k, *rest)  # backend="numba": simulate is @njit
    h = 1e-6
    fd = np.array([(simulate(k + h * e, *rest) - simulate(k - h * e, *rest)) / (2 * h)
                   for e in np.eye(len(k))])
    print(f"loss = {simulate(k, *rest):.8f}")
    print("d loss / dk by reverse mode:", np.array2string(dk, precision=6))
    print("by central differences:     ", np.array2string(fd, precision=6))
    agree = np.allclose(dk, fd, rtol=1e-6, atol=1e-8)
    print(f"agree to 1e-6: {agree}")
    if not agree:
        raise SystemExit(1)
