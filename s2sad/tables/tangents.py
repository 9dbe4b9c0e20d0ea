"""The forward sweep: each active row's tangent rule and tangent, computed as
the row runs, from the registry's rule for its primitive."""
from __future__ import annotations

import numpy as np

from ..ad.templates import rule_template
from ..ir.interpret import evaluate_prim, writable_copy
from ..errors import S2sadError
from ..ir.nodes import Const, Global, Prim, Value
from ..runtime import enumerated_tangents, item_zeros
from .algebra import add_terms, forward_term
from .expr import Attr, Call, Fmt, Index, Juxt, Lit, Partial, Seq, Sym
from .nodes import Node, operand_expr, unpack_index_expr
from .symbolic import index_expr, symbolic_prim
from .symbolic_rules import (RuleEvaluator, SymbolicValue, bind_rule, operand_values,
                             partials_at, symbolic_zero, template_env, value_or_raise)
from .values import zeros_like

__all__ = ["forward_tangent", "tangent_value"]


def tangent_value(ref) -> SymbolicValue:
    """An operand's (symbol, tangent) pair: ``(v̇ᵢ, its tangent)`` or a symbolic zero."""
    if isinstance(ref, Node) and ref.active:
        return SymbolicValue(Sym(ref.index, "dot"), ref.dot)
    return symbolic_zero(ref.value)


def forward_tangent(node: Node):
    """Give an active row its tangent rule (``dot_expr``, ``chain``) and value
    (``dot``), from the tangents of the rows it reads."""
    how = node.how
    if how[0] == "struct":
        expr, value = _container_tangent(node, how[1])
        node.dot_expr, node.dot = expr, value
        return
    rule, first = how[1], how[2]
    op = node.op
    by_id, sv_of = operand_values(op, node.refs)

    if rule.partials is not None:
        bound, partials = partials_at(rule, op, first, sv_of, node)
        terms, chain, value = [], [], None
        for (name, operand), p in zip(bound.items(), partials):
            ref = by_id.get(id(operand)) if isinstance(operand, Value) else None
            if not (isinstance(ref, Node) and ref.active) or p is None:
                continue
            if isinstance(p.expr, Lit) and p.expr.value is None:
                continue
            pv = value_or_raise(p.value)
            t = Sym(ref.index, "dot")
            terms.append(forward_term(t, p.expr))
            chain.append(Juxt([Partial(node.index, ref.index), t]))
            contribution = ref.dot * pv
            value = contribution if value is None else value + contribution
        node.dot_expr = add_terms(terms)
        node.chain = add_terms(chain)
        node.dot = zeros_like(node.value) if value is None else _fit(value, node.value)
        return
    if rule.jvp is None:  # linear in rule.linear: f applied to the tangents
        split = rule.without_offsets(list(node.refs), op.attrs, first)
        if split is None:
            raise S2sadError(f"cannot tell which arguments of {rule.name} are its "
                             f"{', '.join(rule.offsets)}; pass them by keyword")
        refs, attrs, offsets = split
        linear_op = Prim(op.kind, [a for i, a in enumerate(op.args) if i not in offsets],
                         op.results, attrs, op.loc)
        terms, value = [], None
        vals = [r.value for r in refs]
        exprs = [operand_expr(r) for r in refs]
        for pos in rule.linear:
            k = first + pos
            if k >= len(op.args) or k in op.attrs.get("star", ()):
                continue
            ref = node.refs[k]
            if not (isinstance(ref, Node) and ref.active):
                continue
            tv, te = list(vals), list(exprs)
            tv[k], te[k] = ref.dot, Sym(ref.index, "dot")
            part = evaluate_prim(linear_op, tv)
            terms.append(symbolic_prim(linear_op, te))
            value = part if value is None else value + part
        for k in offsets:  # np.sum(x, initial=s): s_dot adds to every entry
            ref = node.refs[k]
            if isinstance(ref, Node) and ref.active:
                terms.append(Sym(ref.index, "dot"))
                value = zeros_like(node.value) + ref.dot if value is None else value + ref.dot
        node.dot_expr = add_terms(terms)
        node.dot = zeros_like(node.value) if value is None else value
        return
    bound = bind_rule(rule, "jvp", op, first)
    extra = {"ans": SymbolicValue(node.sym, node.value)}
    for name, operand in bound.items():
        ref = by_id.get(id(operand)) if isinstance(operand, (Value, Const, Global)) else None
        extra[name + "_dot"] = tangent_value(ref) if ref is not None else symbolic_zero(operand)
    tmpl = rule_template(rule, "jvp")
    env = template_env(tmpl, bound, sv_of, extra)
    out = RuleEvaluator(env).run(tmpl)
    res = out[0] if len(out) == 1 else SymbolicValue(Seq("tuple", [s.expr for s in out]),
                                                     tuple(s.value for s in out))
    node.dot_expr = res.expr
    node.dot = value_or_raise(res.value)


def _container_tangent(node, what):
    """The tangent of a row that moves values around (an item, a container
    display, a subscript...): the same move applied to the tangents."""
    refs = node.refs
    op = node.op
    t = [tangent_value(r) for r in refs]
    if what == "item":
        td = t[0]
        return Index(td.expr, Lit(node.extra)), _item_at(td.value, node.extra)
    if what == "unpack":
        td = t[0]
        seq = evaluate_prim(op, [td.value])
        return Index(td.expr, unpack_index_expr(node)), seq[node.extra]
    if what == "getitem":
        exprs = [t[0].expr] + [operand_expr(r) for r in refs[1:]]
        return Index(t[0].expr, index_expr(op.attrs["index"], exprs)), \
            t[0].value[node.extra]
    if what == "build":
        kind = op.attrs["type"]
        if kind == "dict":
            items, vals = [], {}
            for i in range(0, len(refs), 2):
                items += [operand_expr(refs[i]), t[i + 1].expr]
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
        obj = writable_copy(t[0].value)
        obj[node.extra] = t[1].value
        exprs = [t[0].expr, t[1].expr] + [operand_expr(r) for r in refs[2:]]
        return symbolic_prim(op, exprs), obj
    if what == "append":
        obj = list(t[0].value) + [t[1].value]
        return Fmt("{} + [{}]", [t[0].expr, t[1].expr]), obj
    if what in ("zip", "enumerate", "reversed"):
        # a sequence with no tangent (range(n)) gives a zero per item; so does the count
        iterables = len(refs) - len(op.attrs.get("kw", ())) if what == "zip" else 2
        args = [s if isinstance(r, Node) and r.active else
                SymbolicValue(s.expr, item_zeros(r.value))
                for r, s in zip(refs[1:iterables], t[1:iterables])]
        if what == "enumerate":
            value = list(enumerated_tangents(args[0].value))
            return Call("enumerate", [args[0].expr] + [operand_expr(r) for r in refs[2:]]), value
        fn = zip if what == "zip" else reversed
        return Call(what, [s.expr for s in args]), list(fn(*[s.value for s in args]))
    raise AssertionError(what)  # pragma: no cover


def _item_at(container, k):
    if isinstance(container, (list, tuple, np.ndarray)):
        return container[k]
    return list(container)[k]


def _fit(value, like):
    """A tangent computed by broadcasting, with the primal's shape."""
    if isinstance(like, np.ndarray) and np.shape(value) != like.shape:
        return np.broadcast_to(value, like.shape).copy()
    return value
