"""The :mod:`math` module.

The elementwise functions come from the shared table (:mod:`.elementwise`);
``exp2`` and ``cbrt`` (Python 3.11) and ``sumprod`` (3.12) are registered where
the running Python has them.  ``math.hypot`` takes any number of coordinates: a
call with more than two gets the others as one tuple (``hypot(x, y, *rest)``,
see :mod:`s2sad.ad.normalize`).  ``gamma`` and ``lgamma`` differentiate to the
digamma function, which :func:`s2sad.runtime.polygamma` computes with NumPy
alone (its own derivative is the next polygamma, so every order works).
"""
import math

import numpy as np

from ..runtime import polygamma, prod_others, repeat_like
from .elementwise import LN2, TABLE, declare
from .registry import defjvp, defpartials, defvjp, deflinear, nondifferentiable

L = "math"

MATH_ONLY = {
    "exp2": ("x", f"ans * {LN2}"),
    "cbrt": ("x", "1 / (3 * ans * ans)"),
    "remainder": ("x, y", "1.0", "(ans - x) / y"),
}

_table = {k: v for k, v in TABLE.items() if k != "hypot"}
_table.update(MATH_ONLY)
declare("math", math, _table)


@defpartials(math.log, library=L)
def log(x, base=None):
    if base is None:
        return 1 / x
    return 1 / (x * math.log(base)), -math.log(x) / (base * math.log(base) ** 2)


@defpartials(math.gamma, library=L)
def gamma(x, ans):
    return ans * polygamma(0, x)


@defpartials(math.lgamma, library=L)
def lgamma(x):
    return polygamma(0, x)


@defpartials(math.ldexp, library=L)
def ldexp(x, i):
    return math.ldexp(1.0, i), None


@defjvp(math.hypot, library=L)
def hypot(x, y=None, *rest, ans, x_dot, y_dot, rest_dot):
    if y is None:  # hypot(x) is abs(x)
        return x * x_dot / ans
    return (x * x_dot + y * y_dot + np.dot(np.asarray(rest), np.asarray(rest_dot))) / ans


@defvjp(math.hypot, library=L)
def hypot_vjp(x, y=None, *rest, ans, ans_bar):
    if y is None:
        return ans_bar * x / ans, None, ()
    return ans_bar * x / ans, ans_bar * y / ans, tuple(np.asarray(rest) * (ans_bar / ans))


@defjvp(math.dist, library=L)
def dist(p, q, *, ans, p_dot, q_dot):
    return np.dot(np.asarray(p) - np.asarray(q), np.asarray(p_dot) - np.asarray(q_dot)) / ans


@defvjp(math.dist, library=L)
def dist_vjp(p, q, *, ans, ans_bar):
    d = (np.asarray(p) - np.asarray(q)) * (ans_bar / ans)
    return list(d), list(-d)


@defjvp(math.frexp, library=L)
def frexp(x, *, ans, x_dot):
    # x = m 2**e with e locally constant: dm = dx / 2**e
    return math.ldexp(x_dot, -ans[1]), 0


@defvjp(math.frexp, library=L)
def frexp_vjp(x, *, ans, ans_bar):
    return math.ldexp(ans_bar[0], -ans[1])


@defjvp(math.modf, library=L)
def modf(x, *, x_dot):
    # (fractional part, integral part)
    return x_dot, 0.0


@defvjp(math.modf, library=L)
def modf_vjp(x, *, ans_bar):
    return ans_bar[0]


# math.fsum(xs) is linear in xs: its tangent is fsum of the tangents
deflinear(math.fsum, (0,), library=L)


@defvjp(math.fsum, library=L)
def fsum_vjp(seq, *, ans_bar):
    return repeat_like(ans_bar, seq)


@defjvp(math.prod, library=L)
def prod(iterable, start=1, *, ans, iterable_dot, start_dot):
    others = prod_others(np.asarray(iterable), 0)
    return start * np.sum(others * np.asarray(iterable_dot), axis=0) + \
        math.prod(iterable) * start_dot


@defvjp(math.prod, library=L)
def prod_vjp(iterable, start=1, *, ans, ans_bar):
    return list(prod_others(np.asarray(iterable), 0) * (ans_bar * start)), \
        ans_bar * math.prod(iterable)


if hasattr(math, "sumprod"):  # Python 3.12
    @defjvp(math.sumprod, library=L)
    def sumprod_jvp(p, q, *, p_dot, q_dot):
        # bilinear: linear in each argument, not in both at once
        return math.sumprod(p_dot, q) + math.sumprod(p, q_dot)

    @defvjp(math.sumprod, library=L)
    def sumprod_vjp(p, q, *, ans_bar):
        return list(np.asarray(q) * ans_bar), list(np.asarray(p) * ans_bar)


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.factorial, math.gcd, math.isclose, math.comb, math.perm, math.isqrt,
                  library=L)
nondifferentiable(*[getattr(math, n) for n in ("lcm", "nextafter", "ulp") if hasattr(math, n)],
                  library=L)
