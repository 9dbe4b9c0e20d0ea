"""Iterators (``zip``, ``enumerate``, ``reversed``, ``iter``) in derivative code.

An iterator is read once.  Its tangent is an iterator over its items'
tangents, consumed in step with it; its adjoint is the list of its items'
adjoints, as many as were read.  Two things keep that exact:

* a call that reads its whole iterable and whose rule reads the iterable
  again (``sorted``, ``min``, ``max``, ``sum``: to order, pick or shape the
  derivative) is given the iterator's items as a list made just before it,
  which is what it would have read (:func:`list_read_iterators`);
* reverse mode sends an item's adjoint back by its position in the iterator,
  which says where it came from only if one place reads the iterator
  (:func:`check_read_once`);
* a function differentiated through sees an iterator it is given as a
  parameter it knows nothing of, whose items its rules could not read again
  (:func:`check_not_passed`).
"""
from __future__ import annotations

import math
from collections import Counter

from .. import runtime
from ..ir.analysis import uses_of
from ..ir.nodes import Global, Prim, Value
from .calls import user_function

ITERATOR_BUILTINS = (zip, enumerate, reversed, iter)

# calls that read the whole of their iterable, whose rules read it again
_READ_AGAIN = (sorted, min, max, sum, math.fsum, math.prod)
_RUNTIME = runtime.__name__ + "."


def iterator_builtin(op):
    """The builtin of the call ``op`` when it makes an iterator over its
    arguments' items, else None."""
    if not isinstance(op, Prim) or op.kind != "call" or not isinstance(op.args[0], Global) or \
            op.attrs.get("star") or op.attrs.get("dstar"):
        return None
    f = op.args[0].obj
    return f if any(f is g for g in ITERATOR_BUILTINS) else None


def iterated_sources(op):
    """The operands whose items the iterator ``op`` makes gives, in their order
    in each item: ``zip``'s sequences, the iterable of ``enumerate`` (given by
    position or as ``iterable=``), of ``reversed`` and of ``iter``."""
    kw = op.attrs.get("kw", ())
    npos = len(op.args) - len(kw)
    if op.args[0].obj is enumerate and npos == 1:
        return [a for k, a in zip(kw, op.args[npos:]) if k == "iterable"]
    if op.args[0].obj is zip:
        return op.args[1:npos]
    return op.args[1:2]


def _reads_again(op) -> bool:
    if not isinstance(op, Prim) or op.kind != "call" or not isinstance(op.args[0], Global) or \
            op.attrs.get("star") or op.attrs.get("dstar"):
        return False
    f = op.args[0].obj
    npos = len(op.args) - len(op.attrs.get("kw", ()))
    if f is min or f is max:
        return npos == 2  # min(items); min(a, b) compares its arguments
    return npos >= 2 and any(f is g for g in _READ_AGAIN)


def list_read_iterators(fn):
    """``sorted(zip(xs, ys))`` -> ``items = list(zip(xs, ys)); sorted(items)``,
    in place: the same items, read when the call would read them."""
    iterators = {op.results[0] for op in fn.walk() if iterator_builtin(op) is not None}
    if not iterators:
        return

    def visit(block):
        new_ops = []
        for op in block.ops:
            if _reads_again(op) and isinstance(op.args[1], Value) and op.args[1] in iterators:
                items = Prim("call", [Global("list", list), op.args[1]], [Value("items")], {},
                             op.loc)
                new_ops.append(items)
                op.args[1] = items.results[0]
            new_ops.append(op)
            for b in op.blocks():
                visit(b)
        block.ops = new_ops

    visit(fn.body)


def iterating_reads(fn) -> Counter:
    """How many ops of ``fn`` may iterate over each value.  Derivative code
    passes an iterator to a runtime helper only for it to see that it is one
    (``like_sequence(g, it)``: the adjoint list as it is), so those calls,
    which derivative code differentiated again holds, are not reads."""
    reads = Counter()
    for op in fn.walk():
        if isinstance(op, Prim) and op.kind == "call" and isinstance(op.args[0], Global) and \
                (getattr(op.args[0].obj, "__module__", None) or "").startswith(_RUNTIME):
            continue
        reads.update(uses_of(op))
    return reads


def check_read_once(fn, active, error):
    """Refuse an active iterator that more than one place reads (a loop that
    breaks, then ``list(it)`` for the rest): the adjoint of what each read
    would land at the wrong positions."""
    reads = None
    for op in fn.walk():
        f = iterator_builtin(op)
        if f is None or op.results[0] not in active:
            continue
        reads = reads if reads is not None else iterating_reads(fn)
        if reads[op.results[0]] > 1:
            generator = op.attrs.get("generator", False)
            what = "generator" if generator else f"{f.__name__}(...)"
            raise error(op, f"this {what} is read in more than one place, and "
                            "reverse mode follows each item of an iterator back from the "
                            "one place that reads it",
                        "make it a list once (items = [... for ...]) and read the list in "
                        "each place" if generator else
                        f"make it a list once (items = list({f.__name__}(...))) and read "
                        "the list in each place")


def check_not_passed(fn, active, kinds, error):
    """Refuse an active iterator given to a function that s2sad differentiates
    through (``total(zip(xs, ys))``)."""
    made = {op.results[0]: f for op in fn.walk()
            for f in (iterator_builtin(op),) if f is not None and op.results[0] in active}
    if not made:
        return
    for op in fn.walk():
        if not isinstance(op, Prim) or op.kind not in ("call", "callmethod"):
            continue
        given = [a for a in op.args if isinstance(a, Value) and a in made]
        callee = user_function(op, kinds) if given else None
        if callee is not None:
            f = made[given[0]].__name__
            raise error(op, f"{callee.__name__}() is given an iterator ({f}(...)), which it "
                            "can read only once, and its derivative may need its items again",
                        f"pass a list: list({f}(...))")
