"""Logistic regression trained by gradient descent on synthetic data."""
import numpy as np


def nll(w, b, X, y):
    """The mean negative log-likelihood of labels y in {0, 1}."""
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


if __name__ == "__main__":
    import s2sad

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    true_w = np.array([2.0, -1.0, 0.5])
    y = (X @ true_w + 0.3 + 0.5 * rng.normal(size=200) > 0).astype(float)
    w, b = np.zeros(3), 0.0
    loss_and_grad = s2sad.value_and_grad(nll, argnums=(0, 1))
    for step in range(300):
        loss, (gw, gb) = loss_and_grad(w, b, X, y)
        w, b = w - 0.5 * gw, b - 0.5 * gb
    accuracy = np.mean(((X @ w + b) > 0) == (y > 0.5))
    print(f"loss after 300 steps: {loss:.4f}, training accuracy {accuracy:.1%}")
    print(f"weights {np.round(w, 2)}, bias {b:.2f}")
