"""Whole models differentiate in both modes and match finite differences.

* an MLP: a tanh hidden layer and a softmax cross-entropy written with
  np.exp / np.log / np.sum / np.max and keepdims (the max-shift of a stable
  softmax);
* logistic regression: the negative log-likelihood, written two ways.
"""
import numpy as np
import pytest

import s2sad

from .checks import close


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * log_probs) / X.shape[0]


def logistic_nll(w, b, X, y):
    z = X @ w + b
    return np.sum(np.logaddexp(0.0, z) - y * z)


def logistic_nll_sigmoid(w, b, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _data(seed=0, n=7, d=4, hidden=5, classes=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.eye(classes)[rng.integers(0, classes, n)]
    params = [rng.normal(size=(d, hidden)) * 0.5, rng.normal(size=hidden) * 0.1,
              rng.normal(size=(hidden, classes)) * 0.5, rng.normal(size=classes) * 0.1]
    return params, X, Y


def _fd_grad(f, args, i, h=1e-6):
    a = args[i]
    g = np.zeros(np.shape(a))
    for k in range(np.size(a)):
        plus, minus = list(args), list(args)
        e = np.zeros(np.shape(a))
        e.flat[k] = h
        plus[i], minus[i] = a + e, a - e
        g.flat[k] = (f(*plus) - f(*minus)) / (2 * h)
    return g


def _check(f, args, argnums):
    value, grads = s2sad.value_and_grad(f, argnums)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    for i, g in zip(argnums, grads):
        assert np.shape(g) == np.shape(args[i])
        assert close(g, _fd_grad(f, args, i)), f"{f.__name__}: gradient {i}"
    # forward mode along a random direction, against finite differences and reverse mode
    rng = np.random.default_rng(1)
    tangents = [rng.normal(size=np.shape(a)) if i in argnums else None
                for i, a in enumerate(args)]
    out, t = s2sad.jvp(f, tuple(args), tuple(tangents))
    assert out == pytest.approx(f(*args), rel=1e-12)
    h = 1e-6
    plus = [a + h * d if d is not None else a for a, d in zip(args, tangents)]
    minus = [a - h * d if d is not None else a for a, d in zip(args, tangents)]
    assert t == pytest.approx((f(*plus) - f(*minus)) / (2 * h), rel=1e-5, abs=1e-7)
    assert t == pytest.approx(sum(np.sum(g * tangents[i]) for i, g in zip(argnums, grads)),
                              rel=1e-9, abs=1e-12)


def test_mlp_softmax_cross_entropy():
    params, X, Y = _data()
    _check(mlp_loss, params + [X, Y], (0, 1, 2, 3))


def test_mlp_gradient_with_respect_to_the_inputs():
    params, X, Y = _data(seed=3)
    _check(mlp_loss, params + [X, Y], (4,))


def test_mlp_generated_code_is_readable_numpy():
    params, X, Y = _data()
    src = s2sad.derivative_source(mlp_loss, "reverse", argnums=(0, 1, 2, 3), args=params + [X, Y])
    assert "np.tanh" in src and "tie_weights" in src and "matmul_left_adjoint" in src
    compile(src, "<mlp_vjp>", "exec")


@pytest.mark.parametrize("f", [logistic_nll, logistic_nll_sigmoid])
def test_logistic_regression_nll(f):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(9, 3))
    y = (rng.uniform(size=9) > 0.5).astype(float)
    w, b = rng.normal(size=3), 0.3
    _check(f, [w, b, X, y], (0, 1))


def test_logistic_regression_gradient_formula():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(6, 2))
    y = (rng.uniform(size=6) > 0.5).astype(float)
    w, b = rng.normal(size=2), -0.2
    gw, gb = s2sad.grad(logistic_nll, (0, 1))(w, b, X, y)
    p = 1 / (1 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(gw, X.T @ (p - y), rtol=1e-12)
    assert gb == pytest.approx(np.sum(p - y), rel=1e-12)


def test_mlp_hessian_vector_product():
    # forward over reverse: the generated gradient code (unbroadcast, spread,
    # tie_weights, matmul adjoints) is differentiated again
    params, X, Y = _data(seed=5)
    rng = np.random.default_rng(6)
    v = [rng.normal(size=np.shape(p)) for p in params]
    args = params + [X, Y]
    hv = s2sad.hvp(mlp_loss, args, v + [None, None])
    h = 1e-5
    grad = s2sad.grad(mlp_loss, (0, 1, 2, 3))
    plus = grad(*[p + h * d for p, d in zip(params, v)], X, Y)
    minus = grad(*[p - h * d for p, d in zip(params, v)], X, Y)
    for got, gp, gm in zip(hv, plus, minus):
        assert close(got, (gp - gm) / (2 * h), rtol=1e-5, atol=1e-6)


def softplus_sum(w, X):
    return np.sum(np.logaddexp(0.0, X @ w)) + 0.5 * np.sum(w * w)


def test_logistic_hessian():
    rng = np.random.default_rng(7)
    X, w = rng.normal(size=(5, 3)), rng.normal(size=3)
    H = s2sad.hessian(softplus_sum)(w, X)
    p = 1 / (1 + np.exp(-(X @ w)))
    np.testing.assert_allclose(H, X.T @ (X * (p * (1 - p))[:, None]) + np.eye(3), rtol=1e-10)


MODEL_FILE = '''import numpy as np


def loss(W, b, X, Y):
    h = np.tanh(X @ W + b)
    z = h - np.max(h, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1)) + 0.1 * np.linalg.norm(W) ** 2
'''


def test_transpiled_module_runs_without_s2sad(tmp_path):
    # the helpers the derivative calls are copied with the helpers they call
    import subprocess
    import sys
    src = tmp_path / "model.py"
    src.write_text(MODEL_FILE, encoding="utf-8")
    out = tmp_path / "model_ad.py"
    subprocess.run([sys.executable, "-m", "s2sad", "transpile", str(src), "--mode", "both",
                    "-o", str(out)], check=True, capture_output=True)
    check = (
        "import sys; sys.modules['s2sad'] = None\n"
        "import numpy as np, model_ad\n"
        "rng = np.random.default_rng(0)\n"
        "W, b, X = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))\n"
        "Y = np.eye(2)[[0, 1, 1, 0]]\n"
        "g = model_ad.loss_vjp(W, b, X, Y, 1.0)\n"
        "print(repr(np.concatenate([np.ravel(v) for v in g]).tolist()))\n")
    res = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    rng = np.random.default_rng(0)
    W, b, X = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    Y = np.eye(2)[[0, 1, 1, 0]]
    f = s2sad.from_source(MODEL_FILE, globals={"np": np})
    expected = s2sad.grad(f, (0, 1, 2, 3))(W, b, X, Y)
    got = eval(res.stdout)
    np.testing.assert_allclose(got, np.concatenate([np.ravel(v) for v in expected]), rtol=1e-12)
