"""The seeds' examples (Baydin et al. 2018), with their derivatives.

    f(x1, x2) = ln x1 + x1 x2 - sin x2      at (2, 5): f = 11.652, df/dx1 = 5.5, df/dx2 = 1.716
    g(x) = cos(5 x^2)                        at 2: g'(2) = -18.259
    F(x1, x2) = (x1 x2 + cos x1, x2^3 + ln x1 - x2)   at (2, 3): x1-column (2.0907, 0.5)
"""
import numpy as np


def f(x1: float, x2: float):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def g(x: float):
    return np.cos(5 * x ** 2)


def F(x1: float, x2: float):
    return x1 * x2 + np.cos(x1), x2 ** 3 + np.log(x1) - x2


if __name__ == "__main__":
    import s2sad

    print(f"f(2, 5) = {f(2.0, 5.0):.3f}")
    dx1, dx2 = s2sad.grad(f, argnums=(0, 1))(2.0, 5.0)
    print(f"reverse mode: df/dx1 = {dx1:.3f}, df/dx2 = {dx2:.3f}")
    _, tangent = s2sad.jvp(f, (2.0, 5.0), (1.0, 0.0))
    print(f"forward mode: df/dx1 = {tangent:.3f}")
    print(f"g'(2) = {s2sad.grad(g)(2.0):.3f}")
    (y1, y2), (d1, d2) = s2sad.jvp(F, (2.0, 3.0), (1.0, 0.0))
    print(f"F(2, 3) = ({y1:.3f}, {y2:.3f}), x1-column of the Jacobian = ({d1:.4f}, {d2:.4f})")
    print()
    print(s2sad.derivative_source(f, "reverse", args=(2.0, 5.0)))
