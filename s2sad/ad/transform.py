"""What the forward and reverse transforms share: the copy of the primal they
build on, its kinds and activity, the builder, the callees they ask the
compiler for, and binding a primitive's operands to its rule's parameters."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Sequence

from ..errors import NonDifferentiableError, at_location
from ..ir.analysis import is_pure
from ..ir.clone import clone_function
from ..ir.kinds import infer_kinds
from ..ir.nodes import Const, Function, Global, Prim, Value
from ..passes.cse import cse
from ..passes.effects import Effects
from ..rules import registry
from ..rules.facts import writes_nothing
from ..rules.methods import CONSTANT_METHODS, method_function
from .activity import infer_activity
from .builder import Builder, is_zero, np_global
from .calls import user_function
from .structure import rule_of
from .loops import rewrite_loops
from .iterators import check_not_passed, list_read_iterators
from .normalize import normalize_methods
from .templates import rule_template


class RuleBinding:
    """Binds a primitive's operands to a rule function's parameters."""

    @staticmethod
    def bind(rule, which, op: Prim, first: int):
        args = op.args[first:]
        kwnames = op.attrs.get("kw", ())
        if not kwnames and not op.attrs.get("star") and not op.attrs.get("dstar"):
            positional = rule.positional_parameters(which)
            if positional is not None and len(args) <= len(positional):
                # what sig.bind(*args) and apply_defaults() give, without them
                # (asked once per op of the function)
                bound = dict(zip((name for name, _ in positional), args))
                for name, default in positional[len(args):]:
                    if default is inspect.Parameter.empty:
                        raise TypeError(f"missing a required argument: {name!r}")
                    bound[name] = default
                return bound
        sig = rule.signature(which)
        star = [k - first for k in op.attrs.get("star", ())]
        npos = len(args) - len(kwnames)
        rest = [p.name for p in sig.parameters.values() if p.kind == p.VAR_POSITIONAL]
        if op.attrs.get("dstar") or (star and (star != [npos - 1] or not rest)):
            raise NotImplementedError("star arguments")
        kw = dict(zip(kwnames, args[npos:]))
        if star:  # f(a, *t) for a rule f(a, *rest): rest is the tuple t (ad/normalize.py)
            if npos - 1 != sum(p.kind == p.POSITIONAL_OR_KEYWORD for p in sig.parameters.values()):
                raise NotImplementedError("star arguments")
            bound = sig.bind(*args[:npos - 1], **kw)
            bound.apply_defaults()
            bound.arguments[rest[0]] = args[npos - 1]
            return bound.arguments
        bound = sig.bind(*args[:npos], **kw)
        bound.apply_defaults()
        if rest and bound.arguments[rest[0]]:
            raise NotImplementedError("star arguments")  # normalize_calls packs them
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
    back: Any = None  # a split reverse derivative's second function (ad/reverse.py)


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
        list_read_iterators(fn)  # sorted(zip(xs, ys)): its rule reads the items again
        active_params = [copies[p] for p in active_params]
        kinds = {copies.get(v, v): k for v, k in kinds.items()}
        self.fn = fn
        self.lower = callees.lower
        self.derivative = callees.derivative
        self.kinds = infer_kinds(fn, kinds, callees.lower)
        if rewrite_loops(fn, self.kinds):  # for k, v in d.items(), zip(*[xs, ys])
            self.kinds = infer_kinds(fn, kinds, callees.lower)
        # a value computed twice (``v[i]`` read twice) is one value to
        # differentiate: one adjoint, one entry on the tape
        cse(fn, self.kinds, Effects(fn, self.kinds))
        self.active = infer_activity(fn, set(active_params), self.kinds)
        check_not_passed(fn, self.active, self.kinds, self.error)
        self.refuse_unknown_effects(fn)
        self.active_params = list(active_params)
        self.b = Builder()
        self.b.kinds = self.kinds
        self.callees = []  # derivatives of the user functions it calls

    def refuse_unknown_effects(self, fn):
        """A call without a rule that is given an active value and may change
        what it is given (``heapq.heappush(h, x)``, ``q.update(b=x)``,
        ``a.__setitem__(0, x)``): what it writes is read later, through
        names the IR does not connect to it, whether or not its result is."""
        for op in fn.body.walk():
            if isinstance(op, Prim) and op.kind in ("call", "callmethod") and \
                    any(type(a) is Value and a in self.active for a in op.args) and \
                    not is_pure(op) and rule_of(op) is None and \
                    not (op.kind == "callmethod" and op.attrs["method"] in CONSTANT_METHODS) and \
                    not (op.kind == "call" and isinstance(op.args[0], Global) and
                         writes_nothing(op.args[0].obj)):
                key, _ = primitive_key(op)
                if (key is None or registry.lookup(key) is None) and \
                        user_function(op, self.kinds) is None:
                    raise self.unknown(op)

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
            if m in ("items", "values", "keys"):  # ad/loops.py reads those it can
                return self.error(op, f"no derivative rule for the method .{m}() here",
                                  "s2sad differentiates d.items(), d.values() and d.keys() "
                                  "of a dict it knows is one, read where nothing writes "
                                  "into it; loop over the dict itself instead "
                                  "(for k in d: v = d[k])")
            kind = self.kinds.get(op.args[0]) if op.args and isinstance(op.args[0], Value) \
                else None
            if kind in ("dict", "list", "tuple"):
                return self.error(op, f"no derivative rule for the {kind} method .{m}()",
                                  "write it with indexing instead (d[k] = v for each entry "
                                  "of d.update(e))" if kind == "dict" else
                                  "build a new one instead (a comprehension)")
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
        for p, v in env.items():
            # np.square(xs) of a list xs: the partial 2 * xs must not repeat the list
            if isinstance(v, Value) and self.kinds.get(v) in ("list", "tuple") or \
                    isinstance(v, Const) and isinstance(v.value, (list, tuple)):
                env[p] = self.b.call(np_global("asarray"), [v], hint=_hint(v))
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


def _hint(v):
    return v.hint if isinstance(v, Value) else "t"
