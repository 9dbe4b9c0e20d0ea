"""Checking a function's derivatives in both modes.

For a case ``(primitive, expression, makers)``: the function
``f(x, y, ...) = expression`` is built with :func:`s2sad.from_source`, its
arguments are drawn from the makers, and

* forward mode: ``s2sad.jvp`` along a random tangent matches a central finite
  difference, and returns ``f``'s value;
* reverse mode: ``s2sad.vjp`` with a random cotangent ``w`` matches the finite-
  difference gradient of ``<w, f>``, coordinate by coordinate;
* the two agree: ``<J v, w> = <v, J^T w>``.

Outputs may be arrays, floats, or (named) tuples and lists of them (eigh, svd,
split); integer outputs (lstsq's rank) carry no derivative.
"""
import re

import numpy as np

import s2sad

H = 1e-6
RTOL = 1e-5
ATOL = 1e-6
NAMES = "xyzw"


def make_function(expr, nargs, tag):
    params = ", ".join(NAMES[:nargs])
    name = "case_" + re.sub(r"\W+", "_", tag).strip("_")[:60]
    source = f"def {name}({params}):\n    return {expr}\n"
    return s2sad.from_source(source, globals={"np": np})


def case_id(case):
    primitive, expr, makers = case
    shapes = []
    for m in makers:
        shapes.append("x".join(map(str, m.shape)) if getattr(m, "shape", None) else "")
    shape_part = ",".join(s or "s" for s in shapes)
    return f"{expr} [{shape_part}]"


def is_float(x):
    return isinstance(x, (float, np.floating)) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating))


def leaves(x, like=None):
    """The leaves of an output (tuples and lists flattened) where ``like`` (by
    default ``x`` itself) has floating-point leaves."""
    like = x if like is None else like
    if isinstance(like, (tuple, list)):
        out = []
        for v, l in zip(x, like):
            out += leaves(v, l)
        return out
    return [x] if is_float(like) else []


def flat(x, like=None):
    parts = [np.ravel(np.asarray(v, dtype=float)) for v in leaves(x, like)]
    return np.concatenate(parts) if parts else np.zeros(0)


def random_like(x, rng):
    """A random value with the structure of ``x`` (0 for integer leaves)."""
    if isinstance(x, (tuple, list)):
        return tuple(random_like(v, rng) for v in x) if isinstance(x, tuple) else \
            [random_like(v, rng) for v in x]
    if not is_float(x):
        return 0.0 if np.ndim(x) == 0 else np.zeros(np.shape(x))
    if isinstance(x, np.ndarray):
        return rng.normal(size=x.shape)
    return float(rng.normal())


def shift(args, direction, h):
    out = []
    for a, d in zip(args, direction):
        if isinstance(a, np.ndarray):
            out.append(a + h * d)
        else:
            out.append(a + h * float(d))
    return out


def directional_fd(fn, args, direction):
    plus = flat(fn(*shift(args, direction, H)))
    minus = flat(fn(*shift(args, direction, -H)))
    return (plus - minus) / (2 * H)


def close(a, b, rtol=RTOL, atol=ATOL):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol * scale)


def check_case(case, seed=0):
    primitive, expr, makers = case
    rng = np.random.default_rng(seed)
    args = [m(rng) for m in makers]
    fn = make_function(expr, len(args), expr)
    value = fn(*args)

    # forward mode against a central difference along a random tangent
    tangents = [random_like(a, rng) for a in args]
    out, out_dot = s2sad.jvp(fn, tuple(args), tuple(tangents))
    assert close(flat(out), flat(value), 1e-12, 1e-12), f"{expr}: jvp's value differs from f's"
    jv = flat(out_dot, value)
    fd = directional_fd(fn, args, tangents)
    assert close(jv, fd), f"{expr}: forward mode\n jvp = {jv}\n  fd = {fd}"

    # reverse mode against the finite-difference gradient of <w, f>
    w = random_like(value, rng)
    out2, vjp_fn = s2sad.vjp(fn, *args)
    grads = vjp_fn(w)
    assert len(grads) == len(args)
    wf = flat(w, value)
    for i, (a, g) in enumerate(zip(args, grads)):
        assert g is not None, f"{expr}: no adjoint for argument {i}"
        assert np.shape(g) == np.shape(a), \
            f"{expr}: adjoint {i} has shape {np.shape(g)}, the argument {np.shape(a)}"
        expected = np.zeros(np.size(a))
        for k in range(np.size(a)):
            e = [np.zeros(np.shape(b)) if isinstance(b, np.ndarray) else 0.0 for b in args]
            if isinstance(a, np.ndarray):
                e[i] = np.zeros(a.shape)
                e[i].flat[k] = 1.0
            else:
                e[i] = 1.0
            expected[k] = wf @ directional_fd(fn, args, e)
        got = np.ravel(np.asarray(g, dtype=float))
        assert close(got, expected), \
            f"{expr}: reverse mode, argument {i}\n vjp = {got}\n  fd = {expected}"

    # the two modes are transposes of each other
    lhs = float(jv @ wf)
    rhs = sum(float(np.sum(np.asarray(t) * np.asarray(g))) for t, g in zip(tangents, grads))
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9 * max(1.0, abs(lhs))), \
        f"{expr}: <J v, w> = {lhs} but <v, J^T w> = {rhs}"


def uncovered(cases, libraries):
    """Registered rules of ``libraries`` that no case exercises."""
    from s2sad.rules import all_rules
    covered = {id(c[0]) if not isinstance(c[0], str) else c[0] for c in cases}
    out = []
    for rule in all_rules():
        if rule.library not in libraries:
            continue
        key = rule.primitive if isinstance(rule.primitive, str) else id(rule.primitive)
        if key not in covered:
            out.append(f"{rule.library}.{rule.name}")
    return out
