"""Building derivative rules as the seeds write them: the chain rule's terms
summed with their signs, and rule templates simplified (``1 × v̇₋₁`` is ``v̇₋₁``)."""
from __future__ import annotations

import math
from typing import Sequence

from .expr import E, Bin, Lit, Un, is_literal_number, starts_negative

__all__ = ["negate", "add_terms", "forward_term", "reverse_term", "simplify_bin", "simplify_un"]


def _split_sign(e):
    """``(negative, e without its leading minus)`` for products and quotients."""
    if isinstance(e, Un) and e.op == "-":
        neg, rest = _split_sign(e.a)
        return not neg, rest
    if is_literal_number(e) and not isinstance(e.value, complex) and e.value < 0:
        return True, Lit(-e.value)
    if isinstance(e, Bin) and e.op in ("*", "/"):
        neg, rest = _split_sign(e.a)
        if neg:
            return True, Bin(e.op, rest, e.b)
    return False, e


def negate(e):
    """``−e``, cancelling a leading minus of a product or quotient instead."""
    neg, rest = _split_sign(e)
    return rest if neg else Un("-", e)


def add_terms(terms: Sequence[E]) -> E:
    """``t₁ + t₂ − t₃ …`` (a term with a leading minus is subtracted)."""
    acc = None
    for t in terms:
        if acc is None:
            acc = t
        elif starts_negative(t):
            acc = Bin("-", acc, negate(t))
        else:
            acc = Bin("+", acc, t)
    return Lit(0) if acc is None else acc


def forward_term(tangent: E, partial: E) -> E:
    """``tangent × partial`` as the seeds write a tangent rule: ``v̇₁`` for a
    partial 1, ``v̇₋₁ / v₋₁`` for ``1 / v₋₁``, ``5v̇₁`` for a constant 5."""
    neg, p = _split_sign(partial)
    if is_literal_number(p, 1):
        out = tangent
    elif is_literal_number(p):
        out = Bin("*", p, tangent)
    elif isinstance(p, Bin) and p.op == "/" and is_literal_number(p.a, 1):
        out = Bin("/", tangent, p.b)
    else:
        out = Bin("*", tangent, p)
    return Un("-", out) if neg else out


def reverse_term(adjoint: E, partial: E) -> E:
    """``adjoint × partial`` as the seeds write an adjoint rule: ``v̄₅ × 1``,
    ``v̄₅ × (−1)``, ``v̄₃ × cos v₀``, ``v̄₁ / v₋₁``."""
    if isinstance(partial, Bin) and partial.op == "/" and is_literal_number(partial.a, 1):
        return Bin("/", adjoint, partial.b)
    return Bin("*", adjoint, partial)


# -- simplification of rule templates ---------------------------------------
def _fold(op, a, b):
    """Fold literal arithmetic in a rule (``y - 1`` with y = 2 is 1)."""
    if not (is_literal_number(a) and is_literal_number(b)):
        return None
    x, y = a.value, b.value
    try:
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "**":
            r = x ** y
        elif op == "/":
            r = x / y
            if not float(r).is_integer():
                return None
            r = int(r) if isinstance(x, int) and isinstance(y, int) else r
        else:
            return None
    except Exception:
        return None
    if isinstance(r, complex) or not math.isfinite(float(r)):
        return None
    return Lit(r)


def simplify_bin(op, a, b) -> E:
    folded = _fold(op, a, b)
    if folded is not None:
        return folded
    if op == "*":
        if is_literal_number(a, 1):
            return b
        if is_literal_number(b, 1):
            return a
        if is_literal_number(a, -1):
            return negate(b)
        if is_literal_number(b, -1):
            return negate(a)
    elif op == "+":
        if is_literal_number(a, 0):
            return b
        if is_literal_number(b, 0):
            return a
    elif op == "-":
        if is_literal_number(b, 0):
            return a
        if is_literal_number(a, 0):
            return negate(b)
    elif op == "/":
        if is_literal_number(b, 1):
            return a
    elif op == "**":
        if is_literal_number(b, 1):
            return a
        if is_literal_number(b, 0):
            return Lit(1)
    return Bin(op, a, b)


def simplify_un(op, a) -> E:
    if op == "-":
        return negate(a)
    if op == "+":
        return a
    return Un(op, a)
