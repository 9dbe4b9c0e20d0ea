"""A primitive of the IR as an expression of its operands' expressions: the
definition column of a trace row (``v₋₁ × v₀``, ``ln v₋₁``, ``v₂[0]``)."""
from __future__ import annotations

from typing import Any, List

from ..ir.interpret import BINARY_OPS
from ..ir.nodes import Global, Prim
from ..runtime import scaled_power
from .algebra import simplify_bin, simplify_un
from .expr import (E, Attr, Bin, Call, Fmt, Index, Lit, Name, Seq, Slice, Un, is_literal_number,
                   latex_escape)

__all__ = ["index_expr", "symbolic_prim"]

_AUGMENTED = {o: o + "=" for o in BINARY_OPS}  # the text of x[i] += v


def index_expr(template, exprs) -> E:
    """The index of a subscript as an expression (``index_value`` for values)."""
    kind = template[0]
    if kind == "val":
        return exprs[template[1]]
    if kind == "slice":
        return Slice(*[None if p is None else exprs[p] for p in template[1:]])
    return Seq("index", [index_expr(t, exprs) for t in template[1]])


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
        if simplify and isinstance(op.args[0], Global) and op.args[0].obj is scaled_power \
                and len(args) == 3 and not kws:
            c, x, p = args  # the partial of x ** y, as it reads: y × x^(y − 1), 0 for y = 0
            if is_literal_number(c, 0):
                return Lit(0)
            return simplify_bin("*", c, simplify_bin("**", x, p))
        name = _callee_name(exprs[0])
        if name == "log" and len(args) == 1 and not kws:
            name = "ln"
        return Call(name, args, kws)
    if k == "getattr":
        return Attr(exprs[0], a["attr"])
    if k == "getitem":
        return Index(exprs[0], index_expr(a["index"], exprs))
    if k in ("setitem", "augsetitem"):
        sym = "←" if k == "setitem" else _AUGMENTED.get(a.get("op"), "←")
        lsym = "\\leftarrow" if k == "setitem" else "\\mathrel{" + \
            latex_escape(a.get("op", "") + "=") + "}"
        return Fmt("{}[{}] " + sym + " {}", [exprs[0], index_expr(a["index"], exprs), exprs[1]],
                   "{}[{}] " + lsym + " {}")
    if k in ("setattr", "augsetattr"):
        return Fmt("{}." + a["attr"] + " ← {}", [exprs[0], exprs[1]],
                   "{}.\\mathrm{" + latex_escape(a["attr"]) + "} \\leftarrow {}")
    if k == "build":
        star = set(a.get("star", ()))
        items = [Un("*", x) if i in star else x for i, x in enumerate(exprs)]
        return Seq(a["type"], items)
    if k == "copy":
        return exprs[0]
    if k == "fstring":
        return Call("format", exprs)
    return Call(k, exprs)
