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
    # issue 13: ranges, index tricks, ufunc methods, selection, interpolation, ...
    "np.sum(np.cumprod(x, axis=1) ** 2) + np.sum(np.cumprod(y) ** 3)",
    "np.sum(np.linspace(y[0], y[1], 5) ** 3) + np.sum(np.linspace(x[0], x[1], 3, axis=1) ** 2)",
    "np.sum(np.geomspace(2.0 + y[0], 3.0 + y[1], 4) ** 2) + np.sum(np.logspace(y[0], y[1], 3) ** 2)",
    "np.sum(np.full((2, 4), y) ** 3) + np.sum(np.full_like(x, y[0]) * x)",
    "np.sum(np.arange(y[0], 2.0, 0.5) ** 2)",
    "np.sum(np.r_[y, x[0] ** 2, 1.0] ** 3) + np.sum(np.c_[y, y * y] ** 2)",
    "np.sum(np.add.reduce(x) ** 3) + np.sum(np.logaddexp.reduce(x, axis=1)) + "
    "np.sum(np.multiply.accumulate(x, 1) ** 2)",
    "np.sum(np.select([x > 0, x < -0.5], [x * y, x * x], y) ** 2)",
    "np.sum(np.partition(x, 1, axis=1) ** 3)",
    "np.sum(np.interp(y, np.array([-1.0, 0.0, 0.5, 1.0]), x[0] ** 2) ** 2)",
    "np.sum(np.polyval(y, x) ** 2)",
    "np.sum(np.einsum(x, [0, 1], y, [1]) ** 2) + np.sum(np.einsum('ij,j->i', x, y) ** 2)",
    "np.sum(np.std(x, axis=0) ** 2) + np.var(y, ddof=1) ** 2",
    "np.sum(np.power(x * x, y) ** 2) + np.sum((x * x) ** y)",
    "np.sum(np.vstack(x) ** 3) + np.sum(np.append(x, y) ** 3)",
    "np.sum(np.gradient(x, axis=1) ** 2) + np.sum(np.gradient(y, 0.5) ** 3)",
    "np.sum(np.trapezoid(x ** 2, axis=1)) + np.trapezoid(y ** 3, y)",
    "np.sum(np.real(np.linalg.eig(x[:, :3] + 3 * np.diag(np.array([1.0, 2.0, 3.0])))[0]) ** 2)",
    "np.sum(np.real(np.linalg.eigvals(x[:, :3] + 3 * np.diag(np.array([1.0, 2.0, 3.0])))) ** 2)",
    "np.sum(np.diff(x, prepend=0.0) ** 3) + np.sum(np.diff(y, append=y[0]) ** 3)",
    "np.nanvar(x * y) ** 2 + np.sum(np.nanstd(x, axis=1) ** 2) + np.nanprod(y) ** 2 + "
    "np.sum(np.nancumsum(x, axis=1) ** 2)",
    "np.sum(np.median(x * y, axis=0) ** 3)",
    "np.sum(np.average(x, axis=1, weights=y * y + 1.0) ** 3)",
    "np.sum(np.cov(x) ** 2) + np.sum(np.cov(y, x[0]) ** 2)",
    "np.sum(np.meshgrid(y, x[0])[0] ** 3) + np.sum(np.unique(x) ** 3)",
    "np.sum(np.convolve(y, x[0], 'same') ** 2) + np.sum(np.correlate(y, x[1] * x[2]) ** 3)",
]

# issue 13: the helpers that these rules' first-order code calls have rules of their
# own (s2sad/rules/helpers.py); also checked reverse over reverse below
HELPER_EXPRESSIONS = [
    "np.trace(x @ x.T) * np.sum(y) + np.trace(np.outer(y, y)) ** 2",
    "np.sum(np.array([np.sum(x), np.sum(y ** 2), y[0] * y[1]]) ** 2)",
    "np.sum(np.concatenate([y, y ** 2]) ** 3)",
    "np.mean([np.sum(x), y[0], y[1] ** 2]) * np.std([y[0], y[1], y[2]]) + "
    "np.var([y[2], y[3] * y[0]])",
    "np.sum(np.diff(y) ** 3) + np.sum(np.diff(x, axis=0) ** 2) + np.sum(np.diff(y, n=2) ** 2)",
    "np.sum(np.linalg.solve(x @ x.T + 3 * np.eye(3), x @ y) ** 2)",
    "np.sum(np.linalg.solve(x @ x.T + 3 * np.eye(3), x) ** 2)",
    "sum([y[0] * y[1], np.sum(x) ** 2, y[2]])",
    "np.linalg.norm(y) ** 3 + np.linalg.norm(x) * (np.linalg.norm(x, axis=0) @ y)",
    "np.linalg.norm(y, 3) ** 2 + np.linalg.norm(x, axis=1, keepdims=True).sum() ** 2",
    "np.linalg.norm(x, 'fro') ** 3 + np.linalg.norm(y, -1) ** 2",
    "np.linalg.norm(x, 'nuc') ** 2 + np.linalg.norm(x, 2) ** 2 * np.linalg.norm(x.T, -2)",
    "np.linalg.matrix_norm(x @ x.T + np.outer(y[:3], y[1:]), ord=2) ** 2",
    "np.linalg.norm(x, 1) ** 2 + np.linalg.norm(y, np.inf) * np.linalg.norm(x, np.inf)",
    "np.linalg.norm(x, axis=(0, 1)) ** 3 + np.sum(np.linalg.vector_norm(x, axis=0) ** 3)",
    "np.prod(y) * np.sum(np.prod(x, axis=0))",
    "np.einsum('ij,j->i', x, y) @ np.einsum('ij,ij->i', x, x)",
    "np.sum(np.kron(x, y) ** 2) + np.sum(np.kron(y, y) ** 3)",
    "np.sum(np.tensordot(x, y, axes=1) ** 3)",
    "np.sum(np.sin(y)[1:] * np.sin(y)[:-1])",
    "np.sum(np.sin(x)[[0, 2], 1:] ** 2) + np.sum(np.exp(y)[np.array([3, 1, 1])] ** 2)",
    "np.sum(np.sin(x)[1] * y) * np.sum(np.cos(x)[:, 2] ** 2)",
    # builtin sum of arrays of different shapes (and a start): each adjoint summed back
    "np.sum(np.sin(sum([x, y, x * y]))) + np.sum(sum([y, x[0]], y[1]) ** 3)",
    "np.sum(np.linalg.matrix_power(x[:, :3] + 2 * np.eye(3), 3) ** 2) + "
    "np.sum(np.linalg.matrix_power(x[:, 1:] + 3 * np.eye(3), -2))",
    "np.sum(np.sin(np.linalg.multi_dot([y, x.T, x]))) + "
    "np.linalg.multi_dot([x[0], x.T, y[:3]]) ** 2",
    "np.sum(np.linalg.lstsq(x.T, y, rcond=None)[0] ** 2) + "
    "np.sum(np.linalg.lstsq(x.T, y)[1]) ** 2 + np.sum(np.linalg.lstsq(x.T, x[:2].T)[1] ** 2)",
    # the adjoint of a dict literal's values: dict_entry(d_bar, key)
    "np.sum({'a': y, 'b': x * y[0]}['b'] ** 2) + "
    "dict(a=y[1], b=x)['a'] ** 3 * np.sum(dict(a=y[1], b=x)['b'])",
]
EXPRESSIONS = EXPRESSIONS + HELPER_EXPRESSIONS


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


@pytest.mark.parametrize("expr", HELPER_EXPRESSIONS)
def test_jacobian_of_the_gradient(expr):
    """Reverse over reverse: jacrev of the gradient with respect to y, against
    finite differences of the gradient."""
    f = make_function(expr, 2, "second_" + expr)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)
    h_yy = s2sad.jacrev(s2sad.grad(f, 1), 1)(x, y)
    grad = s2sad.grad(f, 1)
    h = 1e-5
    expected = np.array([(grad(x, y + h * e) - grad(x, y - h * e)) / (2 * h)
                         for e in np.eye(4)]).T
    assert close(h_yy, expected, rtol=1e-5, atol=1e-6)


def test_runtime_helpers_have_both_modes():
    rules = [r for r in all_rules() if r.library == "runtime"]
    assert rules and [r.name for r in rules if not (r.has_forward and r.has_reverse)] == []
