"""Sensitivity of an ODE solution to its parameter, by forward mode.

The logistic equation dy/dt = r y (1 - y), y(0) = y0, integrated with classic
Runge-Kutta.  Forward mode carries dy/dr through every step of the loop; the
exact solution y(t) = 1 / (1 + (1/y0 - 1) e^(-r t)) checks it.
"""
import math


def rhs(y, r):
    return r * y * (1 - y)


def solve(r, y0, t_end, steps):
    h = t_end / steps
    y = y0
    for _ in range(steps):
        k1 = rhs(y, r)
        k2 = rhs(y + 0.5 * h * k1, r)
        k3 = rhs(y + 0.5 * h * k2, r)
        k4 = rhs(y + h * k3, r)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def exact(r, y0, t):
    return 1 / (1 + (1 / y0 - 1) * math.exp(-r * t))


if __name__ == "__main__":
    import s2sad

    r, y0, t = 1.5, 0.1, 4.0
    y, dy_dr = s2sad.jvp(solve, (r, y0, t, 200), (1.0, None, None, None))
    h = 1e-6
    exact_slope = (exact(r + h, y0, t) - exact(r - h, y0, t)) / (2 * h)
    print(f"y({t}) = {y:.8f}   (exact {exact(r, y0, t):.8f})")
    print(f"dy/dr by forward mode = {dy_dr:.8f}   (exact {exact_slope:.8f})")
