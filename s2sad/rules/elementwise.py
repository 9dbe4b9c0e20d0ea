"""Elementwise functions declared once, by their partial derivatives.

Each entry gives the parameters and one expression per parameter, in terms of
the arguments and ``ans`` (the result).  Bare function names in the expressions
(``cos``, ``sqrt``...) are read from the library being declared, so the same
line yields ``math.cos(x)`` for ``math.sin`` and ``np.cos(x)`` for ``np.sin``;
``scaled_power``, which no library has, is the runtime helper of that name.
From each declaration come both the forward rule and the reverse rule.
"""
from __future__ import annotations

import itertools
import linecache
import re

from ..runtime import scaled_power
from .registry import defpartials

LN2 = "0.6931471805599453"
LN10 = "2.302585092994046"
TWO_OVER_SQRT_PI = "1.1283791670955126"

# name: (parameters, partial for each parameter)
TABLE = {
    "sin": ("x", "cos(x)"),
    "cos": ("x", "-sin(x)"),
    "tan": ("x", "1 + ans * ans"),
    "asin": ("x", "1 / sqrt(1 - x * x)"),
    "acos": ("x", "-1 / sqrt(1 - x * x)"),
    "atan": ("x", "1 / (1 + x * x)"),
    "sinh": ("x", "cosh(x)"),
    "cosh": ("x", "sinh(x)"),
    "tanh": ("x", "1 - ans * ans"),
    "asinh": ("x", "1 / sqrt(x * x + 1)"),
    "acosh": ("x", "1 / sqrt(x * x - 1)"),
    "atanh": ("x", "1 / (1 - x * x)"),
    "exp": ("x", "ans"),
    "expm1": ("x", "ans + 1"),
    "log1p": ("x", "1 / (1 + x)"),
    "log2": ("x", f"1 / (x * {LN2})"),
    "log10": ("x", f"1 / (x * {LN10})"),
    "sqrt": ("x", "0.5 / ans"),
    "atan2": ("y, x", "x / (x * x + y * y)", "-y / (x * x + y * y)"),
    "hypot": ("x, y", "x / ans", "y / ans"),
    "erf": ("x", f"{TWO_OVER_SQRT_PI} * exp(-x * x)"),
    "erfc": ("x", f"-{TWO_OVER_SQRT_PI} * exp(-x * x)"),
    "degrees": ("x", "57.29577951308232"),
    "radians": ("x", "0.017453292519943295"),
    "fabs": ("x", "copysign(1.0, x)"),
    "copysign": ("x, y", "copysign(1.0, x) * copysign(1.0, y)", "None"),
    # d/dx x ** y = y * x ** (y - 1), 0 for y = 0 even at x = 0 (runtime.scaled_power);
    # d/dy x ** y = x ** y log x, which is 0 at x = 0 (for y > 0, where it exists)
    "pow": ("x, y", "scaled_power(y, x, y - 1)", "ans * log(x + (x == 0))"),
    "fmod": ("x, y", "1.0", "-trunc(x / y)"),
}

_NAMES = re.compile(r"\b([a-z_][a-z0-9_]*)\(")


def declare(module_name: str, module, table, rename=None, library=None):
    """Register partials for ``module.<name>`` for each entry of ``table``.

    ``rename`` maps this module's name of a function to the table's name (numpy
    calls ``asin`` ``arcsin``).
    """
    rename = rename or {}
    reverse = {v: k for k, v in rename.items()}
    for own_name, table_name in [(n, rename.get(n, n)) for n in _names(module, table, rename)]:
        params, *partials = table[table_name]
        body = ", ".join(_qualify(p, module_name, module, reverse) for p in partials)
        args = params + ", ans" if "ans" in body else params
        source = f"def {own_name}_partials({args}):\n    return {body}\n"
        fn = _define(source, own_name + "_partials",
                     {module_name: module, "scaled_power": scaled_power})
        defpartials(getattr(module, own_name), library=library or module_name)(fn)


def _names(module, table, rename):
    reverse = {v: k for k, v in rename.items()}
    out = []
    for table_name in table:
        own = reverse.get(table_name, table_name)
        if hasattr(module, own):
            out.append(own)
    return out


def _qualify(expr, module_name, module, reverse):
    def sub(m):
        name = reverse.get(m.group(1), m.group(1))
        if not hasattr(module, name):
            return m.group(0)
        return f"{module_name}.{name}("
    return _NAMES.sub(sub, expr)


_files = itertools.count()


def _define(source, name, namespace):
    """Run ``source`` (one ``def``) in ``namespace``, kept in :mod:`linecache` so
    that the front end can read the function's source like any other."""
    filename = f"<s2sad-partials-{next(_files)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]
