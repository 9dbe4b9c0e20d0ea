"""The reverse sweep: the rows run backwards, each active row adding its
contributions ``v̄ⱼ += v̄ᵢ ∂vᵢ/∂vⱼ`` to the adjoints of the rows it read, one
adjoint-trace row per contribution, in the order the sweep runs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

from ..ad.templates import rule_template
from ..ir.interpret import writable_copy
from ..ir.nodes import Value
from ..runtime import add_any, index_adjoint, unbroadcast
from .algebra import reverse_term
from .expr import E, Attr, Bin, Call, Fmt, Index, Juxt, Lit, Partial, Slice, Sym, \
    is_literal_number, render
from .nodes import Node, operand_expr, unpack_index, unpack_index_expr, unsupported
from .symbolic import index_expr
from .symbolic_rules import (RuleEvaluator, SymbolicValue, bind_rule, operand_values,
                             partials_at, template_env, value_or_raise)
from .table import Row
from .values import zeros_like

__all__ = ["Contribution", "contributions", "AdjointTrace", "reverse_sweep"]


@dataclass
class Contribution:
    target: Node
    expr: E  # the term added to the target's adjoint
    value: Any
    chain: Optional[E] = None  # v̄ᵢ ∂vᵢ/∂vⱼ
    sub: Any = None  # an index of the target's value (container adjoints)
    sub_expr: Optional[E] = None


def contributions(node: Node, g) -> List[Contribution]:
    """What an active row with adjoint ``g`` adds to the adjoints of the rows it
    read: one :class:`Contribution` per operand that carries a derivative."""
    how = node.how
    bar = Sym(node.index, "bar")
    out: List[Contribution] = []
    refs = node.refs
    op = node.op

    def live(r):
        return isinstance(r, Node) and r.active

    if how[0] == "struct":
        what = how[1]
        if what in ("item", "unpack"):
            if live(refs[0]):
                idx = unpack_index_expr(node) if what == "unpack" else Lit(node.extra)
                sub = node.extra if what == "item" else unpack_index(node)
                out.append(Contribution(refs[0], bar, g, sub=sub, sub_expr=idx))
        elif what == "getitem":
            if live(refs[0]):
                exprs = [operand_expr(r) for r in refs]
                out.append(Contribution(refs[0], bar, g, sub=node.extra,
                                        sub_expr=index_expr(op.attrs["index"], exprs)))
        elif what == "build":
            kind = op.attrs["type"]
            if kind == "dict":
                for i in range(0, len(refs), 2):
                    if live(refs[i + 1]):
                        key = refs[i].value
                        out.append(Contribution(refs[i + 1], Index(bar, operand_expr(refs[i])),
                                                zeros_like(refs[i + 1].value) if g is None
                                                else g.get(key, 0.0)))
            else:
                for i, r in enumerate(refs):
                    if live(r):
                        out.append(Contribution(r, Index(bar, Lit(i)), g[i]))
        elif what == "attr":
            attr = op.attrs["attr"]
            if live(refs[0]):
                if attr == "T":
                    out.append(Contribution(refs[0], Attr(bar, "T"), np.transpose(g)))
                elif attr == "real":
                    out.append(Contribution(refs[0], Attr(bar, "real"), g))
                else:
                    unsupported(node, "'.imag'")
        elif what == "choose":
            chosen = 0 if node.value is refs[0].value else 1
            if live(refs[chosen]):
                out.append(Contribution(refs[chosen], bar, g))
        elif what == "setitem":
            exprs = [operand_expr(r) for r in refs]
            idx = index_expr(op.attrs["index"], exprs)
            if live(refs[1]):
                out.append(Contribution(refs[1], Index(bar, idx), _item(g, node.extra)))
            if live(refs[0]):
                rest = writable_copy(g)
                rest[node.extra] = zeros_like(_item(g, node.extra))
                out.append(Contribution(refs[0], Fmt("{}[{}] ← 0", [bar, idx],
                                                      "{}[{}] \\leftarrow 0"), rest))
        elif what == "append":
            if live(refs[1]):
                out.append(Contribution(refs[1], Index(bar, Lit(-1)), g[-1]))
            if live(refs[0]):
                out.append(Contribution(refs[0], Index(bar, Slice(None, Lit(-1))), list(g[:-1])))
        elif what == "zip":
            for i, r in enumerate(refs[1:]):
                if live(r):
                    out.append(Contribution(r, Fmt("[t[" + str(i) + "] for t in {}]", [bar]),
                                            [t[i] for t in g]))
        elif what == "enumerate":
            if live(refs[1]):
                out.append(Contribution(refs[1], Fmt("[t[1] for t in {}]", [bar]),
                                        [t[1] for t in g]))
        elif what == "reversed":
            if live(refs[1]):
                rev = list(reversed(g))
                if isinstance(refs[1].value, np.ndarray):
                    rev = np.array(rev)
                out.append(Contribution(refs[1], Call("reversed", [bar]), rev))
        return out
    rule, first = how[1], how[2]
    by_id, sv_of = operand_values(op, refs)

    if rule.partials is not None:
        bound, partials = partials_at(rule, op, first, sv_of, node)
        for (name, operand), p in zip(bound.items(), partials):
            ref = by_id.get(id(operand)) if isinstance(operand, Value) else None
            if not live(ref) or p is None or (isinstance(p.expr, Lit) and p.expr.value is None):
                continue
            pv = value_or_raise(p.value)
            value = unbroadcast(g * pv, ref.value)
            out.append(Contribution(ref, reverse_term(bar, p.expr), value,
                                    chain=Juxt([bar, Partial(node.index, ref.index)])))
        return out
    bound = bind_rule(rule, "vjp", op, first)
    tmpl = rule_template(rule, "vjp")
    env = template_env(tmpl, bound, sv_of, {"ans": SymbolicValue(node.sym, node.value),
                                             "ans_bar": SymbolicValue(bar, g)})
    results = RuleEvaluator(env).run(tmpl)
    for (name, operand), c in zip(bound.items(), results):
        ref = by_id.get(id(operand)) if isinstance(operand, Value) else None
        if not live(ref) or c is None or c.zero or \
                (isinstance(c.expr, Lit) and c.expr.value is None):
            continue
        if is_literal_number(c.expr, 0):  # max's vjp: 0.0 for the argument not taken
            continue
        out.append(Contribution(ref, c.expr, value_or_raise(c.value),
                                chain=Juxt([bar, Partial(node.index, ref.index)])))
    return out


def _item(g, idx):
    return g[idx]


@dataclass
class AdjointTrace:
    """The reverse sweep's result: its rows (seeds, adjoints in the order the
    sweep runs them, gradients), how many adjoint rows ``max_rows`` cut, and
    the adjoint of every row it reached."""
    rows: List[Row]
    cut: int
    cut_after: Dict[int, int]  # id(row) -> rows cut after it
    adjoints: Dict[int, Any]  # id(node) -> adjoint
    gradients: List[Any]  # of the differentiated inputs, in order


def reverse_sweep(nodes: List[Node], seeds, inputs: List[Node], max_rows) -> AdjointTrace:
    """Run the reverse sweep over the interpreted ``nodes``, from ``seeds``
    (output name, output operand, cotangent), to the adjoints of ``inputs``."""
    adj: Dict[int, Any] = {}
    touched = set()  # (target, element) pairs with an adjoint
    whole: Dict[int, bool] = {}  # targets whose whole adjoint was assigned
    rows: List[Row] = []
    body: List[Row] = []

    def bar_of(node):
        return Sym(node.index, "bar")

    # seeds: v̄ = ȳ
    for name, ref, c in seeds:
        if not (isinstance(ref, Node) and ref.active):
            continue
        ybar = Sym(name=name, mark="bar")
        b = bar_of(ref)
        if id(ref) in adj:
            rule = Bin("+", b, ybar)
            adj[id(ref)] = add_any(adj[id(ref)], c)
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
    for node in reversed(nodes):
        if not node.active or id(node) not in adj:
            continue
        g = adj[id(node)]
        for c in contributions(node, g):
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
                base = old if old is not None else zeros_like(t.value)
                new = add_any(base, index_adjoint(c.value, t.value, c.sub))
                target_e = Index(b, c.sub_expr)
                shown_value = new[c.sub]
            else:
                old = adj.get(id(t))
                new = c.value if old is None else add_any(old, c.value)
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
    grads = []
    for x in inputs:
        g = adj.get(id(x))
        g = zeros_like(x.value) if g is None else g
        grads.append(g)
        xbar = Sym(name=x.param, mark="bar")
        rule = bar_of(x)
        rows.append(Row("gradient", x.index, render(xbar), derivative_name=render(xbar),
                        derivative=render(rule), derivative_value=g,
                        exprs={"name": xbar, "derivative": rule}))
    return AdjointTrace(rows, n_cut, marks, adj, grads)
