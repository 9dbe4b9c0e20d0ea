"""Second derivatives: ``hvp`` (forward over reverse) differentiates the
generated gradient code, whose runtime helpers (``unbroadcast``, ``spread``,
``selection_adjoint``, the matmul adjoints...) have rules of their own
(``s2sad/rules/helpers.py``).  Checked against finite differences of the
gradient."""
import numpy as np
import pytest

import s2sad
from s2sad.rules import all_rules

from .checks import close, make_function

EXPRESSIONS = [  # scalar functions of x (3, 4) and y (4,)
    "np.sum(np.sin(x + y) ** 2)",
    "np.sum(np.mean(x * x, axis=0) * y)",
    "np.sum(np.max(x * y, axis=1) ** 2)",
    "np.sum(np.cumsum(x, axis=1) ** 2) + np.sum(np.cumsum(y) ** 3)",
    "np.sum(np.concatenate([x, np.reshape(y, (1, 4))]) ** 3)",
    "np.sum(np.stack([y, y * y]) ** 2) + np.sum(np.hstack([y, np.take(x, 0, axis=0)]) ** 3)",
    "np.sum(np.take(x, [0, 2, 2], axis=0) ** 3) + np.sum(np.tile(y, 2) ** 3)",
    "np.sum(np.reshape(x, (6, 2)) ** 3) + np.sum(np.transpose(x) @ np.sin(x))",
    "np.sum(np.tanh(x @ y) ** 2) + y @ y * np.sum(x)",
    "np.sum(np.array([np.sum(y) * np.mean(x), np.mean(x) ** 2]) ** 2)",
    "np.sum(np.sort(x, axis=1) ** 3) + np.sum(np.pad(y, 1) ** 3)",
    "np.sum(np.maximum(x, y) ** 2) + np.sum(np.clip(x, -0.5, 0.5) ** 3)",
    "np.sum(np.linalg.inv(x @ x.T + 3 * np.eye(3))) + np.sum(np.dot(x, y) ** 3)",
    "np.sum(np.inner(x, x) ** 2) + np.sum(np.tensordot(x, x, axes=([1], [1])) ** 3)",
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_hessian_vector_product(expr):
    f = make_function(expr, 2, "second_" + expr)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)
    vx, vy = rng.normal(size=(3, 4)), rng.normal(size=4)
    hx, hy = s2sad.hvp(f, (x, y), (vx, vy))
    grad = s2sad.grad(f, (0, 1))
    h = 1e-5
    gp = grad(x + h * vx, y + h * vy)
    gm = grad(x - h * vx, y - h * vy)
    assert close(hx, (gp[0] - gm[0]) / (2 * h), rtol=1e-5, atol=1e-6)
    assert close(hy, (gp[1] - gm[1]) / (2 * h), rtol=1e-5, atol=1e-6)


def test_runtime_helpers_have_both_modes():
    rules = [r for r in all_rules() if r.library == "runtime"]
    assert rules and [r.name for r in rules if not (r.has_forward and r.has_reverse)] == []
