"""Reverse mode: IR → IR with a forward sweep, a tape, and a reverse sweep.

The forward sweep is the primal program.  The reverse sweep visits its ops in
reverse order and accumulates adjoints ``v_bar`` (the first contribution
initialises, later ones add: the seeds' ``v̄0 = v̄0 + v̄2 ∂v2/∂v0``).

Control flow keeps its structure:

* an ``If`` is reversed into an ``If`` on the same condition; values of a
  branch that its reverse needs leave the forward ``If`` as extra results;
* a ``For``/``While`` is reversed into a ``for`` loop running backwards
  (``reversed(range(n))`` for a ``range`` loop without ``break``, otherwise over
  the trip count the forward loop counts); adjoints of carried values and of
  the loop's free values are the reverse loop's carried values.

Tape discipline (to-be-recorded analysis): a value goes on the tape only if the
reverse sweep reads it and the forward loop redefines it every iteration.
After the reverse body is built, the values it reads that the forward body
defines are pushed, as one tuple, at the end of each forward iteration and
popped at the start of each reverse iteration.  Straight-line values are read
from their SSA names.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from typing import Dict, List, Optional, Sequence, Set

from .. import runtime
from ..ir.analysis import is_mutation
from ..ir.kinds import CONTAINER_KINDS, kind_of_object, rank_of, ranked
from ..ir.nodes import (Block, Const, For, Function, Global, If, Param, Prim, UNDEF,
                        Value, While)
from ..passes.dce import dce
from ..rules import registry
from ..rules.structure import configures, is_context_op
from .builder import Zero, is_zero, np_global, runtime_global
from .calls import derivative_of_call, user_function
from .complexity import real_cotangent, rule_for
from .sequences import sequence_form, sequence_vjp
from .iterators import check_read_once, iterated_sources, iterator_builtin
from .structure import rule_of
from .buffers import Buffers
from .copies import Storage
from .split import SplitCalls
from .checkpoint import Checkpointing
from .tape import Tape, defined_deep, own_values, read_tapes_backwards, substitute, used_deep
from .transform import Derivative, Transform, primitive_key

ARRAY_ATTRS = {"T", "real", "imag", "shape", "ndim", "size", "dtype"}


class Scope:
    """Where adjoints live while a region is reversed.

    ``local`` are the forward values defined inside the region.  In a loop, the
    adjoint of an outer value becomes a carried value of the reverse loop the
    first time the body adds to it (a *slot*); in a branch, it reads through to
    the enclosing scope and is yielded at the end if the branch changed it.
    """

    def __init__(self, parent: Optional["Scope"], kind: str, local=frozenset(), on_slot=None):
        self.parent = parent
        self.on_slot = on_slot if on_slot is not None else (parent.on_slot if parent else None)
        self.kind = kind
        self.local = local
        self.env: Dict[Value, object] = {}
        self.slots: List = []  # loops: (outer value, carried adjoint)
        self.touched: List[Value] = []  # branches: outer values whose adjoint changed

    def get(self, v):
        if v in self.env:
            return self.env[v]
        if self.kind == "function" or v in self.local:
            return None
        if self.kind == "branch":
            return self.parent.get(v)
        slot = Value(v.hint + "_bar", v.user)
        if self.on_slot is not None:
            self.on_slot(v, slot, self)
        self.slots.append((v, slot))
        self.env[v] = slot
        return slot

    def set(self, v, value):
        if self.kind == "branch" and v not in self.local and v not in self.env \
                and v not in self.touched:
            self.touched.append(v)
        self.env[v] = value


class Reverse(Tape, Buffers, SplitCalls, Checkpointing, Transform):
    def __init__(self, fn: Function, active_params: Sequence[Value], kinds: Dict, callees,
                 checkpoint=None):
        super().__init__(fn, active_params, kinds, callees)
        fn = self.fn
        check_read_once(fn, self.active, self.error)
        self.service = callees  # companion functions of checkpointed loops (ad/checkpoint.py)
        self.b.maybe_unbound = _maybe_unbound(fn)
        self.produced: Set[Value] = set()
        self.scope = Scope(None, "function", on_slot=self.new_slot)
        self.stacks = []  # the ops making the (empty) stacks of the tape
        prims = [op for op in fn.body.walk() if isinstance(op, Prim)]
        self.defs_outside = {r: op for op in prims for r in op.results}
        self.b.primal_defs = self.defs_outside  # what rules being inlined may ask of
        self.holders: Dict[object, int] = defaultdict(int)
        # adjoints that are arrays this derivative made (zeros, a sum) and may
        # write into: ``v_bar[i] += g`` for the adjoint of ``v[i]``
        # (copy_before_writes copies one that is read again)
        self.buffers: Set[Value] = set()
        self.exported: Dict[Value, tuple] = {}  # an If's result -> (If, side, value)
        self.reverse_if: Dict[int, If] = {}  # a forward If -> its reverse
        self.carried_slots: Set[Value] = set()  # reverse loops' carried array adjoints
        self.eager: Set[Value] = set()  # those that start from a buffer
        self.wanted: Set[Value] = set()  # those written into in place
        self.list_slots: Set[Value] = set()  # carried adjoints of lists
        self._blocks = None  # forward op -> its block (keep_tape)
        self.tape_holds: Dict[Value, list] = {}  # a callee's tape -> what it may hold
        self._indexed = None
        self._entries = None  # a tuple's primal entries (add_entries)
        # lists that pop in place: their literal's entries are not theirs for long
        self.popped = {op.args[0] for op in prims if op.kind == "callmethod" and
                       op.attrs["method"] == "pop" and op.args}
        self.find_checkpointed(checkpoint)

    # -- adjoint bookkeeping --------------------------------------------------
    def bar(self, v):
        if not isinstance(v, Value) or v not in self.active:
            return None
        return self.scope.get(v)

    def set_bar(self, v, value):
        old = self.scope.env.get(v)
        if old is not None and not isinstance(old, list):
            self.holders[old] -= 1
        self.scope.set(v, value)
        if not isinstance(value, list):
            self.holders[value] += 1
            if isinstance(value, Value):
                self.b.frozen.add(value)

    def accumulate(self, v, contrib, start=None):
        """Add ``contrib`` to the adjoint of ``v``."""
        if not isinstance(v, Value) or v not in self.active or contrib is None:
            return
        if is_zero(contrib) or (isinstance(contrib, Const) and contrib.value is None):
            return
        contrib = real_cotangent(self, v, contrib)  # a real value's adjoint is real
        if isinstance(contrib, list):
            if all(is_zero(c) for c in contrib):
                return
            cur = self.scope.get(v)
            if cur is None:
                self.set_bar(v, contrib)
                return
            if isinstance(cur, list):
                self.set_bar(v, self.add_entries(cur, contrib, v))
                return
            contrib = self.pack(contrib)
        cur = self.scope.get(v)
        if isinstance(cur, list):
            cur = self.pack(cur)
        if cur is None:
            new = contrib
        elif self.is_container(v):
            # tuples, lists and dicts add entry by entry (``+`` would concatenate)
            new = self.b.call(runtime_global("add_any"), [cur, contrib], hint=v.hint + "_bar")
        else:
            new = self.b.add(cur, contrib)
            op = self.b.defs.get(new) if isinstance(new, Value) else None
            if op is not None and op.args and op.args[0] is cur and \
                    self.kinds.get(v) in ("float", "int") and self.holders[cur] <= 1 and \
                    cur in self.produced:
                op.attrs["inplace"] = True
                op.attrs["scalar"] = True  # rebinds a float: touches no other variable
        made = self.b.defs.get(new) if isinstance(new, Value) else None
        if made is not None:
            if not new.user and self.holders[new] == 0:
                new.hint, new.user = v.hint + "_bar", v.user
            self.produced.add(new)
            if self.kinds.get(v) in ("array", "carray") and self.is_buffer(cur):
                self.buffers.add(new)  # buffer + contribution: a fresh array of its shape
        self.set_bar(v, new)

    def add_entries(self, cur, contrib, v):
        """The entry-by-entry sum of two adjoints of the tuple or list ``v`` kept as
        lists of entries (nested lists for nested tuples): an entry that is (or may
        be) a container itself adds with add_any, as ``+`` would concatenate."""
        if self._entries is None:
            self._entries = {}
            for op in self.fn.body.walk():
                if isinstance(op, Prim) and op.kind == "build" and not op.attrs.get("star") \
                        and op.attrs.get("type") in ("tuple", "list"):
                    self._entries[op.results[0]] = list(op.args)
                elif isinstance(op, Prim) and op.kind == "unpack" and \
                        op.attrs.get("star") is None:
                    self._entries.setdefault(op.args[0], list(op.results))
        primals = self._entries.get(v) if isinstance(v, Value) else None
        if primals is None or len(primals) != len(cur):
            primals = [None] * len(cur)
        out = []
        for a, c, like in zip(cur, contrib, primals):
            if is_zero(a) or is_zero(c):
                out.append(c if is_zero(a) else a)
            elif isinstance(a, list) and isinstance(c, list):
                out.append(self.add_entries(a, c, like))
            elif isinstance(a, list) or isinstance(c, list) or like is None or \
                    self.is_container(like):
                a, c = (self.pack(x) if isinstance(x, list) else x for x in (a, c))
                out.append(self.b.call(runtime_global("add_any"), [a, c], hint="t"))
            else:
                out.append(self.b.add(a, c))
        return out

    def is_container(self, v) -> bool:
        """Whether ``v`` is (or may be) a tuple, list or dict: its kind says so, or
        its kind is unknown and the function indexes or unpacks it."""
        kind = self.kinds.get(v)
        if kind in CONTAINER_KINDS or isinstance(kind, tuple):  # tuple: ("object", cls)
            return True
        if kind is not None:
            return False
        if self._indexed is None:
            self._indexed = {op.args[0] for op in self.fn.body.walk() if isinstance(op, Prim)
                             and (op.kind in ("getitem", "unpack") or op.kind == "getattr" and
                                  op.attrs["attr"] not in ARRAY_ATTRS) and op.args}
            self._indexed |= {op.iter for op in self.fn.body.walk() if isinstance(op, For)}
            self._indexed |= {a for op in self.fn.body.walk() for a in _iterated(op)}
        return v in self._indexed

    def release(self, values):
        """Adjoints of values whose definition has been reversed are read no more."""
        for v in values:
            old = self.scope.env.pop(v, None) if v in self.scope.env else None
            if old is not None and not isinstance(old, list):
                self.holders[old] -= 1

    def pack(self, items):
        """A real tuple from a list of adjoints (zeros where there is none)."""
        entries = [self.pack(x) if isinstance(x, list) else self.b.materialize(x)  # nested
                   for x in items]
        return self.b.value("build", entries, "t", type="tuple")

    # -- driver ---------------------------------------------------------------
    def run(self, name: str, with_value: bool, split: bool = False):
        """The VJP as one function; with ``split``, as two (see :func:`reverse`)."""
        fn = self.fn
        self.derivative_name = name
        for op in fn.body.walk():
            if isinstance(op, Prim) and op.kind == "binop":
                op.attrs.pop("inplace", None)
        main = Block(list(fn.body.ops))
        self.forward_main = main
        back = Block()  # the reverse sweep, after the forward one
        self.b.push(back)
        out = fn.body.yields[0]
        out_bar = Value((out.hint if isinstance(out, Value) else "out") + "_bar", True)
        self.produced.add(out_bar)
        self.set_bar(out, out_bar)
        self.holders[out_bar] += 1  # the caller's: never update it in place
        self.reverse_ops(fn.body.ops)
        self.b.loc = None
        grads = []
        for p in self.active_params:
            g = self.bar(p)
            if isinstance(g, list):
                g = self.pack(g)
            grads.append(self.b.materialize(g if g is not None else Zero(p)))
        grads_tuple = self.b.value("build", grads, "grads", type="tuple")
        params = [p for p in fn.params if p.kind == "positional"]
        rest = [p for p in fn.params if p.kind != "positional"]
        if split:
            return self.split(name, main, back, out, out_bar, grads_tuple)
        ret = self.b.value("build", [out, grads_tuple], "result", type="tuple") if with_value \
            else grads_tuple
        main.ops += back.ops
        main.yields = [ret]
        main.ops[:0] = self.stacks
        self.copy_before_writes(main)
        read_tapes_backwards(main, [s.results[0] for s in self.stacks])
        default = Const(1.0) if self.kinds.get(out) in ("float", "complex") else None
        new = Function(name, params + [Param(out_bar, "positional", default)] + rest, main,
                       fn.filename, fn.firstlineno, None, fn.source)
        return new

    def copy_before_writes(self, main: Block):
        """An in-place write must not destroy a value that is read again: write
        into a copy instead (this also leaves the caller's arrays alone).

        A value is read again when it, or any value sharing its storage (a name
        bound to it, an If's result, a loop's carried value, a view), is read
        after the write, pushed on the tape (the reverse sweep reads it), read
        by a later iteration of a loop around the write, or is an argument."""
        def writes_in_place(op):
            return isinstance(op, Prim) and op.kind != "binop" and is_mutation(op) and \
                isinstance(op.args[0], Value)

        if not any(writes_in_place(op) for op in main.walk()):
            return  # nothing to copy: the storage analysis would find nothing
        storage = Storage(main, self.kinds, [s.results[0] for s in self.stacks],
                           [p.value for p in self.fn.params], self.tape_holds)

        def visit(block):
            new_ops = []
            for op in block.ops:
                if writes_in_place(op) and storage.read_again(op):
                    old = op.args[0]
                    if self.kinds.get(old) in ("array", "carray"):  # np.copy keeps the order
                        cp = Prim("call", [np_global("copy"), old], [Value(old.hint, old.user)],
                                  {}, op.loc)
                    else:
                        cp = Prim("callmethod", [old], [Value(old.hint, old.user)],
                                  {"method": "copy"}, op.loc)
                    new_ops.append(cp)
                    op.args[0] = cp.results[0]
                new_ops.append(op)
                for b in op.blocks():
                    visit(b)
            block.ops = new_ops

        visit(main)
        visit = None  # a recursive closure is a reference cycle: freed now, not by gc

    def reverse_ops(self, ops):
        for op in reversed(ops):
            self.b.loc = op.loc
            if is_context_op(op):
                self.reverse_context(op, ops)
            elif isinstance(op, Prim):
                self.op_now = op  # whose contributions accumulate() adds
                self.prim(op)
                self.op_now = None
            elif isinstance(op, If):
                self.if_(op)
            else:
                self.loop(op)
            self.release(op.results)

    def reverse_context(self, op, ops):
        """The adjoint of a kept with-block (``np.errstate``...) runs in a
        with-block of its own: a fresh context manager from the same call,
        configured by the same calls (``warnings.simplefilter``), so that it
        hides the warnings of the adjoint as it hides those of the primal."""
        if op.kind == "with_enter":
            self.b.append(Prim("with_exit", list(op.args), [], dict(op.attrs), op.loc))
            return
        self.b.append(Prim("with_enter", list(op.args), [], dict(op.attrs), op.loc))
        context = op.attrs.get("context")
        end = next(i for i, o in enumerate(ops) if o is op)
        start = next((i for i in range(end - 1, -1, -1) if is_context_op(ops[i]) and
                      ops[i].kind == "with_enter" and ops[i].attrs.get("context") == context), end)
        for o in ops[start + 1:end]:
            if configures(o):
                self.b.append(Prim("call", list(o.args), [Value("t")], dict(o.attrs), o.loc))

    # -- primitives -------------------------------------------------------------
    def prim(self, op: Prim):
        if not any(r in self.active for r in op.results):
            return
        bars = [self.bar(r) for r in op.results]
        pops = op.kind == "callmethod" and op.attrs["method"] == "pop"
        if all(b is None for b in bars) and not pops:  # a pop still gives the entry back
            return
        structural = rule_of(op)
        if structural is not None and structural.structural_vjp is not None:
            structural.structural_vjp(self, op, bars)
            return
        if sequence_form(op, self.kinds) is not None:  # xs + ys, xs * 2
            sequence_vjp(self, op, bars)
            return
        ybar = self.pack(bars[0]) if isinstance(bars[0], list) else bars[0]
        key, first = primitive_key(op)
        rule = registry.lookup(key) if key is not None else None
        if rule is None and self.call_through(op, ybar):
            return
        if rule is None:
            raise self.unknown(op)
        rule = rule_for(self, rule, op, first)  # complex operands may need another
        if rule.nondiff:
            return
        if rule.partials is not None:
            self.by_partials(rule, op, first, ybar)
        elif rule.vjp is not None:
            self.by_vjp(rule, op, first, ybar)
        else:
            raise self.error(op, f"{rule.name} has no reverse rule",
                             f"register one with @s2sad.defvjp({rule.name})")

    def broadcastable(self, arg, result) -> bool:
        """Whether ``arg``'s adjoint from ``result`` may need summing down to its
        shape: not between scalars, nor for an elementwise op whose other
        operands all are scalars (the result has ``arg``'s shape)."""
        ka, kr = self.kinds.get(arg) if isinstance(arg, Value) else None, self.kinds.get(result)
        if ka in ("float", "int", "complex") and kr in ("float", "int", "complex"):
            return False
        op = self.op_now
        if ka not in ("array", "carray") or op is None or result not in op.results or \
                not (op.kind in ("binop", "unary") and op.attrs["op"] != "@" or
                     op.kind == "call" and isinstance(op.args[0], Global) and
                     isinstance(op.args[0].obj, np.ufunc) and not op.attrs.get("kw")):
            return True
        operands = op.args[1:] if op.kind == "call" else op.args
        return not all(a is arg or rank_of(self.kinds.get(a) if isinstance(a, Value) else
                                           kind_of_object(getattr(a, "value", None))) == 0
                       for a in operands)

    def contribute(self, arg, contrib, result):
        if is_zero(contrib) or contrib is None:
            return
        if isinstance(arg, Value) and arg in self.active and self.broadcastable(arg, result):
            contrib = self.b.call(runtime_global("unbroadcast"), [contrib, arg])
        self.accumulate(arg, contrib)

    def call_through(self, op, ybar) -> bool:
        """``y = g(x)`` for a user function g: the forward sweep calls
        ``y, g_tape = g_fwd(x)`` instead, the reverse sweep
        ``x_bar += g_bwd(g_tape, y_bar)``."""
        f = user_function(op, self.kinds)
        if f is None:
            return False
        if getattr(f, "__s2sad_checkpoint__", False):
            return self.call_recomputed(op, f, ybar)
        found = derivative_of_call(self, op, f, "reverse_split")
        if found is None:
            return True
        compiled, pos, keywords = found
        tape = self.keep_tape(op, compiled, pos, keywords)
        grads = self.b.value("call", [Global(compiled.back_name, compiled.back), tape, ybar],
                             "grads")
        res = self.b.prim("unpack", [grads], nresults=len(compiled.active), star=None)
        for i, g in zip(compiled.active, res.results):
            g.hint = (pos[i].hint if isinstance(pos[i], Value) else "t") + "_bar"
            self.accumulate(pos[i], g)
        return True

    def by_partials(self, rule, op, first, ybar):
        _, partials = self.active_partials(rule, op, first)
        result = op.result
        for operand, partial in partials.items():
            contrib = self.b.mul(ybar, partial)
            if self.list_built_in_place(operand) and not is_zero(contrib):
                contrib = self.b.call(Global("list", list), [contrib], hint=operand.hint + "_bar")
            self.contribute(operand, contrib, result)

    def list_built_in_place(self, operand) -> bool:
        """Whether ``operand`` is a list that appends made (not a literal): its
        adjoint must be a list, which the reverse of each append pops, while a
        NumPy rule gives the adjoint of the list it reads as an array."""
        if not (isinstance(operand, Value) and self.kinds.get(operand) == "list"):
            return False
        made = self.defs_outside.get(operand)
        return made is None or made.kind != "build"

    def by_vjp(self, rule, op, first, ybar):
        tmpl, bound, env = self.template_bindings(rule, "vjp", op, first,
                                                  {"ans": op.result, "ans_bar": ybar})
        cots = self.b.inline(tmpl, env, op.loc, cotangents=True)
        if not isinstance(cots, list):
            cots = [cots]  # a rule that returns no tuple literal answers for its first argument
        for (name, operand), c in zip(bound.items(), cots):
            if isinstance(operand, Value) and operand in self.active:
                if rule.library not in ("core", "user") and self.list_built_in_place(operand) \
                        and c is not None and not is_zero(c):
                    c = self.b.call(Global("list", list), [c], hint=operand.hint + "_bar")
                self.accumulate(operand, c)

    # -- control flow ---------------------------------------------------------
    def if_(self, F: If):
        bars = [self.bar(r) if r in self.active else None for r in F.results]
        if all(b is None for b in bars) and not self._has_active_effect(F):
            return
        R = If(F.cond, Block(), Block(), [], F.loc)
        parent = self.scope
        scopes = []
        for fwd, rev in ((F.then, R.then), (F.orelse, R.orelse)):
            scope = Scope(parent, "branch", defined_deep(fwd))
            self.scope = scope
            saved = self.b.push(rev)
            for y, g in zip(fwd.yields, bars):
                if g is not None:
                    self.accumulate(y, g)
            self.reverse_ops(fwd.ops)
            self.b.pop(saved)
            scopes.append(scope)
            self.scope = parent
        touched = list(dict.fromkeys(scopes[0].touched + scopes[1].touched))
        for v in touched:
            result = Value(v.hint + "_bar", v.user)
            for scope, rev in zip(scopes, (R.then, R.orelse)):
                saved = self.b.push(rev)
                g = scope.env.get(v, None)
                if g is None:
                    g = parent.get(v)
                if isinstance(g, list):
                    g = self.pack(g)
                rev.yields.append(self.b.materialize(g if g is not None else Zero(v)))
                self.b.pop(saved)
            if all(self.is_buffer(rev.yields[-1]) for rev in (R.then, R.orelse)):
                self.buffers.add(result)
            R.results.append(result)
            self.produced.add(result)
            self.set_bar(v, result)
        _local_dce(R.then)
        _local_dce(R.orelse)
        self.b.append(R)
        self.export(F, R)

    def _has_active_effect(self, op):
        return False

    def export(self, F: If, R: If):
        """Branch values the reverse branch reads leave the forward If as results."""
        self.reverse_if[id(F)] = R
        for side, (fwd, rev) in enumerate(((F.then, R.then), (F.orelse, R.orelse))):
            own = set(own_values(fwd))
            mapping = {}
            for v in used_deep(rev):
                if v in own:
                    r = Value(v.hint, v.user)
                    self.exported[r] = (F, side, v)
                    F.results.append(r)
                    F.then.yields.append(v if side == 0 else UNDEF)
                    F.orelse.yields.append(v if side == 1 else UNDEF)
                    mapping[v] = r
                    self.kinds[r] = self.kinds.get(v)
            substitute(rev, mapping)

    def loop(self, L):
        bars = [self.bar(r) if r in self.active else None for r in L.results]
        if all(b is None for b in bars):
            return
        if self.checkpoint_loop(L, bars):  # ad/checkpoint.py: no tape, a scheduler
            return
        parent = self.scope
        local = defined_deep(L.body) | set(L.defined_here())
        if isinstance(L, While):
            local |= defined_deep(L.cond)
        use_range = isinstance(L, For) and L.brk is None and self.kinds.get(L.iter) == "range"
        scope = Scope(parent, "loop", local)
        self.scope = scope
        body = Block()
        saved = self.b.push(body)
        arg_slots = []
        for i, (a, y) in enumerate(zip(L.args, L.body.yields)):
            if a in self.active:
                s = Value(a.hint + "_bar", a.user)
                self.produced.add(s)
                arg_slots.append((i, s))
                if self.kinds.get(a) in ("array", "carray"):
                    self.carried_slots.add(s)  # may become a buffer (want_buffer)
                    start = bars[i]
                    if self.is_buffer(start) or start in self.carried_slots:
                        self.buffers.add(s)  # it starts from one: a buffer while not
                        self.eager.add(s)  # shown otherwise (its yield, at the end)
                self.holders[s] += 1  # held by the loop until the body is built
                self.accumulate(y, s)
                self.holders[s] -= 1
        self.reverse_ops(L.body.ops)
        self.b.loc = None
        item_index = None
        if isinstance(L, For) and L.item in self.active and scope.env.get(L.item) is not None:
            # ``for v in xs``: v is xs[k] in iteration k, so its adjoint goes back
            # into the adjoint of xs at k (the reverse loop runs k backwards)
            item_index = Value("k")
            self.item_adjoint(L.iter, scope.env.get(L.item), item_index)
        arg_yields = []
        for i, s in arg_slots:
            g = scope.env.get(L.args[i])
            if isinstance(g, list):
                g = self.pack(g)
            g = self.b.materialize(g if g is not None else Zero(L.args[i]))
            if s in self.eager and s not in self.wanted and not self.is_buffer(g):
                self.buffers.discard(s)  # nothing wrote into it: no copies to make one
            if s in self.buffers and not self.is_buffer(g):
                g = self.b.call(np_global("copy"), [g], hint=s.hint)  # a copy to write into
            arg_yields.append(g)
        slot_yields = []
        for v, s in scope.slots:
            g = scope.env.get(v)
            if isinstance(g, list):
                g = self.pack(g)
            g = self.b.materialize(g if g is not None else Zero(v))
            if s in self.buffers and not self.is_buffer(g):
                g = self.b.call(np_global("copy"), [g], hint=s.hint)  # a copy to write into
            slot_yields.append(g)
        body.yields = arg_yields + slot_yields
        _local_dce(body)
        self.b.pop(saved)
        self.scope = parent
        self.b.loc = L.loc
        # where the reverse loop's adjoints start
        inits = []
        for i, s in arg_slots:
            g = bars[i]
            if isinstance(g, list):
                g = self.pack(g)
            inits.append(self.buffer_init(s, self.b.materialize(
                g if g is not None else Zero(L.results[i]))))
        for v, s in scope.slots:
            g = parent.get(v)
            if isinstance(g, list):
                g = self.pack(g)
            inits.append(self.buffer_init(s, self.b.materialize(g if g is not None else Zero(v))))
        # iteration order
        if use_range:
            item = Value(L.item.hint, L.item.user)
            it = L.iter
            made = self.defs_outside.get(it)
            if made is not None and made.kind == "call" and isinstance(made.args[0], Global) \
                    and made.args[0].obj is range and not made.attrs:
                it = self.b.call(made.args[0], made.args[1:], hint=it.hint)  # range(n) again
            it = self.b.call(Global("reversed", reversed), [it], hint="backwards")
            substitute(body, {L.item: item})
        else:
            trips = self.count_trips(L)
            item = Value("_") if item_index is None else item_index
            it = self.b.call(Global("range", range), [trips], hint="steps")
            if item_index is not None:
                it = self.b.call(Global("reversed", reversed), [it], hint="backwards")
        self.record(L, body, use_range, item if use_range else None)
        args = [s for _, s in arg_slots] + [s for _, s in scope.slots]
        results = [Value(s.hint, s.user) for s in args]
        R = For(it, item, args, inits, body, results, None, L.loc)
        self.b.append(R)
        for r in results:
            self.produced.add(r)
        # the slots first: their results hold what came before the loop, to which the
        # carried values' adjoints then add (``for v in x: x = ...``: x is both)
        for (v, s), r in zip(scope.slots, results[len(arg_slots):]):
            self.set_bar(v, r)
            if s in self.buffers:
                self.buffers.add(r)
        for (i, s), r in zip(arg_slots, results):
            if s in self.buffers:
                self.buffers.add(r)
            self.accumulate(L.inits[i], r)

    def item_adjoint(self, it, g, index):
        """Add ``g``, the adjoint of item ``index`` of the iteration over ``it``, to
        the adjoint of the sequence the item comes from (through ``enumerate``,
        ``zip``, ``reversed`` and ``iter``, whose iterators are consumed by then)."""
        made = self.defs_outside.get(it) if isinstance(it, Value) else None
        f = iterator_builtin(made)
        if f is reversed and len(made.args) == 2:
            self.item_adjoint(made.args[1], g, self.b.binop("-", Const(-1), index, "back"))
            return
        if f is iter and len(made.args) == 2:
            self.item_adjoint(made.args[1], g, index)
            return
        if made is not None and made.kind == "call" and isinstance(made.args[0], Global) and \
                made.args[0].obj is zip and made.attrs.get("star") == (1,) and \
                len(made.args) == 2 and not made.attrs.get("kw"):
            # zip(*seqs): entry j of the item is seqs[j][index]
            seqs = made.args[1]
            if isinstance(g, list):
                g = self.pack(g)
            self.accumulate(seqs, self.b.call(runtime_global("unzipped_adjoint"),
                                              [g, seqs, index], hint=_hint_of(seqs) + "_bar"))
            return
        if f in (enumerate, zip):
            sources = iterated_sources(made)
            offset = 1 if f is enumerate else 0
            for j, src in enumerate(sources):
                if not (isinstance(src, Value) and src in self.active):
                    continue
                gj = g[j + offset] if isinstance(g, list) else self.b.value(
                    "getitem", [g, Const(j + offset)], "t", index=("val", 1))
                if gj is not None and not is_zero(gj):
                    self.item_adjoint(src, gj, index)
            return
        if isinstance(g, list):
            g = self.pack(g)
        self.kinds[index] = "int"
        kind = self.kinds.get(it)
        self.add_at(it, g, [index], ("val", 1), ranked(kind, rank_of(kind) - 1)
                    if rank_of(kind) else None)


# builtins that iterate over their first argument (zip and map: over all), which
# may be a list when its kind is unknown; min and max only when given one; and
# the helpers that take the adjoint list of an iterator (derivative code
# differentiated again adds up adjoints of those lists)
_ITERATING = (enumerate, reversed, list, tuple, sorted, sum, iter, min, max,
              runtime.like_sequence, runtime.iterated_adjoint, runtime.reversed_adjoint,
              runtime.zipped_adjoint, runtime.zipped_adjoint_transpose)


def _iterated(op):
    """The operands that the call ``op`` iterates over."""
    if not (isinstance(op, Prim) and op.kind == "call" and isinstance(op.args[0], Global)):
        return ()
    f = op.args[0].obj
    if f is zip or f is map:
        return op.args[1:]
    if any(f is g for g in _ITERATING) and len(op.args) > 1 and \
            not ((f is min or f is max) and (len(op.args) > 2 or op.attrs.get("star"))):
        return op.args[1:2]
    return ()


def _hint_of(v):
    return v.hint if isinstance(v, Value) else "t"


def _maybe_unbound(fn: Function) -> Set[Value]:
    """Values that some path leaves unbound (a variable set in one branch only)."""
    out: Set[Value] = set()

    def bad(a):
        return a is UNDEF or a in out

    changed = True
    while changed:
        changed = False
        for op in fn.body.walk():
            if isinstance(op, If):
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    if r not in out and (bad(y1) or bad(y2)):
                        out.add(r)
                        changed = True
            elif isinstance(op, (For, While)):
                for a, init, y, r in zip(op.args, op.inits, op.body.yields, op.results):
                    if r not in out and (bad(init) or bad(y)):
                        out.update((a, r))
                        changed = True
    return out


def _local_dce(block: Block):
    """Drop what a reverse region computes but never uses (partials of inactive
    arguments), before deciding what it needs from the forward sweep."""
    dce(Function("region", [], block))


def reverse(fn: Function, active_params, kinds, callees, name=None,
            with_value=False, split=False, checkpoint=None) -> Derivative:
    """The VJP of ``fn`` (left unchanged): takes the primals then ``out_bar``;
    returns the tuple of adjoints of the active parameters (``(out, adjoints)``
    with ``with_value``).

    With ``split`` it is two functions, as a call of ``fn`` in other derivative
    code uses it: ``g_fwd`` takes the primals and returns ``(out, tape)``, the
    tape holding what the reverse sweep reads; ``g_bwd`` (:attr:`Derivative.back`)
    takes the tape and ``out_bar`` and returns the adjoints.  The caller keeps
    the tape, so that nothing of ``fn`` is computed twice.

    ``checkpoint=K`` checkpoints the loops not inside another loop with ``K``
    snapshots (ad/checkpoint.py); loops marked ``s2sad.checkpointed`` are
    checkpointed whatever it is."""
    rev = Reverse(fn, active_params, kinds, callees, checkpoint)
    result = rev.fn.body.yields[0]
    out_kind = rev.kinds.get(result) if isinstance(result, Value) else None
    try:
        if split:
            forward_fn, back_fn = rev.run(name or f"{fn.name}_fwd", with_value, split=True)
            return Derivative(forward_fn, rev.callees, frozenset(), out_kind, back_fn)
        out = rev.run(name or f"{fn.name}_vjp", with_value)
        return Derivative(out, rev.callees, frozenset(), out_kind)
    finally:
        # the scopes call back into the transform: without them, reference
        # counting frees its copy of the primal now, not the cyclic collector
        rev.scope = None
