"""Evaluation traces: the seeds' tables (Baydin et al. 2018) for the user's own code.

``s2sad.trace(f, *args)`` runs ``f`` by *interpreting* its SSA IR (the same IR
the derivative transforms work on): every primitive that runs becomes one row
``vᵢ = <definition in terms of earlier vⱼ> = <value>``; inputs are numbered
``v₋ₙ₊₁ … v₀``; loops are unrolled (each row knows its iteration) and only the
branch taken appears.  ``copy`` primitives and loop-carried values are not rows:
they name a value that already has one.

In forward mode each row gets its tangent row ``v̇ᵢ = <rule> = <value>``, in
reverse mode the adjoint trace follows, in the order the reverse sweep runs,
with one row per contribution ``v̄ⱼ = v̄ᵢ ∂vᵢ/∂vⱼ`` (``v̄ⱼ = v̄ⱼ + …`` when a
value fans out).  The rules are not a table kept for this module: they come
from the rule registry (:mod:`s2sad.rules`).  A rule declared by its partials
(``sin: cos(x)``) is evaluated *symbolically and numerically at once*: its
lowered template is interpreted with each parameter bound to a pair (symbol,
value), so the printed rule is the registered partial with the arguments'
names substituted, and the printed value is that rule applied to the primal
values.  ``@defjvp`` / ``@defvjp`` rules are read the same way (a branch in a
rule is taken on the values at hand).

The trace object prints as text (``str``), Markdown (``to_markdown``) or LaTeX
(``to_latex``); ``rows`` holds the same rows as data.

The machinery lives in :mod:`s2sad.tables` (expressions and their printing,
the interpreter, the tangent and adjoint sweeps, the table objects); primitives
run on values by :mod:`s2sad.ir.interpret`.
"""
from __future__ import annotations

from typing import Optional

from .errors import S2sadError
from .tables.run import Run, prepare
from .tables.table import Row, Trace

__all__ = ["trace", "Trace", "Row"]


def trace(f, *args, mode: Optional[str] = None, argnums=None, tangents=None,
          cotangents=None, max_rows: Optional[int] = None) -> Trace:
    """The evaluation trace of ``f(*args)`` with its adjoint (reverse) or
    tangent (forward) trace, as in the seeds' tables.  ``mode`` is "reverse" by
    default, as everywhere in s2sad, and "forward" when ``tangents`` are given.

    ``f`` runs by interpretation of its SSA IR: values are computed primitive by
    primitive, loops are unrolled and only taken branches appear.  ``argnums``
    picks the inputs to differentiate (default: the float and array arguments;
    when there are none, the integers, as ``trace(f, 2, 5)``, made floats).

    Forward mode starts from ``tangents`` (one per differentiated input, or one
    per argument with None for the others; default: 1 for the first, 0 for the
    rest: the x₁ column of the Jacobian).  Reverse mode starts from
    ``cotangents`` (one per output; default: 1 for the first output, 0 for the
    others).  ``max_rows`` keeps the first rows of each part of the table (the
    outputs and the gradients always show); :attr:`Trace.cut` says how many
    rows were left out.
    """
    if mode is None:
        mode = "forward" if tangents is not None else "reverse"
    if mode not in ("forward", "reverse"):
        raise S2sadError(f"s2sad.trace: mode must be 'forward' or 'reverse', not {mode!r}")
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 0):
        raise S2sadError("s2sad.trace: max_rows must be a non-negative integer")
    fn, name, args, nums, single = prepare(f, args, argnums)
    if mode == "reverse" and tangents is not None:
        raise S2sadError("s2sad.trace: reverse mode starts from cotangents= (one per "
                         "output), not tangents=")
    if mode == "forward" and cotangents is not None:
        raise S2sadError("s2sad.trace: forward mode starts from tangents=, not cotangents=")
    run = Run(fn, args, nums, mode)
    if mode == "forward":
        run.seed_tangents(tangents)
    run.execute()
    rows, cut, cut_after = run.rows(max_rows, cotangents)
    return Trace(name, mode, run.param_names, args, rows, run.value, run.derivative(single),
                 cut, max_rows, run.seeds_text, cut_after)
