"""The NumPy and np.linalg functions the rule tests differentiate.

``CASES`` has one or more entries per registered rule: ``(primitive, expression,
argument makers)``.  The expression is the body of a function of ``x``, ``y``,
``z`` (as many as there are makers); each maker draws one argument from a
random generator.  ``tests/rules/test_numpy_rules.py`` and ``test_linalg_rules.py``
check every case in both modes against central finite differences and check
``<J v, w> = <v, J^T w>``; they fail when a registered rule has no entry here.
"""
import numpy as np

from s2sad.rules.registry import method_with_rule


# ---------------------------------------------------------------------------
# Argument makers
# ---------------------------------------------------------------------------
def U(*shape, lo=-1.0, hi=1.0):
    """Uniform on (lo, hi): a float for shape (), else an array."""
    def make(rng):
        if not shape:
            return float(rng.uniform(lo, hi))
        return rng.uniform(lo, hi, shape)
    make.shape = shape
    return make


def P(*shape):
    """Positive, away from 0."""
    return U(*shape, lo=0.5, hi=2.0)


def A0():
    """A 0-d array."""
    def make(rng):
        return np.array(rng.uniform(-1.0, 1.0))
    make.shape = ("0d",)
    return make


def SPREAD(*shape):
    """Entries at least 0.1 apart (sort, max, norms with inf: no near-ties)."""
    def make(rng):
        n = int(np.prod(shape))
        values = rng.permutation(n) * 0.37 - 0.37 * n / 2 + rng.uniform(-0.05, 0.05, n)
        return values.reshape(shape)
    make.shape = shape
    return make


def SQ(n, *batch):
    """A well-conditioned square matrix (or a stack of them)."""
    def make(rng):
        return rng.normal(size=batch + (n, n)) + 3 * np.eye(n)
    make.shape = batch + (n, n)
    return make


def SPD(n, *batch):
    """Symmetric positive definite with distinct eigenvalues."""
    def make(rng):
        q, _ = np.linalg.qr(rng.normal(size=batch + (n, n)))
        w = np.arange(1, n + 1) * 1.5 + rng.uniform(0, 0.3, batch + (n,))
        return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    make.shape = batch + (n, n)
    return make


def SYM(n):
    """Symmetric with distinct eigenvalues of both signs."""
    def make(rng):
        q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        w = np.arange(n) * 1.3 - n / 2 + rng.uniform(0, 0.2, n)
        return (q * w) @ q.T
    make.shape = (n, n)
    return make


def FULL(m, n, *batch):
    """A full-rank matrix with well-separated singular values."""
    def make(rng):
        k = min(m, n)
        u, _ = np.linalg.qr(rng.normal(size=batch + (m, k)))
        v, _ = np.linalg.qr(rng.normal(size=batch + (n, k)))
        s = np.arange(k, 0, -1) * 1.0 + 0.5 + rng.uniform(0, 0.2, batch + (k,))
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)
    make.shape = batch + (m, n)
    return make


def C(value):
    """A fixed argument."""
    def make(rng):
        return np.array(value, dtype=float) if not isinstance(value, float) else value
    return make


def CPLX(make, im=0.3):
    """The complex version of a maker: its values plus ``i * uniform(-im, im)``
    (a complex for a float, a complex array for an array)."""
    def cmake(rng):
        x = make(rng)
        y = rng.uniform(-im, im, np.shape(x))
        if isinstance(x, float):
            return complex(x, float(y))
        return np.asarray(x) + 1j * y
    cmake.shape = getattr(make, "shape", None)
    return cmake


# ---------------------------------------------------------------------------
# Elementwise functions
# ---------------------------------------------------------------------------
UNARY = {  # name -> maker of x (its domain)
    "sin": U, "cos": U, "tan": U, "arcsin": lambda *s: U(*s, lo=-0.8, hi=0.8),
    "arccos": lambda *s: U(*s, lo=-0.8, hi=0.8), "arctan": U, "sinh": U, "cosh": U,
    "tanh": U, "arcsinh": U, "arccosh": lambda *s: U(*s, lo=1.2, hi=3.0),
    "arctanh": lambda *s: U(*s, lo=-0.8, hi=0.8), "exp": U, "expm1": U, "exp2": U,
    "log": P, "log1p": P, "log2": P, "log10": P, "sqrt": P, "cbrt": P, "square": U,
    "reciprocal": P, "absolute": U, "fabs": U, "negative": U, "positive": U,
    "degrees": U, "radians": U, "rad2deg": U, "deg2rad": U, "sinc": U, "conjugate": U,
    "real": U, "nan_to_num": U,
}
BINARY = {  # name -> makers of (x, y) for a shape
    "add": (U, U), "subtract": (U, U), "multiply": (U, U), "divide": (U, P),
    "power": (P, U), "float_power": (P, U), "arctan2": (U, P), "hypot": (P, U),
    "logaddexp": (U, U), "logaddexp2": (U, U), "maximum": (U, U), "minimum": (U, U),
    "fmax": (U, U), "fmin": (U, U), "copysign": (U, P),
    "remainder": (lambda *s: U(*s, lo=2.1, hi=2.9), lambda *s: U(*s, lo=1.1, hi=1.4)),
    "fmod": (lambda *s: U(*s, lo=2.1, hi=2.9), lambda *s: U(*s, lo=1.1, hi=1.4)),
}
# broadcasting: (), (1,), (n, 1) against (n,), both ways
PAIRS = [((3,), (3,)), ((), (3,)), ((3,), ()), ((1,), (3,)), ((3,), (1,)),
         ((3, 1), (3,)), ((3,), (3, 1)), ((2, 3), (3,))]

CASES = []
for _name, _make in UNARY.items():
    _fn = getattr(np, _name)
    CASES += [(_fn, f"np.{_name}(x)", [_make(2, 3)]), (_fn, f"np.{_name}(x)", [_make()])]
for _name, (_mx, _my) in BINARY.items():
    _fn = getattr(np, _name)
    for _sx, _sy in PAIRS:
        CASES.append((_fn, f"np.{_name}(x, y)", [_mx(*_sx), _my(*_sy)]))
    CASES.append((_fn, f"np.{_name}(x, 0.7)", [_mx(3)]))
CASES += [
    # a 0-d array, operators, and an inactive operand that broadcasts the result
    (np.add, "np.add(x, y)", [A0(), U(3)]),
    (np.add, "np.add(x, np.ones((2, 3)))", [U(3)]),
    (np.subtract, "np.subtract(np.ones((2, 1)), x)", [U(3)]),
    (np.add, "x + np.ones((2, 3)) - np.ones((4, 1, 1))", [U(3)]),
    (np.multiply, "x * y - y / x + x ** y", [P(3, 1), U(3)]),
    (np.negative, "-x + np.negative(y)", [U(3), U(2, 3)]),
    (np.power, "np.power(x, 3.0) + np.power(2.0, x)", [U(2, 3)]),
    (np.ldexp, "np.ldexp(x, 2) + np.ldexp(x, np.array([1, 2, 3]))", [U(3)]),
    (np.where, "np.where(x > 0, x, y)", [U(3), U(3)]),
    (np.where, "np.where(x > 0, x * x, 2.0)", [U(2, 3)]),
    (np.where, "np.where(np.array([True, False, True]), x, y)", [U(2, 3), U(2, 1)]),
    (np.clip, "np.clip(x, -0.5, 0.5)", [U(2, 3)]),
    (np.clip, "np.clip(x, None, 0.3) + np.clip(x, -0.3, None)", [U(2, 3)]),
    (np.clip, "np.clip(x, y, z)", [U(2, 3), U(3, lo=-0.6, hi=-0.1), U(2, 1, lo=0.1, hi=0.6)]),
    (np.clip, "x.clip(-0.4, 0.4)", [U(4)]),
    (np.nan_to_num,
     "np.nan_to_num(np.where(np.array([True, False, False]), x, np.array([0.0, np.inf, np.nan])))",
     [U(2, 3)]),
]

# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------
AXES = ["", "axis=0", "axis=-1", "axis=(0, 2)", "axis=1, keepdims=True", "keepdims=True",
        "axis=(1, 2), keepdims=True"]
for _name in ("sum", "mean", "prod", "max", "min", "amax", "amin", "nanmax", "nanmin", "std",
              "var", "nansum", "nanmean", "ptp"):
    _fn = getattr(np, _name)
    _ties = ("max", "min", "amax", "amin", "nanmax", "nanmin", "ptp")
    _make = SPREAD(2, 3, 4) if _name in _ties else U(2, 3, 4)
    for _kw in AXES:
        CASES.append((_fn, f"np.{_name}(x{', ' if _kw else ''}{_kw})", [_make]))
CASES += [
    (np.sum, "x.sum(axis=0) + x.sum()", [U(2, 3)]),
    (np.mean, "x.mean(axis=1, keepdims=True)", [U(2, 3)]),
    (np.prod, "np.prod(x * np.array([1.0, 0.0, 1.0]), axis=1)", [U(2, 3)]),  # a zero factor
    (np.prod, "x.prod(axis=0)", [U(2, 3)]),
    (np.max, "x.max(axis=1) - x.min()", [SPREAD(2, 3)]),
    (np.std, "np.std(x, ddof=1) + np.std(x, axis=0, ddof=1)", [U(3, 4)]),
    (np.var, "np.var(x, axis=1, ddof=1, keepdims=True)", [U(3, 4)]),
    (np.var, "x.var(axis=0) + x.std()", [U(3, 4)]),
    (np.nansum, "np.nansum(np.where(np.array([True, False, True]), x, np.nan), axis=1)", [U(2, 3)]),
    (np.nanmean, "np.nanmean(np.where(np.array([True, False, True]), x, np.nan), axis=1)",
     [U(2, 3)]),
    (np.nanmax, "np.nanmax(np.where(np.array([True, False, True]), x, np.nan), axis=1)",
     [SPREAD(2, 3)]),
    (np.cumsum, "np.cumsum(x)", [U(2, 3)]),
    (np.cumsum, "np.cumsum(x, axis=0) + x.cumsum(axis=1)", [U(2, 3)]),
    (np.cumprod, "np.cumprod(x)", [P(2, 3)]),
    (np.cumprod, "np.cumprod(x, axis=1)", [P(2, 3)]),
    (np.cumprod, "x.cumprod(axis=0)", [P(2, 3)]),
    (np.diff, "np.diff(x)", [U(2, 4)]),
    (np.diff, "np.diff(x, 2, axis=0)", [U(4, 3)]),
]

# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------
CASES += [
    (np.reshape, "np.reshape(x, (3, 2))", [U(2, 3)]),
    (np.reshape, "np.reshape(x, -1, order='F')", [U(2, 3)]),
    (np.reshape, "x.reshape(3, 2) + x.reshape((3, 2))", [U(2, 3)]),
    (np.ravel, "np.ravel(x) + x.ravel() + x.flatten()", [U(2, 3)]),
    (np.squeeze, "np.squeeze(x) + x.squeeze(axis=0)", [U(1, 3)]),
    (np.expand_dims, "np.expand_dims(x, (0, 2))", [U(2, 3)]),
    (np.transpose, "np.transpose(x)", [U(2, 3, 4)]),
    (np.transpose, "np.transpose(x, (1, 2, 0)) + x.transpose(1, -1, 0)", [U(2, 3, 4)]),
    (np.transpose, "x.transpose() + x.T", [U(2, 3)]),
    (getattr(np, "matrix_transpose", None), "np.matrix_transpose(x)", [U(2, 3, 4)]),
    (np.swapaxes, "np.swapaxes(x, 0, 2) + x.swapaxes(0, -1)", [U(2, 3, 4)]),
    (np.moveaxis, "np.moveaxis(x, 0, -1)", [U(2, 3, 4)]),
    (np.moveaxis, "np.moveaxis(x, (0, 1), (2, 0))", [U(2, 3, 4)]),
    (np.rollaxis, "np.rollaxis(x, 2, 1)", [U(2, 3, 4)]),
    (np.broadcast_to, "np.broadcast_to(x, (2, 3, 4))", [U(3, 1)]),
    (np.concatenate, "np.concatenate([x, y])", [U(2, 3), U(1, 3)]),
    (np.concatenate, "np.concatenate((x, y, x), axis=1)", [U(2, 3), U(2, 2)]),
    (np.concatenate, "np.concatenate([x, y], axis=None)", [U(2, 3), U(4)]),
    (np.concatenate, "np.concatenate([x, np.ones((1, 3))])", [U(2, 3)]),
    (np.stack, "np.stack([x, y])", [U(2, 3), U(2, 3)]),
    (np.stack, "np.stack((x, y, x), axis=-1)", [U(2, 3), U(2, 3)]),
    (np.stack, "np.stack([x, y, 2.0])", [U(), U()]),
    (np.hstack, "np.hstack([x, y])", [U(3), U(2)]),
    (np.hstack, "np.hstack((x, y))", [U(2, 3), U(2, 1)]),
    (np.vstack, "np.vstack([x, y])", [U(3), U(2, 3)]),
    (np.dstack, "np.dstack([x, y])", [U(2, 3), U(2, 3)]),
    (np.column_stack, "np.column_stack([x, y])", [U(3), U(3, 2)]),
    (getattr(np, "unstack", None), "np.unstack(x)[1] + np.unstack(x, axis=1)[0][1]", [U(2, 3)]),
    (np.split, "np.split(x, 3)[1] * np.split(x, [1, 4])[2][0]", [U(6)]),
    (np.split, "np.split(x, 2, axis=1)", [U(2, 4)]),
    (np.array_split, "np.array_split(x, 3)", [U(7)]),
    (np.array_split, "np.array_split(x, 2, axis=1)[1]", [U(2, 5)]),
    (np.hsplit, "np.hsplit(x, 2)", [U(2, 4)]),
    (np.hsplit, "np.hsplit(x, 2)[0]", [U(4)]),
    (np.vsplit, "np.vsplit(x, 2)", [U(4, 2)]),
    (np.dsplit, "np.dsplit(x, [1])", [U(2, 2, 3)]),
    (np.append, "np.append(x, y)", [U(2, 3), U(3)]),
    (np.append, "np.append(x, y, axis=0)", [U(2, 3), U(1, 3)]),
    (np.append, "np.append(x, np.ones(2))", [U(2, 2)]),
    (np.tile, "np.tile(x, 2)", [U(3)]),
    (np.tile, "np.tile(x, (2, 1, 3))", [U(2, 3)]),
    (np.repeat, "np.repeat(x, 2)", [U(2, 3)]),
    (np.repeat, "np.repeat(x, [1, 0, 3], axis=1) + 0.0", [U(2, 3)]),
    (np.repeat, "x.repeat(2, axis=0)", [U(2, 3)]),
    (np.resize, "np.resize(x, (3, 3))", [U(2, 2)]),
    (np.delete, "np.delete(x, 1, axis=1)", [U(2, 3)]),
    (np.delete, "np.delete(x, [0, 2])", [U(2, 3)]),
    (np.flip, "np.flip(x) + np.flip(x, 1)", [U(2, 3)]),
    (np.flip, "np.flip(x, (0, 2))", [U(2, 3, 2)]),
    (np.fliplr, "np.fliplr(x)", [U(2, 3)]),
    (np.flipud, "np.flipud(x)", [U(2, 3)]),
    (np.rot90, "np.rot90(x) + np.rot90(x, 2)", [U(3, 3)]),
    (np.rot90, "np.rot90(x, -1, axes=(1, 2))", [U(2, 3, 4)]),
    (np.roll, "np.roll(x, 2)", [U(2, 3)]),
    (np.roll, "np.roll(x, (1, -1), axis=(0, 1))", [U(2, 3)]),
    (np.roll, "np.roll(x, 1, axis=1)", [U(2, 3)]),
    (np.pad, "np.pad(x, 1)", [U(2, 3)]),
    (np.pad, "np.pad(x, ((0, 1), (2, 0)), constant_values=3.0)", [U(2, 3)]),
    (np.pad, "np.pad(x, 2, mode='edge')", [U(2, 3)]),
    (np.pad, "np.pad(x, (1, 2), mode='reflect')", [U(4)]),
    (np.pad, "np.pad(x, 1, 'wrap')", [U(2, 3)]),
    (np.diag, "np.diag(x)", [U(3)]),
    (np.diag, "np.diag(x, 1)", [U(3)]),
    (np.diag, "np.diag(x) + np.diag(x, -1)[0]", [U(3, 4)]),
    (np.diagflat, "np.diagflat(x, -1)", [U(2, 2)]),
    (np.diagonal, "np.diagonal(x)", [U(3, 3)]),
    (np.diagonal, "np.diagonal(x, 1, 0, 2) + x.diagonal(offset=1, axis1=0, axis2=2)", [U(3, 2, 4)]),
    (np.trace, "np.trace(x)", [U(3, 3)]),
    (np.trace, "np.trace(x, 1, 1, 2) + x.trace()[1]", [U(3, 3, 4)]),
    (np.tril, "np.tril(x) + np.tril(x, -1)", [U(3, 3)]),
    (np.tril, "np.tril(x, 1)", [U(2, 3, 3)]),
    (np.triu, "np.triu(x) + np.triu(x, 1)", [U(3, 4)]),
    (np.atleast_1d, "np.atleast_1d(x)", [U()]),
    (np.atleast_1d, "np.atleast_1d(x)", [U(3)]),
    (np.atleast_2d, "np.atleast_2d(x)", [U(3)]),
    (np.atleast_3d, "np.atleast_3d(x)", [U(2, 3)]),
    (np.copy, "np.copy(x) + x.copy()", [U(2, 3)]),
    (np.asarray, "np.asarray(x)", [U(2, 3)]),
    (np.asarray, "np.asarray([x, y])", [U(), U()]),
    (np.asanyarray, "np.asanyarray(x)", [U(2, 3)]),
    (np.ascontiguousarray, "np.ascontiguousarray(x.T)", [U(2, 3)]),
    (np.asfortranarray, "np.asfortranarray(x)", [U(2, 3)]),
    (np.array, "np.array([x, y, 2.0])", [U(), U()]),
    (np.array, "np.array([[x, 1.0], [y, x * y]])", [U(), U()]),
    (np.array, "np.array([x, y])", [U(3), U(3)]),
    (np.array, "np.array(x)", [U(2, 3)]),
    (np.array, "np.array((x, [y, 2.0 * y]), dtype=float)", [U(2), U()]),
    (getattr(np, "astype", None), "np.astype(x, np.float64) * x.astype(float)",
     [U(2, 3)]),
]

# ---------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------
CASES += [
    (np.sort, "np.sort(x)", [SPREAD(2, 4)]),
    (np.sort, "np.sort(x, axis=0)", [SPREAD(3, 2)]),
    (np.sort, "np.sort(x, axis=None)", [SPREAD(2, 3)]),
    (np.take, "np.take(x, [0, 2, 2])", [U(2, 3)]),
    (np.take, "np.take(x, [[1, 0], [1, 1]], axis=1)", [U(2, 3)]),
    (np.take, "np.take(x, 1, axis=0)[:2] + x.take([4, 5])", [U(2, 3)]),
    (np.take, "np.take(x, [5, -1], mode='wrap')", [U(2, 3)]),
    (np.take_along_axis, "np.take_along_axis(x, np.array([[0, 0], [2, 1]]), axis=1)", [U(2, 3)]),
    (np.take_along_axis, "np.take_along_axis(x, np.argsort(x, axis=0), axis=0)", [U(3, 2)]),
    (np.compress, "np.compress([True, False, True], x, axis=1)", [U(2, 3)]),
    (np.compress, "np.compress([False, True], x)", [U(2, 3)]),
    (np.extract, "np.extract(x > 0, x)", [U(2, 3)]),
]

# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------
CASES += [
    ("binop:@", "x @ y", [U(2, 3), U(3, 4)]),
    ("binop:@", "x @ y", [U(3), U(3, 4)]),
    ("binop:@", "x @ y", [U(2, 3), U(3)]),
    ("binop:@", "x @ y", [U(3), U(3)]),
    ("binop:@", "x @ y", [U(2, 2, 3), U(3, 4)]),
    ("binop:@", "x @ y", [U(2, 1, 2, 3), U(3, 3, 2)]),
    (np.matmul, "np.matmul(x, y)", [U(2, 3), U(3, 4)]),
    (np.matmul, "np.matmul(x, y)", [U(3), U(2, 3, 4)]),
    (np.matmul, "np.matmul(x, y)", [U(2, 2, 3), U(3)]),
    (np.dot, "np.dot(x, y)", [U(3), U(3)]),
    (np.dot, "np.dot(x, y)", [U(2, 3), U(3, 4)]),
    (np.dot, "np.dot(x, y) + x.dot(y)", [U(2, 3), U(3)]),
    (np.dot, "np.dot(x, y)", [U(2, 3, 2), U(4, 2, 3)]),
    (np.dot, "np.dot(x, y)", [U(), U(2, 3)]),
    (np.inner, "np.inner(x, y)", [U(3), U(3)]),
    (np.inner, "np.inner(x, y)", [U(2, 3), U(4, 3)]),
    (np.inner, "np.inner(x, y)", [U(), U(2)]),
    (np.outer, "np.outer(x, y)", [U(3), U(4)]),
    (np.outer, "np.outer(x, y)", [U(2, 2), U(3)]),
    (np.vdot, "np.vdot(x, y)", [U(2, 3), U(3, 2)]),
    (np.tensordot, "np.tensordot(x, y)", [U(2, 3, 4), U(3, 4, 2)]),
    (np.tensordot, "np.tensordot(x, y, axes=1)", [U(2, 3), U(3, 4)]),
    (np.tensordot, "np.tensordot(x, y, axes=([0, 2], [2, 1]))", [U(2, 3, 4), U(5, 4, 2)]),
    (np.tensordot, "np.tensordot(x, y, axes=0)", [U(2), U(3)]),
    (np.einsum, "np.einsum('ij,jk->ik', x, y)", [U(2, 3), U(3, 4)]),
    (np.einsum, "np.einsum('ii->i', x) + np.einsum('ii', x)", [U(3, 3)]),
    (np.einsum, "np.einsum('ij->', x)", [U(2, 3)]),
    (np.einsum, "np.einsum('i,j', x, y)", [U(2), U(3)]),
    (np.einsum, "np.einsum('...ij,...jk->...ik', x, y)", [U(2, 2, 3), U(3, 4)]),
    (np.einsum, "np.einsum('bi,bi->b', x, y)", [U(3, 4), U(1, 4)]),
    (np.einsum, "np.einsum('ij,jk,kl->il', x, y, z)", [U(2, 3), U(3, 2), U(2, 2)]),
    (np.einsum, "np.einsum('i,i,i,i', x, y, z, x)", [U(3), U(3), U(3)]),
    (np.einsum, "np.einsum('ijk,k->i', x, y)", [U(2, 3, 4), U(4)]),
    (np.einsum, "np.einsum('ij,j', x, np.ones(3))", [U(2, 3)]),
    (np.kron, "np.kron(x, y)", [U(2, 3), U(2, 2)]),
    (np.kron, "np.kron(x, y)", [U(3), U(2)]),
    (np.kron, "np.kron(x, y)", [U(2), U(2, 3)]),
    (np.cross, "np.cross(x, y)", [U(3), U(3)]),
    (np.cross, "np.cross(x, y)", [U(2, 3), U(3)]),
    (np.cross, "np.cross(x, y, axis=0)", [U(3, 2), U(3, 2)]),
    (np.cross, "np.cross(x, y, axisa=0, axisb=1, axisc=0)", [U(3, 2), U(2, 3)]),
    (np.vecdot, "np.vecdot(x, y)", [U(2, 3), U(3)]),
    (np.vecdot, "np.vecdot(x, y, axis=0)", [U(3, 2), U(3, 2)]),
    (getattr(np, "matvec", None), "np.matvec(x, y)", [U(2, 3), U(3)]),
    (getattr(np, "matvec", None), "np.matvec(x, y)", [U(2, 2, 3), U(2, 1, 3)]),
    (getattr(np, "vecmat", None), "np.vecmat(x, y)", [U(3), U(2, 3, 4)]),
    (np.convolve, "np.convolve(x, y)", [U(5), U(3)]),
    (np.convolve, "np.convolve(x, y, mode='same')", [U(4), U(6)]),
    (np.convolve, "np.convolve(x, y, 'valid')", [U(5), U(2)]),
    (np.correlate, "np.correlate(x, y)", [U(5), U(3)]),
    (np.correlate, "np.correlate(x, y, 'same')", [U(4), U(6)]),
    (np.correlate, "np.correlate(x, y, mode='full')", [U(3), U(4)]),
]

# ---------------------------------------------------------------------------
# No derivative (the rest of the expression carries it)
# ---------------------------------------------------------------------------
CASES += [
    (np.floor, "x * np.floor(x * 10)", [U(3)]),
    (np.ceil, "x * np.ceil(x * 10)", [U(3)]),
    (np.trunc, "x * np.trunc(x * 10)", [U(3)]),
    (np.rint, "x * np.rint(x * 10)", [U(3)]),
    (np.fix, "x * np.fix(x * 10)", [U(3)]),
    (np.round, "x * np.round(x * 10)", [U(3)]),
    (np.around, "x * np.around(x, 1)", [U(3)]),
    (np.sign, "x * np.sign(x)", [U(3)]),
    (np.signbit, "x * np.signbit(x)", [U(3)]),
    (np.heaviside, "x * np.heaviside(x, 0.5)", [U(3)]),
    (np.isnan, "np.where(np.isnan(x), 0.0, x)", [U(3)]),
    (np.isinf, "np.where(np.isinf(x), 0.0, x)", [U(3)]),
    (np.isfinite, "np.where(np.isfinite(x), x, 0.0)", [U(3)]),
    (np.isclose, "np.where(np.isclose(x, 0.123), 0.0, x)", [U(3)]),
    (np.allclose, "x * np.allclose(x, 0.123)", [U(3)]),
    (np.array_equal, "x * np.array_equal(x, x)", [U(3)]),
    (np.floor_divide, "x * np.floor_divide(x * 10, 3)", [U(3)]),
    (np.shape, "x * np.shape(x)[0]", [U(3)]),
    (np.ndim, "x * np.ndim(x)", [U(3)]),
    (np.size, "x * np.size(x)", [U(3)]),
    (np.zeros, "x + np.zeros(3)", [U(3)]),
    (np.ones, "x * np.ones((2, 3))", [U(3)]),
    (np.empty, "x + 0.0 * np.empty(0).sum()", [U(3)]),
    (np.full, "x * np.full(3, 2.0)", [U(3)]),
    (np.identity, "x @ np.identity(3)", [U(3)]),
    (np.arange, "x * np.arange(3)", [U(3)]),
    (np.linspace, "x * np.linspace(0, 1, 3)", [U(3)]),
    (np.logspace, "x * np.logspace(0, 1, 3)", [U(3)]),
    (np.geomspace, "x * np.geomspace(1, 4, 3)", [U(3)]),
    (np.eye, "x @ np.eye(3)", [U(3)]),
    (np.tri, "x @ np.tri(3)", [U(3)]),
    (np.indices, "x * np.indices((3,))[0]", [U(3)]),
    (np.diag_indices, "x * np.diag_indices(3)[0]", [U(3)]),
    (np.diag_indices_from, "x * np.diag_indices_from(np.outer(x, x))[1]", [U(3)]),
    (np.tril_indices, "x * np.tril_indices(3)[0][:3]", [U(3)]),
    (np.tril_indices_from, "x * np.tril_indices_from(np.outer(x, x))[1][-3:]", [U(3)]),
    (np.triu_indices, "x * np.triu_indices(3, 1)[1]", [U(3)]),
    (np.triu_indices_from, "x * np.triu_indices_from(np.outer(x, x))[1][:3]", [U(3)]),
    (np.unravel_index, "x * np.unravel_index(4, (2, 3))[1]", [U(3)]),
    (np.ravel_multi_index, "x * np.ravel_multi_index(([0, 1, 1], [2, 0, 1]), (2, 3))",
     [U(3)]),
    (np.digitize, "x * np.digitize(x, [-0.5, 0.5])", [SPREAD(3)]),
    (np.meshgrid, "x * np.meshgrid(np.arange(3), np.arange(2))[0]", [U(3)]),
    (np.zeros_like, "x + np.zeros_like(x)", [U(3)]),
    (np.ones_like, "x * np.ones_like(x)", [U(3)]),
    (np.empty_like, "x + 0.0 * np.size(np.empty_like(x))", [U(3)]),
    (np.full_like, "x * np.full_like(x, 2.0)", [U(3)]),
    (np.argmax, "x * np.argmax(x)", [SPREAD(3)]),
    (np.argmin, "x * np.argmin(x)", [SPREAD(3)]),
    (np.argsort, "x * np.argsort(x)", [SPREAD(3)]),
    (np.argwhere, "x * np.argwhere(x > 0).size", [U(3)]),
    (np.nonzero, "x * np.nonzero(x > 0)[0].size", [U(3)]),
    (np.flatnonzero, "x * np.flatnonzero(x > 0).size", [U(3)]),
    (np.searchsorted, "x * np.searchsorted([-0.5, 0.5], x)", [U(3)]),
    (np.unique, "x * np.unique(np.round(x)).size", [U(3)]),
    (np.count_nonzero, "x * np.count_nonzero(x > 0)", [U(3)]),
    (np.all, "x * np.all(x > 0)", [U(3)]),
    (np.any, "x * np.any(x > 0)", [U(3)]),
    (np.equal, "x * np.equal(x, 0.5)", [U(3)]),
    (np.not_equal, "x * np.not_equal(x, 0.5)", [U(3)]),
    (np.less, "x * np.less(x, 0.2)", [U(3)]),
    (np.less_equal, "x * np.less_equal(x, 0.2)", [U(3)]),
    (np.greater, "x * np.greater(x, 0.2)", [U(3)]),
    (np.greater_equal, "x * np.greater_equal(x, 0.2)", [U(3)]),
    (np.logical_and, "x * np.logical_and(x > 0, x < 0.5)", [U(3)]),
    (np.logical_or, "x * np.logical_or(x > 0.5, x < 0)", [U(3)]),
    (np.logical_not, "x * np.logical_not(x > 0)", [U(3)]),
    (np.logical_xor, "x * np.logical_xor(x > 0, x > 0.5)", [U(3)]),
    (np.imag, "x + np.imag(x)", [U(3)]),
    (np.spacing, "x + np.spacing(x)", [U(3)]),
    (np.nextafter, "x + 0 * np.nextafter(x, 2.0)", [U(3)]),
    (np.bitwise_and, "x * np.bitwise_and(3, 5)", [U(3)]),
    (np.bitwise_or, "x * np.bitwise_or(3, 5)", [U(3)]),
    (np.bitwise_xor, "x * np.bitwise_xor(3, 5)", [U(3)]),
    (np.bitwise_not, "x * np.bitwise_not(3)", [U(3)]),
    (np.left_shift, "x * np.left_shift(1, 2)", [U(3)]),
    (np.right_shift, "x * np.right_shift(8, 2)", [U(3)]),
    (np.gcd, "x * np.gcd(12, 8)", [U(3)]),
    (np.lcm, "x * np.lcm(4, 6)", [U(3)]),
    (np.isnat, "x * np.isnat(np.datetime64('NaT'))", [U(3)]),
    (getattr(np, "bitwise_count", None), "x * np.bitwise_count(7)", [U(3)]),
    (getattr(np, "bitwise_invert", None), "x * np.bitwise_invert(3)", [U(3)]),
    (getattr(np, "bitwise_left_shift", None), "x * np.bitwise_left_shift(1, 2)", [U(3)]),
    (getattr(np, "bitwise_right_shift", None), "x * np.bitwise_right_shift(8, 2)", [U(3)]),
    (np.divmod, "np.divmod(x, y)", [U(2, 3, lo=2.1, hi=2.9), U(3, lo=1.1, hi=1.4)]),
    (np.divmod, "np.divmod(x, 1.3)[1]", [U(2, 3, lo=2.1, hi=2.9)]),
    (np.divmod, "np.divmod(x, y)[1]", [U(lo=2.1, hi=2.9), U(2, 3, lo=1.1, hi=1.4)]),
    (np.modf, "np.modf(x)", [U(2, 3, lo=0.1, hi=0.9)]),
    (np.modf, "np.modf(x)[0] * 2.0", [U(3, lo=1.1, hi=1.9)]),
    (np.frexp, "np.frexp(x)", [U(2, 3, lo=1.1, hi=1.9)]),
    (np.frexp, "np.frexp(x)[0]", [U(3, lo=2.1, hi=3.9)]),
]

# ---------------------------------------------------------------------------
# np.linalg
# ---------------------------------------------------------------------------
la = np.linalg
LINALG_CASES = [
    (la.inv, "np.linalg.inv(x)", [SQ(3)]),
    (la.inv, "np.linalg.inv(x)", [SQ(2, 3)]),
    (la.solve, "np.linalg.solve(x, y)", [SQ(3), U(3)]),
    (la.solve, "np.linalg.solve(x, y)", [SQ(3), U(3, 2)]),
    (la.solve, "np.linalg.solve(x, y)", [SQ(3, 2), U(2, 3, 2)]),
    (la.solve, "np.linalg.solve(x, y)", [SQ(3, 2), U(3)]),
    (la.solve, "np.linalg.solve(x, y)", [SQ(3), U(2, 3, 1)]),
    (la.solve, "np.linalg.solve(x, np.ones(3))", [SQ(3)]),
    (la.solve, "np.linalg.solve(np.eye(3) * 2.0, x)", [U(3, 2)]),
    (la.det, "np.linalg.det(x)", [SQ(3)]),
    (la.det, "np.linalg.det(x)", [SQ(2, 2)]),
    (la.slogdet, "np.linalg.slogdet(x)[1]", [SQ(3)]),
    (la.slogdet, "np.linalg.slogdet(x)", [SQ(3, 2)]),
    (la.cholesky, "np.linalg.cholesky(x)", [SPD(3)]),
    (la.cholesky, "np.linalg.cholesky(x)", [SPD(3, 2)]),
    (la.cholesky, "np.linalg.cholesky(x, upper=True)", [SPD(3)]),
    (la.cholesky, "np.linalg.cholesky(x @ x.T + np.eye(3))", [U(3, 3)]),
    (la.eigh, "np.linalg.eigh(x)", [SYM(3)]),
    (la.eigh, "np.linalg.eigh(x, UPLO='U')", [SYM(3)]),
    (la.eigh, "np.linalg.eigh(x)", [SPD(3, 2)]),
    (la.eigh, "np.linalg.eigh(x)[0]", [SYM(4)]),
    (la.eigvalsh, "np.linalg.eigvalsh(x)", [SYM(3)]),
    (la.eigvalsh, "np.linalg.eigvalsh(x, 'U')", [SPD(3, 2)]),
    (la.svd, "np.linalg.svd(x, full_matrices=False)", [FULL(4, 3)]),
    (la.svd, "np.linalg.svd(x, full_matrices=False)", [FULL(2, 4)]),
    (la.svd, "np.linalg.svd(x)", [FULL(3, 3)]),
    (la.svd, "np.linalg.svd(x, full_matrices=False)", [FULL(3, 2, 2)]),
    (la.svd, "np.linalg.svd(x, compute_uv=False)", [FULL(4, 3)]),
    (la.svd, "np.linalg.svd(x, full_matrices=False)[1]", [FULL(3, 4)]),
    (getattr(la, "svdvals", None), "np.linalg.svdvals(x)", [FULL(3, 4)]),
    (la.pinv, "np.linalg.pinv(x)", [FULL(4, 3)]),
    (la.pinv, "np.linalg.pinv(x)", [FULL(2, 4)]),
    (la.pinv, "np.linalg.pinv(x)", [SQ(3)]),
    (la.qr, "np.linalg.qr(x)", [FULL(4, 3)]),
    (la.qr, "np.linalg.qr(x)", [SQ(3)]),
    (la.qr, "np.linalg.qr(x)[1]", [FULL(3, 2, 2)]),
    (la.lstsq, "np.linalg.lstsq(x, y)[0]", [FULL(5, 3), U(5)]),
    (la.lstsq, "np.linalg.lstsq(x, y)[0]", [FULL(5, 3), U(5, 2)]),
    (la.lstsq, "np.linalg.lstsq(x, y)", [FULL(5, 3), U(5)]),
    (la.lstsq, "np.linalg.lstsq(x, y, rcond=None)", [FULL(4, 2), U(4, 3)]),
    (la.lstsq, "np.linalg.lstsq(x, y)[0]", [SQ(3), U(3)]),
    (la.lstsq, "np.linalg.lstsq(x, y)[3]", [FULL(4, 3), U(4)]),
    (la.matrix_power, "np.linalg.matrix_power(x, 3)", [U(3, 3)]),
    (la.matrix_power, "np.linalg.matrix_power(x, 0) + np.linalg.matrix_power(x, 1)", [U(3, 3)]),
    (la.matrix_power, "np.linalg.matrix_power(x, -2)", [SQ(3)]),
    (la.matrix_power, "np.linalg.matrix_power(x, 2)", [U(2, 3, 3)]),
    (la.multi_dot, "np.linalg.multi_dot([x, y, z])", [U(2, 3), U(3, 4), U(4, 2)]),
    (la.multi_dot, "np.linalg.multi_dot([x, y, z])", [U(3), U(3, 4), U(4)]),
    (la.multi_dot, "np.linalg.multi_dot([x, y])", [U(3), U(3, 2)]),
    (la.multi_dot, "np.linalg.multi_dot([x, y, np.ones((2, 2)), x])", [U(2, 3), U(3, 2)]),
    (la.norm, "np.linalg.norm(x)", [U(4)]),
    (la.norm, "np.linalg.norm(x)", [U(2, 3, 2)]),
    (la.norm, "np.linalg.norm(x, 1) + np.linalg.norm(x, 3)", [U(4)]),
    (la.norm, "np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf)", [SPREAD(4)]),
    (la.norm, "np.linalg.norm(x, 2, axis=1)", [U(3, 4)]),
    (la.norm, "np.linalg.norm(x, axis=0, keepdims=True)", [U(3, 4)]),
    (la.norm, "np.linalg.norm(x, ord=0.5, axis=-1)", [P(3, 4)]),
    (la.norm, "np.linalg.norm(x, 'fro')", [U(3, 4)]),
    (la.norm, "np.linalg.norm(x, 'fro', axis=(1, 2), keepdims=True)", [U(2, 3, 4)]),
    (la.norm, "np.linalg.norm(x, 1) + np.linalg.norm(x, -1)", [SPREAD(3, 4)]),
    (la.norm, "np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf)", [SPREAD(3, 4)]),
    (la.norm, "np.linalg.norm(x, 2)", [FULL(3, 4)]),
    (la.norm, "np.linalg.norm(x, -2) + np.linalg.norm(x, 'nuc')", [FULL(4, 3)]),
    (la.norm, "np.linalg.norm(x, 2, axis=(2, 0))", [U(3, 2, 4)]),
    (la.norm, "np.linalg.norm(x, 1, axis=(0, 1), keepdims=True)", [SPREAD(3, 4, 2)]),
    (getattr(la, "vector_norm", None), "np.linalg.vector_norm(x)", [U(2, 3)]),
    (getattr(la, "vector_norm", None), "np.linalg.vector_norm(x, axis=(0, 2), keepdims=True)", [U(2, 3, 2)]),
    (getattr(la, "vector_norm", None), "np.linalg.vector_norm(x, ord=1, axis=1)", [U(2, 3)]),
    (getattr(la, "vector_norm", None), "np.linalg.vector_norm(x, ord=np.inf)", [SPREAD(2, 3)]),
    (getattr(la, "vector_norm", None), "np.linalg.vector_norm(x, ord=3)", [U(4)]),
    (getattr(la, "matrix_norm", None), "np.linalg.matrix_norm(x)", [U(2, 3, 4)]),
    (getattr(la, "matrix_norm", None), "np.linalg.matrix_norm(x, ord=1)", [SPREAD(2, 3, 4)]),
    (getattr(la, "matrix_norm", None), "np.linalg.matrix_norm(x, ord=2, keepdims=True)", [FULL(3, 4, 2)]),
    (getattr(la, "matrix_norm", None), "np.linalg.matrix_norm(x, ord='nuc')", [FULL(3, 3)]),
    (getattr(la, "matmul", None), "np.linalg.matmul(x, y)", [U(2, 3), U(3)]),
    (getattr(la, "matmul", None), "np.linalg.matmul(x, y)", [U(2, 2, 3), U(3, 4)]),
    (getattr(la, "outer", None), "np.linalg.outer(x, y)", [U(3), U(2)]),
    (getattr(la, "tensordot", None), "np.linalg.tensordot(x, y, axes=1)", [U(2, 3), U(3, 4)]),
    (getattr(la, "tensordot", None), "np.linalg.tensordot(x, y)", [U(2, 3, 4), U(3, 4)]),
    (getattr(la, "cross", None), "np.linalg.cross(x, y)", [U(2, 3), U(3)]),
    (getattr(la, "vecdot", None), "np.linalg.vecdot(x, y)", [U(2, 3), U(2, 3)]),
    (getattr(la, "vecdot", None), "np.linalg.vecdot(x, y, axis=0)", [U(3, 2), U(3, 1)]),
    (getattr(la, "diagonal", None), "np.linalg.diagonal(x) + np.linalg.diagonal(x, offset=-1)[..., :1]",
     [U(2, 3, 3)]),
    (getattr(la, "trace", None), "np.linalg.trace(x) + np.linalg.trace(x, offset=1)", [U(2, 3, 3)]),
    (getattr(la, "matrix_transpose", None), "np.linalg.matrix_transpose(x)", [U(2, 3, 4)]),
    (la.matrix_rank, "x * np.linalg.matrix_rank(np.eye(3))", [U(3)]),
]

# ---------------------------------------------------------------------------
# Ranges and fills, ufunc methods, selection by conditions, interpolation,
# polynomials, numerical calculus (s2sad/rules/numpy_more.py); einsum's sublist
# form and optimize=
# ---------------------------------------------------------------------------
def UFUNC(ufunc, method):
    """The bound method (np.add.reduce, ...) that has the rule: each read of
    np.add.reduce makes a new one."""
    return method_with_rule(ufunc, method)


def EIGREAL(n):
    """A matrix with distinct real eigenvalues (not symmetric)."""
    def make(rng):
        v = rng.normal(size=(n, n)) + 2 * np.eye(n)
        w = np.arange(1, n + 1) * 1.0 + rng.uniform(0, 0.3, n)
        return (v * w) @ np.linalg.inv(v)
    make.shape = (n, n)
    return make


CASES += [
    (np.linspace, "np.linspace(x, y, 5)", [U(), U()]),
    (np.linspace, "np.linspace(0.0, x, 4, endpoint=False)", [U()]),
    (np.linspace, "np.linspace(x, y, 3, axis=1)", [U(2), U(2)]),
    (np.linspace, "np.linspace(x, y, 4, axis=-1)", [U(2, 1), U(3)]),
    (np.linspace, "np.linspace(x, y, 5, retstep=True)", [U(), U()]),
    (np.linspace, "np.linspace(x, 2.0, 1)", [U()]),
    (np.geomspace, "np.geomspace(x, y, 4)", [P(), P()]),
    (np.geomspace, "np.geomspace(x, y, 3, endpoint=False, axis=1)", [P(2), P(2)]),
    (np.geomspace, "np.geomspace(-x, -y, 4)", [P(), P()]),
    (np.logspace, "np.logspace(x, y, 4)", [U(), U()]),
    (np.logspace, "np.logspace(x, y, 3, base=z)", [U(), U(), P()]),
    (np.logspace, "np.logspace(x, 1.0, 3, base=2.0, axis=1)", [U(2)]),
    (np.arange, "np.arange(x, 3.0, 0.5)", [U()]),
    (np.arange, "np.arange(0.0, 2.0, x)", [P()]),
    (np.arange, "np.arange(x, 2.5) * x + np.arange(x + 2.5)", [U(lo=0.1, hi=0.4)]),
    (np.full, "np.full(3, x)", [U()]),
    (np.full, "np.full((2, 3), x)", [U(3)]),
    (np.full_like, "np.full_like(y, x)", [U(), U(2, 3)]),
    (np.full_like, "np.full_like(y, x) * y", [U(3), U(2, 3)]),
    (UFUNC(np.add, "reduce"), "np.add.reduce(x)", [U(2, 3)]),
    (UFUNC(np.add, "reduce"), "np.add.reduce(x, 1, keepdims=True) + np.add.reduce(x, axis=None)", [U(2, 3)]),
    (UFUNC(np.add, "accumulate"), "np.add.accumulate(x)", [U(2, 3)]),
    (UFUNC(np.add, "accumulate"), "np.add.accumulate(x, axis=1)", [U(2, 3)]),
    (UFUNC(np.multiply, "reduce"), "np.multiply.reduce(x)", [U(3, 2)]),
    (UFUNC(np.multiply, "reduce"), "np.multiply.reduce(x, axis=1, keepdims=True)", [U(3, 2)]),
    (UFUNC(np.maximum, "reduce"), "np.maximum.reduce(x)", [SPREAD(3, 2)]),
    (UFUNC(np.minimum, "reduce"), "np.minimum.reduce(x, axis=1)", [SPREAD(3, 2)]),
    (UFUNC(np.logaddexp, "reduce"), "np.logaddexp.reduce(x)", [U(3, 2)]),
    (UFUNC(np.logaddexp, "reduce"), "np.logaddexp.reduce(x, axis=None) + np.logaddexp.reduce(x, 1)", [U(3, 2)]),
    (UFUNC(np.logaddexp2, "reduce"), "np.logaddexp2.reduce(x, axis=1, keepdims=True)", [U(3, 2)]),
    (UFUNC(np.multiply, "accumulate"), "np.multiply.accumulate(x, 1)", [P(3, 2)]),
    (np.select, "np.select([x > 0, x < -0.5], [x, x * x], y)", [U(2, 3), U(3)]),
    (np.select, "np.select([x > 0], [y])", [U(3), U()]),
    (np.partition, "np.partition(x, 2)", [SPREAD(2, 5)]),
    (np.partition, "np.partition(x, (0, 2), axis=0)", [SPREAD(4, 2)]),
    (np.partition, "np.partition(x, 1, axis=None)", [SPREAD(2, 3)]),
    (np.argpartition, "x * np.argpartition(x, 1)", [SPREAD(3)]),
    (np.real_if_close, "np.real_if_close(x)", [U(2, 3)]),
    (np.interp, "np.interp(x, y, z)", [U(5, lo=-0.2, hi=1.2), C([0.0, 0.3, 0.7, 1.0]), U(4)]),
    (np.interp, "np.interp(x, y, z)", [U(lo=0.05, hi=0.95), C([0.0, 0.3, 0.7, 1.0]), U(4)]),
    (np.interp, "np.interp(x, np.sort(y), z, left=-1.0, right=2.0 * z[1])", [U(6, lo=-0.2, hi=1.2), SPREAD(4), U(4)]),
    (np.interp, "np.interp(x, np.cumsum(y), z)", [U(6, lo=0.6, hi=2.5), P(4), U(4)]),
    (np.polyval, "np.polyval(x, y)", [U(4), U(2, 3)]),
    (np.polyval, "np.polyval([x, 2.0, y], y)", [U(), U()]),
    (np.polyval, "np.polyval(x, 0.5)", [U(3)]),
    (np.gradient, "np.gradient(x)", [U(5)]),
    (np.gradient, "np.gradient(x, 0.5, edge_order=2)", [U(5)]),
    (np.gradient, "np.gradient(x, np.array([0.0, 0.2, 0.5, 1.1]))", [U(4)]),
    (np.gradient, "np.gradient(x)", [U(3, 4)]),
    (np.gradient, "np.gradient(x, 2.0, axis=1)", [U(3, 4)]),
    (np.gradient, "np.gradient(x, 0.5, 0.25, edge_order=2)", [U(3, 4)]),
    (np.trapezoid, "np.trapezoid(x)", [U(5)]),
    (np.trapezoid, "np.trapezoid(x, y)", [U(5), U(5)]),
    (np.trapezoid, "np.trapezoid(x, dx=y)", [U(5), U()]),
    (np.trapezoid, "np.trapezoid(x, y, axis=0)", [U(4, 3), U(4)]),
    (np.trapezoid, "np.trapezoid(x, y, axis=1)", [U(2, 4), U(2, 4)]),
    (getattr(np, "row_stack", None), "np.row_stack([x, y])", [U(3), U(2, 3)]),
    (np.einsum, "np.einsum(x, [0, 1], y, [1, 2], [0, 2])", [U(2, 3), U(3, 4)]),
    (np.einsum, "np.einsum(x, [0, 1], y, [1, 2])", [U(2, 3), U(3, 4)]),
    (np.einsum, "np.einsum(x, [0, 1], [1])", [U(2, 3)]),
    (np.einsum, "np.einsum(x, [0, 0])", [U(3, 3)]),
    (np.einsum, "np.einsum(x, [Ellipsis, 0], y, [0], z, [0], [Ellipsis])", [U(2, 3), U(3), U(3)]),
    (np.meshgrid, "np.meshgrid(x, y)", [U(3), U(2)]),
    (np.meshgrid, "np.meshgrid(x, y, indexing='ij')[1]", [U(3), U(2)]),
    (np.meshgrid, "np.meshgrid(x, y, z, sparse=True)", [U(3), U(2), U(2)]),
    (np.meshgrid, "np.meshgrid(x)[0] * 2.0", [U(3)]),
    (np.meshgrid, "np.meshgrid(x, np.arange(2.0))[0]", [U(3)]),
    (np.unique, "np.unique(x)", [SPREAD(2, 3)]),
    (np.unique, "np.unique(np.round(x * 2) / 2 + 0.01 * x)", [U(6)]),
    (np.unique, "np.unique(x, return_counts=True)", [SPREAD(4)]),
    (np.unique, "np.unique(x, return_index=True, return_inverse=True)[0]", [SPREAD(4)]),
    (np.diff, "np.diff(x, prepend=0.0)", [U(2, 4)]),
    (np.diff, "np.diff(x, axis=0, append=y)", [U(3, 2), U(1, 2)]),
    (np.diff, "np.diff(x, 2, prepend=y, append=1.5)", [U(4), U()]),
    (np.nanvar, "np.nanvar(np.where(np.array([True, False, True]), x, np.nan), axis=1)", [U(2, 3)]),
    (np.nanvar, "np.nanvar(x, ddof=1)", [U(2, 3)]),
    (np.nanstd, "np.nanstd(np.where(np.array([True, True, False]), x, np.nan), axis=1, keepdims=True)", [U(2, 3)]),
    (np.nanstd, "np.nanstd(x)", [U(2, 3)]),
    (np.nanprod, "np.nanprod(np.where(np.array([True, False, True]), x, np.nan), axis=1)", [U(2, 3)]),
    (np.nanprod, "np.nanprod(x)", [U(2, 3)]),
    (np.nancumsum, "np.nancumsum(np.where(np.array([True, False, True]), x, np.nan), axis=1)", [U(2, 3)]),
    (np.nancumsum, "np.nancumsum(x)", [U(2, 3)]),
    (np.median, "np.median(x)", [SPREAD(2, 3)]),
    (np.median, "np.median(x, axis=0)", [SPREAD(3, 2)]),
    (np.median, "np.median(x, axis=1, keepdims=True)", [SPREAD(3, 4)]),
    (np.average, "np.average(x)", [U(2, 3)]),
    (np.average, "np.average(x, axis=1)", [U(2, 3)]),
    (np.average, "np.average(x, axis=1, weights=y)", [U(2, 3), P(3)]),
    (np.average, "np.average(x, axis=0, weights=y)", [U(2, 3), P(2, 3)]),
    (np.average, "np.average(x, weights=y)", [U(2, 3), P(2, 3)]),
    (np.average, "np.average(x, axis=0, weights=y, keepdims=True)", [U(2, 3), P(2)]),
    (np.cov, "np.cov(x)", [U(2, 5)]),
    (np.cov, "np.cov(x, y)", [U(5), U(5)]),
    (np.cov, "np.cov(x, rowvar=False, ddof=0)", [U(5, 3)]),
    (np.cov, "np.cov(x, y, bias=True)", [U(2, 4), U(4)]),
    (np.cov, "np.cov(x)", [U(4)]),
    (np.angle, "x * np.angle(x) + np.angle(x, deg=True)", [U(3)]),  # of a real number: 0 or pi
    (np.einsum, "np.einsum('ij,jk->ik', x, y, optimize=True)", [U(2, 3), U(3, 4)]),
    (np.einsum, "np.einsum('ij,jk,kl->il', x, y, z, optimize='greedy')", [U(2, 3), U(3, 2), U(2, 2)]),
]
LINALG_CASES += [
    (la.eig, "np.linalg.eig(x)", [EIGREAL(3)]),
    (la.eig, "np.linalg.eig(x)[0]", [EIGREAL(4)]),
    (la.eigvals, "np.linalg.eigvals(x)", [EIGREAL(3)]),
]

# ---------------------------------------------------------------------------
# NumPy's scalar types as functions: the float types pass the derivative
# through, the integer and boolean types have none
# ---------------------------------------------------------------------------
CASES += [
    (np.float64, "np.float64(x) * x", [U()]),
    (np.float64, "np.float64(x) * np.sin(x)", [U(3)]),
    (np.longdouble, "np.float64(np.longdouble(x) * 2.0)", [U(3)]),
    (np.float32, "np.float32(x).astype(np.float64) * 0.0 + np.float32(x * 0.0) + x", [U(3)]),
    (np.float16, "np.float16(x * 0.0) + np.sin(x)", [U(3)]),
] + [
    (t, f"x * np.{t.__name__}(x * 10)", [U(3)])
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
] + [
    (np.bool_, "x * np.bool_(x > 0.5)", [U(3)]),
]

CASES = [c for c in CASES if c[0] is not None]
LINALG_CASES = [c for c in LINALG_CASES if c[0] is not None]
