"""Derivative rules of the registry, evaluated on (symbol, value) pairs.

A rule's lowered template is interpreted with each parameter bound to the
symbol of a row and its value, so one run gives both the printed rule (the
registered partial with the rows' names substituted) and its value.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from ..ad.templates import rule_template
from ..ad.transform import RuleBinding
from ..errors import S2sadError
from ..ir.interpret import UNARY_OPS, evaluate_prim
from ..ir.nodes import Block, Const, Function, Global, If, Prim, Value
from .algebra import negate
from .expr import Index, Lit, Name, Seq
from .nodes import operand_expr
from .symbolic import symbolic_prim
from .values import zeros_like

__all__ = ["RuleFailure", "SymbolicValue", "RuleEvaluator", "symbolic_zero", "value_or_raise",
           "bind_rule", "template_env", "primal_value", "operand_values", "partials_at"]


class RuleFailure:
    """A value a rule could not compute (an unused partial may fail: ``log x``
    of the exponent's partial in ``x ** 2`` at x < 0)."""

    __slots__ = ("exc",)

    def __init__(self, exc):
        self.exc = exc


class SymbolicValue:
    """A symbolic value: an expression and its value.  ``zero`` marks a symbolic
    zero tangent/adjoint (vanishes through linear operations)."""

    __slots__ = ("expr", "value", "zero", "parts")

    def __init__(self, expr, value, zero=False, parts=None):
        self.expr, self.value, self.zero, self.parts = expr, value, zero, parts


def symbolic_zero(like_value) -> SymbolicValue:
    return SymbolicValue(Lit(0), zeros_like(like_value), zero=True)


def value_or_raise(v):
    if isinstance(v, RuleFailure):
        raise v.exc
    return v


class RuleEvaluator:
    """Interprets a rule template (a lowered rule function) on
    :class:`SymbolicValue`\\ s."""

    def __init__(self, env: Dict[Value, SymbolicValue]):
        self.env = env

    def get(self, a) -> SymbolicValue:
        if isinstance(a, Value):
            return self.env[a]
        if isinstance(a, Const):
            return SymbolicValue(Lit(a.value), a.value)
        if isinstance(a, Global):
            return SymbolicValue(Name(a.name), a.obj)
        return SymbolicValue(Name("undefined"),
                             RuleFailure(NameError("undefined value in a rule")))

    def run(self, fn: Function) -> List[Optional[SymbolicValue]]:
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
                cond = value_or_raise(self.get(op.cond).value)
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
            bad = next((v for v in vals if isinstance(v, RuleFailure)), None)
            value = bad if bad is not None else \
                (tuple(vals) if op.attrs["type"] == "tuple" else list(vals))
            self.env[op.results[0]] = SymbolicValue(Seq(op.attrs["type"], [s.expr for s in args]),
                                                    value, parts=args)
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
        bad = next((v for v in vals if isinstance(v, RuleFailure)), None)
        if bad is not None:
            value = bad
        else:
            try:
                value = evaluate_prim(op, vals)
            except Exception as exc:  # kept: raised only if the rule's result needs it
                value = RuleFailure(exc)
        expr = symbolic_prim(op, [s.expr for s in args], simplify=True)
        if k == "unpack":
            for i, r in enumerate(op.results):
                v = value if isinstance(value, RuleFailure) else value[i]
                self.env[r] = SymbolicValue(Index(expr, Lit(i)), v)
            return
        if op.results:
            self.env[op.results[0]] = SymbolicValue(expr, value)

    def zero_rule(self, op, args) -> Optional[SymbolicValue]:
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
                return SymbolicValue(negate(b.expr), UNARY_OPS["-"](b.value)
                                     if not isinstance(b.value, RuleFailure) else b.value)
            if o in ("*", "@") or (o == "/" and a.zero):
                z = a if a.zero else b
                other = b if a.zero else a
                try:
                    like = evaluate_prim(op, [zeros_like(s.value) if s.zero else s.value
                                              for s in (a, b)])
                except Exception:
                    like = z.value
                if isinstance(other.value, RuleFailure):
                    like = z.value
                return symbolic_zero(like)
            return None
        if k == "unary" and op.attrs["op"] in ("-", "+"):
            return args[0]
        if k == "getitem" and args[0].zero:
            try:
                like = evaluate_prim(op, [s.value for s in args])
            except Exception:
                like = 0.0
            return symbolic_zero(like)
        return None


def bind_rule(rule, which, op, first):
    try:
        return RuleBinding.bind(rule, which, op, first)
    except TypeError as exc:
        raise S2sadError(f"the call does not match the rule for {rule.name}: {exc}")
    except NotImplementedError:
        raise S2sadError(f"cannot show the derivative of {rule.name} called with *args or "
                         "**kwargs in a trace; pass the arguments one by one")


def template_env(tmpl: Function, bound, sv_of, extra) -> Dict[Value, SymbolicValue]:
    env = {}
    for p in tmpl.params:
        name = p.value.hint
        if name in bound:
            env[p.value] = sv_of(bound[name])
        elif name in extra:
            env[p.value] = extra[name]
        elif p.default is not None:
            d = p.default
            env[p.value] = SymbolicValue(Lit(d.value), d.value) if isinstance(d, Const) else \
                SymbolicValue(Name(getattr(d, "name", "?")), getattr(d, "obj", None))
        else:
            raise S2sadError(f"a derivative rule has an unbound parameter {name!r}")
    return env


def primal_value(ref) -> SymbolicValue:
    """An operand's (symbol, value) pair: ``(vᵢ, its value)`` for a row."""
    return SymbolicValue(operand_expr(ref), ref.value)


def operand_values(op, refs):
    """The trace node behind each operand, and a function giving an operand's
    (symbol, value) pair."""
    by_id = {id(a): r for a, r in zip(op.args, refs)}

    def sv_of(a):
        if isinstance(a, (Value, Const, Global)) and id(a) in by_id:
            return primal_value(by_id[id(a)])
        return SymbolicValue(Lit(a), a)

    return by_id, sv_of


def partials_at(rule, op, first, sv_of, node):
    """The rule's declared partials evaluated on (symbol, value) pairs."""
    bound = bind_rule(rule, "partials", op, first)
    tmpl = rule_template(rule, "partials")
    env = template_env(tmpl, bound, sv_of, {"ans": SymbolicValue(node.sym, node.value)})
    return bound, RuleEvaluator(env).run(tmpl)
