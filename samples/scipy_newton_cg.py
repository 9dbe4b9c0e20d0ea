"""Minimise the extended Rosenbrock function with SciPy's Newton-CG, the
gradient and the Hessian-vector products from s2sad.

Newton-CG never forms the Hessian: ``hessp(x, p)`` returns ``H(x) @ p``, which
``s2sad.hvp`` computes by forward mode over the reverse-mode gradient at the
cost of a few gradients, whatever the dimension.  Needs SciPy.
"""
import numpy as np


def rosenbrock(x):
    """The extended Rosenbrock function: its minimum is 0, at x = (1, ..., 1)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


if __name__ == "__main__":
    from scipy.optimize import minimize, rosen_hess_prod

    import s2sad

    n = 100
    x0 = np.full(n, -1.2)
    x0[1::2] = 1.0

    gradient = s2sad.grad(rosenbrock)

    def hessp(x, p):
        return s2sad.hvp(rosenbrock, (x,), (p,))

    p = np.linspace(-1.0, 1.0, n)
    print(f"hvp agrees with SciPy's rosen_hess_prod: "
          f"{np.allclose(hessp(x0, p), rosen_hess_prod(x0, p), rtol=1e-12)}")
    fit = minimize(rosenbrock, x0, jac=gradient, hessp=hessp, method="Newton-CG",
                   options={"xtol": 1e-10})
    print(f"Newton-CG with hessp=s2sad.hvp: {fit.nit} iterations, {fit.nhev} Hessian-vector "
          f"products, converged: {fit.success}")
    print(f"distance to the minimum: {np.max(np.abs(fit.x - 1.0)):.1e}")
