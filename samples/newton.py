"""Newton's method on the Rosenbrock function, with s2sad's gradient and Hessian.

The Hessian is forward mode over the reverse-mode gradient (s2sad.hessian).
"""
import numpy as np


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


if __name__ == "__main__":
    import s2sad

    grad = s2sad.grad(rosenbrock, argnums=(0, 1))
    hess = s2sad.hessian(rosenbrock, argnums=(0, 1))
    x, y = -1.2, 1.0
    for step in range(20):
        g = np.array(grad(x, y))
        H = np.array(hess(x, y), dtype=float).reshape(2, 2)
        dx, dy = np.linalg.solve(H, -g)
        x, y = x + dx, y + dy
        if np.hypot(dx, dy) < 1e-12:
            break
    print(f"minimum after {step + 1} Newton steps: ({x:.10f}, {y:.10f})")
    print(f"f there = {rosenbrock(x, y):.3e}")
