"""What the forward and reverse transforms share: the copy of the primal they
build on, its kinds and activity, the builder, the callees they ask the
compiler for, and binding a primitive's operands to its rule's parameters."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Sequence

from ..errors import NonDifferentiableError, at_location
from ..ir.clone import clone_function
from ..ir.kinds import infer_kinds
from ..ir.nodes import Const, Function, Global, Prim, Value
from ..rules.methods import method_function
from .activity import infer_activity
from .builder import Builder, is_zero
from .normalize import normalize_methods
from .templates import rule_template


class RuleBinding:
    """Binds a primitive's operands to a rule function's parameters."""

    @staticmethod
    def bind(rule, which, op: Prim, first: int):
        args = op.args[first:]
        kwnames = op.attrs.get("kw", ())
        if op.attrs.get("star") or op.attrs.get("dstar"):
            raise NotImplementedError("star arguments")
        npos = len(args) - len(kwnames)
        sig = rule.signature(which)
        bound = sig.bind(*args[:npos], **dict(zip(kwnames, args[npos:])))
        bound.apply_defaults()
        return bound.arguments  # name -> operand (or default value)


def primitive_key(op: Prim):
    if op.kind in ("binop", "unary"):
        return f"{op.kind}:{op.attrs['op']}", 0
    if op.kind == "call" and isinstance(op.args[0], Global):
        return op.args[0].obj, 1
    if op.kind == "callmethod":
        fn = method_function(op)
        if fn is not None:
            return fn, 0
    return None, None


@dataclass(frozen=True)
class Derivative:
    """What a transform returns: the derivative function as new IR, and what the
    stages after it need to know of it."""

    function: Function
    callees: List[Any]  # compiled derivatives of the user functions it calls
    keep: FrozenSet[Value]  # values the emitter keeps on lines of their own
    out_kind: Any  # the kind of what the primal returns (None: unknown)


class Transform:
    """Base of :class:`~s2sad.ad.forward.Forward` and
    :class:`~s2sad.ad.reverse.Reverse`.

    ``fn`` is never changed: the transform works on a copy (``self.fn``), with
    ``active_params`` and ``kinds`` carried over to the copy's values.
    ``callees`` is the compiler's service for the user functions ``fn`` calls
    (``callees.lower(f)``, ``callees.derivative(f, mode, argnums, kinds)``)."""

    def __init__(self, fn: Function, active_params: Sequence[Value], kinds: Dict, callees):
        fn, copies = clone_function(fn)
        normalize_methods(fn.body)  # x.reshape(2, 3) -> x.reshape((2, 3)), as np.reshape takes it
        active_params = [copies[p] for p in active_params]
        kinds = {copies.get(v, v): k for v, k in kinds.items()}
        self.fn = fn
        self.lower = callees.lower
        self.derivative = callees.derivative
        self.kinds = infer_kinds(fn, kinds, callees.lower)
        self.active = infer_activity(fn, set(active_params), self.kinds)
        self.active_params = list(active_params)
        self.b = Builder()
        self.b.kinds = self.kinds
        self.callees = []  # derivatives of the user functions it calls

    def error(self, op, message, hint=None):
        return at_location(NonDifferentiableError, message, op.loc, hint)

    def unknown(self, op):
        if op.kind == "call":
            f = op.args[0]
            name = f.name if isinstance(f, Global) else "this function"
            return self.error(op, f"no derivative rule for {name}",
                              f"register one with @s2sad.defjvp({name}) / @s2sad.defvjp({name}), "
                              f"or declare it by its partials with @s2sad.defpartials({name})")
        if op.kind == "callmethod":
            m = op.attrs["method"]
            return self.error(op, f"no derivative rule for the method .{m}()",
                              "call the NumPy function instead (np.sum(x) for x.sum())")
        return self.error(op, f"cannot differentiate '{op.kind}' here")

    def bound(self, rule, which, op, first):
        try:
            return RuleBinding.bind(rule, which, op, first)
        except TypeError as exc:
            raise self.error(op, f"the call does not match the rule for {rule.name}: {exc}")
        except NotImplementedError:
            raise self.error(op, "cannot differentiate a call with *args or **kwargs",
                             "pass the arguments one by one")

    def active_partials(self, rule, op, first):
        """``(bound, {operand: partial})``: the rule's partials inlined, for each
        active operand, summed where one operand is several arguments
        (``x * x``: one term ``x + x``), so that both modes compute the same."""
        tmpl, bound, env = self.template_bindings(rule, "partials", op, first,
                                                  {"ans": op.result})
        partials = self.b.inline(tmpl, env, op.loc)
        if not isinstance(partials, list):
            partials = [partials]
        total = {}
        for operand, partial in zip(bound.values(), partials):
            if not (isinstance(operand, Value) and operand in self.active):
                continue
            if is_zero(partial) or (isinstance(partial, Const) and partial.value is None):
                continue
            total[operand] = self.b.add(total[operand], partial) if operand in total else partial
        return bound, total

    def template_bindings(self, rule, which, op, first, extra):
        tmpl = rule_template(rule, which)
        bound = self.bound(rule, which, op, first)
        env = {}
        for p in tmpl.params:
            name = p.value.hint
            if name in bound:
                v = bound[name]
                env[p.value] = v if isinstance(v, (Value, Const, Global)) else Const(v)
            elif name in extra:
                env[p.value] = extra[name]
            elif p.default is not None:
                env[p.value] = p.default
            else:
                raise self.error(op, f"rule for {rule.name} has an unbound parameter {name!r}")
        return tmpl, bound, env

