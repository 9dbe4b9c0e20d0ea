"""Split reverse derivatives: a call of a user function keeps its own tape.

In a reverse derivative, ``y = g(x)`` becomes ``y, g_tape = g_fwd(x)`` in the
forward sweep and ``x_bar = g_bwd(g_tape, y_bar)`` in the reverse sweep, as a
hand-written adjoint would keep what ``g``'s reverse sweep needs: nothing of
``g`` is computed twice, and recursion costs time linear in its depth.
``g_fwd`` returns ``(y, tape)``, the tape a tuple of the values its reverse
sweep reads (the stacks of its loops among them); ``g_bwd`` takes the tape and
``y_bar`` and returns the adjoints of the active arguments.
"""
from __future__ import annotations

from ..ir.nodes import Block, Function, Global, Param, Prim, Value
from .calls import keyword_call
from .tape import define_everywhere, defined_deep, read_tapes_backwards, substitute, used_deep


def backward_name(forward_name: str) -> str:
    """``g_bwd`` for ``g_fwd`` (``g_bwd_2`` for ``g_fwd_2``)."""
    head, _, count = forward_name.rpartition("_fwd")
    return f"{head}_bwd{count}"


class SplitCalls:
    """The split half of :class:`~s2sad.ad.reverse.Reverse`: making the two
    functions, and calling a callee's."""

    def split(self, name, main, back, out, out_bar, grads):
        """The forward sweep as a function returning the value and the tape (what
        the reverse sweep reads of it), and the reverse sweep as a function of
        the tape and ``out_bar``."""
        fn = self.fn
        forward_ops = set(map(id, self.stacks + main.ops))
        whole = Block(self.stacks + main.ops + back.ops)
        self.copy_before_writes(whole)
        fwd_ops, back_ops, copies = [], [], []
        back_ops_ids = set(map(id, back.ops))
        for op in whole.ops:  # a copy made before a write goes with the write
            if id(op) in forward_ops:
                fwd_ops += copies + [op]
            elif id(op) in back_ops_ids:
                back_ops += copies + [op]
            else:
                copies.append(op)
                continue
            copies = []
        fwd, rev = Block(fwd_ops), Block(back_ops, [grads])
        params = [p for p in fn.params if p.kind == "positional"]
        made = defined_deep(fwd) | {p.value for p in fn.params}
        kept = [v for v in used_deep(rev) if v in made and v is not out_bar]
        for v in kept:
            if v.hint == "_":  # what unpacking leaves unread is "_": this one is read
                v.hint, v.user = "t", False
        define_everywhere(fwd.walk(), kept)
        tape = Value(fn.name + "_tape")
        fwd.ops.append(Prim("build", list(kept), [tape], {"type": "tuple"}, None))
        pair = Value("result")
        fwd.ops.append(Prim("build", [out, tape], [pair], {"type": "tuple"}, None))
        fwd.yields = [pair]
        forward_fn = Function(name, params + [p for p in fn.params if p.kind != "positional"],
                              fwd, fn.filename, fn.firstlineno, None, fn.source)
        tape_param = Value(fn.name + "_tape")
        if kept:
            read = [Value(v.hint, v.user) for v in kept]
            for v, r in zip(kept, read):
                self.kinds[r] = self.kinds.get(v)
            substitute(rev, dict(zip(kept, read)))
            stacks = {s.results[0] for s in self.stacks}
            read_tapes_backwards(rev, [r for v, r in zip(kept, read) if v in stacks])
            rev.ops.insert(0, Prim("unpack", [tape_param], read, {"star": None}, None))
        back_fn = Function(backward_name(name), [Param(tape_param, "positional", None),
                                                 Param(out_bar, "positional", None)],
                           rev, fn.filename, fn.firstlineno, None, fn.source)
        return forward_fn, back_fn

    def keep_tape(self, op, compiled, pos, keywords=()) -> Value:
        """Make the forward sweep's ``y = g(x)`` call ``g_fwd``, which also returns
        its tape; the tape, which may hold ``x`` and ``y``, shares their storage."""
        if self._blocks is None:
            self._blocks = {}
            for block in [self.forward_main] + [b for o in self.forward_main.walk()
                                                for b in o.blocks()]:
                for o in block.ops:
                    self._blocks[id(o)] = block
        block = self._blocks[id(op)]
        name = getattr(op.args[0], "name", "g") if op.kind == "call" else op.attrs["method"]
        tape = Value(name.rpartition(".")[2] + "_tape")
        pair = Value("t")
        args, attrs = keyword_call(Global(compiled.name, compiled.fn), pos, keywords)
        call = Prim("call", args, [pair], attrs, op.loc)
        unpack = Prim("unpack", [pair], [op.results[0], tape], {"star": None}, op.loc)
        block.ops[block.ops.index(op):block.ops.index(op) + 1] = [call, unpack]
        self._blocks[id(call)] = self._blocks[id(unpack)] = block
        self.kinds[pair] = self.kinds[tape] = "tuple"
        self.tape_holds[tape] = [a for a in pos if isinstance(a, Value)] + [op.results[0]]
        return tape
