"""Copy propagation: read a copy's source instead of the copy.

A ``copy`` op (``y = x``) is dropped and its uses read ``x`` when

* ``y`` is not a name the user wrote (``Value.user`` is false), or ``x`` is a
  constant (``y = 0.0``: the constant is written where ``y`` was read), and
* neither ``y`` nor ``x`` is the base of an in-place op (``y += v``,
  ``y[i] = v``, ``ys.append(v)``): the emitter keeps such a base and the
  op's result in one variable, so a copy there is what keeps the other value
  alive across the write.

In Python ``y = x`` binds a second name to the same object, so reading ``x``
instead of ``y`` never changes what a program computes; the pass is run on
derivative code only (``ssa_source`` keeps the user's ``y = x`` lines).
"""
from __future__ import annotations

from typing import Dict, Optional

from ..ir.nodes import Block, Const, Function, If, Prim, UNDEF, Value, While
from .effects import mutation_bases


def copyprop(fn: Function, kinds: Optional[Dict] = None) -> Function:
    """Propagate copies in ``fn`` (in place); returns ``fn``.  ``kinds`` is
    accepted for a uniform signature and not needed."""
    bases = mutation_bases(fn)
    repl: Dict[Value, object] = {}

    def resolve(a):
        while isinstance(a, Value) and a in repl:
            a = repl[a]
        return a

    def block(b: Block):
        kept = []
        for op in b.ops:
            if type(op) is Prim:
                # one look-up suffices: repl never maps to a value it replaces
                if repl:
                    op.args = [repl.get(a, a) if type(a) is Value else a for a in op.args]
                args = op.args
                if op.kind == "copy" and len(op.results) == 1 and len(args) == 1:
                    y, x = op.results[0], args[0]
                    if x is not UNDEF and (not y.user or isinstance(x, Const)) and \
                            y not in bases and not (isinstance(x, Value) and x in bases):
                        repl[y] = x
                        continue
                kept.append(op)
                continue
            op.replace_operands(resolve)
            if isinstance(op, If):
                block(op.then)
                block(op.orelse)
            else:
                if isinstance(op, While):
                    block(op.cond)
                block(op.body)
                if op.brk is not None:
                    op.brk = resolve(op.brk)
            kept.append(op)
        b.ops = kept
        b.yields = [resolve(y) for y in b.yields]

    block(fn.body)
    block = None  # a recursive closure is a reference cycle: freed now, not by gc
    return fn
