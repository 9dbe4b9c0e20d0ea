"""Programs of the kind people write in notebooks: both modes against finite
differences (a regression suite; each once failed or was worth pinning)."""
import math

import numpy as np
import pytest

import s2sad

rng = np.random.default_rng(0)


def relu_net(x):
    h = np.maximum(0, x * 2.0 - 0.5)
    return np.sum(h ** 2)
def manual_dot(x, w):
    s = 0.0
    for i in range(len(x)):
        s += x[i] * w[i]
    return s
def fill_loop(x):
    n = x.shape[0]
    y = np.zeros(n)
    for i in range(n):
        y[i] = math.exp(x[i]) if x[i] < 0 else x[i] + 1
    return np.mean(y ** 2)
def from_list(a, b):
    v = np.array([a * b, a + b, math.sin(a)])
    return np.sum(v ** 2)
def gen_sum(x):
    return sum(xi ** 2 for xi in x)
def py_relu(x):
    return max(0.0, x) + min(x, 1.0) * 2
def softmax_ce(z, y):
    e = np.exp(z - z.max())
    p = e / e.sum()
    return -np.log(p[y])
def poly(coeffs, x):
    result = 0.0
    for c in reversed(coeffs):
        result = result * x + c
    return result
def norm_stuff(A):
    return np.linalg.norm(A @ A.T) + np.trace(np.linalg.inv(A + 3 * np.eye(3)))
def stats(x):
    mu = x.mean()
    sd = x.std()
    return np.sum(((x - mu) / sd) ** 3) / len(x)
def where_fn(x):
    return np.sum(np.where(x > 0, x ** 2, -x))
def reshape_fn(x):
    m = x.reshape(2, 3)
    return np.sum(m.sum(axis=0) * np.array([1.0, 2.0, 3.0])) + m[1, 2]
def cumulative(x):
    return np.sum(np.cumsum(x) ** 2)
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
def logreg(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
def rnn(W, xs):
    h = np.zeros(3)
    for x in xs:
        h = np.tanh(W @ h + x)
    return np.sum(h)
def clip_fn(x):
    return np.sum(np.clip(x, -0.5, 0.5) ** 2)
def kw_call(x):
    return np.sum(x, axis=0, keepdims=True).sum() + np.power(x, 2).mean(axis=None)
def aug_attr(x):
    total = 0.0
    total += x * 2
    total -= math.cos(x)
    total *= x
    total /= 2.0
    return total
def early(x):
    for i in range(10):
        if x > 5:
            return x * i
        x = x * 1.5
    return -x
def while_newton(a):
    x = 1.0
    it = 0
    while abs(x * x - a) > 1e-10 and it < 100:
        x = 0.5 * (x + a / x)
        it += 1
    return x
def dict_params(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]) ** 2)
def tuple_ret_sum(x):
    a, b = np.sin(x), np.cos(x)
    return np.sum(a * b)
def outer_fn(u, v):
    return np.sum(np.outer(u, v) ** 2)
def einsum_fn(A, B):
    return np.einsum("ij,jk->", A, B)
def stack_fn(x):
    return np.sum(np.stack([x, x ** 2, np.sin(x)]) ** 2)
def concat_fn(x):
    return np.sum(np.concatenate([x, x[::-1] * 2]) ** 2)

ALPHA = 0.1
def printing(x):
    print(f"x = {x:.3f}")
    return x * x
def asserting(x):
    assert x.shape == (6,), "bad shape"
    return np.sum(x ** 3)
def broadcast_outer(x, y):
    return np.sum(x[:, None] * y[None, :] + x.T @ x)
def enum_rows(X):
    total = 0.0
    for i, row in enumerate(X):
        total = total + np.sum(row * row) * (i + 1)
    return total
def while_true(x):
    k = 0
    while True:
        x = x * 0.9 + 0.1 * math.sin(x)
        k += 1
        if k >= 5:
            break
    return x
def glob_const(x):
    return ALPHA * x ** 2 + math.pi * x
def powers(x):
    return x ** 0.5 + abs(x - 3.0) + np.abs(x - 1.0) + 2.0 ** x
def solve_fn(A, b):
    return np.sum(np.linalg.solve(A + 4 * np.eye(3), b) ** 2)
def copy_write(x):
    y = x.copy()
    y[0] = 0.0
    return np.sum(y * x)
def default_arg(x, alpha=0.5):
    return math.exp(alpha * x)
def axis_mean(X):
    return np.sum(X * X, axis=1).mean()
def maxred(x):
    return np.max(x) + x.clip(0, 1).sum()
def quad(x, A):
    return x @ A @ x
def softmax(x):
    e = np.exp(x)
    return (e / np.sum(e))[2]
def fib_like(x, n):
    if n <= 1:
        return x
    return fib_like(x, n - 1) * 0.5 + fib_like(x * 1.1, n - 2)
def list_of_floats(xs):
    n = len(xs)
    return sum(xs) / n + xs[0] * xs[-1]
def tuple_unpack(p):
    a, b = p
    return a * b + math.sin(a)

x6 = rng.normal(size=6)
x3 = rng.normal(size=3)
A = rng.normal(size=(3, 3))
CASES = [
    ("printing", printing, 1.5),
    ("asserting", asserting, rng.normal(size=6)),
    ("broadcast_outer", broadcast_outer, rng.normal(size=3), rng.normal(size=4)),
    ("enum_rows", enum_rows, rng.normal(size=(3, 2))),
    ("while_true", while_true, 0.8),
    ("glob_const", glob_const, 0.8),
    ("powers", powers, 1.8),
    ("solve_fn", solve_fn, rng.normal(size=(3, 3)), rng.normal(size=3)),
    ("copy_write", copy_write, rng.normal(size=4)),
    ("default_arg", default_arg, 0.3),
    ("axis_mean", axis_mean, rng.normal(size=(3, 4))),
    ("maxred", maxred, rng.normal(size=5)),
    ("quad", quad, rng.normal(size=3), rng.normal(size=(3, 3))),
    ("softmax", softmax, rng.normal(size=4)),
    ("fib_like", fib_like, 0.7, 5),
    ("list_of_floats", list_of_floats, [0.5, 1.5, -0.3]),
    ("tuple_unpack", tuple_unpack, (0.5, 2.0)),
    ("relu_net", relu_net, x6),
    ("manual_dot", manual_dot, x3, rng.normal(size=3)),
    ("fill_loop", fill_loop, x6),
    ("from_list", from_list, 0.7, 1.3),
    ("gen_sum", gen_sum, x6),
    ("py_relu", py_relu, 0.4),
    ("softmax_ce", softmax_ce, x6, 2),
    ("poly", poly, [1.0, -2.0, 0.5, 3.0], 0.7, {"argnums": 1}),
    ("poly coeffs", poly, [1.0, -2.0, 0.5, 3.0], 0.7, {"argnums": 0}),
    ("norm_stuff", norm_stuff, A),
    ("stats", stats, x6),
    ("where_fn", where_fn, x6),
    ("reshape_fn", reshape_fn, x6),
    ("cumulative", cumulative, x6),
    ("logreg", logreg, x3, rng.normal(size=(5, 3)), (rng.random(5) > 0.5).astype(float)),
    ("rnn", rnn, rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3))),
    ("clip_fn", clip_fn, x6),
    ("kw_call", kw_call, A),
    ("aug_attr", aug_attr, 0.9),
    ("early", early, 0.9),
    ("while_newton", while_newton, 2.0),
    ("tuple_ret_sum", tuple_ret_sum, x6),
    ("outer_fn", outer_fn, x3, x3 + 1),
    ("einsum_fn", einsum_fn, A, A.T),
    ("stack_fn", stack_fn, x3),
    ("concat_fn", concat_fn, x3),
]


@pytest.mark.parametrize("case", CASES,
                         ids=[c[0] for c in CASES])
def test_both_modes_match_finite_differences(case):
    name, f, *args = case
    argnums = 0
    if args and isinstance(args[-1], dict):
        argnums = args.pop()["argnums"]
    x = np.asarray(args[argnums], dtype=float)
    v = np.random.default_rng(1).normal(size=x.shape)
    h = 1e-6
    up, down = list(args), list(args)
    up[argnums] = x + h * v if x.shape else float(x + h * v)
    down[argnums] = x - h * v if x.shape else float(x - h * v)
    expected = (f(*up) - f(*down)) / (2 * h)
    g = s2sad.grad(f, argnums)(*args)
    assert np.allclose(np.sum(np.asarray(g) * v), expected, rtol=1e-5, atol=1e-6)
    tangents = tuple(v if i == argnums else None for i in range(len(args)))
    _, t = s2sad.jvp(f, tuple(args), tangents)
    assert np.allclose(t, expected, rtol=1e-5, atol=1e-6)
