"""The :mod:`math` module."""
import math

from .elementwise import TABLE, declare
from .registry import defpartials, nondifferentiable

declare("math", math, TABLE)


@defpartials(math.log, library="math")
def log(x, base=None):
    if base is None:
        return 1 / x
    return 1 / (x * math.log(base)), -math.log(x) / (base * math.log(base) ** 2)


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.factorial, math.gcd, math.isclose, math.comb, math.perm, library="math")
