"""Forward mode: IR → IR where every active value ``v`` gets a tangent ``v_dot``.

The primal ops are kept in order; after each active op comes its tangent, from
the rule registry.  Tangents flow through ``If`` as extra yielded results and
through ``For``/``While`` as extra carried values, so the generated code is the
seeds' tangent-trace table: one tangent line per primal line.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np

from ..ir.analysis import count_uses
from ..ir.nodes import (Block, Const, For, Function, Global, If, Param, Prim, UNDEF,
                        Value, While)
from ..rules import registry
from .builder import Zero, is_zero, runtime_global
from .calls import derivative_of_call, keyword_call, user_function
from .checkpoint import take_directives
from .complexity import rule_for
from .copies import place_copies
from .iterators import iterating_reads
from .sequences import sequence_form, sequence_jvp
from .structure import rule_of
from .transform import Derivative, Transform, primitive_key


def _dot(v: Value) -> Value:
    return Value(v.hint + "_dot", v.user)


class _Tangents(dict):
    """The tangent of each value; tangents are frozen in the builder."""

    def __init__(self, frozen, kinds):
        super().__init__()
        self.frozen = frozen
        self.kinds = kinds

    def __setitem__(self, key, value):
        if isinstance(value, Value):
            self.frozen.add(value)
            if value not in self.kinds and self.kinds.get(key) is not None:
                self.kinds[value] = self.kinds[key]  # a tangent has its primal's kind
        super().__setitem__(key, value)


class Forward(Transform):
    def __init__(self, fn: Function, active_params: Sequence[Value], kinds: Dict, callees):
        super().__init__(fn, active_params, kinds, callees)
        take_directives(self.fn)  # s2sad.checkpointed(range(n)): range(n), in forward mode
        self.tan: Dict[Value, object] = _Tangents(self.b.frozen, self.kinds)
        self._uses = self._reads = None
        self.tangent_writes = []  # in place into tangents: place_copies copies where needed

    # -- helpers --------------------------------------------------------------
    def t(self, a):
        """The tangent of an operand (Zero when it has none)."""
        if isinstance(a, Value) and a in self.active:
            return self.tan.get(a, Zero(a))
        return Zero(a)

    def name_tangent(self, result: Value, tangent, start: int):
        """Give a freshly computed tangent the name ``<result>_dot``."""
        if isinstance(tangent, Value) and not tangent.user and any(
                tangent in op.results for op in self.b.block.ops[start:]):
            tangent.hint = result.hint + "_dot"
            tangent.user = result.user
        return tangent

    def private_tangent(self, base, tangent) -> bool:
        """Whether a write into ``base`` may write into its tangent in place: the
        tangent is a copy made for it, and ``base`` is read by nothing else."""
        def copied(op):
            return op is not None and op.kind == "callmethod" and \
                op.attrs.get("method") == "copy"

        if not isinstance(tangent, Value) or not copied(self.b.defs.get(tangent)):
            return False
        if self._uses is None:
            self._uses = count_uses(self.fn)
            self._made = {r: op for op in self.fn.walk() if isinstance(op, Prim)
                          for r in op.results}
        return copied(self._made.get(base)) and self._uses.get(base, 0) == 1

    def iterator_reads(self, v: Value) -> int:
        """How many places of the primal may iterate over ``v``."""
        if self._reads is None:
            self._reads = iterating_reads(self.fn)
        return self._reads[v]

    # -- driver ---------------------------------------------------------------
    def run(self, name: str) -> Function:
        params = list(self.fn.params)
        tangent_params = []
        for p in self.fn.params:
            if p.value in self.active:
                d = _dot(p.value)
                self.tan[p.value] = d
                tangent_params.append(Param(d))
        self.block(self.fn.body)
        out = self.fn.body.yields[0]
        self.b.loc = None
        out_dot = self.b.materialize(self.t(out))
        ret = self.b.value("build", [out, out_dot], "result", type="tuple")
        body = self.b.block
        body.yields = [ret]
        place_copies(body, self.tangent_writes, self.kinds,
                     [p.value for p in params] + [p.value for p in tangent_params])
        positional = [p for p in params if p.kind == "positional"]
        rest = [p for p in params if p.kind != "positional"]
        new_params = positional + tangent_params + rest
        return Function(name, new_params, body, self.fn.filename, self.fn.firstlineno,
                        None, self.fn.source)

    def block(self, block: Block):
        for op in block.ops:
            self.b.loc = op.loc
            if isinstance(op, Prim):
                self.prim(op)
            elif isinstance(op, If):
                self.if_(op)
            elif isinstance(op, For):
                self.for_(op)
            else:
                self.while_(op)

    # -- primitives -------------------------------------------------------------
    def prim(self, op: Prim):
        if self.call_through(op):
            return
        if op.kind == "binop" and op.attrs.get("inplace") and op.attrs["op"] not in ("+", "-") \
                and any(isinstance(a, Value) and a in self.active for a in op.args):
            # x *= v: the tangent needs the old x, which an in-place update destroys
            op.attrs.pop("inplace")
        results = [r for r in op.results if r in self.active]
        active = bool(results) and any(isinstance(a, Value) and a in self.active
                                       for a in op.args)
        structural = rule_of(op)
        if active and op.kind == "callmethod" and op.attrs.get("mutates") and \
                structural is not None and structural.structural_jvp is not None:
            # xs.append(v): the tangent list changes first, while a zero tangent
            # for xs can still be made from xs as it was
            structural.structural_jvp(self, op)
            self.b.append(op)
            return
        self.b.append(op)
        if not active:
            return
        start = len(self.b.block.ops)
        if sequence_form(op, self.kinds) is not None and sequence_jvp(self, op):
            return  # xs + ys, xs * 2: concatenation, repetition
        if structural is not None and structural.structural_jvp is not None:
            structural.structural_jvp(self, op)
            return
        if op.kind == "callmethod" and op.attrs.get("mutates"):
            raise self.error(op, f"cannot differentiate through .{op.attrs['method']}() yet")
        # x += v: the tangent is the plain sum (tangents are never updated in place)
        key, first = primitive_key(op)
        rule = registry.lookup(key) if key is not None else None
        if rule is None:
            raise self.unknown(op)
        rule = rule_for(self, rule, op, first)  # complex operands may need another
        if rule.nondiff:
            return
        if rule.partials is not None:
            tangent = self.by_partials(rule, op, first)
        elif rule.jvp is not None:
            tangent = self.by_jvp(rule, op, first)
        elif rule.linear is not None:
            tangent = self.by_linearity(rule, op, first)
        else:
            raise self.error(op, f"{rule.name} has no forward rule",
                             f"register one with @s2sad.defjvp({rule.name})")
        self.tan[op.result] = self.name_tangent(op.result, tangent, start)

    def call_through(self, op) -> bool:
        """``y = g(x)`` for a user function g: ``y, y_dot = g_jvp(x, x_dot)``."""
        f = user_function(op, self.kinds)
        if f is None or registry.lookup(f) is not None or \
                not any(r in self.active for r in op.results):
            return False
        found = derivative_of_call(self, op, f, "forward")
        if found is None:
            return False
        compiled, pos, keywords = found
        tangents = [self.b.materialize(self.t(pos[i])) for i in compiled.active]
        args, attrs = keyword_call(Global(compiled.name, compiled.fn), pos + tangents, keywords)
        pair = self.b.value("call", args, "pair", **attrs)
        r = op.result
        dot = _dot(r)
        self.b.append(Prim("unpack", [pair], [r, dot], {"star": None}, op.loc))
        self.tan[r] = dot
        return True

    def by_partials(self, rule, op, first):
        bound, partials = self.active_partials(rule, op, first)
        acc = Zero(op.result)
        terms = list(partials.items())
        for operand, partial in terms:
            acc = self.b.add(acc, self.b.mul(self.t(operand), partial))
        return self.broadcast_tangent(acc, op, bound, terms)

    def broadcast_tangent(self, acc, op, bound, terms):
        """``x + c`` with only ``x`` active has the tangent ``x_dot``, which is
        smaller than the result when ``c`` broadcasts it larger: give it the
        result's shape (only where a constant partial meets an operand that
        may be an array)."""
        if is_zero(acc) or not all(isinstance(p, Const) for _, p in terms) or \
                self.kinds.get(op.result) in ("float", "int", "bool", "complex"):
            return acc
        active = {id(o) for o, _ in terms if not is_zero(self.t(o))}  # zeros_like(x): none
        for operand in bound.values():
            if id(operand) in active or not isinstance(operand, (Value, Const)):
                continue
            if isinstance(operand, Const) and np.ndim(operand.value) == 0:
                continue
            if isinstance(operand, Value) and \
                    self.kinds.get(operand) in ("float", "int", "bool", "complex"):
                continue
            return self.b.call(runtime_global("broadcast_like"), [acc, op.result])
        return acc

    def by_jvp(self, rule, op, first):
        bound = self.bound(rule, "jvp", op, first)
        extra = {"ans": op.result}
        for name, operand in bound.items():
            # a constant's zero keeps it, to be shaped like it (np.dot(x, c) with c an array)
            extra[name + "_dot"] = self.t(operand) if isinstance(operand, Value) else \
                Zero(operand if isinstance(operand, (Global, Const)) else None)
        tmpl, _, env = self.template_bindings(rule, "jvp", op, first, extra)
        tangent = self.b.inline(tmpl, env, op.loc)
        if isinstance(tangent, list):  # a tuple literal: the tangent of a tuple result
            tangent = self.b.value("build", [self.b.materialize(t) for t in tangent], "t",
                                   type="tuple")
        return tangent

    def by_linearity(self, rule, op, first):
        """f is linear in each of rule.linear: its tangent is the sum, over those
        arguments, of f with that argument replaced by its tangent."""
        split = rule.without_offsets(list(op.args), op.attrs, first)
        if split is None:
            raise self.error(op, f"cannot tell which arguments of {rule.name} are its "
                                 f"{', '.join(rule.offsets)}",
                             f"pass {', '.join(rule.offsets)} by keyword")
        args, attrs, offsets = split
        acc = Zero(op.result)
        for pos in rule.linear:
            k = first + pos
            if k >= len(op.args) or k in op.attrs.get("star", ()):
                continue
            td = self.t(op.args[k])
            if is_zero(td):
                continue
            term_args = list(args)
            term_args[k] = self.b.materialize(td)
            term = self.b.value(op.kind, term_args, "t", **attrs)
            acc = self.b.add(acc, term)
        for k in offsets:  # np.sum(x, initial=s): s_dot adds to every entry
            td = self.t(op.args[k])
            if is_zero(td):
                continue
            if is_zero(acc):
                td = self.b.call(runtime_global("broadcast_like"),
                                 [self.b.materialize(td), op.result])
            acc = self.b.add(acc, td)
        return acc

    # -- control flow -----------------------------------------------------------
    def if_(self, op: If):
        active = [r for r in op.results if r in self.active]
        new = If(op.cond, Block(), Block(), list(op.results), op.loc)
        for src, dst in ((op.then, new.then), (op.orelse, new.orelse)):
            saved = self.b.push(dst)
            self.block(src)
            dst.yields = list(src.yields) + [
                self.b.materialize(self.t(y)) if y is not UNDEF else UNDEF
                for r, y in zip(op.results, src.yields) if r in self.active]
            self.b.pop(saved)
        for r in active:
            d = _dot(r)
            new.results.append(d)
            self.tan[r] = d
        self.b.loc = op.loc
        self.b.append(new)

    def carried_tangents(self, op):
        idx = [i for i, a in enumerate(op.args) if a in self.active]
        new_args = []
        for i in idx:
            d = _dot(op.args[i])
            self.tan[op.args[i]] = d
            new_args.append(d)
        inits = [self.b.materialize(self.t(op.inits[i])) if op.inits[i] is not UNDEF else UNDEF
                 for i in idx]
        return idx, new_args, inits

    def loop_body(self, op, body: Block, idx):
        saved = self.b.push(Block())
        self.block(body)
        yields = list(body.yields) + [
            self.b.materialize(self.t(body.yields[i])) if body.yields[i] is not UNDEF else UNDEF
            for i in idx]
        done = self.b.pop(saved)
        done.yields = yields
        return done

    def finish_loop(self, op, new, idx):
        for i in idx:
            d = _dot(op.results[i])
            new.results.append(d)
            self.tan[op.results[i]] = d
        self.b.loc = op.loc
        self.b.append(new)

    def for_(self, op: For):
        idx, targs, tinits = self.carried_tangents(op)
        it, item = op.iter, op.item
        pre_body = []
        if item in self.active:
            # iterate over primal and tangent together
            it_dot = self.b.materialize(self.t(op.iter))
            zipped = self.b.call(Global("zip", zip), [op.iter, it_dot], hint="pairs")
            pair = Value("pair")
            unpack = Prim("unpack", [pair], [item, _dot(item)], {"star": None}, op.loc)
            self.tan[item] = unpack.results[1]
            it, item = zipped, pair
            pre_body = [unpack]
        body = self.loop_body(op, op.body, idx)
        body.ops[:0] = pre_body
        new = For(it, item, list(op.args) + targs, list(op.inits) + tinits, body,
                  list(op.results), op.brk, op.loc)
        self.finish_loop(op, new, idx)

    def while_(self, op: While):
        idx, targs, tinits = self.carried_tangents(op)
        saved = self.b.push(Block())
        self.block(op.cond)
        cond = self.b.pop(saved)
        cond.yields = list(op.cond.yields)
        body = self.loop_body(op, op.body, idx)
        new = While(list(op.args) + targs, list(op.inits) + tinits, cond, body,
                    list(op.results), op.brk, op.loc)
        self.finish_loop(op, new, idx)


def forward(fn: Function, active_params, kinds, callees, name=None) -> Derivative:
    """The JVP of ``fn`` (left unchanged): takes the primals then a tangent per
    active parameter, returns ``(out, out_dot)``.  Its ``keep`` lists the lines
    to keep apart (each active primal and its tangent), as in the seeds'
    tangent-trace table."""
    fwd = Forward(fn, active_params, kinds, callees)
    out = fwd.run(name or f"{fn.name}_jvp")
    result = fwd.fn.body.yields[0]
    return Derivative(out, fwd.callees, frozenset(fwd.tan.values()) | frozenset(fwd.active),
                      fwd.kinds.get(result) if isinstance(result, Value) else None)
