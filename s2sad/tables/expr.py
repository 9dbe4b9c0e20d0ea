"""The symbolic expressions of the trace tables, and how they print.

A row's definition and derivative rule are built as small expression trees,
not strings, so that one row prints as Unicode text (``v̇₋₁ / v₋₁``) and as
LaTeX (``\\dot{v}_{-1} / v_{-1}``) with the parentheses each needs.
"""
from __future__ import annotations

import numbers
import re
import unicodedata
from typing import Tuple

import numpy as np

from .formatting import format_literal, format_value

__all__ = ["E", "Sym", "Lit", "Name", "Bin", "Un", "Call", "Index", "Slice", "Seq", "Attr",
           "Partial", "Juxt", "Fmt", "is_number", "is_literal_number", "starts_negative",
           "render", "latex_escape"]


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


def is_number(v) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_))


def is_literal_number(e, value=None) -> bool:
    if not (isinstance(e, Lit) and is_number(e.value)):
        return False
    if value is None:
        return True
    try:
        return bool(e.value == value)
    except Exception:  # pragma: no cover
        return False


def starts_negative(e) -> bool:
    """Whether the rendering begins with a minus sign."""
    if isinstance(e, Un):
        return e.op == "-"
    if isinstance(e, Lit):
        return is_number(e.value) and not isinstance(e.value, complex) and e.value < 0
    if isinstance(e, Bin) and e.op not in ("or", "and"):
        return starts_negative(e.a)
    if isinstance(e, Juxt) and e.parts:
        return starts_negative(e.parts[0])
    return False


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


def latex_escape(s: str) -> str:
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
    wrap = _LATEX_MARK[mark].format
    m = re.fullmatch(r"([A-Za-z]+)_?([0-9]+)", name) or \
        re.fullmatch(r"([A-Za-z])_([A-Za-z0-9]+)", name)
    head, sub = (m.group(1), m.group(2)) if m else (name, None)
    if head in _GREEK:
        head = "\\" + head
    elif len(head) > 1:
        head = "\\mathit{" + latex_escape(head) + "}"
    head = wrap(head)
    if sub is None:
        return head
    sub = sub if sub.isdigit() else "\\mathit{" + sub + "}"
    return f"{head}_{{{sub}}}"


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
        if p < need or (strict and p == need) or (no_neg and starts_negative(e)):
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
            return ("\\text{" + latex_escape(s) + "}" if self.latex else s), ATOM
        s = format_literal(v)
        neg = is_number(v) and not isinstance(v, complex) and v < 0
        if neg:
            s = ("-" if self.latex else "−") + s.lstrip("-")
        if self.latex and not is_number(v):
            s = "\\text{" + latex_escape(s) + "}"
        return s, (UNARY if neg else ATOM)

    def r_Name(self, e):
        if e.text in _NAMES:
            return _NAMES[e.text][1 if self.latex else 0], ATOM
        if self.latex:
            return "\\mathrm{" + latex_escape(e.text) + "}", ATOM
        return e.text, ATOM

    # -- operators --------------------------------------------------------------
    def r_Un(self, e):
        op = e.op
        if op == "-":
            a = e.a
            if isinstance(a, Bin) and a.op in ("*", "/") and not starts_negative(a):
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
        if op == "*" and is_literal_number(e.a) and not starts_negative(e.a) and \
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
                "\\operatorname{" + latex_escape(name) + "}"
        else:
            fname = name
        if one and name in _ELEMENTARY:
            arg = e.args[0]
            s, p = self.go(arg)
            if p >= ATOM and not starts_negative(arg) and not isinstance(arg, Call):
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
        attr = "\\mathrm{" + latex_escape(e.attr) + "}" if self.latex else e.attr
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
