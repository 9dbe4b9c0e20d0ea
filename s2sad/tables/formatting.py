"""How the trace tables write numbers: values rounded as in the seeds' tables,
the program's constants as written."""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["format_value", "format_literal"]


def _format_number(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        v = complex(v)
        sign = "+" if v.imag >= 0 else "-"
        return f"{_format_number(v.real)}{sign}{_format_number(abs(v.imag))}j"
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if abs(v) >= 1e7:
        return f"{v:.4g}"
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    if s in ("0", "-0"):
        return "0" if v == 0 or abs(v) >= 5e-4 else f"{v:.3g}"
    return s


def format_value(v) -> str:
    """A value as the seeds print it: numbers to three decimals."""
    if isinstance(v, (numbers.Number, np.number, np.bool_)):
        return _format_number(v)
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return _format_number(v[()])
        if v.size > 8:
            flat = [_format_number(x) for x in v.ravel()[:3]]
            return f"array{tuple(v.shape)} [{', '.join(flat)}, …]"
        return _nested(v.tolist())
    if isinstance(v, (list, tuple)):
        if len(v) > 8:
            inner = ", ".join(format_value(x) for x in v[:3]) + ", …"
        else:
            inner = ", ".join(format_value(x) for x in v)
        if isinstance(v, tuple):
            return f"({inner}{',' if len(v) == 1 else ''})"
        return f"[{inner}]"
    if isinstance(v, dict):
        s = "{" + ", ".join(f"{k!r}: {format_value(x)}" for k, x in list(v.items())[:8]) + "}"
        return s if len(s) <= 60 else s[:58] + "…}"
    if v is None:
        return "None"
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "…"


def _nested(x):
    if isinstance(x, list):
        return "[" + ", ".join(_nested(i) for i in x) + "]"
    return _format_number(x)


def format_literal(v) -> str:
    """A constant of the program as written in a rule (not rounded like values)."""
    if isinstance(v, (bool, np.bool_)) or v is None:
        return str(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        r = repr(v)
        return r if len(r) <= 8 else f"{v:.4g}"
    if isinstance(v, str):
        return repr(v)
    return format_value(v)
