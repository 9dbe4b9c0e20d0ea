"""The clean-ups run on derivative code, in order.

``copyprop`` first (a propagated constant is something to fold), then ``fold``
(a folded ``x * 1`` is ``x``, which may make two expressions the same), then
``cse``; the caller runs ``dce`` last, which drops what they left unused.
:func:`optimize` returns new IR and leaves the derivative it is given as it
was; the passes it runs work in place on that private copy.
Primal code shown by ``ssa_source`` never goes through these: its ``y = x``
lines are the user's.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Dict, FrozenSet, Optional, Sequence, Tuple

from ..ir.clone import clone_function
from ..ir.kinds import infer_kinds, kind_of_object
from ..ir.nodes import Const, Function, Value
from .copyprop import copyprop
from .cse import cse
from .effects import Effects
from .fold import fold


def optimize(out: Function, primal: Optional[Function] = None, kind_map: Optional[Dict] = None,
             active: Sequence[Value] = (), mode: str = "forward", lower=None,
             keep: FrozenSet[Value] = frozenset(),
             out_kind=None) -> Tuple[Function, FrozenSet[Value]]:
    """Run copy propagation, folding and CSE on the derivative ``out`` of
    ``primal`` (compiled for the parameter kinds ``kind_map`` with respect to
    the ``active`` parameters, in ``mode``; ``lower`` gives the IR of the user
    functions it calls; ``out_kind``, the kind of what the primal returns,
    when the transform knows it).  Returns the optimized copy, and ``keep`` (values the
    emitter keeps on lines of their own) carried over to the copy's values;
    ``out`` is left unchanged."""
    out, copies = clone_function(out)
    keep = frozenset(copies.get(v, v) for v in keep)
    kinds = derivative_kinds(out, primal, kind_map, active, mode, lower, out_kind) \
        if primal is not None else None
    copyprop(out, kinds)
    # what fold replaces is never written nor escapes, so the facts about effects
    # and aliases stay true for cse: compute them once
    effects = Effects(out, kinds)
    fold(out, kinds, effects)
    cse(out, kinds, effects)
    return out, keep


def derivative_kinds(out: Function, primal: Function, kind_map, active, mode,
                     lower=None, out_kind=None) -> Optional[Dict]:
    """The kinds of the derivative's values (None when they cannot be inferred).

    Its parameters are the primal's, then the tangents of the active ones
    (forward) or the output's cotangent (reverse), which have the kinds of what
    they stand for."""
    try:
        kind_map = dict(kind_map or {})
        if not any(k is not None for k in kind_map.values()):
            return None
        primal_params = [p.value for p in primal.params if p.kind == "positional"]
        n = len(primal_params)
        out_params = [p.value for p in out.params if p.kind == "positional"]
        extra = out_params[n:]
        # the derivative's own copies of the primal's parameters, by position
        params = {o: kind_map.get(p) for o, p in zip(out_params, primal_params)}
        if mode == "forward":
            act = set(active)
            order = [p for p in primal_params if p in act]
            for p, a in zip(extra, order):
                params[p] = kind_map.get(a)
            return infer_kinds(out, params, lower)
        if extra and out_kind is not None:  # the cotangent of the output has its kind
            params[extra[0]] = out_kind
        elif extra:
            ret = primal.body.yields[0]
            params[extra[0]] = infer_kinds(primal, kind_map, lower).get(ret) \
                if isinstance(ret, Value) else \
                kind_of_object(ret.value) if isinstance(ret, Const) else None
        return infer_kinds(out, params, lower)
    except Exception:  # kinds only enable simplifications: none is safe
        return None


@contextmanager
def paused_gc():
    """The cyclic garbage collector paused while a derivative is built.

    A build allocates objects by the hundred thousand and frees few of them
    (the IR it keeps grows as it goes): each automatic collection walks them
    all again, nearly half the build's time for a long function.  Nothing is
    lost: what became garbage is collected once the collector runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
