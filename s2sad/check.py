"""Check derivatives against finite differences and against each other.

:func:`check_grads` is what a user runs on a function (or a custom rule, with
:func:`check_rule`) to trust its derivatives::

    s2sad.check_grads(f, (2.0, np.array([0.5, 1.5])))          # JVP and VJP, order 1
    s2sad.check_grads(f, (2.0,), modes=("rev",), order=2)       # also H @ v

Three comparisons, all in float64:

* **forward** (:func:`s2sad.jvp`): each column of the Jacobian (or, for a large
  input, the product with a few random directions) against central finite
  differences;
* **reverse** (:func:`s2sad.vjp`): each row of the Jacobian (or the product of
  a few random cotangents with the finite-difference Jacobian) likewise;
* **dot-product test**, when both modes are checked: ``<J v, w> = <v, J^T w>``
  for random ``v`` and ``w`` (seeded), which catches a forward and a reverse
  rule that disagree even where finite differences are too noisy to tell.

``order=2`` (scalar functions) also checks Hessian-vector products, forward
over reverse (:func:`s2sad.hvp`), against finite differences of the gradient.

Finite differences are central and extrapolated (Richardson: steps ``h`` and
``h/2``, error O(h^4)), starting from ``h = eps * max(1, |x_k|)`` and halving
the step until two extrapolations agree; the difference of the last two is
their error estimate, added to the tolerance.  A point where the function has a
kink, or a branch switches within ``h``, is not one to check at.

On a mismatch an :class:`AssertionError` says which mode, which argument, the
worst element (output index and input index), what was expected and what came
out, and the tolerance ``atol + rtol * |expected|`` it exceeded.
"""
from __future__ import annotations

import inspect
import numbers
from typing import List

import numpy as np

from . import api
from .errors import S2sadError
from .frontend.source import from_source
from .rules.registry import lookup

__all__ = ["check_grads", "check_rule"]

_MODES = {"fwd": "fwd", "forward": "fwd", "jvp": "fwd", "rev": "rev", "reverse": "rev",
          "vjp": "rev"}
_FULL = 64  # up to this many elements, check every column / row; above, random directions
_DIRECTIONS = 3


# ---------------------------------------------------------------------------
# Arguments and outputs as flat float64 vectors
# ---------------------------------------------------------------------------
def _is_float_arg(x) -> bool:
    if isinstance(x, bool) or isinstance(x, np.bool_):
        return False
    if isinstance(x, (float, np.floating)):
        return True
    return isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)


def _as_float64(x):
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating):
        return np.array(x, dtype=np.float64)
    if isinstance(x, (float, np.floating)) and not isinstance(x, bool):
        return float(x)
    return x


def _size(x) -> int:
    return x.size if isinstance(x, np.ndarray) else 1


def _with_element(x, k, delta):
    """``x`` with ``delta`` added to its flat element k (a copy)."""
    if isinstance(x, np.ndarray):
        y = x.copy()
        y.reshape(-1)[k] += delta
        return y
    return x + delta


def _with_direction(x, v, t):
    if isinstance(x, np.ndarray):
        return x + t * np.asarray(v, dtype=np.float64).reshape(x.shape)
    return x + t * float(np.asarray(v).reshape(-1)[0])


def _leaves(out, path=()):
    """(path, value) for every number or array in a (nested) tuple/list output."""
    if isinstance(out, (tuple, list)):
        found = []
        for i, o in enumerate(out):
            found += _leaves(o, path + (i,))
        return found
    return [(path, out)]


def _is_float_leaf(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (float, np.floating)):
        return True
    return isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating)


def _flatten(out, like_leaves) -> np.ndarray:
    """The float leaves of ``out`` (shaped as ``like_leaves``) as one vector."""
    parts = []
    got = _leaves(out)
    if len(got) != len(like_leaves):
        raise AssertionError(f"the output has {len(got)} parts here but {len(like_leaves)} at "
                             "the point checked")
    for (_, v), (_, like) in zip(got, like_leaves):
        if not _is_float_leaf(like):
            continue
        if v is None:  # no tangent / cotangent: zero
            v = np.zeros(np.shape(like))
        a = np.asarray(v, dtype=np.float64)
        if a.shape != np.shape(like):
            raise AssertionError(f"a derivative has shape {a.shape} where the output has "
                                 f"shape {np.shape(like)}")
        parts.append(a.reshape(-1))
    return np.concatenate(parts) if parts else np.zeros(0)


def _unflatten(vec, leaves, out):
    """A cotangent shaped like ``out`` from a vector over its float leaves."""
    pos = 0
    values = []
    for _, like in leaves:
        if _is_float_leaf(like):
            n = int(np.size(like))
            chunk = vec[pos:pos + n]
            pos += n
            values.append(chunk.reshape(np.shape(like)) if isinstance(like, np.ndarray)
                          else float(chunk[0]))
        else:
            values.append(np.zeros(np.shape(like)) if isinstance(like, np.ndarray) else 0.0)
    it = iter(values)

    def build(o):
        if isinstance(o, (tuple, list)):
            return type(o)(build(x) for x in o)
        return next(it)

    return build(out)


def _describe_output(leaves, flat_index) -> str:
    """``output[1][0, 2]`` for a flat index over the float leaves."""
    pos = 0
    for path, like in leaves:
        if not _is_float_leaf(like):
            continue
        n = int(np.size(like))
        if flat_index < pos + n:
            k = flat_index - pos
            name = "output" + "".join(f"[{i}]" for i in path)
            if isinstance(like, np.ndarray) and like.ndim:
                idx = np.unravel_index(k, like.shape)
                name += "[" + ", ".join(str(int(i)) for i in idx) + "]"
            return name
        pos += n
    return f"output element {flat_index}"


def _describe_input(name, x, k) -> str:
    if isinstance(x, np.ndarray) and x.ndim:
        idx = np.unravel_index(k, x.shape)
        return f"{name}[" + ", ".join(str(int(i)) for i in idx) + "]"
    return name


def _arg_names(f, n) -> List[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
        names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"args[{i}]" for i in range(n)]


def _fname(f) -> str:
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


# ---------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------
def fd_steps(x, k, eps):
    """The step for element k of x."""
    v = float(np.asarray(x, dtype=np.float64).reshape(-1)[k]) if isinstance(x, np.ndarray) \
        else float(x)
    return eps * max(1.0, abs(v))


def _richardson(g, h, levels=18, rtol=1e-10):
    """d/dt g(t) at 0 by central differences, Richardson-extrapolated, and an
    estimate of its error.

    ``R(h) = (4 D(h/2) - D(h)) / 3`` with ``D(h) = (g(h) - g(-h)) / 2h``
    (error O(h^4)); the step is halved until two extrapolations agree (to
    ``rtol``), at most ``levels`` times: a function whose higher derivatives
    are large at the scale of ``h`` (``cos(1000 x)``) gets a smaller step.
    The error estimate is the difference of the two closest extrapolations."""
    def central(step):
        return (np.asarray(g(step), dtype=np.float64) - np.asarray(g(-step), dtype=np.float64)) \
            / (2 * step)

    d_prev = central(h)
    best, best_err, best_gap, r_prev = None, None, np.inf, None
    for _ in range(levels):
        h /= 2
        d = central(h)
        r = (4 * d - d_prev) / 3
        if r_prev is not None:
            err = np.abs(r - r_prev)
            gap = np.max(err / np.maximum(1.0, np.abs(r)), initial=0.0)
            if gap < best_gap:
                best, best_err, best_gap = r, err, gap
            if gap <= rtol:
                break
        r_prev, d_prev = r, d
    return best, best_err


class _Problem:
    """The function at the point being checked, flattened."""

    def __init__(self, f, args, argnums, eps):
        self.f = f
        self.args = args
        self.argnums = argnums
        self.eps = eps
        self.out = f(*args)
        self.leaves = _leaves(self.out)
        self.y = _flatten(self.out, self.leaves)
        self.names = _arg_names(f, len(args))

    def value(self, args) -> np.ndarray:
        return _flatten(self.f(*args), self.leaves)

    def fd_column(self, i, k):
        """d output / d args[i][k] and its error estimate."""
        x = self.args[i]
        h = fd_steps(x, k, self.eps)

        def g(t):
            a = list(self.args)
            a[i] = _with_element(x, k, t)
            return self.value(a)

        return _richardson(g, h)

    def fd_direction(self, v):
        """J v for v a dict {argnum: direction}, and its error estimate."""
        scale = max([1.0] + [float(np.max(np.abs(self.args[i]))) for i in v])
        h = self.eps * scale

        def g(t):
            a = list(self.args)
            for i, d in v.items():
                a[i] = _with_direction(self.args[i], d, t)
            return self.value(a)

        return _richardson(g, h)

    def n_in(self):
        return sum(_size(self.args[i]) for i in self.argnums)


# ---------------------------------------------------------------------------
# Comparison and messages
# ---------------------------------------------------------------------------
def _compare(got, expected, rtol, atol, header, element=None, fd_err=None):
    """Raise with the worst element when ``got`` and ``expected`` differ.

    ``header`` says what is compared; ``element(j)`` names element j;
    ``fd_err`` estimates the error of the finite differences ``expected``
    (added to the tolerance: where they do not converge nothing is certain)."""
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    expected = np.asarray(expected, dtype=np.float64).reshape(-1)
    if got.shape != expected.shape:
        raise AssertionError(f"{header}\n    {got.size} values where {expected.size} were "
                             "expected")
    fd_err = np.zeros_like(expected) if fd_err is None else \
        np.asarray(fd_err, dtype=np.float64).reshape(-1)
    tol = atol + rtol * np.abs(expected) + fd_err
    err = np.abs(got - expected)
    bad = ~(err <= tol)  # NaN counts as bad
    if not bad.any():
        return
    excess = np.where(np.isnan(err), np.inf, err - tol)
    j = int(np.argmax(np.where(bad, excess, -np.inf)))
    lines = [header]
    if element is not None:
        worst = "worst element" if bad.sum() > 1 else "element"
        lines.append(f"    {worst}: {element(j)}")
    lines.append(f"    expected {float(expected[j])!r} (finite differences), "
                 f"got {float(got[j])!r}")
    lines.append(f"    |got - expected| = {float(err[j]):.3g} > tolerance {float(tol[j]):.3g} "
                 f"(atol={atol:g} + rtol={rtol:g} * |expected|"
                 + (f" + {float(fd_err[j]):.3g}, the finite differences' own error)"
                    if fd_err[j] > 0.01 * (tol[j] - fd_err[j]) else ")"))
    if bad.size > 1:
        lines.append(f"    {int(bad.sum())} of {bad.size} values are off")
    raise AssertionError("\n".join(lines))


def check_grads(f, args, modes=("fwd", "rev"), order=1, eps=None, rtol=1e-5, atol=1e-6,
                argnums=None, seed=0):
    """Check ``f``'s derivatives at ``args``; raise AssertionError if one is wrong.

    ``modes``: "fwd" (JVPs by :func:`s2sad.jvp`) and/or "rev" (VJPs by
    :func:`s2sad.vjp`); with both, also the dot-product test.  ``order=2``:
    also Hessian-vector products of a scalar ``f`` (forward over reverse).
    ``argnums``: the positions to differentiate (default: every float or
    floating-array argument).  ``eps``: the relative finite-difference step
    (default 1e-3, with Richardson extrapolation).  A value passes when
    ``|got - expected| <= atol + rtol * |expected|`` (plus the estimated error
    of the finite differences, tiny where they converge).  ``seed`` fixes the
    random directions.  A function with no floating output (it returns an
    int) has nothing to check.  Returns None.
    """
    if order not in (1, 2):
        raise S2sadError(f"check_grads: order must be 1 or 2, not {order!r}")
    if isinstance(modes, str):
        modes = (modes,)
    try:
        modes = tuple(dict.fromkeys(_MODES[m] for m in modes))
    except KeyError as e:
        raise S2sadError(f"check_grads: unknown mode {e.args[0]!r}: use 'fwd' and/or 'rev'") \
            from None
    if not modes:
        raise S2sadError("check_grads: no mode to check")
    args = tuple(_as_float64(a) for a in args)
    if argnums is None:
        argnums = tuple(i for i, a in enumerate(args) if _is_float_arg(a))
    elif isinstance(argnums, numbers.Integral):
        argnums = (int(argnums),)
    else:
        argnums = tuple(argnums)
    argnums = tuple(i % len(args) for i in argnums)
    for i in argnums:
        if not _is_float_arg(args[i]):
            raise S2sadError(f"check_grads: argument {i} is {type(args[i]).__name__} "
                             f"{args[i]!r}: only floats and floating arrays are checked")
    if not argnums:
        raise S2sadError("check_grads: no float argument to differentiate")
    eps = 1e-3 if eps is None else float(eps)
    rng = np.random.default_rng(seed)
    p = _Problem(f, args, argnums, eps)
    name = _fname(f)

    if p.y.size == 0:
        return  # no floating output (an int, a bool): nothing has a derivative
    full_in = p.n_in() <= _FULL
    if full_in:
        columns = {(i, k): p.fd_column(i, k) for i in argnums for k in range(_size(args[i]))}
        # each column: (d output / d x_ik, its error estimate)
    if "fwd" in modes:
        _check_forward(api, p, name, columns if full_in else None, rng, rtol, atol)
    if "rev" in modes:
        _check_reverse(api, p, name, columns if full_in else None, rng, rtol, atol)
    if "fwd" in modes and "rev" in modes:
        _dot_product_test(api, p, name, rng, rtol, atol)
    if order == 2:
        _check_hvp(api, p, name, rng, rtol, atol)


def _tangents(p, v):
    """Tangents for jvp: v[i] at the positions checked, None elsewhere."""
    out = []
    for i, a in enumerate(p.args):
        if i in v:
            d = v[i]
            out.append(np.asarray(d, dtype=np.float64).reshape(a.shape)
                       if isinstance(a, np.ndarray) else float(np.asarray(d).reshape(-1)[0]))
        else:
            out.append(None)
    return out


def _basis(a, k):
    e = np.zeros(_size(a))
    e[k] = 1.0
    return e


def _random_inputs(p, rng):
    return {i: rng.standard_normal(_size(p.args[i])) for i in p.argnums}


def _jvp(api, p, v):
    out, t = api.jvp(p.f, p.args, _tangents(p, v))
    return _flatten(t, p.leaves)


def _check_forward(api, p, name, columns, rng, rtol, atol):
    def header(i):
        return (f"check_grads: forward mode (jvp) of {name} disagrees with finite differences "
                f"for argument {i} ({p.names[i]})")

    def element(i, k):
        def describe(j):
            wrt = _describe_input(p.names[i], p.args[i], k) if k is not None else \
                f"{p.names[i]} along a random direction"
            return f"d {_describe_output(p.leaves, j)} / d {wrt}"
        return describe

    if columns is not None:
        n_out = p.y.size
        for i in p.argnums:
            n_in = _size(p.args[i])
            got = np.stack([_jvp(api, p, {i: _basis(p.args[i], k)}) for k in range(n_in)], 1)
            expected = np.stack([columns[(i, k)][0] for k in range(n_in)], 1)
            fd_err = np.stack([columns[(i, k)][1] for k in range(n_in)], 1)
            _compare(got, expected, rtol, atol, header(i), _block_element(p, i, n_out, n_in),
                     fd_err)
        return
    for i in p.argnums:
        for _ in range(_DIRECTIONS):
            v = {i: rng.standard_normal(_size(p.args[i]))}
            expected, fd_err = p.fd_direction(v)
            _compare(_jvp(api, p, v), expected, rtol, atol, header(i), element(i, None), fd_err)


def _block_element(p, i, n_out, n_in):
    """Names element j of a flattened (n_out, n_in) Jacobian block of argument i."""
    def describe(j):
        row, k = divmod(j, n_in)
        return (f"d {_describe_output(p.leaves, row)} / d "
                f"{_describe_input(p.names[i], p.args[i], k)}")
    return describe


def _vjp_rows(api, p, name):
    out, fn = api.vjp(p.f, *p.args)

    def apply(w):
        cts = fn(_unflatten(w, p.leaves, p.out))
        res = {}
        for i in p.argnums:
            c = cts[i]
            res[i] = np.zeros(_size(p.args[i])) if c is None else \
                np.asarray(c, dtype=np.float64).reshape(-1)
            if res[i].size != _size(p.args[i]):
                raise AssertionError(
                    f"check_grads: reverse mode (vjp) of {name} gives a cotangent of "
                    f"shape {np.shape(c)} for argument {i} ({p.names[i]}) of shape "
                    f"{np.shape(p.args[i])}")
        return res

    return apply


def _check_reverse(api, p, name, columns, rng, rtol, atol):
    apply = _vjp_rows(api, p, name)
    n_out = p.y.size

    def header(i):
        return (f"check_grads: reverse mode (vjp) of {name} disagrees with finite differences "
                f"for argument {i} ({p.names[i]})")

    def element(i):
        def describe(k):
            return f"(random cotangent w) . d output / d {_describe_input(p.names[i], p.args[i], k)}"
        return describe

    if columns is not None:
        if n_out <= _FULL:
            rows = []
            for j in range(n_out):
                w = np.zeros(n_out)
                w[j] = 1.0
                rows.append(apply(w))
            for i in p.argnums:
                n_in = _size(p.args[i])
                got = np.stack([r[i] for r in rows], 0)
                expected = np.stack([columns[(i, k)][0] for k in range(n_in)], 1)
                fd_err = np.stack([columns[(i, k)][1] for k in range(n_in)], 1)
                _compare(got, expected, rtol, atol, header(i), _block_element(p, i, n_out, n_in),
                         fd_err)
            return
        for _ in range(_DIRECTIONS):
            w = rng.standard_normal(n_out)
            rows = apply(w)
            for i in p.argnums:
                expected = [float(w @ columns[(i, k)][0]) for k in range(_size(p.args[i]))]
                fd_err = [float(np.abs(w) @ columns[(i, k)][1]) for k in range(_size(p.args[i]))]
                _compare(rows[i], expected, rtol * 10, atol * 10, header(i), element(i), fd_err)
        return
    # a large input: compare w . J v with v . J^T w, J v by finite differences
    for _ in range(_DIRECTIONS):
        v = _random_inputs(p, rng)
        w = rng.standard_normal(n_out)
        jv, jv_err = p.fd_direction(v)
        rows = apply(w)
        got = sum(float(rows[i] @ v[i]) for i in p.argnums)
        expected = float(w @ jv)
        scale = float(np.abs(w) @ np.abs(jv))
        _compare([got], [expected], 0.0, atol + rtol * scale + float(np.abs(w) @ jv_err),
                 f"check_grads: reverse mode (vjp) of {name} disagrees with finite "
                 f"differences: <J^T w, v> for random v over arguments {list(p.argnums)} and "
                 "random w over the output")


def _dot_product_test(api, p, name, rng, rtol, atol):
    apply = _vjp_rows(api, p, name)
    for trial in range(_DIRECTIONS):
        v = _random_inputs(p, rng)
        w = rng.standard_normal(p.y.size)
        jv = _jvp(api, p, v)
        jtw = apply(w)
        left = float(w @ jv)
        right = sum(float(jtw[i] @ v[i]) for i in p.argnums)
        scale = float(np.abs(w) @ np.abs(jv)) + sum(float(np.abs(jtw[i]) @ np.abs(v[i]))
                                                    for i in p.argnums)
        tol = atol + rtol * scale
        if not abs(left - right) <= tol:
            raise AssertionError(
                f"check_grads: forward and reverse mode of {name} disagree (dot-product "
                f"test, random v over arguments {list(p.argnums)} and w over the output, "
                f"trial {trial}):\n"
                f"    <J v, w> = {left!r} (forward) but <v, J^T w> = {right!r} (reverse)\n"
                f"    difference {abs(left - right):.3g} > tolerance {tol:.3g} "
                f"(atol={atol:g} + rtol={rtol:g} * {scale:.3g})")


def _check_hvp(api, p, name, rng, rtol, atol):
    if len(p.leaves) != 1 or p.y.size != 1 or isinstance(p.out, (tuple, list)) or \
            isinstance(p.out, np.ndarray) and p.out.ndim:
        raise S2sadError(f"check_grads: order=2 needs a function that returns a scalar; "
                         f"{name} returns {type(p.out).__name__}"
                         + (f" of shape {p.out.shape}" if isinstance(p.out, np.ndarray) else ""))
    nums = p.argnums
    g = api.grad(p.f, nums)

    def gradient(args):
        gs = g(*args)
        return np.concatenate([np.asarray(x, dtype=np.float64).reshape(-1) for x in gs])

    sizes = [_size(p.args[i]) for i in nums]

    def fd_hv(v):
        scale = max([1.0] + [float(np.max(np.abs(p.args[i]))) for i in v])
        h = p.eps * scale

        def at(t):
            a = list(p.args)
            for i, d in v.items():
                a[i] = _with_direction(p.args[i], d, t)
            return gradient(a)

        return _richardson(at, h)

    def hvp(v):
        tangents = [None] * len(p.args)
        for i, d in v.items():
            tangents[i] = _tangents(p, {i: d})[i]
        for i in nums:
            if tangents[i] is None:
                tangents[i] = _tangents(p, {i: np.zeros(_size(p.args[i]))})[i]
        out = api.hvp(p.f, p.args, tangents)
        parts = out if len(nums) > 1 else (out,)
        return np.concatenate([np.asarray(x, dtype=np.float64).reshape(-1) for x in parts])

    def label(j):
        pos = 0
        for i, n in zip(nums, sizes):
            if j < pos + n:
                return _describe_input(p.names[i], p.args[i], j - pos)
            pos += n
        return str(j)

    def header(direction):
        return (f"check_grads: Hessian-vector product (forward over reverse) of {name} "
                f"disagrees with finite differences of the gradient, v = {direction}")

    def element(j):
        return f"d/d {label(j)} of H @ v"

    if sum(sizes) <= _FULL:
        for i in nums:
            for k in range(_size(p.args[i])):
                v = {i: _basis(p.args[i], k)}
                expected, fd_err = fd_hv(v)
                _compare(hvp(v), expected, rtol, atol,
                         header(f"the unit vector of {_describe_input(p.names[i], p.args[i], k)}"),
                         element, fd_err)
    else:
        for _ in range(_DIRECTIONS):
            v = _random_inputs(p, rng)
            expected, fd_err = fd_hv(v)
            _compare(hvp(v), expected, rtol, atol, header("a random direction"), element, fd_err)


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------
_wrappers = {}


def check_rule(fn, *args, modes=None, order=1, eps=None, rtol=1e-5, atol=1e-6, argnums=None,
               seed=0):
    """Check the derivative rule registered for ``fn`` at ``args``.

    A small function ``def check_<name>(a0, a1, ...): return <name>(a0, a1, ...)``
    is generated (:func:`s2sad.from_source`, with ``fn`` bound to a module-level
    name), so the rule is inlined as in any user code, and checked by
    :func:`check_grads` in the modes the rule supports (or ``modes``)."""
    rule = lookup(fn)
    if rule is None:
        raise S2sadError(f"check_rule: no derivative rule is registered for {fn!r}; register "
                         "one with s2sad.defpartials, defjvp or defvjp")
    if rule.nondiff:
        raise S2sadError(f"check_rule: {rule.name} is declared non-differentiable")
    supported = tuple(m for m, ok in (("fwd", rule.has_forward), ("rev", rule.has_reverse))
                      if ok)
    if modes is None:
        modes = supported
    else:
        modes = (modes,) if isinstance(modes, str) else tuple(modes)
        for m in modes:
            if _MODES.get(m) not in supported:
                raise S2sadError(f"check_rule: the rule of {rule.name} has no "
                                 f"{'forward' if _MODES.get(m) == 'fwd' else 'reverse'} form")
    wrapper = _rule_wrapper(fn, rule, len(args))
    try:
        check_grads(wrapper, args, modes=modes, order=order, eps=eps, rtol=rtol, atol=atol,
                    argnums=argnums, seed=seed)
    except AssertionError as e:
        raise AssertionError(f"the rule of {rule.library}.{rule.name}: {e}") from None


def _rule_wrapper(fn, rule, n):
    key = (id(fn), n)
    hit = _wrappers.get(key)
    if hit is not None and hit[0] is fn:
        return hit[1]
    base = rule.name if str(rule.name).isidentifier() else "primitive"
    params = ", ".join(f"a{i}" for i in range(n))
    source = f"def check_{base}({params}):\n    return {base}({params})\n"
    wrapper = from_source(source, globals={base: fn})
    _wrappers[key] = (fn, wrapper)
    return wrapper

