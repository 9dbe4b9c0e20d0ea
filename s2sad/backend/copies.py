"""Which variables the emitter's copies read: those the IR may leave unbound.

A loop that returns early carries its return value, undefined (UNDEF) until the
``return`` sets it.  Where that carried value and the value the loop body
yields for it live in different variables, a copy between them runs on the
iterations that do not return, before anything set the source (the generated
code raised UnboundLocalError).  The emitter binds such a variable to None
where the IR leaves it undefined; it asks this module which variables a copy
reads, to do so only there.
"""
from __future__ import annotations

from typing import Set

from ..ir.nodes import For, Function, If, Value, While


def copy_sources(fn: Function, storage) -> Set[Value]:
    """The variables (``storage``'s union-find roots) that a copy from one
    variable to another reads: the yields of ifs and loops, loop inits and
    results that were not coalesced."""
    out: Set[Value] = set()

    def note(dsts, srcs):
        for d, s in zip(dsts, srcs):
            if isinstance(s, Value) and storage.find(s) is not storage.find(d):
                out.add(storage.find(s))

    def visit(block):
        for op in block.ops:
            if isinstance(op, If):
                note(op.results, op.then.yields)
                note(op.results, op.orelse.yields)
            elif isinstance(op, (For, While)):
                note(op.args, op.inits)
                note(op.args, op.body.yields)
                note(op.results, op.args)
            for b in op.blocks():
                visit(b)

    visit(fn.body)
    visit = None  # a recursive closure is a reference cycle: freed now, not by gc
    return out
