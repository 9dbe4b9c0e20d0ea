"""Evaluation traces: the seeds' tables (Baydin et al. 2018) for the user's own code.

``s2sad.trace(f, *args)`` runs ``f`` by *interpreting* its SSA IR (the same IR
the derivative transforms work on): every primitive that runs becomes one row
``vᵢ = <definition in terms of earlier vⱼ> = <value>``; inputs are numbered
``v₋ₙ₊₁ … v₀``; loops are unrolled (each row knows its iteration) and only the
branch taken appears.  ``copy`` primitives and loop-carried values are not rows:
they name a value that already has one.

In forward mode each row gets its tangent row ``v̇ᵢ = <rule> = <value>``, in
reverse mode the adjoint trace follows, in the order the reverse sweep runs,
with one row per contribution ``v̄ⱼ = v̄ᵢ ∂vᵢ/∂vⱼ`` (``v̄ⱼ = v̄ⱼ + …`` when a
value fans out).  The rules are not a table kept for this module: they come
from the rule registry (:mod:`s2sad.rules`).  A rule declared by its partials
(``sin: cos(x)``) is evaluated *symbolically and numerically at once*: its
lowered template is interpreted with each parameter bound to a pair (symbol,
value), so the printed rule is the registered partial with the arguments'
names substituted, and the printed value is that rule applied to the primal
values.  ``@defjvp`` / ``@defvjp`` rules are read the same way (a branch in a
rule is taken on the values at hand).

The trace object prints as text (``str``), Markdown (``to_markdown``) or LaTeX
(``to_latex``); ``rows`` holds the same rows as data.
"""
from __future__ import annotations

import math
import numbers
import operator
import re
import types
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import S2sadError
from .ad.templates import rule_template
from .ir.nodes import UNDEF, Block, Const, For, Function, Global, If, Prim, Value, While

__all__ = ["trace", "Trace", "Row"]


# ===========================================================================
# Symbolic expressions
# ===========================================================================
class E:
    """A symbolic expression of a trace (rendered as text or LaTeX)."""

    __slots__ = ()

    def __str__(self):
        return render(self)


class Sym(E):
    """``vᵢ`` (``mark``: "" / "dot" / "bar") or a named symbol (``x1``, ``ẋ1``, ``ȳ``)."""

    __slots__ = ("index", "mark", "name")

    def __init__(self, index=None, mark="", name=None):
        self.index = index
        self.mark = mark
        self.name = name


class Lit(E):
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Name(E):
    """A free name of the function (``np.pi``)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


class Bin(E):
    __slots__ = ("op", "a", "b")

    def __init__(self, op, a, b):
        self.op, self.a, self.b = op, a, b


class Un(E):
    __slots__ = ("op", "a")

    def __init__(self, op, a):
        self.op, self.a = op, a


class Call(E):
    """``name(args)``; ``recv`` makes it a method call ``recv.name(args)``."""

    __slots__ = ("name", "args", "kws", "recv")

    def __init__(self, name, args, kws=(), recv=None):
        self.name, self.args, self.kws, self.recv = name, list(args), list(kws), recv


class Index(E):
    __slots__ = ("base", "index")

    def __init__(self, base, index):
        self.base, self.index = base, index


class Slice(E):
    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = parts


class Seq(E):
    """A tuple, list, set or dict display; kind "index" is a bare ``a, b``."""

    __slots__ = ("kind", "items")

    def __init__(self, kind, items):
        self.kind, self.items = kind, list(items)


class Attr(E):
    __slots__ = ("base", "attr")

    def __init__(self, base, attr):
        self.base, self.attr = base, attr


class Partial(E):
    """``∂vᵢ/∂vⱼ``."""

    __slots__ = ("i", "j")

    def __init__(self, i, j):
        self.i, self.j = i, j


class Juxt(E):
    """A product written by juxtaposition: ``v̄₅ ∂v₅/∂v₄``."""

    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = list(parts)


class Fmt(E):
    """Anything else: a format string over rendered parts."""

    __slots__ = ("text", "latex", "parts")

    def __init__(self, text, parts, latex=None):
        self.text, self.parts, self.latex = text, list(parts), latex or text


def _isnum(v) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_))


def _is_lit_num(e, value=None) -> bool:
    if not (isinstance(e, Lit) and _isnum(e.value)):
        return False
    if value is None:
        return True
    try:
        return bool(e.value == value)
    except Exception:  # pragma: no cover
        return False


def _starts_negative(e) -> bool:
    """Whether the rendering begins with a minus sign."""
    if isinstance(e, Un):
        return e.op == "-"
    if isinstance(e, Lit):
        return _isnum(e.value) and not isinstance(e.value, complex) and e.value < 0
    if isinstance(e, Bin) and e.op not in ("or", "and"):
        return _starts_negative(e.a)
    if isinstance(e, Juxt) and e.parts:
        return _starts_negative(e.parts[0])
    return False


def _split_sign(e):
    """``(negative, e without its leading minus)`` for products and quotients."""
    if isinstance(e, Un) and e.op == "-":
        neg, rest = _split_sign(e.a)
        return not neg, rest
    if _is_lit_num(e) and not isinstance(e.value, complex) and e.value < 0:
        return True, Lit(-e.value)
    if isinstance(e, Bin) and e.op in ("*", "/"):
        neg, rest = _split_sign(e.a)
        if neg:
            return True, Bin(e.op, rest, e.b)
    return False, e


def _neg(e):
    neg, rest = _split_sign(e)
    return rest if neg else Un("-", e)


def add_terms(terms: Sequence[E]) -> E:
    """``t₁ + t₂ − t₃ …`` (a term with a leading minus is subtracted)."""
    acc = None
    for t in terms:
        if acc is None:
            acc = t
        elif _starts_negative(t):
            acc = Bin("-", acc, _neg(t))
        else:
            acc = Bin("+", acc, t)
    return Lit(0) if acc is None else acc


def forward_term(tangent: E, partial: E) -> E:
    """``tangent × partial`` as the seeds write a tangent rule: ``v̇₁`` for a
    partial 1, ``v̇₋₁ / v₋₁`` for ``1 / v₋₁``, ``5v̇₁`` for a constant 5."""
    neg, p = _split_sign(partial)
    if _is_lit_num(p, 1):
        out = tangent
    elif _is_lit_num(p):
        out = Bin("*", p, tangent)
    elif isinstance(p, Bin) and p.op == "/" and _is_lit_num(p.a, 1):
        out = Bin("/", tangent, p.b)
    else:
        out = Bin("*", tangent, p)
    return Un("-", out) if neg else out


def reverse_term(adjoint: E, partial: E) -> E:
    """``adjoint × partial`` as the seeds write an adjoint rule: ``v̄₅ × 1``,
    ``v̄₅ × (−1)``, ``v̄₃ × cos v₀``, ``v̄₁ / v₋₁``."""
    if isinstance(partial, Bin) and partial.op == "/" and _is_lit_num(partial.a, 1):
        return Bin("/", adjoint, partial.b)
    return Bin("*", adjoint, partial)


# -- simplification of rule templates ---------------------------------------
def _fold(op, a, b):
    """Fold literal arithmetic in a rule (``y - 1`` with y = 2 is 1)."""
    if not (_is_lit_num(a) and _is_lit_num(b)):
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
        if _is_lit_num(a, 1):
            return b
        if _is_lit_num(b, 1):
            return a
        if _is_lit_num(a, -1):
            return _neg(b)
        if _is_lit_num(b, -1):
            return _neg(a)
    elif op == "+":
        if _is_lit_num(a, 0):
            return b
        if _is_lit_num(b, 0):
            return a
    elif op == "-":
        if _is_lit_num(b, 0):
            return a
        if _is_lit_num(a, 0):
            return _neg(b)
    elif op == "/":
        if _is_lit_num(b, 1):
            return a
    elif op == "**":
        if _is_lit_num(b, 1):
            return a
        if _is_lit_num(b, 0):
            return Lit(1)
    return Bin(op, a, b)


def simplify_un(op, a) -> E:
    if op == "-":
        return _neg(a)
    if op == "+":
        return a
    return Un(op, a)


# -- rendering --------------------------------------------------------------
ATOM, POW, JUX, UNARY, MUL, ADD, CMP, NOT, AND, OR = 100, 40, 35, 30, 20, 10, 5, 4, 3, 2

_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_MARK = {"": "", "dot": "\u0307", "bar": "\u0304"}
_LATEX_MARK = {"": "{}", "dot": "\\dot{{{}}}", "bar": "\\bar{{{}}}"}

_TEXT_BIN = {"+": "+", "-": "−", "*": "×", "/": "/", "//": "//", "%": "mod", "@": "@",
             "<<": "<<", ">>": ">>", "|": "|", "&": "&", "^": "^", "or": "or", "and": "and",
             "<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "==", "!=": "≠", "is": "is",
             "is not": "is not", "in": "in", "not in": "not in"}
_LATEX_BIN = {"+": "+", "-": "-", "*": "\\times", "/": "/", "//": "\\mathbin{//}",
              "%": "\\bmod", "@": "\\mathbin{@}", "<<": "\\ll", ">>": "\\gg",
              "|": "\\mathbin{|}", "&": "\\mathbin{\\&}", "^": "\\oplus", "or": "\\lor",
              "and": "\\land", "<": "<", "<=": "\\le", ">": ">", ">=": "\\ge", "==": "=",
              "!=": "\\ne", "is": "\\mathrel{\\mathrm{is}}",
              "is not": "\\mathrel{\\mathrm{is\\ not}}", "in": "\\in", "not in": "\\notin"}
_PREC = {"+": ADD, "-": ADD, "*": MUL, "/": MUL, "//": MUL, "%": MUL, "@": MUL, "<<": ADD,
         ">>": ADD, "|": CMP + 1, "&": CMP + 1, "^": CMP + 1, "or": OR, "and": AND}
_CMP_OPS = {"<", "<=", ">", ">=", "==", "!=", "is", "is not", "in", "not in"}

# functions written before their argument without parentheses: sin v₀
_ELEMENTARY = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "ln", "log", "log2", "log10",
               "arcsin", "arccos", "arctan", "asin", "acos", "atan", "arcsinh", "arccosh",
               "arctanh", "asinh", "acosh", "atanh", "expm1", "log1p", "erf", "erfc", "sign",
               "cbrt", "exp2", "square"}
_LATEX_FUNCS = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "ln", "log", "arcsin",
                "arccos", "arctan"}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}
_NAMES = {"np.pi": ("π", "\\pi"), "math.pi": ("π", "\\pi"), "np.e": ("e", "e"),
          "math.e": ("e", "e"), "np.inf": ("∞", "\\infty"), "math.inf": ("∞", "\\infty")}


def _latex_escape(s: str) -> str:
    out = []
    for ch in s:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append("\\textbackslash{}")
        elif ch == "~":
            out.append("\\textasciitilde{}")
        elif ch == "^":
            out.append("\\textasciicircum{}")
        else:
            out.append(ch)
    return "".join(out)


def _latex_ident(name: str, mark: str = "") -> str:
    """``x1`` → ``x_{1}``, ``theta`` → ``\\theta``, ``w_in`` → ``w_{in}``; ``mark``
    ("dot" / "bar") goes over the letters, not the subscript."""
    import re
    wrap = _LATEX_MARK[mark].format
    m = re.fullmatch(r"([A-Za-z]+)_?([0-9]+)", name) or \
        re.fullmatch(r"([A-Za-z])_([A-Za-z0-9]+)", name)
    head, sub = (m.group(1), m.group(2)) if m else (name, None)
    if head in _GREEK:
        head = "\\" + head
    elif len(head) > 1:
        head = "\\mathit{" + _latex_escape(head) + "}"
    head = wrap(head)
    if sub is None:
        return head
    sub = sub if sub.isdigit() else "\\mathit{" + sub + "}"
    return f"{head}_{{{sub}}}"


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


class _Renderer:
    def __init__(self, latex=False):
        self.latex = latex

    def __call__(self, e) -> str:
        return self.go(e)[0]

    def go(self, e) -> Tuple[str, int]:
        return getattr(self, "r_" + type(e).__name__)(e)

    def paren(self, s):
        return f"\\left({s}\\right)" if self.latex else f"({s})"

    def at(self, e, need, strict=False, no_neg=False):
        s, p = self.go(e)
        if p < need or (strict and p == need) or (no_neg and _starts_negative(e)):
            return self.paren(s)
        return s

    # -- leaves ---------------------------------------------------------------
    def r_Sym(self, e):
        if e.name is not None:
            if self.latex:
                return _latex_ident(e.name, e.mark), ATOM
            n = e.name
            return n[:1] + _MARK[e.mark] + n[1:], ATOM
        if self.latex:
            return _LATEX_MARK[e.mark].format("v") + f"_{{{e.index}}}", ATOM
        return "v" + _MARK[e.mark] + str(e.index).translate(_SUB), ATOM

    def r_Lit(self, e):
        v = e.value
        if isinstance(v, np.ndarray) or isinstance(v, (list, tuple, dict, range)):
            s = format_value(v)
            return ("\\text{" + _latex_escape(s) + "}" if self.latex else s), ATOM
        s = format_literal(v)
        neg = _isnum(v) and not isinstance(v, complex) and v < 0
        if neg:
            s = ("-" if self.latex else "−") + s.lstrip("-")
        if self.latex and not _isnum(v):
            s = "\\text{" + _latex_escape(s) + "}"
        return s, (UNARY if neg else ATOM)

    def r_Name(self, e):
        if e.text in _NAMES:
            return _NAMES[e.text][1 if self.latex else 0], ATOM
        if self.latex:
            return "\\mathrm{" + _latex_escape(e.text) + "}", ATOM
        return e.text, ATOM

    # -- operators --------------------------------------------------------------
    def r_Un(self, e):
        op = e.op
        if op == "-":
            a = e.a
            if isinstance(a, Bin) and a.op in ("*", "/") and not _starts_negative(a):
                return ("-" if self.latex else "−") + self.go(a)[0], UNARY  # −v̇₂ × sin v₂
            return ("-" if self.latex else "−") + self.at(a, UNARY, no_neg=True), UNARY
        if op == "not":
            return ("\\lnot " if self.latex else "not ") + self.at(e.a, NOT), NOT
        if op == "*":
            return "*" + self.at(e.a, ATOM), ATOM
        return op + self.at(e.a, UNARY, no_neg=True), UNARY

    def r_Bin(self, e):
        op = e.op
        if op == "**":
            return self.power(e)
        if op in _CMP_OPS:
            sym = (_LATEX_BIN if self.latex else _TEXT_BIN)[op]
            return f"{self.at(e.a, CMP, strict=True)} {sym} {self.at(e.b, CMP, strict=True)}", CMP
        if op == "*" and _is_lit_num(e.a) and not _starts_negative(e.a) and \
                self._juxtaposable(e.b) and re.fullmatch(r"[0-9.]+", format_literal(e.a.value)):
            a, _ = self.go(e.a)
            b, _ = self.go(e.b)
            return (f"{a} {b}" if self.latex else f"{a}{b}"), MUL
        prec = _PREC.get(op, MUL)
        sym = (_LATEX_BIN if self.latex else _TEXT_BIN).get(op, op)
        left = self.at(e.a, prec)
        if op in ("+", "*", "or", "and"):
            right = self.at(e.b, prec, no_neg=True)
        else:
            right = self.at(e.b, prec, strict=True, no_neg=True)
        return f"{left} {sym} {right}", prec

    def _juxtaposable(self, b):
        if isinstance(b, Sym):
            return True
        return isinstance(b, Bin) and b.op == "**" and isinstance(b.a, Sym)

    def power(self, e):
        base = self.at(e.a, POW, strict=True, no_neg=True)
        b = e.b
        if self.latex:
            exp, _ = self.go(b)
            return f"{base}^{{{exp}}}", POW
        if isinstance(b, Lit) and isinstance(b.value, (int, np.integer)) and \
                not isinstance(b.value, (bool, np.bool_)) and -99 <= b.value <= 99:
            return base + str(int(b.value)).translate(_SUP), POW
        if isinstance(b, Lit) and isinstance(b.value, float) and b.value.is_integer() and \
                -99 <= b.value <= 99:
            return base + str(int(b.value)).translate(_SUP), POW
        return f"{base}^{self.at(b, ATOM)}", POW

    # -- calls and containers ---------------------------------------------------
    def _args(self, e):
        parts = [self.go(a)[0] for a in e.args]
        for k, v in e.kws:
            parts.append(f"{k}={self.go(v)[0]}")
        return ", ".join(parts)

    def r_Call(self, e):
        name = e.name
        if isinstance(name, E):
            return self.at(name, ATOM) + self.paren(self._args(e)), ATOM
        if e.recv is not None:
            recv = self.at(e.recv, ATOM)
            return f"{recv}.{name}({self._args(e)})", ATOM
        one = len(e.args) == 1 and not e.kws
        if one and name in ("abs", "absolute", "fabs"):
            inner = self.go(e.args[0])[0]
            return (f"\\lvert {inner} \\rvert" if self.latex else f"|{inner}|"), ATOM
        if one and name == "sqrt":
            inner = self.go(e.args[0])[0]
            if self.latex:
                return f"\\sqrt{{{inner}}}", ATOM
            return "√" + self.at(e.args[0], ATOM), JUX
        if self.latex:
            fname = "\\" + name if name in _LATEX_FUNCS else \
                "\\operatorname{" + _latex_escape(name) + "}"
        else:
            fname = name
        if one and name in _ELEMENTARY:
            arg = e.args[0]
            s, p = self.go(arg)
            if p >= ATOM and not _starts_negative(arg) and not isinstance(arg, Call):
                return f"{fname} {s}", JUX
            return fname + self.paren(s), ATOM
        return fname + self.paren(self._args(e)), ATOM

    def r_Index(self, e):
        return f"{self.at(e.base, ATOM)}[{self.go(e.index)[0]}]", ATOM

    def r_Slice(self, e):
        parts = ["" if p is None else self.go(p)[0] for p in e.parts]
        while len(parts) > 2 and parts[-1] == "":
            parts.pop()
        return ":".join(parts), ATOM

    def r_Seq(self, e):
        items = [self.go(i)[0] for i in e.items]
        if e.kind == "dict":
            pairs = [f"{items[k]}: {items[k + 1]}" for k in range(0, len(items) - 1, 2)]
            body = ", ".join(pairs)
            return ("\\{" + body + "\\}" if self.latex else "{" + body + "}"), ATOM
        body = ", ".join(items)
        if e.kind == "index":
            return body, ATOM
        if e.kind == "tuple":
            return self.paren(body + ("," if len(items) == 1 else "")), ATOM
        if e.kind == "set":
            return ("\\{" + body + "\\}" if self.latex else "{" + body + "}"), ATOM
        return f"[{body}]", ATOM

    def r_Attr(self, e):
        if self.latex and e.attr == "T":
            return self.at(e.base, POW, strict=True) + "^{T}", POW
        attr = "\\mathrm{" + _latex_escape(e.attr) + "}" if self.latex else e.attr
        return f"{self.at(e.base, ATOM)}.{attr}", ATOM

    def r_Partial(self, e):
        vi = self.go(Sym(e.i))[0]
        vj = self.go(Sym(e.j))[0]
        if self.latex:
            return f"\\frac{{\\partial {vi}}}{{\\partial {vj}}}", ATOM
        return f"∂{vi}/∂{vj}", ATOM

    def r_Juxt(self, e):
        return " ".join(self.at(p, MUL) for p in e.parts), MUL

    def r_Fmt(self, e):
        parts = [self.go(p)[0] for p in e.parts]
        return (e.latex if self.latex else e.text).format(*parts), ATOM


_TEXT = _Renderer(False)
_LATEX = _Renderer(True)


def render(e: E, latex: bool = False) -> str:
    """The expression as text (Unicode, as in the seeds; NFC: ``ẋ`` is one
    character where Unicode has one) or as LaTeX."""
    if latex:
        return _LATEX(e)
    return unicodedata.normalize("NFC", _TEXT(e))


# ===========================================================================
# Values
# ===========================================================================
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


def _carries(v) -> bool:
    """Whether a value can carry a derivative (floats, float arrays, containers)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(v, np.ndarray):
        return np.issubdtype(v.dtype, np.floating) or np.issubdtype(v.dtype, np.complexfloating)
    return isinstance(v, (list, tuple, dict))


def _ones_like(v):
    if isinstance(v, np.ndarray):
        return np.ones_like(v, dtype=float)
    if isinstance(v, (list, tuple)):
        out = [_ones_like(x) for x in v]
        return tuple(out) if isinstance(v, tuple) else out
    if isinstance(v, dict):
        return {k: _ones_like(x) for k, x in v.items()}
    return 1.0


def _zeros_like(v):
    from .runtime import zeros_like_value
    z = zeros_like_value(v)
    return 0.0 if z is None else z


def _add(a, b):
    from .runtime import add_any
    return add_any(a, b)


# ===========================================================================
# Running one primitive on values
# ===========================================================================
_BIN = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
        "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
        "<<": operator.lshift, ">>": operator.rshift, "|": operator.or_, "&": operator.and_,
        "^": operator.xor}
_CMP = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "==": operator.eq, "!=": operator.ne, "is": operator.is_, "is not": operator.is_not,
        "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}
_UN = {"-": operator.neg, "+": operator.pos, "not": operator.not_, "~": operator.invert}
_ITERATORS = (zip, enumerate, reversed, map, filter)


def _call_args(op: Prim, vals, first):
    kw = op.attrs.get("kw", ())
    star = set(op.attrs.get("star", ()))
    dstar = set(op.attrs.get("dstar", ()))
    n = len(vals) - len(kw)
    pos, kws = [], {}
    for i in range(first, n):
        if i in dstar:
            kws.update(vals[i])
        elif i in star:
            pos.extend(vals[i])
        else:
            pos.append(vals[i])
    for name, v in zip(kw, vals[n:]):
        kws[name] = v
    return pos, kws


def index_value(template, vals):
    """The index object of a subscript from its template and the operand values."""
    kind = template[0]
    if kind == "val":
        return vals[template[1]]
    if kind == "slice":
        return slice(*[None if p is None else vals[p] for p in template[1:]])
    return tuple(index_value(t, vals) for t in template[1])


def index_expr(template, exprs) -> E:
    kind = template[0]
    if kind == "val":
        return exprs[template[1]]
    if kind == "slice":
        return Slice(*[None if p is None else exprs[p] for p in template[1:]])
    return Seq("index", [index_expr(t, exprs) for t in template[1]])


def _writable(x):
    """A copy to write into: the trace never changes the caller's containers, and
    the values it has recorded stay as they were."""
    if isinstance(x, list):
        return list(x)
    if isinstance(x, dict):
        return dict(x)
    if isinstance(x, np.ndarray):
        return x.copy()
    return x


def _fstring(parts, vals):
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        pos, conv, spec = part
        v = vals[pos]
        if conv in (115, "s"):
            v = str(v)
        elif conv in (114, "r"):
            v = repr(v)
        elif conv in (97, "a"):
            v = ascii(v)
        if spec and not isinstance(spec, str):
            spec = _fstring(spec, vals)
        out.append(format(v, spec or ""))
    return "".join(out)


def evaluate_prim(op: Prim, vals):
    """Run one primitive on values, with Python's semantics.  ``unpack`` returns
    the list of its results; a write returns the written (copied) container."""
    k, a = op.kind, op.attrs
    if k == "binop":
        o = a["op"]
        if o == "or":
            return vals[0] or vals[1]
        if o == "and":
            return vals[0] and vals[1]
        return _BIN[o](vals[0], vals[1])  # x += v is computed as x + v
    if k == "unary":
        return _UN[a["op"]](vals[0])
    if k == "compare":
        return _CMP[a["op"]](vals[0], vals[1])
    if k == "call":
        pos, kws = _call_args(op, vals, 1)
        out = vals[0](*pos, **kws)
        # one-shot iterators become lists: a trace reads them by position
        return list(out) if vals[0] in _ITERATORS or isinstance(out, _ITERATORS) else out
    if k == "callmethod":
        pos, kws = _call_args(op, vals, 1)
        if a.get("mutates"):
            obj = _writable(vals[0])
            getattr(obj, a["method"])(*pos, **kws)
            return obj
        return getattr(vals[0], a["method"])(*pos, **kws)
    if k == "getattr":
        return getattr(vals[0], a["attr"])
    if k == "getitem":
        return vals[0][index_value(a["index"], vals)]
    if k in ("setitem", "augsetitem"):
        obj = _writable(vals[0])
        idx = index_value(a["index"], vals)
        obj[idx] = vals[1] if k == "setitem" else _BIN[a["op"]](obj[idx], vals[1])
        return obj
    if k in ("setattr", "augsetattr"):
        obj = vals[0]
        new = vals[1] if k == "setattr" else _BIN[a["op"]](getattr(obj, a["attr"]), vals[1])
        setattr(obj, a["attr"], new)
        return obj
    if k == "build":
        t = a["type"]
        if t == "dict":
            out = {}
            dstar = set(a.get("dstar", ()))
            i = 0
            while i < len(vals):
                if i in dstar:
                    out.update(vals[i])
                    i += 1
                else:
                    out[vals[i]] = vals[i + 1]
                    i += 2
            return out
        star = set(a.get("star", ()))
        items = []
        for i, v in enumerate(vals):
            if i in star:
                items.extend(v)
            else:
                items.append(v)
        return {"tuple": tuple, "list": list, "set": set}[t](items)
    if k == "unpack":
        seq = list(vals[0])
        n = len(op.results)
        star = a.get("star")
        if star is None:
            if len(seq) != n:
                raise ValueError(f"cannot unpack {len(seq)} values into {n} names")
            return seq
        after = n - star - 1
        if len(seq) < n - 1:
            raise ValueError(f"not enough values to unpack (expected at least {n - 1}, "
                             f"got {len(seq)})")
        return seq[:star] + [seq[star:len(seq) - after]] + seq[len(seq) - after:]
    if k == "copy":
        return vals[0]
    if k == "fstring":
        return _fstring(a["parts"], vals)
    if k == "raise":
        if vals:
            raise vals[0]
        raise RuntimeError("No active exception to reraise")
    raise S2sadError(f"the trace interpreter does not know the primitive {k!r}")


def _callee_name(e) -> Any:
    if isinstance(e, Name):
        return e.text.rsplit(".", 1)[-1]
    return e


def symbolic_prim(op: Prim, exprs: List[E], simplify=False) -> E:
    """A primitive's result as an expression of its operands' expressions."""
    k, a = op.kind, op.attrs
    if k == "binop":
        return simplify_bin(a["op"], exprs[0], exprs[1]) if simplify else \
            Bin(a["op"], exprs[0], exprs[1])
    if k == "unary":
        return simplify_un(a["op"], exprs[0]) if simplify else Un(a["op"], exprs[0])
    if k == "compare":
        return Bin(a["op"], exprs[0], exprs[1])
    if k in ("call", "callmethod"):
        kw = a.get("kw", ())
        star = set(a.get("star", ()))
        dstar = set(a.get("dstar", ()))
        n = len(exprs) - len(kw)
        args = []
        for i in range(1, n):
            if i in dstar:
                args.append(Fmt("**{}", [exprs[i]], "\\ast\\ast {}"))
            elif i in star:
                args.append(Un("*", exprs[i]))
            else:
                args.append(exprs[i])
        kws = list(zip(kw, exprs[n:]))
        if k == "callmethod":
            return Call(a["method"], args, kws, recv=exprs[0])
        name = _callee_name(exprs[0])
        if name == "log" and len(args) == 1 and not kws:
            name = "ln"
        return Call(name, args, kws)
    if k == "getattr":
        return Attr(exprs[0], a["attr"])
    if k == "getitem":
        return Index(exprs[0], index_expr(a["index"], exprs))
    if k in ("setitem", "augsetitem"):
        sym = "←" if k == "setitem" else TEXT_AUG.get(a.get("op"), "←")
        lsym = "\\leftarrow" if k == "setitem" else "\\mathrel{" + \
            _latex_escape(a.get("op", "") + "=") + "}"
        return Fmt("{}[{}] " + sym + " {}", [exprs[0], index_expr(a["index"], exprs), exprs[1]],
                   "{}[{}] " + lsym + " {}")
    if k in ("setattr", "augsetattr"):
        return Fmt("{}." + a["attr"] + " ← {}", [exprs[0], exprs[1]],
                   "{}.\\mathrm{" + _latex_escape(a["attr"]) + "} \\leftarrow {}")
    if k == "build":
        star = set(a.get("star", ()))
        items = [Un("*", x) if i in star else x for i, x in enumerate(exprs)]
        return Seq(a["type"], items)
    if k == "copy":
        return exprs[0]
    if k == "fstring":
        return Call("format", exprs)
    return Call(k, exprs)


TEXT_AUG = {o: o + "=" for o in _BIN}


# ===========================================================================
# Rule templates, evaluated on (symbol, value) pairs
# ===========================================================================
class _Err:
    """A value a rule could not compute (an unused partial may fail: ``log x``
    of the exponent's partial in ``x ** 2`` at x < 0)."""

    __slots__ = ("exc",)

    def __init__(self, exc):
        self.exc = exc


class SV:
    """A symbolic value: an expression and its value.  ``zero`` marks a symbolic
    zero tangent/adjoint (vanishes through linear operations)."""

    __slots__ = ("expr", "value", "zero", "parts")

    def __init__(self, expr, value, zero=False, parts=None):
        self.expr, self.value, self.zero, self.parts = expr, value, zero, parts


def _zero_sv(like_value) -> SV:
    return SV(Lit(0), _zeros_like(like_value), zero=True)


def _raise_err(v):
    if isinstance(v, _Err):
        raise v.exc
    return v


class _RuleEval:
    """Interprets a rule template (a lowered rule function) on :class:`SV`\\ s."""

    def __init__(self, env: Dict[Value, SV]):
        self.env = env

    def get(self, a) -> SV:
        if isinstance(a, Value):
            return self.env[a]
        if isinstance(a, Const):
            return SV(Lit(a.value), a.value)
        if isinstance(a, Global):
            return SV(Name(a.name), a.obj)
        return SV(Name("undefined"), _Err(NameError("undefined value in a rule")))

    def run(self, fn: Function) -> List[Optional[SV]]:
        with np.errstate(all="ignore"):
            self.block(fn.body)
        out = self.get(fn.body.yields[0])
        if out.parts is not None:
            return list(out.parts)
        return [out]

    def block(self, block: Block):
        for op in block.ops:
            if isinstance(op, Prim):
                self.prim(op)
            elif isinstance(op, If):
                cond = _raise_err(self.get(op.cond).value)
                branch = op.then if cond else op.orelse
                self.block(branch)
                for r, y in zip(op.results, branch.yields):
                    self.env[r] = self.get(y)
            else:
                raise S2sadError("a derivative rule with a loop cannot be shown in a trace")

    def prim(self, op: Prim):
        args = [self.get(a) for a in op.args]
        k = op.kind
        if k == "build" and op.attrs["type"] in ("tuple", "list") and not op.attrs.get("star"):
            vals = [s.value for s in args]
            bad = next((v for v in vals if isinstance(v, _Err)), None)
            value = bad if bad is not None else \
                (tuple(vals) if op.attrs["type"] == "tuple" else list(vals))
            self.env[op.results[0]] = SV(Seq(op.attrs["type"], [s.expr for s in args]), value,
                                         parts=args)
            return
        if k == "getitem" and args[0].parts is not None and isinstance(op.args[1], Const) and \
                isinstance(op.args[1].value, int) and op.attrs["index"] == ("val", 1):
            self.env[op.results[0]] = args[0].parts[op.args[1].value]
            return
        if k == "copy":
            self.env[op.results[0]] = args[0]
            return
        zero = self.zero_rule(op, args)
        if zero is not None:
            self.env[op.results[0]] = zero
            return
        vals = [s.value for s in args]
        bad = next((v for v in vals if isinstance(v, _Err)), None)
        if bad is not None:
            value = bad
        else:
            try:
                value = evaluate_prim(op, vals)
            except Exception as exc:  # kept: raised only if the rule's result needs it
                value = _Err(exc)
        expr = symbolic_prim(op, [s.expr for s in args], simplify=True)
        if k == "unpack":
            for i, r in enumerate(op.results):
                v = value if isinstance(value, _Err) else value[i]
                self.env[r] = SV(Index(expr, Lit(i)), v)
            return
        if op.results:
            self.env[op.results[0]] = SV(expr, value)

    def zero_rule(self, op, args) -> Optional[SV]:
        """Symbolic zeros through linear operations (as the derivative builder)."""
        if not any(s.zero for s in args):
            return None
        k = op.kind
        if k == "binop":
            o = op.attrs["op"]
            a, b = args
            if o == "+":
                if a.zero and b.zero:
                    return a
                return b if a.zero else a
            if o == "-":
                if b.zero:
                    return a
                return SV(_neg(b.expr), _UN["-"](b.value) if not isinstance(b.value, _Err)
                          else b.value)
            if o in ("*", "@") or (o == "/" and a.zero):
                z = a if a.zero else b
                other = b if a.zero else a
                try:
                    like = evaluate_prim(op, [_zeros_like(s.value) if s.zero else s.value
                                              for s in (a, b)])
                except Exception:
                    like = z.value
                if isinstance(other.value, _Err):
                    like = z.value
                return _zero_sv(like)
            return None
        if k == "unary" and op.attrs["op"] in ("-", "+"):
            return args[0]
        if k == "getitem" and args[0].zero:
            try:
                like = evaluate_prim(op, [s.value for s in args])
            except Exception:
                like = 0.0
            return _zero_sv(like)
        return None


def _bind_rule(rule, which, op, first):
    from .ad.transform import RuleBinding
    try:
        return RuleBinding.bind(rule, which, op, first)
    except TypeError as exc:
        raise S2sadError(f"the call does not match the rule for {rule.name}: {exc}")
    except NotImplementedError:
        raise S2sadError(f"cannot show the derivative of {rule.name} called with *args or "
                         "**kwargs in a trace; pass the arguments one by one")


def _template_env(tmpl: Function, bound, sv_of, extra) -> Dict[Value, SV]:
    env = {}
    for p in tmpl.params:
        name = p.value.hint
        if name in bound:
            env[p.value] = sv_of(bound[name])
        elif name in extra:
            env[p.value] = extra[name]
        elif p.default is not None:
            d = p.default
            env[p.value] = SV(Lit(d.value), d.value) if isinstance(d, Const) else \
                SV(Name(getattr(d, "name", "?")), getattr(d, "obj", None))
        else:
            raise S2sadError(f"a derivative rule has an unbound parameter {name!r}")
    return env


# ===========================================================================
# The interpreter
# ===========================================================================
class _Known:
    """An operand that is no row of the trace: a constant, a free name."""

    __slots__ = ("value", "expr")
    active = False

    def __init__(self, value, expr):
        self.value = value
        self.expr = expr


class _Node:
    """One numbered value vᵢ of the trace."""

    __slots__ = ("index", "kind", "op", "refs", "value", "expr", "context", "active", "how",
                 "extra", "dot", "dot_expr", "chain", "param")

    def __init__(self, index, kind, op, refs, value, expr, context):
        self.index = index
        self.kind = kind  # input | prim | item | unpack
        self.op = op
        self.refs = refs  # operand refs, aligned with op.args (item: [iterable])
        self.value = value
        self.expr = expr
        self.context = context  # tuple of strings: loops, branches, inlined calls
        self.active = False
        self.how = None  # how its derivative is computed (see _Interpreter.classify)
        self.extra = None  # item: the iteration number; unpack: the position; getitem: index
        self.dot = None
        self.dot_expr = None
        self.chain = None
        self.param = None

    @property
    def sym(self):
        return Sym(self.index)


def _sym(ref) -> E:
    return ref.sym if isinstance(ref, _Node) else ref.expr


def _loc_text(loc) -> str:
    return (loc.text or "").strip().rstrip(":").strip() if loc is not None else ""


class _Interpreter:
    """Runs a function's SSA IR on values, numbering every primitive's result."""

    def __init__(self, mode: Optional[str]):
        self.mode = mode  # None (values only), "forward" or "reverse"
        self.nodes: List[_Node] = []
        self.next_index = 1
        self.context: List[str] = []
        self.skip = None
        self.defs: Dict[Value, Prim] = {}

    # -- operands -------------------------------------------------------------
    def ref(self, env, a):
        if isinstance(a, Value):
            try:
                return env[a]
            except KeyError:
                raise S2sadError(f"the trace interpreter reached {a.hint!r} before its "
                                 "definition")
        if isinstance(a, Const):
            return _Known(a.value, Lit(a.value))
        if isinstance(a, Global):
            return _Known(a.obj, Name(a.name))
        if a is UNDEF:
            return _Known(None, Name("undefined"))
        raise TypeError(f"not an operand: {a!r}")

    def add_node(self, kind, op, refs, value, expr, extra=None) -> _Node:
        node = _Node(self.next_index, kind, op, refs, value, expr, tuple(self.context))
        node.extra = extra
        self.next_index += 1
        self.nodes.append(node)
        if self.mode is not None:
            self.classify(node)
            if node.active and self.mode == "forward":
                self.forward(node)
        return node

    # -- running ----------------------------------------------------------------
    def run(self, fn: Function, arg_refs, env=None) -> Any:
        env = {} if env is None else env
        for p, r in zip(fn.params, arg_refs):
            env[p.value] = r
        self._collect_defs(fn.body)
        self.block(fn.body, env)
        ret = fn.body.yields[0]
        if self.skip is not None and self.skip.results and ret is self.skip.results[0]:
            return None
        return self.ref(env, ret)

    def _collect_defs(self, block):
        for op in block.ops:
            if isinstance(op, Prim):
                for r in op.results:
                    self.defs[r] = op
            for b in op.blocks():
                self._collect_defs(b)

    def block(self, block: Block, env):
        for op in block.ops:
            if isinstance(op, Prim):
                self.prim(op, env)
            elif isinstance(op, If):
                self.if_op(op, env)
            elif isinstance(op, For):
                self.for_op(op, env)
            elif isinstance(op, While):
                self.while_op(op, env)
            else:  # pragma: no cover
                raise S2sadError(f"the trace interpreter does not know {type(op).__name__}")

    def if_op(self, op: If, env):
        cond = self.ref(env, op.cond)
        taken = bool(cond.value)
        branch = op.then if taken else op.orelse
        cond_op = self.defs.get(op.cond) if isinstance(op.cond, Value) else None
        loc = cond_op.loc if cond_op is not None and cond_op.loc is not None else op.loc
        text = _loc_text(loc)
        if text.startswith(("if ", "elif ", "while ")):
            label = f"{text} → {'true' if taken else 'false'}"
        else:
            label = f"{text or 'a conditional'} → {'then' if taken else 'else'}"
        self.context.append(label)
        try:
            self.block(branch, env)
        finally:
            self.context.pop()
        for r, y in zip(op.results, branch.yields):
            env[r] = self.ref(env, y)

    def for_op(self, op: For, env):
        it = self.ref(env, op.iter)
        args = [self.ref(env, a) for a in op.inits]
        text = _loc_text(op.loc) or "for"
        iterable = it.value
        indexable = isinstance(iterable, (list, tuple, np.ndarray, range))
        for k, item in enumerate(iterable):
            self.context.append(f"{text} · iteration {k + 1}")
            try:
                for v, r in zip(op.args, args):
                    env[v] = r
                expr = Index(_sym(it), Lit(k)) if indexable else Call("next", [_sym(it)])
                node = self.add_node("item", op, [it], item, expr, extra=k)
                env[op.item] = node
                self.block(op.body, env)
                args = [self.ref(env, y) for y in op.body.yields]
                stop = op.brk is not None and bool(self.ref(env, op.brk).value)
            finally:
                self.context.pop()
            if stop:
                break
        for v, r in zip(op.args, args):
            env[v] = r
        for r, a in zip(op.results, args):
            env[r] = a

    def while_op(self, op: While, env):
        args = [self.ref(env, a) for a in op.inits]
        text = _loc_text(op.loc) or "while"
        k = 0
        while True:
            k += 1
            self.context.append(f"{text} · iteration {k}")
            try:
                for v, r in zip(op.args, args):
                    env[v] = r
                self.block(op.cond, env)
                go = bool(self.ref(env, op.cond.yields[0]).value)
                if go:
                    self.block(op.body, env)
                    args = [self.ref(env, y) for y in op.body.yields]
                    stop = op.brk is not None and bool(self.ref(env, op.brk).value)
            finally:
                self.context.pop()
            if not go or stop:
                break
        for v, r in zip(op.args, args):
            env[v] = r
        for r, a in zip(op.results, args):
            env[r] = a

    def prim(self, op: Prim, env):
        if op is self.skip:
            return
        refs = [self.ref(env, a) for a in op.args]
        if op.kind == "copy":
            env[op.results[0]] = refs[0]
            return
        if op.kind in ("call", "callmethod") and self.inline(op, refs, env):
            return
        vals = [r.value for r in refs]
        value = evaluate_prim(op, vals)
        exprs = [_sym(r) for r in refs]
        if op.kind == "unpack":
            star = op.attrs.get("star")
            n = len(op.results)
            for i, r in enumerate(op.results):
                if star is not None and i == star:
                    after = n - star - 1
                    idx = Slice(Lit(star), Lit(-after) if after else None)
                else:
                    pos = i if star is None or i < star else i - n
                    idx = Lit(pos)
                node = self.add_node("unpack", op, refs, value[i], Index(exprs[0], idx),
                                     extra=i)
                env[r] = node
            return
        if not op.results:
            return
        extra = index_value(op.attrs["index"], vals) if op.kind in ("getitem", "setitem") \
            else None
        node = self.add_node("prim", op, refs, value, symbolic_prim(op, exprs), extra=extra)
        env[op.results[0]] = node

    def inline(self, op: Prim, refs, env) -> bool:
        """A call to one of the user's functions: its primitives join the trace
        (as the derivative transforms differentiate through it)."""
        from .ad.calls import positional_operands, user_function
        from .rules import registry
        if op.kind != "call":
            return False
        f = user_function(op)
        if f is None or hasattr(f, "__s2sad_specialize__") or registry.lookup(f) is not None:
            return False
        found = positional_operands(f, op)
        if found is None:
            return False
        target, operands = found
        try:
            fn = _ir_of(target)[0]
        except S2sadError:
            if any(isinstance(r, _Node) and r.active for r in refs):
                raise
            return False
        by_id = {id(a): r for a, r in zip(op.args, refs)}
        args = [by_id.get(id(a)) or self.ref(env, a) for a in operands]
        line = f" (line {op.loc.lineno})" if op.loc is not None else ""
        self.context.append(f"in {getattr(target, '__name__', 'f')}(){line}")
        try:
            saved = self.defs
            self.defs = {}
            result = self.run(fn, args)
        finally:
            self.defs = saved
            self.context.pop()
        env[op.results[0]] = result
        return True

    # -- which rule -------------------------------------------------------------
    def classify(self, node: _Node):
        """Decide whether ``node`` carries a derivative, and by which rule:
        ``node.how`` is ("struct", what) or ("rule", rule)."""
        if not any(isinstance(r, _Node) and r.active for r in node.refs):
            return
        op = node.op
        if node.kind == "item":
            if _carries(node.value):
                node.how = ("struct", "item")
                node.active = True
            return
        if node.kind == "unpack":
            if _carries(node.value):
                node.how = ("struct", "unpack")
                node.active = True
            return
        k = op.kind
        struct = None
        if k == "getitem":
            struct = "getitem"
        elif k == "build":
            if op.attrs.get("star") or op.attrs.get("dstar"):
                self.unsupported(node, "a starred item in a container display")
            struct = "build"
        elif k == "getattr":
            if op.attrs["attr"] in ("T", "real", "imag"):
                struct = "attr"
            elif _carries(node.value):
                self.unsupported(node, f"the attribute read '.{op.attrs['attr']}'")
        elif k == "binop" and op.attrs["op"] in ("or", "and"):
            struct = "choose"
        elif k == "setitem":
            struct = "setitem"
        elif k == "callmethod" and op.attrs.get("mutates") and op.attrs["method"] == "append":
            struct = "append"
        elif k == "call" and isinstance(op.args[0], Global) and \
                op.args[0].obj in (zip, enumerate, reversed):
            struct = op.args[0].obj.__name__
        elif k == "compare":
            return
        if struct is not None:
            if _carries(node.value) or struct in ("zip", "enumerate", "reversed"):
                node.how = ("struct", struct)
                node.active = True
            return
        if k in ("augsetitem", "setattr", "augsetattr") or \
                (k == "callmethod" and op.attrs.get("mutates")):
            self.unsupported(node, "this change of a container in place")
        from .ad.transform import primitive_key
        from .rules import registry
        key, first = primitive_key(op)
        rule = registry.lookup(key) if key is not None else None
        if rule is None:
            if _carries(node.value):
                raise self.error(node, "no derivative rule for "
                                 f"{render(_callee(node))}",
                                 "register one with s2sad.defpartials / s2sad.defjvp / "
                                 "s2sad.defvjp")
            return
        if rule.nondiff or not _carries(node.value):
            return
        if self.mode == "forward" and rule.partials is None and rule.jvp is None and \
                rule.linear is None:
            raise self.error(node, f"{rule.name} has no forward rule")
        if self.mode == "reverse" and rule.partials is None and rule.vjp is None:
            raise self.error(node, f"{rule.name} has no reverse rule")
        node.how = ("rule", rule, first)
        node.active = True

    def error(self, node, message, hint=None):
        loc = node.op.loc if node.op is not None else None
        where = f"{loc.filename}:{loc.lineno}: " if loc is not None else ""
        text = f"s2sad.trace: {where}{message}"
        if loc is not None and loc.text:
            text += f"\n    {loc.text}"
        if hint:
            text += "\n" + hint
        return S2sadError(text)

    def unsupported(self, node, what):
        raise self.error(node, f"cannot show the derivative through {what} in a trace")

    # -- forward mode -------------------------------------------------------------
    def tangent_sv(self, ref) -> SV:
        if isinstance(ref, _Node) and ref.active:
            return SV(Sym(ref.index, "dot"), ref.dot)
        return _zero_sv(ref.value)

    def primal_sv(self, ref) -> SV:
        return SV(_sym(ref), ref.value)

    def forward(self, node: _Node):
        how = node.how
        if how[0] == "struct":
            expr, value = self.forward_struct(node, how[1])
            node.dot_expr, node.dot = expr, value
            return
        rule, first = how[1], how[2]
        op = node.op
        by_id, sv_of = _operand_svs(self, op, node.refs)

        if rule.partials is not None:
            bound, partials = _partials_at(rule, op, first, sv_of, node)
            terms, chain, value = [], [], None
            for (name, operand), p in zip(bound.items(), partials):
                ref = by_id.get(id(operand)) if isinstance(operand, Value) else None
                if not (isinstance(ref, _Node) and ref.active) or p is None:
                    continue
                if isinstance(p.expr, Lit) and p.expr.value is None:
                    continue
                pv = _raise_err(p.value)
                t = Sym(ref.index, "dot")
                terms.append(forward_term(t, p.expr))
                chain.append(Juxt([Partial(node.index, ref.index), t]))
                contribution = ref.dot * pv
                value = contribution if value is None else value + contribution
            node.dot_expr = add_terms(terms)
            node.chain = add_terms(chain)
            node.dot = _zeros_like(node.value) if value is None else _fit(value, node.value)
            return
        if rule.jvp is None:  # linear in rule.linear: f applied to the tangents
            terms, value = [], None
            vals = [r.value for r in node.refs]
            exprs = [_sym(r) for r in node.refs]
            for pos in rule.linear:
                k = first + pos
                if k >= len(op.args) or k in op.attrs.get("star", ()):
                    continue
                ref = node.refs[k]
                if not (isinstance(ref, _Node) and ref.active):
                    continue
                tv, te = list(vals), list(exprs)
                tv[k], te[k] = ref.dot, Sym(ref.index, "dot")
                part = evaluate_prim(op, tv)
                terms.append(symbolic_prim(op, te))
                value = part if value is None else value + part
            node.dot_expr = add_terms(terms)
            node.dot = _zeros_like(node.value) if value is None else value
            return
        bound = _bind_rule(rule, "jvp", op, first)
        extra = {"ans": SV(node.sym, node.value)}
        for name, operand in bound.items():
            ref = by_id.get(id(operand)) if isinstance(operand, (Value, Const, Global)) else None
            extra[name + "_dot"] = self.tangent_sv(ref) if ref is not None else _zero_sv(operand)
        tmpl = rule_template(rule, "jvp")
        env = _template_env(tmpl, bound, sv_of, extra)
        out = _RuleEval(env).run(tmpl)
        res = out[0] if len(out) == 1 else SV(Seq("tuple", [s.expr for s in out]),
                                             tuple(s.value for s in out))
        node.dot_expr = res.expr
        node.dot = _raise_err(res.value)

    def forward_struct(self, node, what):
        refs = node.refs
        op = node.op
        t = [self.tangent_sv(r) for r in refs]
        if what == "item":
            td = t[0]
            return Index(td.expr, Lit(node.extra)), _item_at(td.value, node.extra)
        if what == "unpack":
            td = t[0]
            seq = evaluate_prim(op, [td.value])
            return Index(td.expr, _sym_index(node)), seq[node.extra]
        if what == "getitem":
            exprs = [t[0].expr] + [_sym(r) for r in refs[1:]]
            return Index(t[0].expr, index_expr(op.attrs["index"], exprs)), \
                t[0].value[node.extra]
        if what == "build":
            kind = op.attrs["type"]
            if kind == "dict":
                items, vals = [], {}
                for i in range(0, len(refs), 2):
                    items += [_sym(refs[i]), t[i + 1].expr]
                    vals[refs[i].value] = t[i + 1].value
                return Seq("dict", items), vals
            vals = [s.value for s in t]
            return Seq(kind, [s.expr for s in t]), (tuple(vals) if kind == "tuple" else
                                                    list(vals) if kind == "list" else vals)
        if what == "attr":
            return Attr(t[0].expr, op.attrs["attr"]), getattr(t[0].value, op.attrs["attr"])
        if what == "choose":
            chosen = 0 if node.value is refs[0].value else 1
            return t[chosen].expr, t[chosen].value
        if what == "setitem":
            obj = _writable(t[0].value)
            obj[node.extra] = t[1].value
            exprs = [t[0].expr, t[1].expr] + [_sym(r) for r in refs[2:]]
            return symbolic_prim(op, exprs), obj
        if what == "append":
            obj = list(t[0].value) + [t[1].value]
            return Fmt("{} + [{}]", [t[0].expr, t[1].expr]), obj
        if what in ("zip", "enumerate", "reversed"):
            args = t[1:]
            if what == "enumerate":
                start = refs[2].value if len(refs) > 2 else 0
                value = list(enumerate(args[0].value, start))
                return Call("enumerate", [args[0].expr] + [_sym(r) for r in refs[2:]]), value
            fn = zip if what == "zip" else reversed
            return Call(what, [s.expr for s in args]), list(fn(*[s.value for s in args]))
        raise AssertionError(what)  # pragma: no cover


def _operand_svs(interp, op, refs):
    """The trace node behind each operand, and a function giving an operand's
    (symbol, value) pair."""
    by_id = {id(a): r for a, r in zip(op.args, refs)}

    def sv_of(a):
        if isinstance(a, (Value, Const, Global)) and id(a) in by_id:
            return interp.primal_sv(by_id[id(a)])
        return SV(Lit(a), a)

    return by_id, sv_of


def _partials_at(rule, op, first, sv_of, node):
    """The rule's declared partials evaluated on (symbol, value) pairs."""
    bound = _bind_rule(rule, "partials", op, first)
    tmpl = rule_template(rule, "partials")
    env = _template_env(tmpl, bound, sv_of, {"ans": SV(node.sym, node.value)})
    return bound, _RuleEval(env).run(tmpl)


def _sym_index(node):
    op = node.op
    star = op.attrs.get("star")
    n = len(op.results)
    i = node.extra
    if star is not None and i == star:
        after = n - star - 1
        return Slice(Lit(star), Lit(-after) if after else None)
    return Lit(i if star is None or i < star else i - n)


def _item_at(container, k):
    if isinstance(container, (list, tuple, np.ndarray)):
        return container[k]
    return list(container)[k]


def _fit(value, like):
    """A tangent computed by broadcasting, with the primal's shape."""
    if isinstance(like, np.ndarray) and np.shape(value) != like.shape:
        return np.broadcast_to(value, like.shape).copy()
    return value


def _callee(node) -> E:
    op = node.op
    if op.kind == "call":
        return _sym(node.refs[0])
    if op.kind == "callmethod":
        return Name("." + op.attrs["method"] + "()")
    if op.kind in ("binop", "unary"):
        return Name(f"the operator {op.attrs['op']}")
    return Name(op.kind)


def _ir_of(f):
    """``(verified SSA IR, name)`` of a function or of a function read from a file."""
    from .compiler import lowered
    from .frontend.source import FileFunction
    fn = lowered(f)
    return fn, (f.name if isinstance(f, FileFunction) else fn.name)


# ===========================================================================
# Reverse sweep
# ===========================================================================
@dataclass
class _Contribution:
    target: _Node
    expr: E  # the term added to the target's adjoint
    value: Any
    chain: Optional[E] = None  # v̄ᵢ ∂vᵢ/∂vⱼ
    sub: Any = None  # an index of the target's value (container adjoints)
    sub_expr: Optional[E] = None


def _reverse_contributions(interp: _Interpreter, node: _Node, g) -> List[_Contribution]:
    how = node.how
    bar = Sym(node.index, "bar")
    out: List[_Contribution] = []
    refs = node.refs
    op = node.op

    def live(r):
        return isinstance(r, _Node) and r.active

    if how[0] == "struct":
        what = how[1]
        if what in ("item", "unpack"):
            if live(refs[0]):
                idx = _sym_index(node) if what == "unpack" else Lit(node.extra)
                sub = node.extra if what == "item" else _unpack_index(node)
                out.append(_Contribution(refs[0], bar, g, sub=sub, sub_expr=idx))
        elif what == "getitem":
            if live(refs[0]):
                exprs = [_sym(r) for r in refs]
                out.append(_Contribution(refs[0], bar, g, sub=node.extra,
                                         sub_expr=index_expr(op.attrs["index"], exprs)))
        elif what == "build":
            kind = op.attrs["type"]
            if kind == "dict":
                for i in range(0, len(refs), 2):
                    if live(refs[i + 1]):
                        key = refs[i].value
                        out.append(_Contribution(refs[i + 1], Index(bar, _sym(refs[i])),
                                                 _zeros_like(refs[i + 1].value) if g is None
                                                 else g.get(key, 0.0)))
            else:
                for i, r in enumerate(refs):
                    if live(r):
                        out.append(_Contribution(r, Index(bar, Lit(i)), g[i]))
        elif what == "attr":
            attr = op.attrs["attr"]
            if live(refs[0]):
                if attr == "T":
                    out.append(_Contribution(refs[0], Attr(bar, "T"), np.transpose(g)))
                elif attr == "real":
                    out.append(_Contribution(refs[0], Attr(bar, "real"), g))
                else:
                    interp.unsupported(node, "'.imag'")
        elif what == "choose":
            chosen = 0 if node.value is refs[0].value else 1
            if live(refs[chosen]):
                out.append(_Contribution(refs[chosen], bar, g))
        elif what == "setitem":
            exprs = [_sym(r) for r in refs]
            idx = index_expr(op.attrs["index"], exprs)
            if live(refs[1]):
                out.append(_Contribution(refs[1], Index(bar, idx), _item(g, node.extra)))
            if live(refs[0]):
                rest = _writable(g)
                rest[node.extra] = _zeros_like(_item(g, node.extra))
                out.append(_Contribution(refs[0], Fmt("{}[{}] ← 0", [bar, idx],
                                                       "{}[{}] \\leftarrow 0"), rest))
        elif what == "append":
            if live(refs[1]):
                out.append(_Contribution(refs[1], Index(bar, Lit(-1)), g[-1]))
            if live(refs[0]):
                out.append(_Contribution(refs[0], Index(bar, Slice(None, Lit(-1))), list(g[:-1])))
        elif what == "zip":
            for i, r in enumerate(refs[1:]):
                if live(r):
                    out.append(_Contribution(r, Fmt("[t[" + str(i) + "] for t in {}]", [bar]),
                                             [t[i] for t in g]))
        elif what == "enumerate":
            if live(refs[1]):
                out.append(_Contribution(refs[1], Fmt("[t[1] for t in {}]", [bar]),
                                         [t[1] for t in g]))
        elif what == "reversed":
            if live(refs[1]):
                rev = list(reversed(g))
                if isinstance(refs[1].value, np.ndarray):
                    rev = np.array(rev)
                out.append(_Contribution(refs[1], Call("reversed", [bar]), rev))
        return out
    rule, first = how[1], how[2]
    by_id, sv_of = _operand_svs(interp, op, refs)

    from .runtime import unbroadcast
    if rule.partials is not None:
        bound, partials = _partials_at(rule, op, first, sv_of, node)
        for (name, operand), p in zip(bound.items(), partials):
            ref = by_id.get(id(operand)) if isinstance(operand, Value) else None
            if not live(ref) or p is None or (isinstance(p.expr, Lit) and p.expr.value is None):
                continue
            pv = _raise_err(p.value)
            value = unbroadcast(g * pv, ref.value)
            out.append(_Contribution(ref, reverse_term(bar, p.expr), value,
                                     chain=Juxt([bar, Partial(node.index, ref.index)])))
        return out
    bound = _bind_rule(rule, "vjp", op, first)
    tmpl = rule_template(rule, "vjp")
    env = _template_env(tmpl, bound, sv_of, {"ans": SV(node.sym, node.value),
                                             "ans_bar": SV(bar, g)})
    results = _RuleEval(env).run(tmpl)
    for (name, operand), c in zip(bound.items(), results):
        ref = by_id.get(id(operand)) if isinstance(operand, Value) else None
        if not live(ref) or c is None or c.zero or \
                (isinstance(c.expr, Lit) and c.expr.value is None):
            continue
        if _is_lit_num(c.expr, 0):  # max's vjp: 0.0 for the argument not taken
            continue
        out.append(_Contribution(ref, c.expr, _raise_err(c.value),
                                 chain=Juxt([bar, Partial(node.index, ref.index)])))
    return out


def _item(g, idx):
    return g[idx]


def _unpack_index(node):
    op = node.op
    star = op.attrs.get("star")
    n = len(op.results)
    i = node.extra
    if star is not None and i == star:
        after = n - star - 1
        return slice(star, -after if after else None)
    return i if star is None or i < star else i - n


# ===========================================================================
# Rows and the trace object
# ===========================================================================
@dataclass
class Row:
    """One line of a trace.

    ``section`` is "input", "primal" or "output" for the evaluation trace (in
    forward mode these rows also hold their tangent), "seed", "adjoint" or
    "gradient" for the reverse adjoint trace.  ``definition`` is the right-hand
    side (``ln v₋₁``), ``derivative`` the tangent or adjoint rule (``v̇₋₁ / v₋₁``,
    ``v̄₋₁ + v̄₁ / v₋₁``), ``chain`` the chain-rule form (``v̄₋₁ + v̄₁ ∂v₁/∂v₋₁``);
    ``context`` says in which loop iteration / branch / call the row ran.
    """

    section: str
    index: Optional[int]
    name: str
    definition: Optional[str] = None
    value: Any = None
    derivative_name: Optional[str] = None
    derivative: Optional[str] = None
    derivative_value: Any = None
    chain: Optional[str] = None
    context: str = ""
    accumulate: bool = False
    exprs: Dict[str, E] = field(default_factory=dict, repr=False, compare=False)

    @property
    def value_text(self) -> str:
        return "" if self.definition is None else format_value(self.value)

    @property
    def derivative_value_text(self) -> str:
        return "" if self.derivative is None else format_value(self.derivative_value)

    def as_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in
                ("section", "index", "name", "definition", "value", "derivative_name",
                 "derivative", "derivative_value", "chain", "context", "accumulate")}

    def latex(self, what: str) -> str:
        e = self.exprs.get(what)
        return "" if e is None else render(e, latex=True)


_PRIMAL_SECTIONS = ("input", "primal", "output")
_ADJOINT_SECTIONS = ("seed", "adjoint", "gradient")


class Trace:
    """The evaluation trace of one call, as in the seeds' tables.

    ``str(trace)`` (or :meth:`to_text`), :meth:`to_markdown` and :meth:`to_latex`
    print it; :attr:`rows` holds the rows (:class:`Row`), :attr:`value` the
    function's result and :attr:`derivative` the derivative the trace computes
    (forward: the output tangent, like ``s2sad.jvp``; reverse: the adjoints of
    the inputs, like ``s2sad.grad`` with those argnums).  With ``max_rows``,
    :attr:`cut` counts the rows left out.
    """

    def __init__(self, name, mode, params, args, rows, value, derivative, cut, max_rows,
                 seeds_text, cut_after):
        self.function = name
        self.mode = mode
        self.params = params
        self.args = args
        self.rows: List[Row] = rows
        self.value = value
        self.derivative = derivative
        self.cut = cut
        self.max_rows = max_rows
        self._seeds_text = seeds_text
        self._cut_after = cut_after  # section -> (row position, count)

    # -- access -------------------------------------------------------------
    @property
    def primal_rows(self) -> List[Row]:
        return [r for r in self.rows if r.section in _PRIMAL_SECTIONS]

    @property
    def adjoint_rows(self) -> List[Row]:
        return [r for r in self.rows if r.section in _ADJOINT_SECTIONS]

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __repr__(self):
        return (f"<s2sad.Trace of {self.function} ({self.mode} mode): "
                f"{len(self.rows)} rows{f', {self.cut} cut' if self.cut else ''}>")

    def __str__(self):
        return self.to_text()

    def _repr_markdown_(self):  # Jupyter
        return self.to_markdown()

    def title(self) -> str:
        at = ", ".join(f"{p} = {format_value(a)}" for p, a in zip(self.params, self.args))
        return f"{self.function}({at}), {self.mode} mode{self._seeds_text}"

    # -- text ---------------------------------------------------------------
    def _lines(self, rows, make_cells, section_of):
        """Rows as cell lists, with context headers, separators and cut marks."""
        out = []
        context = ""
        prev_section = None
        for pos, r in enumerate(rows):
            sec = section_of(r)
            if prev_section is not None and sec != prev_section:
                out.append(("rule", None))
            prev_section = sec
            if r.context != context:
                if r.context:
                    out.append(("context", r.context))
                elif r.section not in ("output", "gradient"):
                    out.append(("context", _outside(context)))
                context = r.context
            out.append(("cells", make_cells(r)))
            mark = self._cut_after.get(id(r))
            if mark:
                out.append(("cut", mark))
        return out

    def _cut_text(self, n):
        return f"⋮ {n} more row{'s' if n != 1 else ''} cut (max_rows={self.max_rows})"

    def to_text(self) -> str:
        lines = [self.title(), ""]
        if self.mode == "forward":
            rows = self.primal_rows

            def cells(r):
                left = [r.name, "= " + (r.definition or ""), "= " + r.value_text]
                if r.derivative is None:
                    return left + ["", "", ""]
                return left + [r.derivative_name, "= " + r.derivative,
                               "= " + r.derivative_value_text]

            body = self._lines(rows, cells, lambda r: r.section)
            lines += _table(body, header=("Forward primal trace", "Forward tangent trace"),
                            split=3, cut_text=self._cut_text)
        else:
            body = self._lines(self.primal_rows,
                               lambda r: [r.name, "= " + (r.definition or ""),
                                          "= " + r.value_text], lambda r: r.section)
            lines += _table(body, header=("Forward evaluation trace",), split=None,
                            cut_text=self._cut_text)
            lines.append("")

            def acells(r):
                chain = "= " + r.chain if r.chain else ""
                return [r.name, chain, "= " + r.derivative, "= " + r.derivative_value_text]

            body = self._lines(self.adjoint_rows, acells, lambda r: r.section)
            lines += _table(body, header=("Reverse adjoint trace (in the order it runs)",),
                            split=None, cut_text=self._cut_text)
        return "\n".join(line.rstrip() for line in lines) + "\n"

    # -- markdown -----------------------------------------------------------
    def to_markdown(self) -> str:
        def esc(s):
            return (s or "").replace("|", "\\|")

        out = [f"**{esc(self.title())}**", ""]

        def table(header, rows, cells):
            n = len(header)
            res = ["| " + " | ".join(header) + " |", "|" + "---|" * n]
            context = ""
            for r in rows:
                if r.context != context:
                    label = r.context or (_outside(context) if r.section not in
                                          ("output", "gradient") else "")
                    context = r.context
                    if label:
                        res.append("| *" + esc(label) + "* |" + " |" * (n - 1))
                res.append("| " + " | ".join(esc(c) for c in cells(r)) + " |")
                mark = self._cut_after.get(id(r))
                if mark:
                    res.append("| ⋮ | " + esc(self._cut_text(mark)) + " |" + " |" * (n - 2))
            return res

        if self.mode == "forward":
            out += table(["vᵢ", "definition", "value", "v̇ᵢ", "tangent rule", "tangent"],
                         self.primal_rows,
                         lambda r: [r.name, r.definition, r.value_text, r.derivative_name or "",
                                    r.derivative or "", r.derivative_value_text])
        else:
            out += table(["vᵢ", "definition", "value"], self.primal_rows,
                         lambda r: [r.name, r.definition, r.value_text])
            out.append("")
            out += table(["v̄ᵢ", "chain rule", "adjoint rule", "adjoint"], self.adjoint_rows,
                         lambda r: [r.name, r.chain or "", r.derivative, r.derivative_value_text])
        return "\n".join(out) + "\n"

    # -- LaTeX --------------------------------------------------------------
    def to_latex(self) -> str:
        def val(r, which):
            s = r.value_text if which == "value" else r.derivative_value_text
            if not s:
                return ""
            if any(c.isalpha() for c in s.replace("e", "").replace("inf", "").replace(
                    "nan", "")) or "…" in s:
                return "= \\text{" + _latex_escape(s) + "}"
            return "= " + s.replace("…", "\\ldots")

        def rows_of(rows, ncols, cells):
            res = []
            context = ""
            prev = None
            for r in rows:
                sec = r.section
                if prev is not None and sec != prev:
                    res.append("\\hline")
                prev = sec
                if r.context != context:
                    label = r.context or (_outside(context) if r.section not in
                                          ("output", "gradient") else "")
                    context = r.context
                    if label:
                        res.append(f"\\multicolumn{{{ncols}}}{{l}}{{\\text{{\\footnotesize "
                                   f"{_latex_escape(label)}}}}} \\\\")
                res.append(" & ".join(cells(r)) + " \\\\")
                mark = self._cut_after.get(id(r))
                if mark:
                    res.append(f"\\multicolumn{{{ncols}}}{{l}}{{\\vdots\\ \\text{{"
                               f"{_latex_escape(self._cut_text(mark)[2:])}}}}} \\\\")
            return res

        out = [f"% {self.title()}"]
        if self.mode == "forward":
            out += ["\\[", "\\begin{array}{rll|rll}",
                    "\\multicolumn{3}{c|}{\\text{Forward primal trace}} & "
                    "\\multicolumn{3}{c}{\\text{Forward tangent trace}} \\\\", "\\hline"]

            def cells(r):
                left = [r.latex("name"), "= " + r.latex("definition"), val(r, "value")]
                if r.derivative is None:
                    return left + ["", "", ""]
                return left + [r.latex("derivative_name"), "= " + r.latex("derivative"),
                               val(r, "derivative")]

            out += rows_of(self.primal_rows, 6, cells)
            out += ["\\end{array}", "\\]"]
        else:
            out += ["\\[", "\\begin{array}{rll}",
                    "\\multicolumn{3}{c}{\\text{Forward evaluation trace}} \\\\", "\\hline"]
            out += rows_of(self.primal_rows, 3,
                           lambda r: [r.latex("name"), "= " + r.latex("definition"),
                                      val(r, "value")])
            out += ["\\end{array}", "\\qquad",
                    "\\begin{array}{rlll}",
                    "\\multicolumn{4}{c}{\\text{Reverse adjoint trace}} \\\\", "\\hline"]
            out += rows_of(self.adjoint_rows, 4,
                           lambda r: [r.latex("name"),
                                      ("= " + r.latex("chain")) if r.chain else "",
                                      "= " + r.latex("derivative"), val(r, "derivative")])
            out += ["\\end{array}", "\\]"]
        return "\n".join(out) + "\n"


def _outside(context: str) -> str:
    """The header of rows back at the top level, after (or, in the reverse
    sweep, before) a loop, a branch or a call."""
    first = context.split(" › ")[0]
    for tail in (" · iteration", " → "):
        if tail in first:
            first = first[:first.index(tail)]
    if first.startswith("in "):
        first = first[3:].split(" (line")[0]
    return "outside " + first


def _width(s: str) -> int:
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def _pad(s: str, w: int) -> str:
    return s + " " * max(w - _width(s), 0)


def _table(body, header, split, cut_text) -> List[str]:
    """Align cell rows; ``split`` (a column position) draws the seeds' two
    side-by-side traces."""
    cells = [c for kind, c in body if kind == "cells"]
    ncols = max((len(c) for c in cells), default=0)
    widths = [0] * ncols
    for c in cells:
        for i, s in enumerate(c):
            widths[i] = max(widths[i], _width(s))
    gap = "    "
    if split is not None and ncols > split:
        short = _width(header[0]) + 1 - (sum(widths[:split]) + split)
        if short > 0:  # the left header is wider than its columns
            widths[split - 1] += short

    def line(c):
        parts = []
        for i in range(ncols):
            s = c[i] if i < len(c) else ""
            if split is not None and i == split:
                parts.append(gap.rstrip() + " ")
            parts.append(_pad(s, widths[i]))
        text = " ".join(parts)
        return text

    total = _width(line([""] * ncols))
    out = []
    if split is not None:
        left = sum(widths[:split]) + split + 1  # cells, separators and the gap
        out.append(_pad(header[0], left) + " " + header[1])
    else:
        out.append(header[0])
    for kind, c in body:
        if kind == "cells":
            out.append(line(c))
        elif kind == "rule":
            out.append("─" * total)
        elif kind == "context":
            out.append(f"  ┄ {c}")
        elif kind == "cut":
            out.append("  " + cut_text(c))
    return out


# ===========================================================================
# trace()
# ===========================================================================
def _promote(x):
    if isinstance(x, (bool, np.bool_)):
        return x
    if isinstance(x, (int, np.integer)):
        return float(x)
    if isinstance(x, np.ndarray) and (np.issubdtype(x.dtype, np.integer)):
        return x.astype(float)
    return x


def _as_tangent(t, like):
    if t is None:
        return None
    if isinstance(like, np.ndarray):
        return np.broadcast_to(np.asarray(t, dtype=float), like.shape).copy()
    if isinstance(t, (list, tuple)) or isinstance(t, np.ndarray):
        return t
    return float(t) if not isinstance(t, complex) else t


def _prepare(f, args, argnums):
    """The IR, the argument values (integers to differentiate made floats) and
    the positions differentiated."""
    if isinstance(f, types.MethodType):
        raise S2sadError("s2sad.trace of a bound method: pass the function and the object "
                         "(trace(Class.method, obj, ...))")
    fn, name = _ir_of(f)
    params = fn.params
    if any(p.kind != "positional" for p in params):
        raise S2sadError(f"s2sad.trace: {name} has *args, **kwargs or keyword-only "
                         "parameters; trace a function of positional parameters")
    args = list(args)
    if len(args) > len(params):
        raise S2sadError(f"s2sad.trace: {name} takes {len(params)} arguments, "
                         f"{len(args)} given")
    for p in params[len(args):]:
        if p.default is None:
            raise S2sadError(f"s2sad.trace: missing argument {p.value.hint!r} of {name}")
        args.append(p.default.value if isinstance(p.default, Const) else
                    getattr(p.default, "obj", None))
    n = len(args)
    from .ir.kinds import differentiable_kind, kind_of_object

    def diff(x):
        k = kind_of_object(x)
        return k in ("float", "array", "complex") or (differentiable_kind(k) and
                                                      isinstance(x, (list, tuple, dict)))

    if argnums is None:
        nums = [i for i, a in enumerate(args) if diff(a)]
        if not nums:  # trace(f, 2, 5): the seeds' integers stand for reals
            nums = [i for i, a in enumerate(args)
                    if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))]
        single = False
    else:
        from .compiler import normalize_argnums
        single, nums = normalize_argnums(argnums, n)
        nums = list(nums)
    for i in nums:
        args[i] = _promote(args[i])
        if not diff(args[i]):
            raise S2sadError(f"s2sad.trace: argument {i} ({params[i].value.hint}) is "
                             f"{type(args[i]).__name__} {args[i]!r}, which is not "
                             "differentiable; leave it out of argnums")
    return fn, name, args, nums, single


def trace(f, *args, mode: str = "forward", argnums=None, tangents=None, cotangents=None,
          max_rows: Optional[int] = None) -> Trace:
    """The evaluation trace of ``f(*args)`` with its tangent (forward) or adjoint
    (reverse) trace, as in the seeds' tables.

    ``f`` runs by interpretation of its SSA IR: values are computed primitive by
    primitive, loops are unrolled and only taken branches appear.  ``argnums``
    picks the inputs to differentiate (default: the float and array arguments;
    when there are none, the integers, as ``trace(f, 2, 5)``, made floats).

    Forward mode starts from ``tangents`` (one per differentiated input, or one
    per argument with None for the others; default: 1 for the first, 0 for the
    rest: the x₁ column of the Jacobian).  Reverse mode starts from
    ``cotangents`` (one per output; default: 1 for the first output, 0 for the
    others).  ``max_rows`` keeps the first rows of each part of the table (the
    outputs and the gradients always show); :attr:`Trace.cut` says how many
    rows were left out.
    """
    if mode not in ("forward", "reverse"):
        raise S2sadError(f"s2sad.trace: mode must be 'forward' or 'reverse', not {mode!r}")
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 0):
        raise S2sadError("s2sad.trace: max_rows must be a non-negative integer")
    fn, name, args, nums, single = _prepare(f, args, argnums)
    if mode == "reverse" and tangents is not None:
        raise S2sadError("s2sad.trace: reverse mode starts from cotangents= (one per "
                         "output), not tangents=")
    if mode == "forward" and cotangents is not None:
        raise S2sadError("s2sad.trace: forward mode starts from tangents=, not cotangents=")
    run = _Run(fn, args, nums, mode)
    if mode == "forward":
        run.seed_tangents(tangents)
    run.execute()
    rows, cut, cut_after = run.rows(max_rows, cotangents)
    return Trace(name, mode, run.param_names, args, rows, run.value, run.derivative(single),
                 cut, max_rows, run.seeds_text, cut_after)


class _Run:
    """One interpretation of a function, with its inputs and outputs numbered."""

    def __init__(self, fn: Function, args, nums, mode):
        self.fn = fn
        self.args = args
        self.nums = nums
        self.mode = mode
        self.interp = _Interpreter(mode)
        self.param_names = [p.value.hint for p in fn.params]
        n = len(args)
        self.inputs: List[_Node] = []
        for i, (p, a) in enumerate(zip(fn.params, args)):
            node = _Node(i - (n - 1), "input", None, [], a, Sym(name=p.value.hint), ())
            node.param = p.value.hint
            node.active = mode is not None and i in nums
            self.inputs.append(node)
        self.seeds_text = ""
        self.outputs = []
        self.tuple_out = False
        self.grads = None

    def seed_tangents(self, tangents):
        active = [self.inputs[i] for i in self.nums]
        if tangents is None:
            ts = [(_ones_like(x.value) if k == 0 else _zeros_like(x.value))
                  for k, x in enumerate(active)]
        else:
            if not isinstance(tangents, (list, tuple)):
                tangents = (tangents,)
            tangents = list(tangents)
            if len(tangents) == len(self.inputs) and len(tangents) != len(active):
                tangents = [tangents[i] for i in self.nums]
            if len(tangents) != len(active):
                raise S2sadError(f"s2sad.trace: {len(tangents)} tangents for {len(active)} "
                                 "differentiated inputs")
            ts = [_as_tangent(t, x.value) if t is not None else _zeros_like(x.value)
                  for t, x in zip(tangents, active)]
        for x, t in zip(active, ts):
            x.dot = t
            x.dot_expr = Sym(name=x.param, mark="dot")
        if active:
            shown = ", ".join(format_value(t) for t in ts)
            names = ", ".join(x.param for x in active)
            self.seeds_text = f", tangent ({names}) = ({shown})" if len(active) > 1 else \
                f", tangent {names} = {shown}"

    def execute(self):
        fn = self.fn
        ret = fn.body.yields[0]
        build = None
        for op in fn.body.ops:
            if isinstance(op, Prim) and op.kind == "build" and op.attrs["type"] == "tuple" and \
                    not op.attrs.get("star") and op.results and op.results[0] is ret:
                build = op
        if build is not None and _uses(fn.body, ret) == 0:
            self.interp.skip = build
        env = {}
        out = self.interp.run(fn, self.inputs, env)
        if build is not None and self.interp.skip is build:
            # the returned tuple is not a row: its items are the outputs y1, y2...
            self.outputs = [self.interp.ref(env, a) for a in build.args]
            self.tuple_out = True
        else:
            self.outputs = [out]
        vals = [r.value for r in self.outputs]
        self.value = tuple(vals) if self.tuple_out else vals[0]

    # -- results ------------------------------------------------------------
    def output_names(self):
        import re
        base = "y"
        if any(re.fullmatch(r"y[0-9]*", p) for p in self.param_names):
            base = "out"  # a parameter is named y
        if not self.tuple_out:
            return [base]
        return [f"{base}{i + 1}" for i in range(len(self.outputs))]

    def derivative(self, single):
        if self.mode == "forward":
            ts = [r.dot if isinstance(r, _Node) and r.active else _zeros_like(r.value)
                  for r in self.outputs]
            return tuple(ts) if self.tuple_out else ts[0]
        gs = self.grads
        return gs[0] if single else tuple(gs)

    def rows(self, max_rows, cotangents):
        rows: List[Row] = []
        cut_after: Dict[int, int] = {}
        cut_total = 0
        fwd = self.mode == "forward"

        def ctx(node):
            return " › ".join(node.context)

        # inputs
        for x in self.inputs:
            r = Row("input", x.index, render(x.sym), x.param, x.value, context="",
                    exprs={"name": x.sym, "definition": Sym(name=x.param)})
            if fwd and x.active:
                self._set_dot(r, Sym(x.index, "dot"), x.dot_expr, x.dot)
            rows.append(r)
        # primitives
        shown = self.interp.nodes if max_rows is None else self.interp.nodes[:max_rows]
        for node in shown:
            r = Row("primal", node.index, render(node.sym), render(node.expr), node.value,
                    context=ctx(node), exprs={"name": node.sym, "definition": node.expr})
            if fwd and node.active:
                self._set_dot(r, Sym(node.index, "dot"), node.dot_expr, node.dot)
                if node.chain is not None:
                    r.chain = render(node.chain)
                    r.exprs["chain"] = node.chain
            rows.append(r)
        left = len(self.interp.nodes) - len(shown)
        if left > 0:
            cut_total += left
            cut_after[id(rows[-1])] = left
        # outputs
        for name, ref in zip(self.output_names(), self.outputs):
            e = _sym(ref)
            r = Row("output", None, name, render(e), ref.value,
                    exprs={"name": Sym(name=name), "definition": e})
            if fwd:
                if isinstance(ref, _Node) and ref.active:
                    self._set_dot(r, Sym(name=name, mark="dot"), Sym(ref.index, "dot"), ref.dot)
                else:
                    self._set_dot(r, Sym(name=name, mark="dot"), Lit(0), _zeros_like(ref.value))
            rows.append(r)
        if self.mode == "reverse":
            extra, n_cut, marks = self.reverse_rows(max_rows, cotangents)
            rows += extra
            cut_total += n_cut
            cut_after.update(marks)
        return rows, cut_total, cut_after

    @staticmethod
    def _set_dot(row, name_expr, rule, value):
        row.derivative_name = render(name_expr)
        row.derivative = render(rule)
        row.derivative_value = value
        row.exprs["derivative_name"] = name_expr
        row.exprs["derivative"] = rule

    def reverse_rows(self, max_rows, cotangents):
        interp = self.interp
        outs = self.outputs
        names = self.output_names()
        if cotangents is None:
            cts = [_ones_like(r.value) if i == 0 else _zeros_like(r.value)
                   for i, r in enumerate(outs)]
        else:
            if not self.tuple_out:
                cotangents = [cotangents]
            cotangents = list(cotangents)
            if len(cotangents) != len(outs):
                raise S2sadError(f"s2sad.trace: {len(cotangents)} cotangents for "
                                 f"{len(outs)} outputs")
            cts = [_as_tangent(c, r.value) if c is not None else _zeros_like(r.value)
                   for c, r in zip(cotangents, outs)]
        shown = ", ".join(f"{render(Sym(name=n, mark='bar'))} = {format_value(c)}"
                          for n, c in zip(names, cts))
        self.seeds_text = f", {shown}"
        adj: Dict[int, Any] = {}
        self.adjoints = adj
        touched = set()  # (target, element) pairs with an adjoint
        whole: Dict[int, bool] = {}  # targets whose whole adjoint was assigned
        rows: List[Row] = []
        body: List[Row] = []

        def bar_of(node):
            return Sym(node.index, "bar")

        # seeds: v̄ = ȳ
        for name, ref, c in zip(names, outs, cts):
            if not (isinstance(ref, _Node) and ref.active):
                continue
            ybar = Sym(name=name, mark="bar")
            b = bar_of(ref)
            if id(ref) in adj:
                rule = Bin("+", b, ybar)
                adj[id(ref)] = _add(adj[id(ref)], c)
                acc = True
            else:
                rule = ybar
                adj[id(ref)] = c
                acc = False
            r = Row("seed", ref.index, render(b), derivative_name=render(b),
                    derivative=render(rule), derivative_value=adj[id(ref)],
                    context=" › ".join(ref.context), accumulate=acc,
                    exprs={"name": b, "derivative": rule})
            rows.append(r)
        # the sweep, in reverse order of evaluation
        for node in reversed(interp.nodes):
            if not node.active or id(node) not in adj:
                continue
            g = adj[id(node)]
            for c in _reverse_contributions(interp, node, g):
                t = c.target
                b = bar_of(t)
                first = id(t) not in adj
                if c.sub is not None:  # an element of a container: first for it?
                    key = (id(t), repr(c.sub))
                    first = key not in touched and not whole.get(id(t))
                    touched.add(key)
                else:
                    whole[id(t)] = True
                if c.sub is not None:
                    old = adj.get(id(t))
                    base = old if old is not None else _zeros_like(t.value)
                    from .runtime import index_adjoint
                    new = _add(base, index_adjoint(c.value, t.value, c.sub))
                    target_e = Index(b, c.sub_expr)
                    shown_value = new[c.sub]
                else:
                    old = adj.get(id(t))
                    new = c.value if old is None else _add(old, c.value)
                    target_e = b
                    shown_value = new
                adj[id(t)] = new
                rule = c.expr if first else Bin("+", target_e, c.expr)
                chain = c.chain if (first or c.chain is None) else Bin("+", target_e, c.chain)
                r = Row("adjoint", t.index, render(target_e), derivative_name=render(target_e),
                        derivative=render(rule), derivative_value=shown_value,
                        chain=render(chain) if chain is not None else None,
                        context=" › ".join(node.context), accumulate=not first,
                        exprs={"name": target_e, "derivative": rule})
                if chain is not None:
                    r.exprs["chain"] = chain
                body.append(r)
        n_cut = 0
        marks = {}
        if max_rows is not None and len(body) > max_rows:
            n_cut = len(body) - max_rows
            body = body[:max_rows]
        rows += body
        if n_cut:
            marks[id(rows[-1])] = n_cut
        # x̄ = v̄
        self.grads = []
        for i in self.nums:
            x = self.inputs[i]
            g = adj.get(id(x))
            g = _zeros_like(x.value) if g is None else g
            self.grads.append(g)
            xbar = Sym(name=x.param, mark="bar")
            rule = bar_of(x)
            rows.append(Row("gradient", x.index, render(xbar), derivative_name=render(xbar),
                            derivative=render(rule), derivative_value=g,
                            exprs={"name": xbar, "derivative": rule}))
        return rows, n_cut, marks


def _uses(block: Block, v: Value) -> int:
    """How often ``v`` is read in ``block`` (not counting the block's yields)."""
    n = 0
    for op in block.walk():
        n += sum(1 for a in op.operands() if a is v)
        for b in op.blocks():
            n += sum(1 for a in b.yields if a is v)
        if isinstance(op, (For, While)) and op.brk is v:
            n += 1
    return n
