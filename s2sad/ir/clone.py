"""A deep copy of a function's IR with fresh values, so that a transform can
build on it while the input stays as it was (the compiler caches lowered IR and
hands the same function to every mode)."""
from __future__ import annotations

from typing import Dict, Tuple

from .nodes import Block, For, Function, If, Param, Prim, Value, While


def clone_function(fn: Function) -> Tuple[Function, Dict[Value, Value]]:
    """``(copy, mapping)``: ``mapping`` takes each value of ``fn`` to its copy.
    Constants, globals and source locations are shared: nothing changes them."""
    cloner = _Cloner()
    params = [Param(cloner.fresh(p.value), p.kind, cloner.operand(p.default), p.posonly)
              for p in fn.params]
    body = cloner.block(fn.body)
    new = Function(fn.name, params, body, fn.filename, fn.firstlineno, fn.docstring, fn.source)
    return new, cloner.mapping


class _Cloner:
    """The copying walk of :func:`clone_function`: methods, not recursive local
    functions, which would hold the mapping in a reference cycle for the
    garbage collector to find."""

    __slots__ = ("mapping",)

    def __init__(self):
        self.mapping: Dict[Value, Value] = {}

    def fresh(self, v: Value) -> Value:
        new = self.mapping.get(v)
        if new is None:
            new = self.mapping[v] = Value(v.hint, v.user, v.type)
        return new

    def operand(self, a):
        return self.mapping.get(a, a) if isinstance(a, Value) else a

    def block(self, b: Block) -> Block:
        operand = self.operand
        return Block([self.op(op) for op in b.ops], [operand(a) for a in b.yields])

    def op(self, op):
        if type(op) is Prim:  # most ops: written out, without a call per operand
            get = self.mapping.get
            args = [get(a, a) if type(a) is Value else a for a in op.args]
            return Prim(op.kind, args, [self.fresh(r) for r in op.results], dict(op.attrs),
                        op.loc)
        fresh, operand, block = self.fresh, self.operand, self.block
        if isinstance(op, If):
            cond = operand(op.cond)
            return If(cond, block(op.then), block(op.orelse), [fresh(r) for r in op.results],
                      op.loc)
        if isinstance(op, For):
            it, inits = operand(op.iter), [operand(a) for a in op.inits]
            item, args = fresh(op.item), [fresh(a) for a in op.args]
            body = block(op.body)
            return For(it, item, args, inits, body, [fresh(r) for r in op.results],
                       operand(op.brk), op.loc)
        if isinstance(op, While):
            inits, args = [operand(a) for a in op.inits], [fresh(a) for a in op.args]
            cond, body = block(op.cond), block(op.body)
            return While(args, inits, cond, body, [fresh(r) for r in op.results],
                         operand(op.brk), op.loc)
        raise TypeError(op)


def substitute(block: Block, mapping: Dict[Value, object]):
    """Replace uses (never definitions) of values throughout a block."""
    if not mapping:
        return

    def f(a):
        return mapping.get(a, a) if isinstance(a, Value) else a

    def visit(b):
        for op in b.ops:
            op.replace_operands(f)
            if isinstance(op, (For, While)) and op.brk is not None:
                op.brk = f(op.brk)
            for inner in op.blocks():
                visit(inner)
        b.yields = [f(y) for y in b.yields]

    visit(block)
