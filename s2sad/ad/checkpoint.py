"""Checkpointed loops in reverse mode: bounded memory for long loops.

A ``for`` loop over a ``range`` that is checkpointed (``grad(f, checkpoint=K)``
for the loops of ``f`` not inside another loop, or ``for i in
s2sad.checkpointed(range(n), snapshots=K)`` for one loop) keeps no tape.  Its
body becomes two companion functions of the derivative, emitted alongside it:

* ``f_step_1(i, *carried, *invariants)``: one iteration, returning the tuple
  of the carried values after it (the primal body);
* ``f_step_1_adjoint(i, *carried, *invariants, carried_bar)``: the VJP of one
  iteration (this module's :func:`~s2sad.ad.reverse.reverse` of the body,
  whose inner loops are taped), returning the adjoints of the active carried
  values before it and of the active invariants (values the body reads and
  does not define).

The forward sweep calls ``checkpointed_forward(f_step_1, range(n), K,
carried, invariants)`` in place of the loop, the reverse sweep
``checkpointed_adjoint(f_step_1_adjoint, checkpoints, carried_bar, ...)``:
the runtime scheduler (:mod:`s2sad.runtime.checkpoint`, Griewank and Walther's
binomial revolve) recomputes segments forward from the snapshots it kept.

``checkpoint="auto"`` with a ``memory_limit`` has the forward sweep pick the
snapshot count when the loop starts, from the size of its carried values
(``snapshots_within``).

``while`` loops, and loops with a ``break``, whose number of steps is known
only at their end, are checkpointed online (snapshots at a doubling interval,
``checkpointed_while``, ``checkpointed_until``); their step also returns
whether the loop stops after it.

A loop this cannot do exactly (an in-place write, a carried value that is not
a float or an array, one first set inside the loop as an early ``return``
makes, an iteration over something other than a ``range``) is taped as before
under ``checkpoint=K``; marked with ``s2sad.checkpointed`` it is an error
naming its line.
"""
from __future__ import annotations

from ..errors import NonDifferentiableError, S2sadError, at_location
from ..ir.analysis import is_mutation
from ..ir.clone import clone_function
from ..ir.nodes import Block, Const, For, Function, Global, If, Param, Prim, UNDEF, Value, While
from ..runtime.checkpoint import checkpointed as _checkpointed
from .builder import Zero, runtime_global
from .calls import derivative_of_call, keyword_call
from .tape import defined_deep, used_deep

CHECKPOINTABLE = ("float", "array")


_UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "KIB": 2 ** 10,
          "MIB": 2 ** 20, "GIB": 2 ** 30}


def checkpoint_option(checkpoint, memory_limit=None):
    """What ``checkpoint=`` asks for: a snapshot count, ``("auto", bytes)``,
    or None (loops are taped)."""
    if isinstance(checkpoint, tuple) and memory_limit is None:
        return checkpoint  # ("auto", bytes): made here before
    if checkpoint == "auto":
        if memory_limit is None:
            raise S2sadError("checkpoint='auto' needs memory_limit= (bytes, or a string "
                             "such as '200MB')")
        return ("auto", _bytes(memory_limit))
    if memory_limit is not None:
        raise S2sadError("memory_limit= goes with checkpoint='auto'")
    if checkpoint is None:
        return None
    if isinstance(checkpoint, int) and not isinstance(checkpoint, bool) and checkpoint >= 1:
        return checkpoint
    raise S2sadError(f"checkpoint={checkpoint!r}: give the number of snapshots, an int >= 1, "
                     "or 'auto' with memory_limit=")


def _bytes(limit) -> int:
    """``memory_limit=`` in bytes: an int, or a string such as "200MB"."""
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        return limit
    text = str(limit).strip().upper().replace(" ", "")
    number = text.rstrip("KMGIB")
    unit = text[len(number):]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise S2sadError(f"memory_limit={limit!r}: give bytes, or a string such as '200MB' "
                         "or '1.5GiB'") from None
    if value <= 0:
        raise S2sadError(f"memory_limit={limit!r} must be positive")
    return int(value)


def python_only(checkpoint, backend):
    """Checkpointed derivatives run as Python (their scheduler calls functions)."""
    if checkpoint is not None and backend != "python":
        raise S2sadError(f"checkpoint= runs with the Python backend, not {backend!r}: its "
                         "scheduler calls the step functions as Python functions")


def is_checkpointed_call(op) -> bool:
    """``s2sad.checkpointed(iterable, ...)``."""
    return isinstance(op, Prim) and op.kind == "call" and isinstance(op.args[0], Global) and \
        op.args[0].obj is _checkpointed


def take_directives(fn: Function, default=None):
    """``id(loop) -> snapshots`` for the loops of ``fn`` marked ``for i in
    s2sad.checkpointed(xs, snapshots=K)``, which now iterate over ``xs`` itself
    (the directive's call is dropped where nothing else reads it).  Changes
    ``fn``: the transforms run it on their own copy."""
    loops = [op for op in fn.body.walk() if isinstance(op, For) and isinstance(op.iter, Value)]
    if not loops:
        return {}
    defs = {r: op for op in fn.body.walk() if isinstance(op, Prim) for r in op.results}
    out, done = {}, []
    for op in loops:
        made = defs.get(op.iter)
        if not is_checkpointed_call(made):
            continue
        kw = made.attrs.get("kw", ())
        if made.attrs.get("star") or made.attrs.get("dstar") or \
                len(made.args) - len(kw) > 3 or any(k != "snapshots" for k in kw):
            raise at_location(NonDifferentiableError, "s2sad.checkpointed takes the "
                              "iterable and snapshots=", made.loc,
                              "write s2sad.checkpointed(range(n), snapshots=20)")
        snap = made.args[2] if len(made.args) > 2 else Const(default or 20)
        if not (isinstance(snap, Const) and (isinstance(snap.value, int) and
                not isinstance(snap.value, bool) and snap.value >= 1 or
                snap.value is default and default is not None)):
            raise at_location(NonDifferentiableError, "snapshots= of s2sad.checkpointed "
                              "must be a positive int literal", made.loc)
        op.iter = made.args[1]
        out[id(op)] = snap.value
        done.append(made)
    for made in done:
        if made.results[0] not in used_deep(fn.body):
            _block_of(fn.body, made).ops.remove(made)  # the directive has done its work
    return out


class Checkpointing:
    """The checkpointing half of :class:`~s2sad.ad.reverse.Reverse`."""

    def find_checkpointed(self, checkpoint):
        """Which loops to checkpoint: ``id(loop) -> (snapshots, marked)``."""
        self.step_count = 0
        self.checkpointed = {k: (snap, True) for k, snap in
                             take_directives(self.fn, checkpoint).items()}
        if checkpoint is None:
            return

        def top(block):
            for op in block.ops:
                if isinstance(op, (For, While)):
                    self.checkpointed.setdefault(id(op), (checkpoint, False))
                elif isinstance(op, If):
                    top(op.then)
                    top(op.orelse)

        top(self.fn.body)

    def why_not_checkpointed(self, L, carried, invariants):
        """Why ``L`` cannot be checkpointed exactly (None: it can)."""
        if getattr(self, "service", None) is None or \
                getattr(self.service, "companion", None) is None:
            return "this compiler cannot make companion functions"
        if isinstance(L, For) and self.kinds.get(L.iter) != "range":
            return "it iterates over something other than a range"
        if any(init is UNDEF for init in L.inits):
            return "a variable it carries is first set inside it (an early return's value)"
        blocks = [L.body] + ([L.cond] if isinstance(L, While) else [])
        for b in blocks:
            for op in b.walk():
                if isinstance(op, Prim) and is_mutation(op):
                    return "it writes into a list, a dict or an array in place"
        for v in list(carried) + list(invariants):
            if v in self.active and self.kinds.get(v) not in CHECKPOINTABLE:
                return f"{v.hint} is a {self.kinds.get(v) or 'value of unknown kind'}, " \
                       "not a float or an array"
        return None

    def checkpoint_loop(self, L, bars) -> bool:
        """Checkpoint ``L`` if it is to be: the forward sweep calls the scheduler in
        its place, and the reverse sweep its adjoint.  False: tape it."""
        snapshots, marked = self.checkpointed.get(id(L), (None, False))
        if snapshots is None:
            return False
        blocks = [L.body] + ([L.cond] if isinstance(L, While) else [])
        inside = set(L.args) | ({L.item} if isinstance(L, For) else set())
        for b in blocks:
            inside |= defined_deep(b)
        invariants = []
        for b in blocks:
            invariants += [v for v in used_deep(b) if v not in inside and v not in invariants]
        why = self.why_not_checkpointed(L, L.args, invariants)
        if why is not None:
            if marked:
                raise at_location(NonDifferentiableError, f"cannot checkpoint this loop: {why}",
                                  L.loc, "checkpointed loops run over a range and carry "
                                  "floats and arrays; leave this one taped")
            return False
        self.step_count += 1
        base = getattr(self, "derivative_name", None) or self.fn.name + "_vjp"
        base = base[:-4] if base == self.fn.name + "_vjp" else base
        name = f"{base}_step_{self.step_count}"
        item = L.item if isinstance(L, For) else Value("_")
        params = [item] + list(L.args) + invariants
        ops = (list(L.cond.ops) if isinstance(L, While) else []) + list(L.body.ops)
        stops = [L.brk] if L.brk is not None else []  # a break: whether the loop ends now
        step, copies = clone_function(Function(
            name, [Param(v) for v in params], Block(ops, list(L.body.yields) + stops),
            self.fn.filename, self.fn.firstlineno, None, self.fn.source))
        carried = Value("carried")
        step.body.ops.append(Prim("build", list(step.body.yields), [carried], {"type": "tuple"},
                                  L.loc))
        step.body.yields = [carried]
        kinds = {copies[v]: self.kinds.get(v) for v in params}
        active = [i for i, a in enumerate(L.args) if a in self.active]
        active_inv = [j for j, v in enumerate(invariants) if v in self.active]
        active_values = [copies[L.args[i]] for i in active] + \
            [copies[invariants[j]] for j in active_inv]
        inner = type(self)(step, active_values, kinds, self.service)  # the step's own VJP
        adjoint = inner.run(name + "_adjoint", False)
        self.callees += inner.callees
        step_fn = self.service.companion(step, step, kinds, (), "forward")
        adjoint_fn = self.service.companion(adjoint, step, kinds, active_values, "reverse",
                                            callees=inner.callees)
        self.callees += [step_fn, adjoint_fn]
        test_fn = None
        if isinstance(L, While):
            test = Function(name + "_test", [Param(v) for v in list(L.args) + invariants],
                            Block(list(L.cond.ops), list(L.cond.yields)),
                            self.fn.filename, self.fn.firstlineno, None, self.fn.source)
            test, tcopies = clone_function(test)
            tkinds = {tcopies[v]: self.kinds.get(v) for v in list(L.args) + invariants}
            test_fn = self.service.companion(test, test, tkinds, (), "forward")
            self.callees.append(test_fn)
        self.replace_forward(L, step_fn, test_fn, snapshots, invariants)
        # the reverse sweep
        entries = []
        for i, r in enumerate(L.results):
            if i in active:
                g = bars[i]
                if isinstance(g, list):
                    g = self.pack(g)
                entries.append(self.b.materialize(g if g is not None else Zero(r)))
            else:
                entries.append(Const(None))
        carried_bar = self.b.value("build", entries, "carried_bar", type="tuple")
        online = isinstance(L, While) or L.brk is not None  # steps known at the end
        runner = "checkpointed_online_adjoint" if online else "checkpointed_adjoint"
        grads = self.b.value("call", [runtime_global(runner),
                                      Global(adjoint_fn.name, adjoint_fn.fn), self.last_checkpoints,
                                      carried_bar, Const(tuple(active)), Const(tuple(active_inv))],
                             "grads")
        outs = [L.args[i] for i in active] + [invariants[j] for j in active_inv]
        unpack = self.b.prim("unpack", [grads], nresults=len(outs), star=None)
        for v, g in zip(outs, unpack.results):
            g.hint, g.user = v.hint + "_bar", v.user
            self.kinds[g] = self.kinds.get(v)
        for i, g in zip(active, unpack.results):
            self.accumulate(L.inits[i], g)
        for v, g in zip(outs[len(active):], unpack.results[len(active):]):
            self.accumulate(v, g)
        return True

    def call_recomputed(self, op, f, ybar) -> bool:
        """``y = g(x)`` for a ``@s2sad.checkpoint`` function g: the forward sweep
        calls g itself and keeps only x (the tape of a loop around it pushes
        it), the reverse sweep calls ``g_vjp(x, y_bar)``, which computes g
        again (JAX's remat)."""
        found = derivative_of_call(self, op, f, "reverse")
        if found is None:
            return True
        compiled, pos, keywords = found
        args, attrs = keyword_call(Global(compiled.name, compiled.fn),
                                   list(pos) + [self.b.materialize(ybar)], keywords)
        grads = self.b.value("call", args, "grads", **attrs)
        res = self.b.prim("unpack", [grads], nresults=len(compiled.active), star=None)
        for i, g in zip(compiled.active, res.results):
            g.hint = (pos[i].hint if isinstance(pos[i], Value) else "t") + "_bar"
            self.accumulate(pos[i], g)
        return True

    def replace_forward(self, L, step_fn, test_fn, snapshots, invariants):
        """The forward sweep's loop becomes ``carried, checkpoints =
        checkpointed_forward(step, range(n), snapshots, inits, invariants)``."""
        block = _block_of(self.forward_main, L)
        hint = next((a.hint for a in L.args if a in self.active), "loop")
        inits = Prim("build", list(L.inits), [Value("carried")], {"type": "tuple"}, L.loc)
        inv = Prim("build", list(invariants), [Value("invariants")], {"type": "tuple"}, L.loc)
        new = [inits, inv]
        if isinstance(snapshots, tuple):  # ("auto", bytes): as many as fit, when it starts
            fit = Prim("call", [runtime_global("snapshots_within"), Const(snapshots[1]),
                                inits.results[0]], [Value("snapshots")], {}, L.loc)
            new.append(fit)
            snapshots = fit.results[0]
            self.kinds[snapshots] = "int"
        else:
            snapshots = Const(snapshots)
        pair = Value("t")
        if isinstance(L, While):
            call = Prim("call", [runtime_global("checkpointed_while"),
                                 Global(step_fn.name, step_fn.fn), Global(test_fn.name, test_fn.fn),
                                 snapshots, inits.results[0], inv.results[0]] +
                        ([Const(True)] if L.brk is not None else []), [pair], {}, L.loc)
        elif L.brk is not None:
            call = Prim("call", [runtime_global("checkpointed_until"),
                                 Global(step_fn.name, step_fn.fn), L.iter, snapshots,
                                 inits.results[0], inv.results[0]], [pair], {}, L.loc)
        else:
            call = Prim("call", [runtime_global("checkpointed_forward"),
                                 Global(step_fn.name, step_fn.fn), L.iter, snapshots,
                                 inits.results[0], inv.results[0]], [pair], {}, L.loc)
        final, ckp = Value("carried"), Value(hint + "_checkpoints")
        split = Prim("unpack", [pair], [final, ckp], {"star": None}, L.loc)
        results = Prim("unpack", [final], list(L.results), {"star": None}, L.loc)
        new += [call, split, results]
        at = next(k for k, op in enumerate(block.ops) if op is L)
        block.ops[at:at + 1] = new
        if self._blocks is not None:
            for op in new:
                self._blocks[id(op)] = block
        for v in (inits.results[0], inv.results[0], pair, final, ckp):
            self.kinds[v] = "tuple"
        self.tape_holds[ckp] = [a for a in list(L.inits) + list(invariants) + list(L.results)
                                if isinstance(a, Value)]
        self.last_checkpoints = ckp


def _block_of(block: Block, target):
    for op in block.ops:
        if op is target:
            return block
        for b in op.blocks():
            found = _block_of(b, target)
            if found is not None:
                return found
    return None
