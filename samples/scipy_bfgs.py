"""Fit a logistic regression with SciPy's BFGS, the gradient from s2sad.

``scipy.optimize.minimize(fun, x0, jac=s2sad.grad(fun))``: SciPy calls the
gradient with the same array it passes to ``fun``.  ``jac=True`` with
``s2sad.value_and_grad(fun)`` evaluates both in one pass, which is cheaper
than calling them separately.  Needs SciPy (``pip install "s2sad[scipy]"``).
"""
import numpy as np


def loss(w, X, y):
    """The mean negative log-likelihood of labels ``y`` (0 or 1), plus a small
    ridge penalty."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 1e-3 * np.sum(w * w)


if __name__ == "__main__":
    from scipy.optimize import check_grad, minimize

    import s2sad

    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(200), rng.standard_normal((200, 3))])
    w_true = np.array([-0.5, 2.0, -1.0, 0.5])
    y = (rng.random(200) < 1 / (1 + np.exp(-X @ w_true))).astype(float)
    w0 = np.zeros(4)

    gradient = s2sad.grad(loss)  # with respect to w; X and y are passed through args=
    print(f"check_grad against finite differences: {check_grad(loss, gradient, w0 + 0.1, X, y):.1e}")
    fit = minimize(loss, w0, args=(X, y), jac=gradient, method="BFGS")
    print(f"BFGS with jac=s2sad.grad(loss): {fit.nit} iterations, {fit.njev} gradients, "
          f"converged: {fit.success}")
    both = minimize(s2sad.value_and_grad(loss), w0, args=(X, y), jac=True, method="BFGS")
    print(f"jac=True with value_and_grad gives the same fit: {np.allclose(both.x, fit.x)}")
    print("weights:", np.round(fit.x, 3))
    accuracy = np.mean((X @ fit.x > 0) == (y > 0.5))
    print(f"training accuracy {accuracy:.2f}")
